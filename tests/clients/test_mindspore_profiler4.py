"""`mindspore.profiler`'s Ascend output viewers (communication, kernel details, memory, step trace, operator
details), the TLV decoder, the dynamic profiler's config context and the parsers' workflow (ut/python/profiler:
the viewers' 5 files, test_dynamic_profiler_config_context, test_base_parser, test_task_manager: 61 items MindSpore
2.10 passes on CPU). Expected values and texts: MindSpore 2.10 CPU runs of the same calls
(/work/ms_suite_profiler4/probe/p1.py and p2.py, outputs p1.ms / p2.ms; both print the same on gradserve). Client
side only, no server."""
import json
import os
import struct
from decimal import Decimal
from unittest.mock import patch

import numpy as np
import pytest

from gradserve.profiler.analysis.parser.base_parser import BaseParser
from gradserve.profiler.analysis.task_manager import TaskManager
from gradserve.profiler.analysis.viewer.ascend_communication_viewer import AscendCommunicationViewer
from gradserve.profiler.analysis.viewer.ascend_kernel_details_viewer import AscendKernelDetailsViewer
from gradserve.profiler.analysis.viewer.ascend_memory_viewer import AscendMemoryViewer
from gradserve.profiler.analysis.viewer.ascend_step_trace_time_viewer import AscendStepTraceTimeViewer
from gradserve.profiler.analysis.viewer.ms_operator_details_viewer import MsOperatorDetailsViewer
from gradserve.profiler.common.log import ProfilerLogger
from gradserve.profiler.common.constant import AicoreMetrics, ExportType, HostSystem, ProfilerActivity, ProfilerLevel
from gradserve.profiler.common.tlv_decoder import TLVDecoder
from gradserve.profiler.dynamic_profile.dynamic_profiler_config_context import DynamicProfilerConfigContext

DYNO = "gradserve.profiler.dynamic_profile.dynamic_profiler_utils.DynamicProfilerUtils.is_dyno_mode"


class Warnings(list):
    """gradserve.log's warning / error / info calls, as (kind, args)."""
    def __enter__(self):
        self._patches = [patch(f"gradserve.log.{kind}", lambda *a, _k=kind[0].upper(), **_: self.append((_k, a)))
                         for kind in ("warning", "error", "info")]
        for p in self._patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in self._patches:
            p.stop()


class Container:
    """The trace view container's surface the viewers read."""
    def __init__(self, steps, kernels=None, pools=None):
        self.steps, self.hardware_op_event, self.pools = steps, kernels or {}, pools or {}

    def get_step_id_time_dict(self):
        return self.steps

    def get_pool_by_name(self, name):
        return self.pools.get(name)


@pytest.fixture(autouse=True)
def fresh_profiler_logger():
    """The viewers open the process-wide profiler log in their folder; each test gets (and closes) its own."""
    ProfilerLogger.destroy()
    yield
    ProfilerLogger.destroy()


@pytest.fixture
def dirs(tmp_path):
    names = ("out", "msa", "msprof", "fwk", "ms")
    for name in names:
        (tmp_path / name).mkdir()
    return {name: str(tmp_path / name) for name in names}


def read(path):
    with open(path) as f:
        return f.read()


# --- the dynamic profiler's config context (p1.ms) -----------------------------------------------------------
def config(data, dyno):
    with patch(DYNO, return_value=dyno):
        return DynamicProfilerConfigContext(dict(data))


