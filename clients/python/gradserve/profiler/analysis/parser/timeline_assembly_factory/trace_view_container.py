"""`...timeline_assembly_factory.trace_view_container`: the assembled timeline's pools by pid and process name
(a second pool with a name already held is MindSpore's ValueError), its trace-format events, the kernel-launch /
device op events by thread, and the steps' spans on the MindSpore lane."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Dict, List, Optional, Tuple

from ....common.constant import ProfilerStepNameConstant, TimelineLayerName
from ..timeline_event.base_event import BaseEvent
from ..timeline_event.timeline_event_pool import TimelineEventPool


class TraceViewContainer:
    def __init__(self) -> None:
        self.event_pools: Dict[int, TimelineEventPool] = {}
        self.name_to_pid: Dict[str, int] = {}
        self.pid_to_name: Dict[int, str] = {}
        self.trace_view: List[Dict] = []
        self.kernel_launch_op_event: Dict[int, List[BaseEvent]] = defaultdict(list)
        self.hardware_op_event: Dict[int, List[BaseEvent]] = defaultdict(list)

    def add_event_pool(self, pool: TimelineEventPool) -> None:
        if pool.name and pool.name in self.name_to_pid:
            raise ValueError(f"Process name '{pool.name}' already exists.")
        self.event_pools[pool.pid] = pool
        if pool.name:
            self.name_to_pid[pool.name] = pool.pid
            self.pid_to_name[pool.pid] = pool.name

    def add_trace_events(self, events: List[Dict]) -> None:
        self.trace_view.extend(events)

    def get_pool_by_pid(self, pid: int) -> Optional[TimelineEventPool]:
        return self.event_pools.get(pid)

    def get_pool_by_name(self, name: str) -> Optional[TimelineEventPool]:
        pid = self.name_to_pid.get(name)
        return None if pid is None else self.event_pools.get(pid)

    def get_trace_view(self) -> List[Dict]:
        return self.trace_view

    def get_all_pools(self) -> List[TimelineEventPool]:
        return list(self.event_pools.values())

    def get_step_id_time_dict(self) -> Dict[str, Tuple[Decimal, Decimal]]:
        """{step id (the name after its last '#'): (ts, ts + dur)} of the MindSpore lane's events whose name holds
        "ProfilerStep#", in order of ts ({} without that lane)."""
        pool = self.get_pool_by_name(TimelineLayerName.MINDSPORE.value)
        if not pool:
            return {}
        steps = [(e.name.split("#")[-1], (e.ts, e.ts + e.dur)) for e in pool.get_all_events()  # type: ignore
                 if ProfilerStepNameConstant.PROFILER_STEP in e.name]
        return dict(sorted(steps, key=lambda step: step[1][0]))
