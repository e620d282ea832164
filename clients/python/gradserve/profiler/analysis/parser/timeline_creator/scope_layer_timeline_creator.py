"""`...timeline_creator.scope_layer_timeline_creator`: the scope-layer lane. Each op's scope path (its name's '/'
parts but the last; a framework op with a parent: the longer of its own and its parent's, the parent's taken after
its last "::") becomes one span per depth (tid = depth). Ops are taken in ts order; one starting inside the first
layer's current span is skipped (parallel ops: the first one kept); a depth whose name repeats that of the layer
before it (and every depth above it did too) is widened to the op's end, the others start new spans."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, List, Optional, Tuple

from ....common.constant import EventConstant, TimelineLayerName
from ..timeline_event.base_event import BaseEvent, CompleteEvent
from ..timeline_event.cpu_op_event import CpuOpCompleteEvent
from ..timeline_event.fwk_event import FwkCompleteEvent
from ..timeline_event.msprof_event import MsprofCompleteEvent
from ..timeline_event.scope_layer_event import ScopeLayerCompleteEvent, ScopeLayerMetaEvent
from ..timeline_event.timeline_event_pool import TimelineEventPool
from .base_timeline_creator import BaseTimelineCreator, add_lane_meta_events


class ScopeLayerTimelineCreator(BaseTimelineCreator):
    def create(self, data: List[BaseEvent]) -> None:
        self._create_lane(EventConstant.SCOPE_LAYER_PID, data, self._create_base_events, self._create_meta_event)

    def _create_base_events(self, pool: TimelineEventPool, event_list: List[Any]) -> None:
        event_list.sort(key=lambda event: event.ts)  # in place, as MindSpore's
        layers: List[ScopeLayerCompleteEvent] = []
        for event in event_list:
            parsed = self._parse_scope_data(event)
            if not parsed:
                continue
            names, start, dur = parsed
            if layers and start < layers[0].ts + layers[0].dur:
                continue
            merging = True
            for depth, name in enumerate(names):
                span = {"name": name, "tid": depth, "ts": start, "dur": dur}
                if depth >= len(layers):
                    layers.append(ScopeLayerCompleteEvent(span))
                elif merging and layers[depth].name == name:
                    layers[depth].dur = start + dur - layers[depth].ts
                else:
                    pool.add_event(layers[depth])
                    layers[depth] = ScopeLayerCompleteEvent(span)
                    merging = False
        for layer in layers:
            pool.add_event(layer)

    @staticmethod
    def _parse_scope_data(event: CompleteEvent) -> Optional[Tuple[List[str], Decimal, Decimal]]:
        own = event.name.split("/")[:-1]
        parent = getattr(event, "parent", None)
        if parent:
            above = parent.name.split("::")[-1].split("/")[:-1]
            if own and above:
                scope = above if len(above) > len(own) else own
            else:
                scope = own or above
        else:
            scope = own
        return (scope, event.ts, event.dur) if scope else None

    @staticmethod
    def _create_meta_event(pool: TimelineEventPool) -> None:
        add_lane_meta_events(pool, ScopeLayerMetaEvent, TimelineLayerName.SCOPER_LAYER.value,
                             EventConstant.SCOPE_LAYER_SORT_IDX)


def is_scope_data(event: BaseEvent) -> Any:
    """An op under a top scope (Default / Gradients / recompute_Default); a framework op by its name after the last
    "::". MindSpore 2.10 returns the name's falsy value itself for an empty name (kept: callers test truth)."""
    if isinstance(event, (CpuOpCompleteEvent, MsprofCompleteEvent)):
        full = event.name
    elif isinstance(event, FwkCompleteEvent):
        full = event.name.split("::")[-1]
    else:
        return False
    return full and full.startswith(EventConstant.TOP_SCOPE_NAMES)