def test_config_file_values_checked_and_converted():
    with Warnings() as logs:
        c = config({"start_step": True, "stop_step": "3", "profile_memory": 1, "mstx_domain_include": "a",
                    "prof_path": 5, "activities": "CPU", "export_type": 2, "aic_metrics": 9, "profiler_level": 7,
                    "analyse_mode": 3}, dyno=False)
        assert c.to_dict()["export_type"] == 2 and c.analyse_mode is None
        args = c.args
    assert (args["profiler_level"], args["activities"], args["export_type"], args["aic_metrics"], args["host_sys"],
            args["is_dyno"]) == (ProfilerLevel.Level0, [ProfilerActivity.CPU, ProfilerActivity.NPU],
                                 [ExportType.Text, ExportType.Db], AicoreMetrics.AiCoreNone, None, False)
    assert [a[0] for _, a in logs] == [
        "'start_step' should be int, but got bool. will be reset to default value: '-1'.",
        "'stop_step' should be int, but got str. will be reset to default value: '-1'.",
        "'profile_memory' should be bool, but got int. will be reset to default value: 'False'.",
        "'mstx_domain_include' should be list, but got str. will be reset to default value: '[]'.",
        "'activities' should be a list or a non-bool integer, but got str. Will be reset to default value: "
        "'[ProfilerActivity.CPU, ProfilerActivity.NPU]'.",
        "'prof_path' should be str, but got int. ",
        "'analyse_mode' needs to be set to one of '-1, 0, and 1', but got '3', will be reset to default: 'None'.",
        "The parameter 'profiler_level=7' does not support passing in the int type in future versions. Please use "
        "the str type instead.",
        "'profiler_level' needs to be set to one of '-1, 0, 1 and 2', but got '7',will be reset to default: "
        "'ProfilerLevel.Level0'.",
        "The parameter 'aic_metrics=9' does not support passing in the int type in future versions. Please use "
        "the str type instead.",
        "'aic_metrics' needs to be set to one of '0, 1, 2, 3, 4, 5, 6, and 7',but got '9', will be reset to "
        "default: 'AicoreMetrics.AiCoreNone'.",
        "The parameter 'export_type=2' does not support passing in the int type in future versions. Please use "
        "the list type instead."]
    # args converts in place: to_dict shows the enums afterwards (MindSpore's)
    assert c.to_dict()["aic_metrics"] is AicoreMetrics.AiCoreNone


def test_config_dyno_text_values():
    with Warnings() as logs:
        c = config({"start_step": "3", "iterations": "4", "profiler_level": "Level_none", "activities": "NPU, CPU",
                    "export_type": "Db", "profile_memory": "TRUE", "msprof_tx": "yes", "log_file": 3,
                    "mstx_domain_include": "a, b ,c", "mstx_domain_exclude": "None", "host_sys": "cpu,disk",
                    "sys_io": "True", "sys_interconnection": 1, "aic_metrics": "Memory", "analyse_mode": "1"},
                   dyno=True)
    d = c.to_dict()
    assert (d["start_step"], d["stop_step"], d["profiler_level"], d["activities"], d["export_type"],
            d["profile_memory"], d["mstx"], d["data_simplification"], d["mstx_domain_include"],
            d["mstx_domain_exclude"], d["host_sys"], d["sys_io"], d["sys_interconnection"], d["analyse_mode"]) == (
        3, 6, "LevelNone", ["CPU", "NPU"], ["db"], True, False, False, ["a", "b", "c"], [], ["cpu", "disk"], True,
        False, -1)
    assert [a[0] for _, a in logs] == ["The 'log-file' must be a string, will be set to default: './'.",
                                       "'analyse_mode' should be int, but got str. will be reset to default value: "
                                       "'-1'."]
    assert c.args["host_sys"] == [HostSystem.CPU, HostSystem.DISK]
    assert DynamicProfilerConfigContext.bytes_to_json(c.to_bytes())["stop_step"] == 6


def test_config_dyno_bad_numbers_and_members():
    with Warnings() as logs:
        c = config({"start_step": "x", "iterations": "y", "activities": "GPU", "host_sys": "cpu, bad",
                    "aic_metrics": 11, "profiler_level": 3}, dyno=True)
        assert (c.start_step, c.stop_step, c.to_dict()["activities"]) == (0, -1, ["CPU", "NPU"])
        assert c.args["host_sys"] is None
    # start_step is read twice (start and stop): MindSpore warns twice
    assert [a[0] for _, a in logs][:3] == [
        "dyno config 'start-step' should be an integer, will be reset to default value: '0'."] * 2 + [
        "dyno config 'iterations' should be an integer, will be reset to default value: '0'."]
    assert logs[-1][1][0] == "'bad' is not a valid HostSystem member. will be reset to default: 'None'."
    with pytest.raises(AttributeError, match="'int' object has no attribute 'lower'"):
        config({"profile_memory": 1}, dyno=True)
    with pytest.raises(TypeError, match="not 'NoneType'"):
        config({"start_step": None}, dyno=True)
    with Warnings() as logs:
        assert DynamicProfilerConfigContext.bytes_to_json(b"\xff\xfe") == {}
    assert logs == [("E", ("Failed to parse dynamic profiler config JSON string.",))]


