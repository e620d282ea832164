"""`...analysis.viewer.base_viewer`: a viewer writes one kind of output file from the parsed data."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict


class BaseViewer(ABC):
    @abstractmethod
    def save(self, data: Any) -> None:
        raise NotImplementedError("Subclasses should implement this!")


def option(kwargs: Dict[str, Any], name: str, default: Any = None) -> Any:
    """A viewer's keyword option (absent: the default, None unless given: MindSpore's viewers take them all
    with .get and fail later, logged, on a missing path)."""
    return kwargs.get(name, default)
