"""`...timeline_event.base_event`: Chrome trace events over the dict they were read from (fields read on access,
with MindSpore 2.10's defaults: pid / tid 0, name "", ts / dur Decimal 0, cat "", args {})."""
from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Any, Dict, List, Optional

from ....common.constant import EventConstant


class BaseEvent(ABC):
    """An event; subclasses give the phase and the trace-format dict."""

    def __init__(self, data: Dict) -> None:
        if not isinstance(data, dict):
            raise TypeError("Input data must be dict.")
        self._origin_data = data

    @property
    def ph(self) -> str:
        raise NotImplementedError

    @property
    def origin_data(self) -> Dict:
        return self._origin_data

    @property
    def pid(self) -> int:
        return int(self._origin_data.get("pid", 0))

    @property
    def tid(self) -> int:
        return int(self._origin_data.get("tid", 0))

    @property
    def name(self) -> str:
        return self._origin_data.get("name", "")

    @abstractmethod
    def to_trace_format(self) -> dict:
        raise NotImplementedError

    def _field(self, key: str) -> Any:
        """A trace-format field: timestamps as their decimal text, the rest as the property gives it."""
        value = getattr(self, {"id": "flow_id"}.get(key, key))
        return str(value) if key in ("ts", "dur") else value

    def _trace(self, *keys: str, **fixed: Any) -> dict:
        out = {key: self._field(key) for key in keys}
        out.update(fixed)
        return out


class _Args:
    """The args dict (the data's own object, so updates show in the data)."""
    _origin_data: Dict

    @property
    def args(self) -> dict:
        return self._origin_data.get("args", {})


class LinkedSpan:
    """A span's parent and children, which the timeline assembler links (msprof's spans and the framework's)."""
    _parent: Optional["BaseEvent"]
    _children: List["BaseEvent"]

    def _init_links(self) -> None:
        self._parent, self._children = None, []

    @property
    def parent(self) -> Optional["BaseEvent"]:
        return self._parent

    @parent.setter
    def parent(self, event: "BaseEvent") -> None:
        self._parent = event
        self._linked(event)

    def _linked(self, event: "BaseEvent") -> None:
        """What else setting the parent does (msprof's span writes its name into args)."""

    @property
    def children(self) -> List["BaseEvent"]:
        return self._children


class _Timed:
    """ts as a Decimal of the data's value."""
    _origin_data: Dict

    @property
    def ts(self) -> Decimal:
        return Decimal(self._origin_data.get("ts", 0))


class _Placed(_Timed, BaseEvent):
    """cat, and the pid-tid-ts key that ties a flow's end to its span."""

    @property
    def cat(self) -> str:
        return str(self._origin_data.get("cat", ""))

    @property
    def unique_id(self) -> str:
        return f"{self.pid}-{self.tid}-{self.ts}"


class MetaEvent(_Args, BaseEvent):
    """Metadata ("M"): process / thread names and sort indices."""

    @property
    def ph(self) -> str:
        return EventConstant.META_EVENT

    def to_trace_format(self) -> dict:
        return self._trace("ph", "name", "pid", "tid", "args")


class CompleteEvent(_Args, _Placed):
    """A span ("X") with a start ts and a duration dur."""

    @property
    def ph(self) -> str:
        return EventConstant.COMPLETE_EVENT

    @property
    def dur(self) -> Decimal:
        return Decimal(self._origin_data.get("dur", 0))

    def to_trace_format(self) -> dict:
        return self._trace("ph", "name", "pid", "tid", "ts", "dur", "cat", "args")


class _PointEvent(_Args, _Timed, BaseEvent):
    """An event at one time, no duration (instant and counter: the same trace fields)."""

    def to_trace_format(self) -> dict:
        return self._trace("name", "ph", "ts", "pid", "tid", "args")


class InstantEvent(_PointEvent):
    """A point in time ("i")."""

    @property
    def ph(self) -> str:
        return EventConstant.INSTANT_EVENT


class CounterEvent(_PointEvent):
    """A counter sample ("C")."""

    @property
    def ph(self) -> str:
        return EventConstant.COUNTER_EVENT


class FlowEvent(_Placed):
    """An arrow's end point (start "s" / end "f"), bound to the enclosing slice ("bp": "e")."""

    @property
    def ph(self) -> str:
        raise NotImplementedError

    @property
    def flow_id(self) -> str:
        return self._origin_data.get("id", "")

    def to_trace_format(self) -> dict:
        out = self._trace("name", "ph", "ts", "pid", "tid", "id", "cat")
        return {"name": out.pop("name"), "bp": "e", **out}
