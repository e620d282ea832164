"""`...timeline_creator.cpu_op_timeline_creator`: the CPU-op lane from the CPU kernels' info lines
("full name;type;...;start,dur,tid start,dur,tid ..."; start in ns, dur in ms), with its process / thread meta
events. A line with under 3 ';' fields or a time entry without 3 ',' fields is logged and skipped."""
from __future__ import annotations

from typing import List

from ..... import log as logger
from ....common.constant import EventConstant, TimelineLayerName
from ..timeline_event.cpu_op_event import CpuOpCompleteEvent, CpuOpMetaEvent
from ..timeline_event.timeline_event_pool import TimelineEventPool
from .base_timeline_creator import BaseTimelineCreator, add_lane_meta_events


class CpuOpTimelineCreator(BaseTimelineCreator):
    def __init__(self) -> None:
        super().__init__()
        self.scope_data: List[CpuOpCompleteEvent] = []

    def create(self, data: List[str]) -> None:
        self._create_lane(EventConstant.CPU_OP_PID, data, self._create_base_events, self._create_meta_event)

    def _create_base_events(self, pool: TimelineEventPool, cpu_info_lines: List[str]) -> None:
        for raw in cpu_info_lines:
            line = raw.strip()
            fields = line.split(";")
            if not line:
                continue
            if len(fields) < 3:
                logger.warning(f"Invalid CPU info format, expected at least 3 fields but got {len(fields)}: {line}")
                continue
            for entry in fields[-1].split():
                parts = entry.split(",")
                if len(parts) != 3:
                    logger.warning(f"Invalid time info format, expected 3 fields but got {len(parts)}: {entry}")
                    continue
                pool.add_event(CpuOpCompleteEvent({"name": fields[0], "tid": int(parts[2]), "ts": str(parts[0]),
                                                   "dur": str(parts[1]), "args": {"type": fields[1]}}))

    @staticmethod
    def _create_meta_event(pool: TimelineEventPool) -> None:
        add_lane_meta_events(pool, CpuOpMetaEvent, TimelineLayerName.CPU_OP.value, EventConstant.CPU_OP_SORT_IDX,
                             EventConstant.CPU_LABEL)

