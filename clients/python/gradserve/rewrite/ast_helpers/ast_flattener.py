"""`mindspore.rewrite.ast_helpers.ast_flattener.AstFlattener`: `transform(ast_root)` flattens, in place, the
functions named `construct` (or those in transform_functions) of an `ast` tree, as SymbolTree.create does (see
.._flatten)."""
from __future__ import annotations

import ast
from typing import Any, List, Optional

from .._flatten import Flattener


class AstFlattener:
    def transform(self, ast_root: ast.AST, transform_functions: Optional[List[str]] = None,
                  stree: Any = None) -> ast.AST:
        names = transform_functions or ["construct"]
        flattener = Flattener(stree.unique_name if stree is not None else None)
        for node in ast.walk(ast_root):
            if isinstance(node, ast.FunctionDef) and node.name in names:
                flattener.body(node.body)
        return ast.fix_missing_locations(ast_root)


__all__ = ["AstFlattener"]
