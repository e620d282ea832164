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
