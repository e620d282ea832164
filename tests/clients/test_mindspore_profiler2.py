"""`mindspore.profiler.analysis.time_converter`, the timeline events (`analysis.parser.timeline_event.*`), the
profiler's constants, the CPU-op / msprof timeline creators, the trace view container and
`dynamic_profile.dynamic_profiler_utils` (ut/python/profiler: test_time_converter, timeline_event/*,
test_{cpu_op,msprof}_timeline_creator, test_trace_view_container, test_dynamic_profiler_utils: 77 items MindSpore 2.10
passes on CPU). Expected values and texts: MindSpore 2.10 CPU runs of the same calls
(/work/ms_suite_profiler2/probe/p1.py, p2.py; outputs p1.ms.out, p2.ms.out). Client-side only (no server) but for
the last test: mint.nn.functional.silu_func, the one name of MindSpore 2.10's mint.nn.functional gradserve lacked
that MindSpore's CPU runs."""
import inspect
import os
from decimal import Decimal
from unittest.mock import patch

import numpy as np
import pytest

import gradserve as gs
from gradserve.mint.nn import functional as F

from gradserve.profiler.analysis.parser.timeline_assembly_factory.trace_view_container import TraceViewContainer
from gradserve.profiler.analysis.parser.timeline_creator.cpu_op_timeline_creator import CpuOpTimelineCreator
from gradserve.profiler.analysis.parser.timeline_creator.msprof_timeline_creator import MsprofTimelineCreator
from gradserve.profiler.analysis.parser.timeline_event import base_event
from gradserve.profiler.analysis.parser.timeline_event.cpu_op_event import CpuOpCompleteEvent, CpuOpMetaEvent
from gradserve.profiler.analysis.parser.timeline_event.flow_event import FlowEndEvent, FlowStartEvent
from gradserve.profiler.analysis.parser.timeline_event.msprof_event import (MsprofCompleteEvent, MsprofCounterEvent,
                                                                             MsprofInstantEvent, MsprofMetaEvent)
from gradserve.profiler.analysis.parser.timeline_event.scope_layer_event import (ScopeLayerCompleteEvent,
                                                                                 ScopeLayerMetaEvent)
from gradserve.profiler.analysis.parser.timeline_event.timeline_event_pool import TimelineEventPool
from gradserve.profiler.analysis.time_converter import TimeConverter
from gradserve.profiler.common.constant import DynoMode, EventConstant, TimeConstant, TimelineLayerName
from gradserve.profiler.dynamic_profile.dynamic_profiler_utils import DynamicProfilerUtils

DATA = {"ts": 1234567, "dur": 0.0015, "tid": "7", "pid": 9, "name": "k", "cat": 3}
LONG_DUR = "0.0015000000000000000312250225675825276994146406650543212890625"  # Decimal(0.0015), MindSpore's too


@pytest.fixture
def converter():
    yield TimeConverter
    TimeConverter._is_loaded = False


def test_time_converter_gives_microseconds_to_three_places(converter):
    converter.init_parameters(38.4, 123456789, 1700000000123456789)
    got = [converter.convert_syscnt_to_timestamp_us(s) for s in (123456789, 223456789, 10 ** 12 + 7, 5)]
    assert got == [Decimal("1700000000123456.789"), Decimal("1700000002727623.456"),
                   Decimal("1700026038575103.091"), Decimal("1699999996908436.372")]
    assert [str(g) for g in got] == ["1700000000123456.789", "1700000002727623.456", "1700026038575103.091",
                                     "1699999996908436.372"]
    converter.init_parameters(100.0, 0, 0)
    assert str(converter.convert_syscnt_to_timestamp_us(3)) == "0.030"
    assert str(converter.convert_syscnt_to_timestamp_us(-7)) == "-0.070"


def test_time_converter_refuses_before_init(converter):
    converter._is_loaded = False
    with pytest.raises(RuntimeError, match="^init_parameters must be called first$"):
        converter.convert_syscnt_to_timestamp_us(1)


