"""`...timeline_event.msprof_event`: events read from msprof's timeline. A span keeps its parent (setting one
writes the parent's name into args["mindspore_op"]), its children and a step id."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from .base_event import BaseEvent, CompleteEvent, CounterEvent, InstantEvent, MetaEvent


class MsprofCompleteEvent(CompleteEvent):
    def __init__(self, data: Dict) -> None:
        super().__init__(data)
        self._parent: Optional[BaseEvent] = None
        self._children: List[BaseEvent] = []
        self._step_id: Any = None

    @property
    def parent(self) -> Optional[BaseEvent]:
        return self._parent

    @parent.setter
    def parent(self, event: BaseEvent) -> None:
        self._parent = event
        self.args.update({"mindspore_op": event.name})

    @property
    def children(self) -> List[BaseEvent]:
        return self._children

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