# --- communication viewer (p2.ms lines 2-7, 18-20) -----------------------------------------------------------
def comm_op(start, wait, transit, sync, t, s):
    return {"Communication Time Info": {"Start Timestamp(us)": start, "Elapse Time(ms)": 1.5, "Wait Time(ms)": wait,
                                        "Transit Time(ms)": transit, "Synchronization Time(ms)": sync,
                                        "Wait Time Ratio": 0.1, "Synchronization Time Ratio": 0.2},
            "Communication Bandwidth Info": {"HCCS": {"Transit Time(ms)": t, "Transit Size(MB)": s,
                                                      "Bandwidth(GB/s)": 1.0,
                                                      "Size Distribution": {"4": [1, t], "8": [2, s]}}}}


def link(bw, t, s, tt="HCCS"):
    return {"Bandwidth(GB/s)": bw, "Transport Type": tt, "Transit Size(MB)": s, "Transit Time(ms)": t}


def test_communication_viewer_steps_totals_and_matrix(dirs):
    comm = {"hcom_allReduce__1_0_1@8": comm_op(5, 1.0, 2.0, 0.5, 2.0, 8.0),
            "hcom_send__2_0_1@9": comm_op(15, 0.25, 1.0, 0.0, 1.0, 2.0),
            "hcom_broadcast__4@8": comm_op(35, 3.0, 1.0, 2.0, 4.0, 1.0),
            "Total Op Info": comm_op(0, 1, 1, 1, 1, 1)}
    matrix = {"hcom_allReduce__1_0_1@8": {"0-1": link(3, 1, 2), "1-0": link(1, 2, 1, "PCIE")},
              "hcom_broadcast__4@8": {"0-1": link(2, 4, 8)}, "custom-op7@8": {"0-1": link(9, 1, 9)}}
    with open(os.path.join(dirs["msa"], "communication.json"), "w") as f:
        json.dump(comm, f)
    with open(os.path.join(dirs["msa"], "communication_matrix.json"), "w") as f:
        json.dump(matrix, f)
    viewer = AscendCommunicationViewer(ascend_profiler_output_path=dirs["out"], msprof_analyze_output_path=dirs["msa"],
                                       ascend_ms_dir=dirs["ms"], is_set_schedule=True, jit_level="O0")
    viewer.save({"trace_view_container": Container({"1": (0, 20), "2": (20, 40)})})
    out = json.loads(read(os.path.join(dirs["out"], "communication.json")))
    assert list(out) == ["step1", "step2"]
    # "Send" is matched case-sensitively: hcom_send is a collective op (MindSpore's)
    assert out["step1"]["p2p"] == {} and list(out["step1"]["collective"]) == [
        "hcom_allReduce__1_0_1@8", "hcom_send__2_0_1@9", "Total Op Info"]
    total = out["step1"]["collective"]["Total Op Info"]
    assert total["Communication Time Info"] == {"Elapse Time(ms)": 3.0, "Wait Time(ms)": 1.25, "Transit Time(ms)": 3.0,
                                                "Synchronization Time(ms)": 0.5, "Wait Time Ratio": 0.2941,
                                                "Synchronization Time Ratio": 0.1429}
    assert total["Communication Bandwidth Info"] == {"HCCS": {"Transit Time(ms)": 3.0, "Transit Size(MB)": 10.0,
                                                              "Size Distribution": {"4": [2, 3.0], "8": [4, 10.0]}}}
    matrix_out = json.loads(read(os.path.join(dirs["out"], "communication_matrix.json")))
    assert list(matrix_out) == ["step1", "step2"]  # custom-op7 is in no step: dropped
    assert matrix_out["step1"]["collective"]["allreduce-total@8"] == {
        "0-1": {"Transport Type": "HCCS", "Transit Size(MB)": 2, "Transit Time(ms)": 1, "Bandwidth(GB/s)": 2.0},
        "1-0": {"Transport Type": "PCIE", "Transit Size(MB)": 1, "Transit Time(ms)": 2, "Bandwidth(GB/s)": 0.5}}
    # no trace container: logged, nothing written
    os.remove(os.path.join(dirs["out"], "communication.json"))
    viewer.save({})
    assert not os.path.exists(os.path.join(dirs["out"], "communication.json"))


