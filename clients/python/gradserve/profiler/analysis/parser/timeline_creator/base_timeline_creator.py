"""`...timeline_creator.base_timeline_creator`: a creator fills event pools (one per pid) from its data."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Dict, List, Optional

from ....common.constant import EventConstant
from ..timeline_event.base_event import MetaEvent
from ..timeline_event.timeline_event_pool import TimelineEventPool


class BaseTimelineCreator(ABC):
    def __init__(self) -> None:
        self.event_pools: Dict[int, TimelineEventPool] = {}

    @abstractmethod
    def create(self, data: Any) -> None:
        raise NotImplementedError

    def get_chrome_trace_data(self) -> List[Dict]:
        """Every pool's events in trace format, pools in creation order."""
        return [event for pool in self.event_pools.values() if pool
                for event in pool.get_all_events_with_trace_format()]

    def get_event_pools(self) -> Dict[int, TimelineEventPool]:
        return self.event_pools

    def _create_lane(self, pid: int, data: Any, base: Callable[[TimelineEventPool, Any], None],
                     meta: Callable[[TimelineEventPool], None]) -> None:
        """One lane's pool (replacing any earlier one), its events, then its meta events; no data: no pool."""
        if not data:
            return
        pool = self.event_pools[pid] = TimelineEventPool(pid)
        base(pool, data)
        meta(pool)


def add_lane_meta_events(pool: TimelineEventPool, meta: Callable[[dict], MetaEvent], lane: str, sort_index: int,
                         label: Optional[str] = None) -> None:
    """A lane's process name / sort index (/ label) events on tid 0, then a name and a sort index per thread,
    ("Thread <tid>", sort index tid), in MindSpore 2.10's order."""
    process = [(EventConstant.PROCESS_NAME, {"name": lane}), (EventConstant.PROCESS_SORT, {"sort_index": sort_index})]
    if label is not None:
        process.append((EventConstant.PROCESS_LABEL, {"labels": label}))
    for name, args in process:
        pool.add_event(meta({"name": name, "tid": 0, "args": args}))
    for tid in pool.get_all_tids():
        pool.add_event(meta({"name": EventConstant.THREAD_NAME, "tid": tid, "args": {"name": f"Thread {tid}"}}))
        pool.add_event(meta({"name": EventConstant.THREAD_SORT, "tid": tid, "args": {"sort_index": tid}}))
