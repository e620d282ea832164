"""`mindspore.rewrite.api.symbol_tree`: SymbolTree, the package's placeholder (see the package)."""
from __future__ import annotations

from ...ops.operations._missing import module_getattr
from .. import SymbolTree, _NoRewrite

__all__ = ["SymbolTree"]
__getattr__ = module_getattr("mindspore.rewrite.api.symbol_tree", placeholder=_NoRewrite)
