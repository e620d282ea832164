"""`...timeline_event.flow_event`: a flow arrow's start ("s") and end ("f")."""
from ....common.constant import EventConstant
from .base_event import FlowEvent


class FlowStartEvent(FlowEvent):
    @property
    def ph(self) -> str:
        return EventConstant.START_FLOW


class FlowEndEvent(FlowEvent):
    @property
    def ph(self) -> str:
        return EventConstant.END_FLOW
