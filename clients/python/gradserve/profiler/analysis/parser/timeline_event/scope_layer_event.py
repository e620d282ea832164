"""`...timeline_event.scope_layer_event`: the scope-layer lane's events (pid EventConstant.SCOPE_LAYER_PID); a
span's dur is its own copy, settable (the creator widens a scope to its children)."""
from decimal import Decimal

from ....common.constant import EventConstant
from .base_event import CompleteEvent, MetaEvent


class ScopeLayerCompleteEvent(CompleteEvent):
    def __init__(self, data: dict) -> None:
        super().__init__(data)
        self._dur = Decimal(data.get("dur", 0))

    @property
    def dur(self) -> Decimal:
        return self._dur

    @dur.setter
    def dur(self, value: Decimal) -> None:
        self._dur = value

    @property
    def pid(self) -> int:
        return int(EventConstant.SCOPE_LAYER_PID)


class ScopeLayerMetaEvent(MetaEvent):
    @property
    def pid(self) -> int:
        return int(EventConstant.SCOPE_LAYER_PID)
