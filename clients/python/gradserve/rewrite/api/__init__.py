"""`mindspore.rewrite.api`: the module paths MindSpore's own tests import SymbolTree / Node ... from; names not done
yet are the package's placeholders (refused when used, so that a file importing them still runs its other tests)."""
from __future__ import annotations

from ...ops.operations._missing import module_getattr
from .. import _NoRewrite
from .._values import NodeType, ScopedValue, ValueType
from .node import Node
from .symbol_tree import SymbolTree

__all__ = ["SymbolTree", "Node", "NodeType", "ScopedValue", "ValueType"]
__getattr__ = module_getattr("mindspore.rewrite.api", placeholder=_NoRewrite)
