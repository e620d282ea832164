"""`mindspore.rewrite.symbol_tree`: the internal SymbolTree (what `SymbolTree.get_handler()` returns; see ._tree);
other internal names are the package's placeholders."""
from __future__ import annotations

from ..ops.operations._missing import module_getattr
from . import _NoRewrite
from ._tree import SymbolTreeImpl as SymbolTree

__all__ = ["SymbolTree"]
__getattr__ = module_getattr("mindspore.rewrite.symbol_tree", placeholder=_NoRewrite)
