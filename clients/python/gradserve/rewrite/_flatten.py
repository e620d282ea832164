"""Flattening of construct's statements as MindSpore's rewrite does before it makes nodes: a call, operator,
tuple or list nested in a statement is lifted into an assignment of its own, named after what it computes
(`self.relu(self.fc1(x))` -> `fc1_var = self.fc1(x)` then `self.relu(fc1_var)`; an operator `add_var`, a tuple
`tuple_var`, a clash `_1`, `_2`...; an `if`'s test and a `for`'s iterable too, and the bodies of `if` / `for` /
`while`). As MindSpore 2.10, the lifted parts of one statement come out in reverse
order, and the operands after the first of an `and` stay in place (they may not run)."""
from __future__ import annotations

import ast
import keyword
from typing import Callable, List, Optional, Tuple

# fields of each statement / expression kind whose sub-expressions are lifted
_FIELDS = {
    ast.Return: ("value",), ast.Call: ("func", "args", "keywords"), ast.BinOp: ("left", "right"),
    ast.BoolOp: ("values",), ast.UnaryOp: ("operand",), ast.Compare: ("left", "comparators"),
    ast.Tuple: ("elts",), ast.List: ("elts",), ast.If: ("test",), ast.For: ("iter",),
}


def _base_name(expr: ast.AST) -> str:
    if isinstance(expr, ast.Call):
        if isinstance(expr.func, ast.Name):
            name = expr.func.id + "_var"
        elif isinstance(expr.func, ast.Attribute):
            name = expr.func.attr + "_var"
        else:
            name = "function_var"
    elif isinstance(expr, (ast.BinOp, ast.BoolOp, ast.UnaryOp)):
        name = type(expr.op).__name__.lower() + "_var"
    elif isinstance(expr, ast.Name):
        name = expr.id
    elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        name = f"{expr.value.id}_{expr.attr}"
    else:
        name = type(expr).__name__.lower() + "_var"
    return name + "_var" if keyword.iskeyword(name) else name


def _assigned_names(body: List[ast.stmt]) -> List[str]:
    names: List[str] = []
    todo: List[ast.AST] = [t for s in body if isinstance(s, ast.Assign) for t in s.targets]
    while todo:
        t = todo.pop(0)
        if isinstance(t, ast.Name) and t.id not in names:
            names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            todo.extend(t.elts)
    return names


class Flattener:
    """One per symbol tree: `unique` (the tree's namer) makes lifted names unique across its functions."""

    def __init__(self, unique: Optional[Callable[[str], str]] = None):
        self._unique = unique

    def _fresh(self, expr: ast.AST, taken: List[str]) -> str:
        base = _base_name(expr)
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        if self._unique is not None:
            name = self._unique(name)
        taken.append(name)
        return name

    def _lift(self, expr: ast.AST, taken: List[str], parent: ast.AST) -> Tuple[ast.expr, Optional[ast.Assign]]:
        if isinstance(expr, (ast.Name, ast.Constant, ast.Starred)):
            return expr, None  # type: ignore[return-value]
        if isinstance(expr, ast.Attribute) and not isinstance(parent, ast.For):
            root = expr
            while isinstance(root.value, ast.Attribute):
                root = root.value
            if isinstance(root.value, ast.Name):
                return expr, None
            name = self._fresh(root.value, taken)
            lifted = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=root.value)
            root.value = ast.Name(id=name, ctx=ast.Load())
            return expr, lifted
        name = self._fresh(expr, taken)
        return (ast.Name(id=name, ctx=ast.Load()),
                ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=expr))  # type: ignore[arg-type]

    def _statement(self, node: ast.AST, taken: List[str]) -> List[ast.Assign]:
        fields = _FIELDS.get(type(node))
        if fields is None:
            return []
        out: List[ast.Assign] = []
        for field in fields:
            part = getattr(node, field)
            if isinstance(part, list):
                kept: list = []
                for i, item in enumerate(part):
                    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) and i > 0:
                        kept.append(item)
                        continue
                    target = item.value if isinstance(item, ast.keyword) else item
                    new, lifted = self._lift(target, taken, node)
                    if lifted is not None:
                        out.append(lifted)
                    if isinstance(item, ast.keyword):
                        item.value = new
                        kept.append(item)
                    else:
                        kept.append(new)
                setattr(node, field, kept)
            elif part is not None:
                new, lifted = self._lift(part, taken, node)
                if lifted is not None:
                    out.append(lifted)
                    setattr(node, field, new)
        return out

    def body(self, body: List[ast.stmt]) -> None:
        """Flattens `body` in place (chained `a = b = v` first split into `a = b`, `b = v`)."""
        i = 0
        while i < len(body):
            s = body[i]
            if isinstance(s, ast.Assign) and len(s.targets) > 1:
                extra = [ast.Assign(targets=[t], value=s.targets[k + 1]) for k, t in enumerate(s.targets[:-1])]
                s.targets = [s.targets[-1]]
                body[i + 1:i + 1] = extra  # type: ignore[assignment]
            i += 1
        taken = _assigned_names(body)
        i = len(body) - 1
        while i >= 0:
            s = body[i]
            lifted = self._statement(s.value if isinstance(s, (ast.Assign, ast.Expr)) else s, taken)
            for a in reversed(lifted):
                body.insert(i, a)
                i += 1
            i -= 1
        for s in body:
            ast.fix_missing_locations(s)
            if isinstance(s, (ast.If, ast.For, ast.While)):  # (as MindSpore parses a control-flow statement's bodies)
                self.body(s.body)
                if s.orelse:
                    self.body(s.orelse)

