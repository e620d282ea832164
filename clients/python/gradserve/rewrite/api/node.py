"""`mindspore.rewrite.api.node`: Node, a node of a SymbolTree (see ._handles)."""
from __future__ import annotations

from .._values import NodeType, ScopedValue, ValueType
from ._handles import Node

__all__ = ["Node", "NodeType", "ScopedValue", "ValueType"]