def test_cpu_op_event_converts_ns_and_ms_to_us():
    e = CpuOpCompleteEvent(DATA)
    assert (repr(e.ts), repr(e.dur), e.pid, e.tid, e.unique_id) == (
        "Decimal('1234.567')", "Decimal('1.500')", 2, 7, "2-7-1234.567")
    assert e.to_trace_format() == {"ph": "X", "name": "k", "pid": 2, "tid": 7, "ts": "1234.567", "dur": "1.500",
                                   "cat": "3", "args": {}}
    assert CpuOpCompleteEvent({"ts": "5", "dur": "2.5"}).to_trace_format()["dur"] == "2500.000"
    assert CpuOpCompleteEvent({}).to_trace_format()["ts"] == "0.000"
    assert CpuOpMetaEvent(DATA).to_trace_format() == {"ph": "M", "name": "k", "pid": 2, "tid": 7, "args": {}}


def test_msprof_events_trace_format():
    assert MsprofCompleteEvent(DATA).to_trace_format() == {"ph": "X", "name": "k", "pid": 9, "tid": 7,
                                                           "ts": "1234567", "dur": LONG_DUR, "cat": "3", "args": {}}
    assert list(MsprofInstantEvent(DATA).to_trace_format().items()) == [
        ("name", "k"), ("ph", "i"), ("ts", "1234567"), ("pid", 9), ("tid", 7), ("args", {})]
    assert MsprofCounterEvent({"ts": "5"}).to_trace_format() == {"name": "", "ph": "C", "ts": "5", "pid": 0,
                                                                 "tid": 0, "args": {}}
    assert MsprofMetaEvent({}).to_trace_format() == {"ph": "M", "name": "", "pid": 0, "tid": 0, "args": {}}
    assert MsprofCompleteEvent({}).to_trace_format()["dur"] == "0"


@pytest.mark.parametrize("bad", [None, [], "x", 1])
def test_events_refuse_a_non_dict(bad):
    with pytest.raises(TypeError, match="^Input data must be dict.$"):
        MsprofMetaEvent(bad)


def test_base_event_is_abstract():
    with pytest.raises(TypeError):
        base_event.BaseEvent({})


def test_msprof_parent_writes_its_name_into_args():
    child = MsprofCompleteEvent({"name": "c", "args": {"a": 1}})
    assert (child.parent, child.step_id, child.children) == (None, None, [])
    child.parent = MsprofCompleteEvent({"name": "p"})
    assert child.args == {"a": 1, "mindspore_op": "p"}
    child.step_id = 4
    assert child.step_id == 4
    no_args = MsprofCompleteEvent({"name": "c"})
    no_args.parent = child  # no args dict in the data: the update is on a fresh {} and is lost (MindSpore's too)
    assert no_args.args == {} and no_args.origin_data == {"name": "c"}


def test_flow_events_trace_format():
    assert list(FlowStartEvent(DATA).to_trace_format().items()) == [
        ("name", "k"), ("bp", "e"), ("ph", "s"), ("ts", "1234567"), ("pid", 9), ("tid", 7), ("id", ""), ("cat", "3")]
    assert FlowEndEvent({}).to_trace_format() == {"name": "", "bp": "e", "ph": "f", "ts": "0", "pid": 0, "tid": 0,
                                                  "id": "", "cat": ""}


def test_scope_layer_events():
    e = ScopeLayerCompleteEvent(DATA)
    assert e.to_trace_format() == {"ph": "X", "name": "k", "pid": 3, "tid": 7, "ts": "1234567", "dur": LONG_DUR,
                                   "cat": "3", "args": {}}
    e.dur = Decimal("7.25")
    assert e.to_trace_format()["dur"] == "7.25"
    assert ScopeLayerMetaEvent({}).pid == 3


