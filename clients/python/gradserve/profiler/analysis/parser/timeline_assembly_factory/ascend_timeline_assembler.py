"""`...timeline_assembly_factory.ascend_timeline_assembler`: the Ascend timeline from the framework's op records
("mindspore_op_list"), the CPU kernels' lines ("cpu_op_lines") and msprof's timeline ("msprof_timeline"): each
creator's lanes, then the flows (framework to framework by flow id; framework "Mstx" API spans to the mstx lanes;
kernel-launch spans to the device ops the CANN layer launched, Level0 and up), then the scope-layer lane."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, Dict, List, Optional

from ..... import log as logger
from ....common.constant import EventConstant, JitLevel, ProfilerLevel, TimelineLayerName
from ....common.log import ProfilerLogger
from ..timeline_creator.base_timeline_creator import BaseTimelineCreator
from ..timeline_creator.cpu_op_timeline_creator import CpuOpTimelineCreator
from ..timeline_creator.fwk_timeline_creator import FwkTimelineCreator
from ..timeline_creator.msprof_timeline_creator import MsprofTimelineCreator
from ..timeline_creator.scope_layer_timeline_creator import ScopeLayerTimelineCreator, is_scope_data
from ..timeline_event.base_event import BaseEvent
from ..timeline_event.flow_event import FlowEndEvent, FlowStartEvent
from ..timeline_event.timeline_event_pool import TimelineEventPool
from .base_timeline_assembler import BaseTimelineAssembler


class AscendTimelineAssembler(BaseTimelineAssembler):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self._profiler_level = kwargs.get("profiler_level")
        self._jit_level = kwargs.get("jit_level")
        self._init_creators()
        ProfilerLogger.init(kwargs.get("ascend_ms_dir"))  # type: ignore[arg-type]
        self._logger = ProfilerLogger.get_instance()

    def _init_creators(self) -> None:
        self._fwk_creator = FwkTimelineCreator()
        self._cpu_op_creator = CpuOpTimelineCreator()
        self._msprof_creator = MsprofTimelineCreator()
        self._scope_layer_creator = ScopeLayerTimelineCreator()

    def assemble(self, data: Dict[str, Any]) -> None:
        self._assemble_basic_events(data)
        self._assemble_flow_events()
        self._assemble_scope_layer_events()

    def _assemble_basic_events(self, data: Dict[str, Any]) -> None:
        self._assemble_events(self._fwk_creator, data.get("mindspore_op_list", []))
        self._assemble_events(self._cpu_op_creator, data.get("cpu_op_lines", []))
        self._assemble_events(self._msprof_creator, data.get("msprof_timeline", []))

    def _assemble_scope_layer_events(self) -> None:
        """CPU ops under a top scope, and device ops under one or launched by one."""
        scope_data: List[BaseEvent] = []
        cpu_pool = self.trace_view_container.get_pool_by_name(TimelineLayerName.CPU_OP.value)
        if cpu_pool:
            scope_data += [event for event in cpu_pool.get_complete_events() if is_scope_data(event)]
        device_pool = self.trace_view_container.get_pool_by_name(TimelineLayerName.ASCEND_HARDWARE.value)
        if device_pool:
            scope_data += [event for event in device_pool.get_complete_events()
                           if is_scope_data(event) or is_scope_data(getattr(event, "parent"))]
        if scope_data:
            self._assemble_events(self._scope_layer_creator, scope_data)

    def _assemble_events(self, creator: BaseTimelineCreator, data: Any) -> None:
        creator.create(data)
        for pool in creator.get_event_pools().values():
            self.trace_view_container.add_event_pool(pool)
        self.trace_view_container.add_trace_events(creator.get_chrome_trace_data())

    def _assemble_flow_events(self) -> None:
        container = self.trace_view_container
        fwk_pool = container.get_pool_by_name(TimelineLayerName.MINDSPORE.value)
        if not fwk_pool:
            return
        container.add_trace_events(self._create_fwk_to_fwk_flow(fwk_pool))
        for mstx_name in TimelineLayerName.MSTX.value:
            mstx_pool = container.get_pool_by_name(mstx_name)
            if mstx_pool:
                container.add_trace_events(self._create_fwk_to_mstx_flow(mstx_pool, fwk_pool))
        if self._profiler_level == ProfilerLevel.LevelNone.value:
            return
        if not container.get_pool_by_name(TimelineLayerName.ASCEND_HARDWARE.value) or \
                not container.get_pool_by_name(TimelineLayerName.CANN.value):
            return
        for event in fwk_pool.get_complete_events():
            if any(keyword in event.name for keyword in EventConstant.KERNEL_LAUNCH_KEYWORDS):
                container.kernel_launch_op_event[event.tid].append(event)
        container.add_trace_events(self._create_fwk_to_hardware_flow())

    def _create_fwk_to_hardware_flow(self) -> List[Dict]:
        """Per launching thread, both sides in time order: a device op group whose CANN start lies within a launch
        span (ts <= start <= te) is that span's children (one flow each); launch spans before it are passed."""
        acl_to_npu = self._msprof_creator.get_acl_to_npu_flow_dict()
        launches = self.trace_view_container.kernel_launch_op_event
        graph_mode = self._jit_level == JitLevel.GRAPH_LEVEL
        if not acl_to_npu and not graph_mode:
            logger.error("Cannot find connection between CANN layer and Ascend Hardware layer.")
            return []
        if not launches and not graph_mode:
            logger.warning("Cannot find launch op in MindSpore framework.")
            return []
        if set(acl_to_npu.keys()) != set(launches.keys()):
            self._logger.warning(
                "The number of launch op threads in MindSpore framework is inconsistent with the CANN layer.")
        flows: List[Dict] = []
        for tid, by_start in acl_to_npu.items():
            ops: List[Any] = sorted(launches.get(tid, []), key=lambda event: event.ts)
            index = 0
            for start_text, device_events in sorted(by_start.items(), key=lambda item: Decimal(item[0])):
                start = Decimal(start_text)
                while index < len(ops) and ops[index].ts <= start:
                    if start <= ops[index].te:
                        for device_event in device_events:
                            self._link(ops[index], device_event)
                            self.trace_view_container.hardware_op_event[device_event.tid].append(device_event)
                            flows += self._create_flow_events(ops[index], device_event,
                                                              EventConstant.MINDSPORE_NPU_FLOW_NAME,
                                                              EventConstant.MINDSPORE_NPU_FLOW_CAT)
                        break
                    index += 1
        return flows

    @staticmethod
    def _link(parent: Any, child: Any) -> None:
        child.parent = parent
        parent.children.append(child)

    def _create_fwk_to_fwk_flow(self, framework_pool: TimelineEventPool) -> List[Dict]:
        """A flow id with exactly one start and one end: the end's parent is the start (others: logged, none)."""
        flows: List[Dict] = []
        for flow_id, pair in framework_pool.get_start_to_end_flow_pairs().items():
            if len(pair["start"]) != 1 or len(pair["end"]) != 1:
                logger.info(f"Mindspore op flow expected exactly one start and one end event with flow id {flow_id}, "
                            f"but got {len(pair['start'])} start and {len(pair['end'])} end events")
                continue
            self._link(pair["start"][0], pair["end"][0])
            flows += self._create_flow_events(pair["start"][0], pair["end"][0], EventConstant.MINDSPORE_SELF_FLOW_NAME,
                                              EventConstant.MINDSPORE_SELF_FLOW_CAT, flow_id)
        return flows

    def _create_fwk_to_mstx_flow(self, mstx_pool: TimelineEventPool, fwk_pool: TimelineEventPool) -> List[Dict]:
        """Per thread, in time order: an mstx span starting within a framework "Mstx" API span (ts <= start <= te)
        is its child; each API span takes at most one."""
        api_by_tid: Dict[int, List[Any]] = defaultdict(list)
        for event in fwk_pool.get_complete_events():
            if EventConstant.MSTX_KEYWORD in event.name:
                api_by_tid[event.tid].append(event)
        flows: List[Dict] = []
        for tid, events in mstx_pool.complete_event.items():
            apis = sorted(api_by_tid.get(tid, []), key=lambda event: event.ts)
            mstx_events: List[Any] = sorted(events, key=lambda event: getattr(event, "ts"))
            index = 0
            for mstx_event in mstx_events:
                while index < len(apis) and mstx_event.ts >= apis[index].ts:
                    index += 1
                    if mstx_event.ts <= apis[index - 1].te:
                        self._link(apis[index - 1], mstx_event)
                        flows += self._create_flow_events(apis[index - 1], mstx_event, EventConstant.MSTX_FLOW_NAME,
                                                          EventConstant.MSTX_FLOW_CAT)
                        break
        return flows

    @staticmethod
    def _create_flow_events(start_event: Any, end_event: Any, name: str, cat: str,
                            flow_id: Optional[str] = None) -> List[Dict]:
        """A start / end pair of flow events (id: the end's ts text unless given)."""
        if flow_id is None:
            flow_id = str(end_event.ts)
        ends = [(FlowStartEvent, start_event), (FlowEndEvent, end_event)]
        return [cls({"name": name, "cat": cat, "pid": event.pid, "tid": event.tid, "ts": event.ts, "id": flow_id,
                     "bp": "e"}).to_trace_format() for cls, event in ends]