def test_communication_matrix_ranks(dirs):
    viewer = AscendCommunicationViewer(ascend_profiler_output_path=dirs["out"], msprof_analyze_output_path=dirs["msa"],
                                       ascend_ms_dir=dirs["ms"], is_set_schedule=True, jit_level="O0")
    got = viewer._integrate_matrix_data({("t", "g", "l"): [link(i, i, 2 * i) for i in range(5)]})
    assert [(k, v["l"]["Bandwidth(GB/s)"]) for k, v in got.items()] == [
        ("t-top1@g", 4), ("t-middle@g", 2), ("t-bottom1@g", 0), ("t-bottom2@g", 1), ("t-bottom3@g", 2),
        ("t-total@g", 2.0)]
    got = viewer._integrate_matrix_data({("t", "g", "l"): [link(3, 1, 1), link(1, 1, 2)]})
    assert [v["l"]["Bandwidth(GB/s)"] for v in got.values()] == [3, 1, 1, 3, 3, 1.5]


# --- kernel details (p2.ms lines 22-52) ----------------------------------------------------------------------
class Ev:
    def __init__(self, name, ts, parent=None):
        self.name, self.ts, self.parent, self.step_id = name, ts, parent, None


KD_DTYPE = [("Device_id", "i4"), ("Step ID", object), ("Op Name", object), ("OP Type", "U8"),
            ("Task Start Time(us)", object), ("Task Duration(us)", "f8"), ("Input Shapes", "U8"), ("Context ID", "U4")]
KD_ROWS = [(0, None, "k1", "Add", "10.5\t", 1.5, "2,2", "N/A"), (0, None, "k2", "Mul", "30.000", 2.0, "3", "N/A"),
           (0, None, "k3", "Sub", "55", 0.5, "", "1"), (0, None, "k4", "Div", "70.25", 1.0, "1", "2")]


@pytest.mark.parametrize("level, sched, jit, acts, steps, text", [
    ("Level1", True, "O0", ["CPU", "NPU"], {0: (Decimal(0), Decimal(40)), 1: (Decimal(40), Decimal(60))},
     'Step ID,Name,Type,Start Time(us),Duration(us),Input Shapes,Context ID\n0,Add_launch/k1,Add,10.5\t,1.5,"2,2",N/A\n'
     '1,Mul_launch/k2,Mul,30.000,2.0,3,N/A\n1,k3,Sub,55,0.5,,1\n1,k4,Div,70.25,1.0,1,2\n'),
    ("Level0", True, "O0", ["CPU"], {},
     "Name,Type,Start Time(us),Duration(us)\nAdd_launch/k1,Add,10.5\t,1.5\nMul_launch/k2,Mul,30.000,2.0\n"
     "k3,Sub,55,0.5\nk4,Div,70.25,1.0\n"),
    ("Level1", False, "O2", ["NPU"], {0: (Decimal(0), Decimal(9))},
     'Name,Type,Start Time(us),Duration(us),Input Shapes,Context ID\nk1,Add,10.5\t,1.5,"2,2",N/A\n'
     "k2,Mul,30.000,2.0,3,N/A\nk3,Sub,55,0.5,,1\nk4,Div,70.25,1.0,1,2\n"),
    ("LevelNone", True, "O0", ["CPU"], {}, None),
])
def test_kernel_details_viewer(dirs, level, sched, jit, acts, steps, text):
    kernels = {1: [Ev("k1", Decimal("10.5"), Ev("Add_launch", Decimal(8))),
                   Ev("k2", Decimal("30.000"), Ev("Mul_launch", Decimal(45)))], 2: [Ev("k3", Decimal("55"))]}
    viewer = AscendKernelDetailsViewer(ascend_profiler_output_path=dirs["out"], ascend_ms_dir=dirs["ms"],
                                       is_set_schedule=sched, jit_level=jit, profiler_level=level, activities=acts)
    viewer.save({"trace_view_container": Container(steps, kernels), "op_summary": np.array(KD_ROWS, dtype=KD_DTYPE),
                 "op_summary_headers": [d[0] for d in KD_DTYPE]})
    path = os.path.join(dirs["out"], "kernel_details.csv")
    assert (read(path) if os.path.exists(path) else None) == text


