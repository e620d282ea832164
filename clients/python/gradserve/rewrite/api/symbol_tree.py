"""`mindspore.rewrite.api.symbol_tree`: SymbolTree, a network's construct as nodes (see ._handles)."""
from __future__ import annotations

from ._handles import Position, SymbolTree

__all__ = ["SymbolTree", "Position"]
