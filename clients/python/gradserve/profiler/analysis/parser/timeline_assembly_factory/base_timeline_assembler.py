"""`...timeline_assembly_factory.base_timeline_assembler`: an assembler fills one TraceViewContainer from the
creators' pools and trace events."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict

from .trace_view_container import TraceViewContainer


class BaseTimelineAssembler(ABC):
    def __init__(self) -> None:
        self.trace_view_container = TraceViewContainer()

    @abstractmethod
    def assemble(self, data: Dict[str, Any]) -> None:
        raise NotImplementedError

    def get_trace_view_container(self) -> TraceViewContainer:
        return self.trace_view_container
