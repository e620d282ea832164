"""`...timeline_creator.base_timeline_creator`: a creator fills event pools (one per pid) from its data."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

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
