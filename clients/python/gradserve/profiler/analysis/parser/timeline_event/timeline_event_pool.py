"""`...timeline_event.timeline_event_pool`: one timeline process's events, kept by phase and thread (meta events
in arrival order), its flow start / end events by key, and its thread names from the meta events."""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Set

from ....common.constant import EventConstant
from .base_event import BaseEvent, MetaEvent


class TimelineEventPool:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.name = ""
        self.complete_event: Dict[int, List[BaseEvent]] = defaultdict(list)
        self.instance_event: Dict[int, List[BaseEvent]] = defaultdict(list)
        self.counter_event: Dict[int, List[BaseEvent]] = defaultdict(list)
        self.meta_event: List[BaseEvent] = []
        self.start_to_end_events_pairs: Dict[str, Dict[str, List[BaseEvent]]] = {}
        self.tid_to_name: Dict[int, str] = {}
        self.name_to_tid: Dict[str, int] = {}

    def _by_thread(self) -> List[Dict[int, List[BaseEvent]]]:
        """The per-thread stores, in the order events are listed: complete, instant, counter."""
        return [self.complete_event, self.instance_event, self.counter_event]

    def add_event(self, event: BaseEvent) -> None:
        stores = {EventConstant.COMPLETE_EVENT: self.complete_event, EventConstant.INSTANT_EVENT: self.instance_event,
                  EventConstant.COUNTER_EVENT: self.counter_event}
        if event.ph in stores:
            stores[event.ph][event.tid].append(event)
        elif event.ph == EventConstant.META_EVENT:
            self.meta_event.append(event)
            self._handle_meta_event(event)  # type: ignore[arg-type]
        # other phases (flows) are not kept here: add_start_event / add_end_event keep them

    def _handle_meta_event(self, event: MetaEvent) -> None:
        if event.name == EventConstant.PROCESS_NAME:
            self.name = event.args.get("name", "")
        elif event.name == EventConstant.THREAD_NAME:
            thread_name = event.args.get("name", "")
            if event.tid is not None and thread_name:
                self.tid_to_name[event.tid] = thread_name
                self.name_to_tid[thread_name] = event.tid

    def _flow_pair(self, flow_key: str) -> Dict[str, List[BaseEvent]]:
        return self.start_to_end_events_pairs.setdefault(flow_key, {"start": [], "end": []})

    def add_start_event(self, flow_key: str, event: BaseEvent) -> None:
        self._flow_pair(flow_key)["start"].append(event)

    def add_end_event(self, flow_key: str, event: BaseEvent) -> None:
        self._flow_pair(flow_key)["end"].append(event)

    @staticmethod
    def _flatten(by_thread: Dict[int, List[BaseEvent]]) -> List[BaseEvent]:
        return [event for events in by_thread.values() for event in events]

    def get_complete_events(self) -> List[BaseEvent]:
        return self._flatten(self.complete_event)

    def get_instant_events(self) -> List[BaseEvent]:
        return self._flatten(self.instance_event)

    def get_counter_events(self) -> List[BaseEvent]:
        return self._flatten(self.counter_event)

    def get_all_events(self) -> List[BaseEvent]:
        """Meta events first, then complete, instant and counter events (each by thread, first seen first)."""
        return list(self.meta_event) + [e for store in self._by_thread() for e in self._flatten(store)]

    def get_start_to_end_flow_pairs(self) -> Dict[str, Dict[str, List[BaseEvent]]]:
        return self.start_to_end_events_pairs

    def get_events_by_tid(self, tid: int) -> List[BaseEvent]:
        # .get: asking must not add an empty thread to the defaultdicts (get_all_tids would list it)
        return [e for store in self._by_thread() for e in store.get(tid, [])]

    def get_events_by_name(self, name: str) -> List[BaseEvent]:
        tid = self.name_to_tid.get(name)
        return [] if tid is None else self.get_events_by_tid(tid)

    def get_all_tids(self) -> Set[int]:
        return {tid for store in self._by_thread() for tid in store}

    def get_all_events_with_trace_format(self) -> List[Dict]:
        return [event.to_trace_format() for event in self.get_all_events()]
