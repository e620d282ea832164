"""`mindspore.rewrite`: MindSpore's source rewriter of a network (SymbolTree.create(net) parses the Cells'
construct into nodes; insert / erase / replace edit them; get_code regenerates the classes' Python source, e.g.
"class NetAOpt(NetA, BaseNetOpt):", and get_network compiles it into a new Cell). gradserve has none: it would be
a Python-source regenerator matching MindSpore's generated text (its own tests compare that text), not a matter
of gradients. The names are placeholders that raise NotImplementedError, saying so, when used (not when
imported or subclassed: a file importing them still runs its other tests)."""
from __future__ import annotations

from typing import Any, NoReturn

from ..ops.operations._missing import Unimplemented, module_getattr

__all__ = ["SymbolTree", "Node", "NodeType", "ScopedValue", "ValueType"]


class _NoRewrite(Unimplemented):
    """mindspore.rewrite.<name>: any use (a call, `SymbolTree.create`, `NodeType.CallCell`) is the refusal."""

    def _refuse(self) -> NoReturn:
        raise NotImplementedError(
            f"{self._qualname}: gradserve has no mindspore.rewrite (MindSpore's rewriter of a network's Python source:"
            " SymbolTree.create / nodes / insert / replace / get_code / get_network). Edit or subclass the Cell "
            "in Python instead: gradserve traces its construct as written")

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


SymbolTree = _NoRewrite("mindspore.rewrite", "SymbolTree")
Node = _NoRewrite("mindspore.rewrite", "Node")
NodeType = _NoRewrite("mindspore.rewrite", "NodeType")
ScopedValue = _NoRewrite("mindspore.rewrite", "ScopedValue")
ValueType = _NoRewrite("mindspore.rewrite", "ValueType")

__getattr__ = module_getattr("mindspore.rewrite", placeholder=_NoRewrite)
