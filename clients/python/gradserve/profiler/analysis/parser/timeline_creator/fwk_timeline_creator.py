"""`...timeline_creator.fwk_timeline_creator`: the MindSpore lane from the framework's op-range records. A record
starting at 0 is dropped (MindSpore: abnormal data); one with start == end is an instant event; a span named
"flow" starts its flow id (and is not itself a span); any other span with a valid flow id ends that flow."""
from __future__ import annotations

from typing import Dict, List

from ....common.constant import EventConstant, FileConstant, TimelineLayerName
from ..timeline_event.fwk_event import FwkCompleteEvent, FwkInstantEvent, FwkMetaEvent, OpRangeStructField
from ..timeline_event.timeline_event_pool import TimelineEventPool
from .base_timeline_creator import BaseTimelineCreator, add_lane_meta_events


class FwkTimelineCreator(BaseTimelineCreator):
    def create(self, data: List[Dict]) -> None:
        self._create_lane(EventConstant.MINDSPORE_PID, data, self._create_base_events, self._create_meta_event)

    def _create_base_events(self, pool: TimelineEventPool, fwk_tlv_data: List[Dict]) -> None:
        start = OpRangeStructField.START_TIME_NS.value
        end = OpRangeStructField.END_TIME_NS.value
        for record in fwk_tlv_data:
            fixed = record[FileConstant.FIX_SIZE_DATA]
            if fixed[start] == 0:
                continue
            if fixed[start] == fixed[end]:
                pool.add_event(FwkInstantEvent(record))
                continue
            event = FwkCompleteEvent(record)
            if event.name == EventConstant.FLOW_OP:
                pool.add_start_event(str(event.id), event)
                continue
            if event.id != EventConstant.INVALID_FLOW_ID:
                pool.add_end_event(str(event.id), event)
            pool.add_event(event)

    @staticmethod
    def _create_meta_event(pool: TimelineEventPool) -> None:
        add_lane_meta_events(pool, FwkMetaEvent, TimelineLayerName.MINDSPORE.value,
                             EventConstant.MINDSPORE_SORT_IDX, EventConstant.CPU_LABEL)
