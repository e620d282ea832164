"""`...analysis.viewer.base_viewer`: a viewer writes one kind of output file from the parsed data."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class BaseViewer(ABC):
    @abstractmethod
    def save(self, data: Any) -> None:
        raise NotImplementedError("Subclasses should implement this!")

