"""`mindspore.rewrite.ast_helpers`: AstFlattener (the flattening SymbolTree.create applies to construct, on an `ast`
tree of the user's); AstFinder / AstReplacer / AstModifier are the package's placeholders."""
from __future__ import annotations

from ...ops.operations._missing import module_getattr
from .. import _NoRewrite
from .ast_flattener import AstFlattener

__all__ = ["AstFlattener"]
__getattr__ = module_getattr("mindspore.rewrite.ast_helpers", placeholder=_NoRewrite)