# --- memory viewer (p2.ms lines 54-80) -----------------------------------------------------------------------
def test_memory_viewer_combines_ge_and_framework_records(dirs):
    files = {("msprof", "memory_record_1.csv"): "Device id,Component,Timestamp(us),Total Allocated(KB),"
             "Total Reserved(KB),Device\n0,GE,100.5,2048,4096,NPU:0\n0,APP,90,10,20,NPU:0\n",
             ("msprof", "memory_record_2.csv"): "h\n0,GE,300,1000,3000,NPU:0\n",
             ("msprof", "npu_module_mem_1.csv"): "Device_id,Component,Timestamp(us),Total Reserved(KB),Device\n"
             "0,SLOG,1,2,NPU:0\n",
             ("msprof", "npu_module_mem_2.csv"): "Device_id,Component,Timestamp(us),Total Reserved(KB),Device\n"
             "0,HCCL,3,4,NPU:0\n",
             ("msprof", "npu_mem_1.csv"): "Device_id,event,ddr(KB),hbm(KB),memory(KB),timestamp(us)\n"
             "0,APP,0,512,512,150.5\t\n0,DEV,0,1,1,160\n",
             ("fwk", "cpu_ms_memory_record_0.txt"): "Timestamp(ns),Total Allocated(Byte),Total Reserved(Byte),"
             "Total Active(Byte)\n200000,1048576,2097152,524288\n50500,1024,2048,512\n"}
    for (where, name), text in files.items():
        with open(os.path.join(dirs[where], name), "w") as f:
            f.write(text)
    AscendMemoryViewer(profile_memory=True, rank_id=0, ascend_profiler_output_path=dirs["out"],
                       framework_path=dirs["fwk"], msprof_profile_output_path=dirs["msprof"], ascend_ms_dir=dirs["ms"],
                       activities=["CPU", "NPU"]).save()
    assert read(os.path.join(dirs["out"], "memory_record.csv")) == (
        "Component,Timestamp(us),Total Allocated(MB),Total Reserved(MB),Total Active(MB),Device Type\n"
        "MindSpore,50.5,0.001,0.002,0.0005,NPU:0\nMindSpore+GE,50.5,0.001,0.002,0.0005,NPU:0\n"
        "APP,90,0.01,0.02,0.0,NPU:0\nMindSpore+GE,90,0.01,0.02,0.0,NPU:0\nGE,100.5,2.048,4.096,0.0,NPU:0\n"
        "MindSpore+GE,100.5,2.058,4.116,0.0,NPU:0\nMindSpore,200,1.024,2.048,0.512,NPU:0\n"
        "MindSpore+GE,200,3.072,6.144,0.512,NPU:0\nGE,300,1.0,3.0,0.0,NPU:0\n"
        "MindSpore+GE,300,2.024,5.048,0.512,NPU:0\nAPP,150.5,0.0,0.512,0.0,NPU:0\n")
    assert read(os.path.join(dirs["out"], "npu_module_mem.csv")) == (
        "Device_id,Component,Timestamp(us),Total Reserved(KB),Device\n0,SLOG,1,2,NPU:0\n0,HCCL,3,4,NPU:0\n")


# --- step trace (p2.ms lines 82-98) --------------------------------------------------------------------------
class Span:
    def __init__(self, name, ts, dur):
        self.name, self.ts, self.dur = name, Decimal(ts), Decimal(dur)


class Pool:
    def __init__(self, events):
        self.events = events

    def get_events_by_name(self, name):
        return [e for e in self.events if e.name == name]

    def get_complete_events(self):
        return self.events