def test_timeline_event_pool_orders_and_indexes():
    pool = TimelineEventPool(5)
    events = [MsprofCompleteEvent({"name": "a", "tid": 2, "ts": 1}),
              MsprofMetaEvent({"name": "process_name", "args": {"name": "P"}}),
              MsprofInstantEvent({"name": "b", "tid": 1}), MsprofCompleteEvent({"name": "c", "tid": 1}),
              MsprofMetaEvent({"name": "thread_name", "tid": 1, "args": {"name": "T1"}}),
              MsprofCounterEvent({"name": "d", "tid": 3}), FlowStartEvent({"name": "f", "tid": 1}),
              MsprofMetaEvent({"name": "thread_name", "tid": 4, "args": {}})]
    for e in events:
        pool.add_event(e)
    order = ["process_name", "thread_name", "thread_name", "a", "c", "b", "d"]
    assert (pool.name, [e.name for e in pool.get_all_events()]) == ("P", order)
    assert (pool.tid_to_name, pool.name_to_tid) == ({1: "T1"}, {"T1": 1})
    assert [e.name for e in pool.get_events_by_tid(1)] == ["c", "b"] == [e.name for e in pool.get_events_by_name("T1")]
    assert pool.get_events_by_tid(9) == [] and pool.get_all_tids() == {1, 2, 3}
    assert [e["name"] for e in pool.get_all_events_with_trace_format()] == order
    pool.add_start_event("k", events[0])
    pool.add_end_event("k", events[2])
    pool.add_end_event("j", events[2])
    assert pool.get_start_to_end_flow_pairs() == {"k": {"start": [events[0]], "end": [events[2]]},
                                                  "j": {"start": [], "end": [events[2]]}}


def test_constants():
    assert (DynoMode.DYNO_DAEMON, EventConstant.CPU_OP_PID, EventConstant.SCOPE_LAYER_PID) == (
        "MSMONITOR_USE_DAEMON", 2, 3)
    assert (EventConstant.INVALID_FLOW_ID, TimeConstant.NS_TO_US, TimeConstant.MS_TO_US) == (18446744073709551615,
                                                                                             0.001, 1000)


@pytest.mark.parametrize("value, expected, logged", [
    ("1", True, False), ("0", False, False), ("2", False, False), (" 1 ", True, False), ("01", True, False),
    ("abc", False, True), ("", False, True), (None, False, False)])
def test_is_dyno_mode(value, expected, logged):
    env = {} if value is None else {DynoMode.DYNO_DAEMON: value}
    with patch.dict(os.environ, env, clear=True), patch("gradserve.log.error") as err:
        assert DynamicProfilerUtils.is_dyno_mode() is expected
    text = "Environment variable 'MSMONITOR_USE_DAEMON' value not valid, will be set to 0 !"
    assert err.call_args_list == ([((text,),)] if logged else [])


def test_real_rank_is_rank_id():
    with patch.dict(os.environ, {}, clear=True):
        assert DynamicProfilerUtils.get_real_rank() == 0
    with patch.dict(os.environ, {"RANK_ID": "3"}, clear=True):
        assert DynamicProfilerUtils.get_real_rank() == 3


@pytest.mark.parametrize("text, expected", [
    ("PROFILE_START_STEP=10\nPROFILE_ACTIVITIES=CPU,NPU", {"start_step": "10", "activities": "CPU,NPU"}),
    ("A=1=2\nX_ACTIVITIES_Y= a \n PROFILE_START_STEP = 3\nfoo=bar\nACTIVITIES=NPU\nprofile_x=1",
     {"activities_y": "a", "start_step": "3", "foo": "bar", "activities": "NPU", "profile_x": "1"}),
    (5, {}), ("", {})])
def test_dyno_str_to_dict(text, expected):
    assert DynamicProfilerUtils.dyno_str_to_dict(text) == expected


