"""The profiler's analysis classes take their settings as keyword options."""
from __future__ import annotations

from typing import Any, Dict


def option(kwargs: Dict[str, Any], name: str, default: Any = None) -> Any:
    """A keyword option (absent: the default, None unless given: MindSpore's viewers and parsers take them all
    with .get and fail later, logged, on a missing path)."""
    return kwargs.get(name, default)