def test_step_trace_time_viewer(dirs):
    overlap = Pool([Span("Computing", "12.5", "3.25"), Span("Computing", "1", "2"), Span("Communication", "20", "5"),
                    Span("Communication(Not Overlapped)", "21", "4"), Span("Free", "8", "4.5"),
                    Span("Free", "18", "30"), Span("Computing", "44", "1")])
    viewer = AscendStepTraceTimeViewer(ascend_profiler_output_path=dirs["out"], profiler_level="Level0",
                                       ascend_ms_dir=dirs["ms"], activities=["CPU", "NPU"])
    viewer.save({"trace_view_container": Container({}, pools={
        "Overlap Analysis": overlap, "MindSpore": Pool([Span("a", "0.75", "1"), Span("b", "0.5", "9")])})})
    assert read(os.path.join(dirs["out"], "step_trace_time.csv")) == (
        "Step,Computing,Communication(Not Overlapped),Overlapped,Communication,Free,Stage,Bubble,"
        "Communication(Not Overlapped and Exclude Receive),Preparing\n0,6.250,4.000,1.000,5.000,34.500,0,0,4.000,0.500\n")
    hccl = Pool([Span("hcom_send__1_0", "20", "2"), Span("hcom_allReduce__2", "25", "3"),
                 Span("Receive-op9", "30", "1.5"), Span("x_Send-op", "42", "1")])
    viewer.hccl_events = hccl.events
    viewer.hccl_events_np = np.array([(e.name, e.ts, e.dur) for e in hccl.events], dtype=viewer.HCCL_DTYPE)
    # stage = span (30 + 1.5 - 20) less bubble (send 2 + receive 1.5); "x_Send-op" is not matched from its start
    # (MindSpore 2.10: probe/p3.py line 1)
    assert viewer._calculate_stage_bubble(Decimal(0), Decimal(41)) == (Decimal("8.0"), Decimal("3.5"))


# --- operator details and the TLV decoder (p2.ms lines 100-110) ----------------------------------------------
def tlv(type_id, value):
    return struct.pack("<HI", type_id, len(value)) + value


def test_operator_details_viewer_and_tlv_decoder(dirs):
    records = [tlv(0, b"Conv2D") + tlv(1, b"[1,3]") + tlv(2, b"float32"), tlv(1, b"[2]") + tlv(0, b"\xff\xfe"), b"",
               tlv(0, b"Trunc") + b"\x01"]
    with open(os.path.join(dirs["fwk"], "mindspore.record_shapes"), "wb") as f:
        f.write(b"".join(tlv(9, r) for r in records))
    with Warnings() as logs:
        MsOperatorDetailsViewer(ascend_profiler_output_path=dirs["out"], ascend_ms_dir=dirs["ms"],
                                framework_path=dirs["fwk"]).save({})
    assert read(os.path.join(dirs["out"], "operator_details.csv")) == 'Name,Input Shapes\nConv2D,"[1,3]"\nN/A,[2]\n,\nTrunc,\n'
    assert [a[0] for k, a in logs if k == "W"] == ["The collected data can't decode by bytes.decode: b'\\xff\\xfe'",
                                                   "Failed to decode TLV: type field truncated at index 11"]
    with Warnings() as logs:
        got = TLVDecoder.decode(tlv(1, struct.pack("<iq", 3, -4) + tlv(5, b"x")) + tlv(1, b"\x00"), "<iq", 12)
    assert got == [{5: "x", "fix_size_data": (3, -4)}]
    assert logs == [("W", ("The collected data has been lost",))]
    with Warnings() as logs:
        assert TLVDecoder.tlv_list_decode(tlv(3, b"abc")[:-1], is_field=True) == {}
    assert logs == [("W", ("Failed to decode TLV: value field truncated at index 6",))]


# --- parsers and task manager (p2.ms lines 112-125) ----------------------------------------------------------
class Add(BaseParser):
    def _parse(self, data):
        return {"n": data.get("n", 0) + 1}


class Bad(BaseParser):
    def _parse(self, data):
        raise KeyError("nope")


