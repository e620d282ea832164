"""`mindspore.rewrite.node`: the internal Node (what `Node.get_handler()` returns; see ._tree); other internal names
(LocalPrim...) are the package's placeholders."""
from __future__ import annotations

from ..ops.operations._missing import module_getattr
from . import _NoRewrite
from ._tree import NodeImpl as Node

__all__ = ["Node"]
__getattr__ = module_getattr("mindspore.rewrite.node", placeholder=_NoRewrite)