def test_profiler_status():
    assert [(s.name, s.value) for s in DynamicProfilerUtils.ProfilerStatus] == [
        ("UNINITIALIZED", -1), ("IDLE", 0), ("RUNNING", 1), ("READY", 2)]
    assert (DynamicProfilerUtils.CFG_BUFFER_SIZE, DynamicProfilerUtils.REPORT_INTERVAL) == (1048576, 1.0)


def test_timeline_layer_names():
    assert [(m.name, m.value) for m in TimelineLayerName][:5] == [
        ("MINDSPORE", "MindSpore"), ("CPU_OP", "CPU OP"), ("MSTX", ["python", "python3"]), ("CANN", "CANN"),
        ("SCOPER_LAYER", "Scope Layer")]
    assert len(TimelineLayerName) == 21 and TimelineLayerName.OVERLAP_ANALYSIS.value == "Overlap Analysis"


def test_cpu_op_timeline_creator():
    creator = CpuOpTimelineCreator()
    with patch("gradserve.log.warning") as warn:
        creator.create(["Default/MatMul-op1;MatMul;x;1000000,1.5,2 2500000,0.25,3 bad,1", "  ", "a;b",
                        "Add;Add;7,0.001,2"])
    assert warn.call_args_list == [(("Invalid time info format, expected 3 fields but got 2: bad,1",),),
                                   (("Invalid CPU info format, expected at least 3 fields but got 2: a;b",),)]
    trace = creator.get_chrome_trace_data()
    assert trace[:3] == [{"ph": "M", "name": "process_name", "pid": 2, "tid": 0, "args": {"name": "CPU OP"}},
                         {"ph": "M", "name": "process_sort_index", "pid": 2, "tid": 0, "args": {"sort_index": 2}},
                         {"ph": "M", "name": "process_labels", "pid": 2, "tid": 0, "args": {"labels": "CPU"}}]
    assert [(e["name"], e["tid"], e["args"]) for e in trace[3:7]] == [
        ("thread_name", 2, {"name": "Thread 2"}), ("thread_sort_index", 2, {"sort_index": 2}),
        ("thread_name", 3, {"name": "Thread 3"}), ("thread_sort_index", 3, {"sort_index": 3})]
    assert [(e["name"], e["tid"], e["ts"], e["dur"], e["args"]) for e in trace[7:]] == [
        ("Default/MatMul-op1", 2, "1000.000", "1500.000", {"type": "MatMul"}), ("Add", 2, "0.007", "1.000",
                                                                                  {"type": "Add"}),
        ("Default/MatMul-op1", 3, "2500.000", "250.000", {"type": "MatMul"})]
    assert list(creator.get_event_pools()) == [2]
    empty = CpuOpTimelineCreator()
    empty.create([])
    assert (empty.get_event_pools(), empty.get_chrome_trace_data()) == ({}, [])


def test_msprof_timeline_creator_maps_host_to_device_flows():
    raw = [{"ph": "X", "name": "MatMul", "pid": 2, "tid": 200, "ts": "2000", "dur": 5},
           {"ph": "s", "cat": "HostToDevice", "id": "f1", "pid": 1, "tid": 100, "ts": "1000"},
           {"ph": "f", "cat": "HostToDevice", "id": "f1", "pid": 2, "tid": 200, "ts": "2000"},
           {"ph": "s", "cat": "HostToDevice", "id": "f1", "pid": 1, "tid": 101, "ts": "1001"},
           {"ph": "s", "cat": "HostToDevice", "id": "f2", "pid": 1, "tid": 100, "ts": "1000"},
           {"ph": "f", "cat": "HostToDevice", "id": "f2", "pid": 2, "tid": 200, "ts": "2000"},
           {"ph": "s", "cat": "HostToDevice", "id": "f3", "pid": 1, "tid": 100, "ts": "3"},
           {"ph": "f", "cat": "HostToDevice", "id": "f3", "pid": 2, "tid": 9, "ts": "3"},
           {"ph": "i", "name": "I", "pid": 3, "tid": 1, "ts": 4},
           {"ph": "M", "name": "process_name", "pid": 3, "args": {"name": "CANN"}},
           {"ph": "C", "name": "cnt", "pid": 4}, {"ph": "X", "name": "late", "cat": "HostToDevice", "pid": 5}]
    creator = MsprofTimelineCreator()
    with patch("gradserve.log.warning") as warn:
        creator.create(raw)
    text = "Failed to find hardware event for flow end event. Flow ID: f3, Unique ID: 2-9-3"
    assert warn.call_args_list == [((text,),)]
    flows = creator.get_acl_to_npu_flow_dict()
    assert {t: {k: [e.name for e in v] for k, v in d.items()} for t, d in flows.items()} == {
        100: {"1000": ["MatMul", "MatMul"]}}
    pools = creator.get_event_pools()
    assert {p: [e.name for e in q.get_all_events()] for p, q in pools.items()} == {
        2: ["MatMul"], 1: [], 3: ["process_name", "I"], 4: [], 5: []}
    assert pools[3].name == "CANN" and creator.get_chrome_trace_data() is raw


