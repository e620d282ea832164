"""`mindspore.profiler.analysis.parser.timeline_event.fwk_event` (the framework's op-range records as timeline
events) and the fwk / scope-layer timeline creators (ut/python/profiler: test_fwk_timeline_creator,
test_scope_layer_timeline_creator: 22 items MindSpore 2.10 passes on CPU). Expected values and texts: MindSpore 2.10
CPU runs of the same calls (/work/ms_suite_profiler3/probe/p1.py, output p1.ms.out; line numbers below). Client side
only, no server."""
from decimal import Decimal

import pytest

from gradserve.profiler.analysis.parser.timeline_creator.fwk_timeline_creator import FwkTimelineCreator
from gradserve.profiler.analysis.parser.timeline_creator.scope_layer_timeline_creator import (
    ScopeLayerTimelineCreator, is_scope_data)
from gradserve.profiler.analysis.parser.timeline_event import fwk_event as fe
from gradserve.profiler.analysis.parser.timeline_event.cpu_op_event import CpuOpCompleteEvent
from gradserve.profiler.analysis.time_converter import TimeConverter
from gradserve.profiler.common.constant import FileConstant

FIX = [7, 5, 3, 123456, 130000, 9, 2, 4, 1, 0, False, False, False]
INVALID = 2 ** 64 - 1


def rec(fix, **texts):
    """A record: fixed fields, then strings by field number (f13 = NAME ... f17 = CUSTOM_INFO)."""
    return {FileConstant.FIX_SIZE_DATA: fix, **{int(k[1:]): v for k, v in texts.items()}}


@pytest.fixture
def converter():
    TimeConverter.init_parameters(38.4, 1000, 1700000000000000000)
    yield TimeConverter
    TimeConverter._is_loaded = False


def test_constants_and_name_tables():
    # p1.ms.out lines 1-8
    assert (FileConstant.FIX_SIZE_DATA, FileConstant.CANN_FILE_REGEX, FileConstant.FRAMEWORK_DIR,
            fe.FwkFixSizeFormat.OpRangeStruct) == ("fix_size_data", r"^PROF_\d+_\d+_[0-9a-zA-Z]+", "FRAMEWORK",
                                                   "<5Qi3Hb3?")
    assert (len(fe.ProfilerEvent), len(fe.ProfilerModule), len(fe.ProfilerStage)) == (69, 8, 10)
    assert [m.value for m in fe.ProfilerEvent][::7] == [
        "Default", "KernelPrepareData", "SendOutput", "WaitKernelsResizeFinish", "RunOp", "PyNativeGilAcquire",
        "PyNativeGradClearAutoGradCell", "PyBoostLaunchAclnn", "CaptureCompile", "AclnnRunOp"]
    assert [(f.name, f.value) for f in fe.OpRangeStructField][::3] == [
        ("THREAD_ID", 0), ("START_TIME_NS", 3), ("MODULE_INDEX", 6), ("LEVEL", 9), ("IS_STACK", 12),
        ("MODULE_GRAPH", 15)]
    field = fe.FwkProfileDataField
    got = [(field.get_stage_value(i), field.get_module_value(i), field.get_event_value(i)) for i in (3, 10, -1)]
    assert got == [("RunGraph", "PynativeFramework", "KernelInferAndResize"), ("Default", "Default", "OutputProcess"),
                   ("SyncStream", "Other", "NativeFunc")]


@pytest.mark.parametrize("fix, texts, name, scope", [
    (FIX, {"f13": "n", "f14": "Default/net/Conv2D-op1"}, "RuntimeFramework::KernelLaunch::Default/net/Conv2D-op1",
     True),
    (FIX[:10] + [True, False, False], {"f13": "op", "f15": "Mg", "f16": "Eg"}, "Mg::Eg::op", False),
    (FIX[:10] + [False, True, False], {}, "Python", False),
    (FIX[:8] + [99, 0, False, True, False], {}, "Default", True),
    (FIX[:10] + [False, False, True], {"f13": "stackname"}, "stackname", False),
    (FIX, {"f13": "flow", "f14": "fl"}, "fl", False),
    (FIX[:6] + [77, 88] + FIX[8:], {"f14": "Gradients/a/b"}, "Default::Default::Gradients/a/b", True),
])
def test_fwk_event_names_times_and_trace(converter, fix, texts, name, scope):
    # p1.ms.out lines 9-29
    span, point = fe.FwkCompleteEvent(rec(list(fix), **texts)), fe.FwkInstantEvent(rec(list(fix), **texts))
    stack = bool(fix[12])
    assert span.to_trace_format() == {
        "ph": "X", "name": name, "pid": 1, "tid": 7, "ts": "1700000000003188.958", "dur": "170.417",
        "cat": "python_function" if stack else "", "args": {}}
    assert point.to_trace_format() == {"name": name, "ph": "i", "ts": "1700000000003188.958", "pid": 1, "tid": 7,
                                       "args": {}}
    assert (span.te, span.dur, span.id, span.is_stack, span.step, span.level, span.ts_raw) == (
        Decimal("1700000000003359.375"), Decimal("170.417"), 5, stack, 3, 0, 123456)
    assert bool(is_scope_data(span)) is scope


