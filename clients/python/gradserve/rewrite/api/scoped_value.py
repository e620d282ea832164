"""`mindspore.rewrite.api.scoped_value`: ScopedValue and ValueType (see .._values)."""
from __future__ import annotations

from .._values import ScopedValue, ValueType

__all__ = ["ScopedValue", "ValueType"]
