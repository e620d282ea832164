"""`mindspore.rewrite`: MindSpore's source rewriter of a network. SymbolTree.create(net) parses the Cells'
construct (the user's own source, in the user's process) into nodes; insert / erase / replace edit them; get_code
regenerates the classes' Python source in MindSpore 2.10's shape ("class NetOpt(Net, nn.Cell):") and get_network
compiles it into a new Cell of the SDK (_tree). What is not done yet (PatternEngine / Replacement / PatternNode,
sparsify, CellList / SequentialCell expanded into nodes) keeps the placeholders, which raise NotImplementedError, saying so, when used (not
when imported or subclassed: a file importing them still runs its other tests)."""
from __future__ import annotations

from typing import Any, NoReturn

from ..ops.operations._missing import Unimplemented, module_getattr

__all__ = ["SymbolTree", "Node", "NodeType", "ScopedValue", "ValueType"]


class _NoRewrite(Unimplemented):
    """mindspore.rewrite.<name>: any use (a call, `SymbolTree.create`, `NodeType.CallCell`) is the refusal."""

    def _refuse(self) -> NoReturn:
        raise NotImplementedError(
            f"{self._qualname}: not done in gradserve's mindspore.rewrite yet (SymbolTree, Node, NodeType, "
            "ScopedValue and ValueType are: edit the SymbolTree's nodes with insert / erase / replace instead)")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self._refuse()

    def __mro_entries__(self, bases: tuple) -> tuple:
        """`class P(PatternEngine): ...` (MindSpore's tests define such classes at module level): a class whose
        instances are the refusal, so that the file defining it still runs its other tests."""
        refuse = self._refuse

        class _Refused:
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                refuse()

        _Refused.__qualname__ = _Refused.__name__ = self._qualname.rsplit(".", 1)[-1]
        return (_Refused,)


from ._values import NodeType, ScopedValue, ValueType  # noqa: E402
from .api.node import Node  # noqa: E402
from .api.symbol_tree import SymbolTree  # noqa: E402

__getattr__ = module_getattr("mindspore.rewrite", placeholder=_NoRewrite)
