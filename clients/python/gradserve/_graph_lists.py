"""A module's list that a graph changes with `L.append(v)`, `L.clear()` or `L[i] = v`.

MindSpore 2.10 (GRAPH_MODE, a @jit function in either mode; probes /work/ms_suite_left32/probe/p1.py, p1b.py): these
three are new values bound to the name in the graph, not writes to the module's list: `LST.append(2); return x *
len(LST)` gives x * 2 on every call and LST stays [1] (also from a helper the graph calls, and after `L.clear()`,
`L[0] = 5`); `L.extend`, `L.pop`, `L.insert`, `L.reverse` do change the module's list. So the rewrite reads such a
name once into a local of its own (`_gs_gl_L = L`) and binds the new list to that local; PyNative (a Cell's
construct outside jit) keeps Python's writes in place."""
from __future__ import annotations

import ast

from . import _seq_setitem
from ._trace import graph_semantics

__all__ = ["rebind", "appended", "cleared", "item_set", "index_value"]

_PREFIX = "_gs_gl_"
_REBOUND = ("append", "clear")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def appended(x, *args, **kwargs):
    """rewritten code's `L = _gs_.list_append(L, v)`: a new list in a graph, Python's append elsewhere."""
    if type(x) is list and graph_semantics():
        x = list(x)
    x.append(*args, **kwargs)
    return x


def cleared(x, *args, **kwargs):
    """rewritten code's `L = _gs_.list_clear(L)`."""
    if type(x) is list and graph_semantics():
        x = list(x)
    x.clear(*args, **kwargs)
    return x


def item_set(x, index, value):
    """rewritten code's `L = _gs_.list_setitem(L, i, v)` (a global Tensor's or dict's write stays Python's)."""
    if type(x) is list and graph_semantics():
        return _seq_setitem.assigned(list(x), index, value)
    x[index] = value
    return x


def index_value(e):
    """An index expression as a value (`a:b` is only valid inside brackets)."""
    if isinstance(e, ast.Slice):
        bounds = [b or ast.Constant(None) for b in (e.lower, e.upper, e.step)]
        return ast.Call(func=ast.Name(id="slice", ctx=ast.Load()), args=bounds, keywords=[])
    if isinstance(e, ast.Tuple):
        return ast.Tuple(elts=[index_value(x) for x in e.elts], ctx=ast.Load())
    return e


def _own(stmts):
    todo = list(stmts)
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, _SCOPES):
            todo.extend(ast.iter_child_nodes(n))


def _changed(n: ast.AST) -> "str | None":
    """The name a statement n changes as a graph's new value (`L.append(v)`, `L.clear()`, `L[i] = v`)."""
    if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute) and \
            n.value.func.attr in _REBOUND and isinstance(n.value.func.value, ast.Name):
        return n.value.func.value.id
    targets = n.targets if isinstance(n, ast.Assign) else []
    if len(targets) == 1 and isinstance(targets[0], ast.Subscript) and isinstance(targets[0].value, ast.Name):
        return targets[0].value.id
    return None


class _Rename(ast.NodeTransformer):
    def __init__(self, names: set):
        self.names = names

    def visit_Name(self, node: ast.Name):
        if node.id in self.names:
            node.id = _PREFIX + node.id
        return node

    def _nested(self, node: ast.AST) -> ast.AST:
        return node  # (a nested scope's own reads and writes: the module's name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _nested

    def _helper(self, what: str, name: str, args: list, keywords: list) -> ast.Assign:
        f = ast.Attribute(value=ast.Name(id=self.helpers, ctx=ast.Load()), attr="list_" + what, ctx=ast.Load())
        current: ast.expr = ast.Name(id=name, ctx=ast.Load())
        return ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                          value=ast.Call(func=f, args=[current, *args], keywords=keywords))

    def visit_Expr(self, node: ast.Expr):
        self.generic_visit(node)
        name = _changed(node)
        if name is None or not name.startswith(_PREFIX):
            return node
        call = node.value
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        return ast.copy_location(self._helper(call.func.attr, name, call.args, call.keywords), node)

    def visit_Assign(self, node: ast.Assign):
        self.generic_visit(node)
        name = _changed(node)
        if name is None or not name.startswith(_PREFIX):
            return node
        t = node.targets[0]
        assert isinstance(t, ast.Subscript)
        return ast.copy_location(self._helper("setitem", name, [index_value(t.slice), node.value], []), node)

    helpers = ""


def rebind(fdef: ast.FunctionDef, local: set, helpers: str) -> None:
    """fdef's changes to names outside `local` (its module's) as new values of a local of its own (see the
    module's doc); `helpers`: the name rewritten code calls its helpers by."""
    names = {c for c in map(_changed, _own(fdef.body)) if c is not None and c not in local and c != helpers}
    if not names:
        return
    r = _Rename(names)
    r.helpers = helpers
    fdef.body = [r.visit(s) for s in fdef.body]
    fdef.body[:0] = [ast.Assign(targets=[ast.Name(id=_PREFIX + n, ctx=ast.Store())],
                                value=ast.Name(id=n, ctx=ast.Load())) for n in sorted(names)]