def test_fwk_custom_info(converter):
    # p1.ms.out lines 9, 12, 24, 27, 30-32: the first two pairs only; under two pairs "{}"; no info ""
    info = [fe.FwkCompleteEvent(rec(list(FIX), f17=text)).custom_info for text in ("a:1;b:2;c:3", "x:1", "k:v;", "a:1")]
    assert info == ["{'a': '1', 'b': '2'}", "{}", "{}", "{}"]
    assert fe.FwkInstantEvent(rec(list(FIX))).custom_info == ""
    with pytest.raises(ValueError, match=r"not enough values to unpack \(expected 2, got 1\)"):
        fe.FwkCompleteEvent(rec(list(FIX), f17="a;b:1")).custom_info
    with pytest.raises(ValueError, match=r"too many values to unpack \(expected 2\)"):
        fe.FwkCompleteEvent(rec(list(FIX), f17="a:1:2;b:2")).custom_info


def _records():
    return [rec([1, 11, 0, 200, 300, 0, 0, 0, 0, 0, False, False, False], f13="flow", f14="flow"),
            rec([1, 11, 0, 400, 500, 0, 1, 2, 0, 0, False, False, False], f14="Default/A/B-op"),
            rec([4, INVALID, 0, 600, 900, 0, 1, 3, 0, 0, False, False, False], f14="Default/A/C-op"),
            rec([4, INVALID, 0, 700, 700, 0, 1, 3, 0, 0, False, False, False], f14="inst"),
            rec([4, INVALID, 0, 0, 900, 0, 1, 3, 0, 0, False, False, False], f14="zero")]


def test_fwk_timeline_creator(converter):
    # p1.ms.out lines 34-44: meta events first, the flow record only starts flow 11, the zero start is dropped
    creator = FwkTimelineCreator()
    creator.create(_records())
    trace = creator.get_chrome_trace_data()
    assert [(t["ph"], t["name"], t["tid"]) for t in trace[:7]] == [
        ("M", "process_name", 0), ("M", "process_sort_index", 0), ("M", "process_labels", 0),
        ("M", "thread_name", 1), ("M", "thread_sort_index", 1), ("M", "thread_name", 4), ("M", "thread_sort_index", 4)]
    assert trace[7:] == [
        {"ph": "X", "name": "GraphExecutorPy::KernelResize::Default/A/B-op", "pid": 1, "tid": 1,
         "ts": "1699999999999984.375", "dur": "2.604", "cat": "", "args": {}},
        {"ph": "X", "name": "GraphExecutorPy::KernelInferAndResize::Default/A/C-op", "pid": 1, "tid": 4,
         "ts": "1699999999999989.583", "dur": "7.813", "cat": "", "args": {}},
        {"name": "GraphExecutorPy::KernelInferAndResize::inst", "ph": "i", "ts": "1699999999999992.188", "pid": 1,
         "tid": 4, "args": {}}]
    flows = creator.get_event_pools()[1].get_start_to_end_flow_pairs()
    assert sorted((k, len(v["start"]), len(v["end"])) for k, v in flows.items()) == [("11", 1, 1)]
    assert FwkTimelineCreator().get_chrome_trace_data() == []


def test_scope_layer_timeline_creator(converter):
    # p1.ms.out lines 45-64: merged layers, the parallel op skipped, a framework op's longer parent scope
    ops = [CpuOpCompleteEvent({"name": n, "tid": 1, "ts": str(ts), "dur": str(d)}) for n, ts, d in
           [("Default/net/a/Op1", 1000, 0.001), ("Default/net/a/Op2", 2500, 0.002), ("Default/net/b/Op3", 5000, 0.001),
            ("Default/net/b/Op4", 5200, 0.0001), ("Gradients/x/Op5", 9000, 0.003), ("NoScope", 20000, 0.001)]]
    fwk = fe.FwkCompleteEvent(_records()[2])
    fwk.parent = fe.FwkCompleteEvent(rec([4, 0, 0, 100, 2000, 0, 1, 3, 0, 0, False, False, False],
                                         f14="Default/P/Q/R/S-op"))
    creator = ScopeLayerTimelineCreator()
    creator.create(ops + [fwk])
    spans = [(t["name"], t["tid"], t["ts"], t["dur"]) for t in creator.get_chrome_trace_data() if t["ph"] == "X"]
    far = "1699999999999989.583"
    assert spans == [("a", 2, "1.000", "3.500"), ("b", 2, "5.000", "1.000"), ("Q", 2, far, "7.813"),
                     ("Default", 0, "1.000", "5.000"), ("Gradients", 0, "9.000", "3.000"), ("Default", 0, far, "7.813"),
                     ("net", 1, "1.000", "5.000"), ("x", 1, "9.000", "3.000"), ("P", 1, far, "7.813"),
                     ("R", 3, far, "7.813")]
    meta = [t for t in creator.get_chrome_trace_data() if t["ph"] == "M"]
    assert meta[:2] == [{"ph": "M", "name": "process_name", "pid": 3, "tid": 0, "args": {"name": "Scope Layer"}},
                        {"ph": "M", "name": "process_sort_index", "pid": 3, "tid": 0, "args": {"sort_index": 12}}]
    assert len(meta) == 10