HOOK_OUT = {}


def write_result(result):
    """A post hook (run in a child process: it writes where the test set HOOK_OUT before parsing)."""
    with open(HOOK_OUT["path"], "w") as f:
        f.write(repr(result))


def test_parsers_and_task_manager(tmp_path):
    with pytest.raises(RuntimeError, match="Logger not initialized. Call init first."):
        Add()  # a parser logs to the profiler log: the Profiler opens it first
    ProfilerLogger.init(str(tmp_path))
    with Warnings() as logs:
        assert Bad().parse({"n": 5}) == {"n": 5} and Add().parse({"n": 1}) == {"n": 2}
        with pytest.raises(ValueError, match="next_parser int must be a BaseParser"):
            Add().set_next(3)
        with pytest.raises(ValueError, match="Hook must be callable"):
            Add().register_post_hook(3)
        manager = TaskManager()
        manager.create_flow(Add(), Add(), Bad(), Add(), flow_name="f1")
        manager.create_flow(flow_name="f2")
        manager.create_flow(Add(), flow_name="f3")
    assert [(k, a) for k, a in logs if k == "E"] == [("E", ("Parser [%s] error: %s", "Bad", "'nope'")),
                                                     ("E", ("No parsers provided",))]
    assert sorted(manager.workflows) == ["f1", "f3"] and [len(w) for w in manager.workflows.values()] == [4, 1]
    manager.run()
    assert {k: sorted(v["parser_times_seconds"]) for k, v in manager.cost_time.items()} == {
        "f1": ["Add", "Bad"], "f3": ["Add"]}
    # a post hook runs in a process of its own (joined before parse returns), with the parser's result
    HOOK_OUT["path"] = str(tmp_path / "hook.txt")
    assert Add().register_post_hook(write_result).parse({"n": 41}) == {"n": 42}
    assert (tmp_path / "hook.txt").read_text() == "{'n': 42}"


# --- the framework parser (probe/p4.py, p4.ms) ---------------------------------------------------------------
def op_range_record(step, name):
    fix = struct.pack("<5Qi3Hb3?", 7, 1, step, 100 + step, 200 + step, -1, 0, 1, 2, 0, False, False, False)
    return tlv(1, fix + tlv(13, name.encode()))


@pytest.mark.parametrize("step_list, target, names", [
    (None, "Ascend", [("a", 5), ("b", 6), ("c", 7), ("d", 6)]),
    ([1, 3], "Ascend", [("a", 5), ("c", 7)]),  # steps counted from the first recorded one
    ((1,), "Ascend", [("a", 5), ("b", 6), ("c", 7), ("d", 6)]),  # not a list: all
    ([2], "CPU", []),  # no op ranges on a CPU target
])
def test_framework_parser(dirs, step_list, target, names):
    from gradserve.profiler.analysis.parser.ms_framework_parser import FrameworkParser
    with open(os.path.join(dirs["fwk"], "mindspore.op_range"), "wb") as f:
        f.write(op_range_record(5, "a") + op_range_record(6, "b") + op_range_record(7, "c") + op_range_record(6, "d"))
    with open(os.path.join(dirs["fwk"], "cpu_op_execute_timestamp_3.txt"), "w") as f:
        f.write("op1;Add;1,2\n  op2;Mul;3,4  \n")
    ProfilerLogger.init(dirs["ms"])
    parser = FrameworkParser(rank_id=3, activities=["CPU"], framework_path=dirs["fwk"], ascend_ms_dir=dirs["ms"],
                             step_list=step_list, device_target=target)
    out = parser.parse({"x": 1})
    assert sorted(out) == ["cpu_op_lines", "mindspore_op_list", "x"]
    assert [(r[13], r["fix_size_data"][2]) for r in out["mindspore_op_list"]] == names
    assert out["cpu_op_lines"] == ["op1;Add;1,2", "op2;Mul;3,4"]
    no_cpu = FrameworkParser(rank_id=3, activities=["NPU"], framework_path=dirs["fwk"], ascend_ms_dir=dirs["ms"])
    assert no_cpu.parse({"x": 1}) == {"x": 1}
