"""`...timeline_event.msprof_event`: events read from msprof's timeline. A span keeps its parent (setting one
writes the parent's name into args["mindspore_op"]), its children and a step id."""
from __future__ import annotations

from typing import Any, Dict

from .base_event import BaseEvent, CompleteEvent, CounterEvent, InstantEvent, LinkedSpan, MetaEvent


class MsprofCompleteEvent(LinkedSpan, CompleteEvent):
    def __init__(self, data: Dict) -> None:
        super().__init__(data)
        self._init_links()
        self._step_id: Any = None

    def _linked(self, event: BaseEvent) -> None:
        self.args.update({"mindspore_op": event.name})

    @property
    def step_id(self) -> Any:
        return self._step_id

    @step_id.setter
    def step_id(self, value: Any) -> None:
        self._step_id = value


class MsprofInstantEvent(InstantEvent):
    pass


class MsprofMetaEvent(MetaEvent):
    pass


class MsprofCounterEvent(CounterEvent):
    pass
