"""`...timeline_creator.msprof_timeline_creator`: pools (one per pid) of msprof's timeline records, and the
host-to-device flows (cat HostToDevice; the first start / end per flow id) as {start's tid: {str(start's ts):
[the device span the end lands on (same pid-tid-ts)]}}. The trace data given back is the raw records."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from ..... import log as logger
from ....common.constant import EventConstant
from ..timeline_event.base_event import BaseEvent
from ..timeline_event.flow_event import FlowEndEvent, FlowStartEvent
from ..timeline_event.msprof_event import MsprofCompleteEvent, MsprofInstantEvent, MsprofMetaEvent
from ..timeline_event.timeline_event_pool import TimelineEventPool
from .base_timeline_creator import BaseTimelineCreator

_KEPT: Dict[str, Callable[[Dict], BaseEvent]] = {
    EventConstant.COMPLETE_EVENT: MsprofCompleteEvent, EventConstant.INSTANT_EVENT: MsprofInstantEvent,
    EventConstant.META_EVENT: MsprofMetaEvent}
_FLOW_ENDS = {EventConstant.START_FLOW: ("start", FlowStartEvent), EventConstant.END_FLOW: ("end", FlowEndEvent)}


class MsprofTimelineCreator(BaseTimelineCreator):
    def __init__(self) -> None:
        super().__init__()
        self.msprof_timeline_raw_data: List[Dict] = []
        self.acl_to_npu_flow_dict: Dict[int, Dict[str, List[MsprofCompleteEvent]]] = {}

    def create(self, data: List[Dict]) -> None:
        if not data:
            return
        self.msprof_timeline_raw_data = data
        flow_dict, complete_event_map = self._create_base_events(data)
        self._create_acl_to_npu_flow_dict(flow_dict, complete_event_map)

    def _create_base_events(self, msprof_timeline_data: List[Dict]) -> Tuple[Dict, Dict]:
        flow_dict: Dict[Any, Dict[str, Any]] = {}
        complete_event_map: Dict[str, MsprofCompleteEvent] = {}
        for record in msprof_timeline_data:
            pid = record.get("pid", 0)
            pool = self.event_pools.setdefault(pid, TimelineEventPool(pid))
            ph = record.get("ph")
            if record.get("cat") == EventConstant.HOST_TO_DEVICE_FLOW_CAT:
                if ph in _FLOW_ENDS:
                    side, cls = _FLOW_ENDS[ph]
                    flow = cls(record)
                    flow_dict.setdefault(flow.flow_id, {}).setdefault(side, flow)
            elif ph in _KEPT:
                event = _KEPT[ph](record)
                if isinstance(event, MsprofCompleteEvent):
                    complete_event_map[event.unique_id] = event
                pool.add_event(event)
        return flow_dict, complete_event_map

    def _create_acl_to_npu_flow_dict(self, flow_dict: Dict, complete_event_map: Dict) -> None:
        for flow in flow_dict.values():
            start, end = flow.get("start"), flow.get("end")
            if not (start and end):
                continue
            device_event = complete_event_map.get(end.unique_id)
            if not device_event:
                logger.warning(f"Failed to find hardware event for flow end event. "
                               f"Flow ID: {end.flow_id}, Unique ID: {end.unique_id}")
                continue
            self.acl_to_npu_flow_dict.setdefault(start.tid, {}).setdefault(str(start.ts), []).append(device_event)

    def get_acl_to_npu_flow_dict(self) -> Dict[int, Dict[str, List[MsprofCompleteEvent]]]:
        return self.acl_to_npu_flow_dict

    def get_chrome_trace_data(self) -> List[Dict]:
        return self.msprof_timeline_raw_data