def test_trace_view_container():
    from gradserve.profiler.analysis.parser.timeline_event.msprof_event import MsprofCompleteEvent as Span
    container = TraceViewContainer()
    lane = TimelineEventPool(1)
    lane.add_event(MsprofMetaEvent({"name": "process_name", "args": {"name": "MindSpore"}}))
    for name, ts, dur in [("ProfilerStep#3", "30", "5"), ("ProfilerStep#1", "10", "2.5"),
                          ("x#ProfilerStep#2#7", "20", 1), ("Other", 0, 0)]:
        lane.add_event(Span({"name": name, "ts": ts, "dur": dur}))
    assert container.get_step_id_time_dict() == {}
    container.add_event_pool(lane)
    other = TimelineEventPool(7)
    container.add_event_pool(other)
    assert list(container.get_step_id_time_dict().items()) == [
        ("1", (Decimal("10"), Decimal("12.5"))), ("7", (Decimal("20"), Decimal("21"))),
        ("3", (Decimal("30"), Decimal("35")))]
    assert (container.name_to_pid, container.pid_to_name) == ({"MindSpore": 1}, {1: "MindSpore"})
    assert [q.pid for q in container.get_all_pools()] == [1, 7] and container.get_pool_by_name("x") is None
    assert container.get_pool_by_pid(7) is other and container.get_pool_by_name("MindSpore") is lane
    again = TimelineEventPool(8)
    again.name = "MindSpore"
    with pytest.raises(ValueError, match="^Process name 'MindSpore' already exists.$"):
        container.add_event_pool(again)
    assert sorted(container.event_pools) == [1, 7]
    container.add_trace_events([{"a": 1}])
    container.add_trace_events([{"b": 2}])
    assert container.get_trace_view() == [{"a": 1}, {"b": 2}]
    assert (dict(container.kernel_launch_op_event), dict(container.hardware_op_event)) == ({}, {})


def test_mint_functional_silu_func(on_real_server):
    """mint.nn.functional.silu_func (MindSpore 2.10: ops.silu, signature (input)); values and the gradient of
    sum(silu_func(x) ** 2) from a MindSpore 2.10 CPU run (/work/ms_suite_profiler2/probe/p3.py)."""
    assert str(inspect.signature(F.silu_func)) == "(input)"
    x = gs.Tensor(np.array([[-1.5, 0.5, 2.0], [3.0, -0.25, 7.0]], np.float32))
    np.testing.assert_allclose(F.silu_func(x).asnumpy(), [[-0.27363822, 0.3112297, 1.7615943],
                                                          [2.8577223, -0.10945588, 6.993623]], rtol=2e-6)
    grad = gs.grad(lambda t: (F.silu_func(t) ** 2).sum())(x)
    np.testing.assert_allclose(grad.asnumpy(), [[0.02259931, 0.46059585, 3.8430386],
                                                [6.2189984, -0.08237431, 14.063619]], rtol=2e-6, atol=1e-7)