def _fwk_op(name, start, end, stack=True):
    return rec((100, 123, 0, start, end, 1, 1, 2, 3, 1, False, False, stack), f13=name, f14=name, f15="", f16="",
               f17="type:x")


def _msprof(name, pid, ts, ph="X", **extra):
    return {"name": name, "ph": ph, "pid": pid, "tid": pid, "ts": ts, **({"dur": 1000} if ph == "X" else extra)}


def test_ascend_timeline_assembler_flows_and_log(tmp_path):
    # p2.py / p2.ms.out lines 4-21 and 88 (its "kbk" case): launch spans to the device ops their CANN launches
    # start within, the scope lane from the CPU ops and device ops, the profiler log's first line
    from gradserve.profiler.analysis.parser.timeline_assembly_factory.ascend_timeline_assembler import (
        AscendTimelineAssembler)
    from gradserve.profiler.common.log import ProfilerLogger
    TimeConverter.init_parameters(1000.0, 0, 0)
    meta = [{"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": name}}
            for pid, name in ((200, "Ascend Hardware"), (100, "CANN"))]
    flow = {"cat": "HostToDevice"}
    msprof = [_msprof("node@launch", 100, 1500), _msprof("Default/network-TrainOneStepCell/Mul", 200, 3000), *meta,
              _msprof("fs", 100, 2000, "s", id="flow1", **flow), _msprof("fe", 200, 3000, "f", id="flow1", **flow),
              _msprof("Gradients/x/Mul2", 200, 6000), _msprof("fs", 100, 9000, "s", id="flow2", **flow),
              _msprof("fe", 200, 6000, "f", id="flow2", **flow)]
    data = {"mindspore_op_list": [_fwk_op("KernelLaunch::Default/net/MatMul", 1000000, 2000000),
                                  _fwk_op("x::LaunchTask::y", 8000000, 9500000, stack=False)],
            "cpu_op_lines": ["Default/network-TrainOneStepCell/Add;Add;1500,200,2", "Gradients/a/B;B;4000000,0.5,3"],
            "msprof_timeline": msprof}
    try:
        assembler = AscendTimelineAssembler(ascend_ms_dir=str(tmp_path), profiler_level="Level1", jit_level="O0")
        assembler.assemble(data)
        container = assembler.get_trace_view_container()
        assert sorted(container.name_to_pid.items()) == [("Ascend Hardware", 200), ("CANN", 100), ("CPU OP", 2),
                                                         ("MindSpore", 1), ("Scope Layer", 3)]
        flows = [(t["ph"], t["ts"], t["pid"], t["id"]) for t in container.get_trace_view() if t.get("cat") == "async_npu"]
        assert flows == [("s", "1000.000", 1, "3000"), ("f", "3000", 200, "3000"), ("s", "8000.000", 1, "6000"),
                         ("f", "6000", 200, "6000")]
        scope = [(t["name"], t["tid"], t["ts"], t["dur"]) for t in container.get_trace_view()
                 if t["pid"] == 3 and t["ph"] == "X"]
        assert scope == [("Default", 0, "1.500", "200000.000"), ("network-TrainOneStepCell", 1, "1.500", "200000.000")]
        assert {k: [(e.name, e.parent.name) for e in v] for k, v in container.hardware_op_event.items()} == {
            200: [("Default/network-TrainOneStepCell/Mul", "KernelLaunch::Default/net/MatMul"),
                  ("Gradients/x/Mul2", "GraphExecutorPy::KernelResize::x::LaunchTask::y")]}
    finally:
        ProfilerLogger.destroy()
        TimeConverter._is_loaded = False
    (log,) = (tmp_path / "logs").iterdir()
    lines = log.read_text().splitlines()
    assert lines[0].endswith(f"Profiler logger initialized at: {log}")
    assert len(lines) == 1  # the launch threads and the CANN ones agree here: no warning (MindSpore: the same)
