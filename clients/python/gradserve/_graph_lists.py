"""A list a graph changes with `L.append(v)`, `L.clear()` or `L[i] = v`: the graph's new value of that name.

MindSpore 2.10 (GRAPH_MODE, a @jit function in either mode; probes /work/ms_suite_left32/probe/p1.py, p1b.py and
/work/scratch_left33/p1.py, p1b.py): these three bind a new list to the name in the graph, they never write to a
list another name sees: a module's list (`LST.append(2); return x * len(LST)` gives x * 2 on every call, LST stays
[1]; also from a helper the graph calls, after `L.clear()`, `L[0] = 5`), a closure's, the caller's list passed as an
argument, a module's nested list (`M[0].append(3)`, `M[0][0] = 9`: M unchanged), another local name for the same list
(`z = y; z.append(2)` leaves len(y) 1). `L.extend`, `L.pop`, `L.insert`, `L.reverse` of a module's or an argument's
list do change it (not rewritten here). So the rewrite reads a module's or a closure's name once into a local of its
own (`_gs_gl_L = L`; binding the name itself would make it local) and binds the new list to that local; a local's
(parameters included) is bound to the name itself; `A[i][j].append(v)` is `A = set(A, i, set(A[i], j, A[i][j] + [v]))`.
PyNative (a Cell's construct outside jit) keeps Python's writes in place."""
from __future__ import annotations

import ast
import copy

from . import _seq_setitem
from ._trace import graph_semantics

__all__ = ["rebind", "own", "appended", "cleared", "item_set", "item_written", "item_written_op", "index_value"]

_PREFIX = "_gs_gl_"
_REBOUND = ("append", "clear")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def own(x):
    """x, or where x is a list and code runs with graph semantics, its copy: the list the graph changes."""
    return list(x) if type(x) is list and graph_semantics() else x


def appended(x, *args, **kwargs):
    """rewritten code's `L = _gs_.list_append(L, v)`: a new list in a graph, Python's append elsewhere."""
    x = own(x)
    x.append(*args, **kwargs)
    return x


def cleared(x, *args, **kwargs):
    """rewritten code's `L = _gs_.list_clear(L)`."""
    x = own(x)
    x.clear(*args, **kwargs)
    return x


def item_set(x, index, value):
    """rewritten code's `L = _gs_.list_setitem(L, i, v)` of a module's name or an item's (`A[0][1] = v`); a Tensor's
    or a dict's write stays Python's."""
    if type(x) is list and graph_semantics():
        return _seq_setitem.assigned(list(x), index, value)
    x[index] = value
    return x


def item_written(x, index, value):
    """rewritten code's `x = _gs_.setitem(x, i, v)` of a local x (_rewrite's pass 1b): a list's a new one in a graph,
    then _seq_setitem's (a Tensor's: ops/_inplace.assigned_item)."""
    return _seq_setitem.assigned(own(x), index, value)


def item_written_op(x, index, op, value):
    """`x[i] op= v` of a local x: x[i] read once, as Python does."""
    return item_written(x, index, op(x[index], value))


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


def _chain(e: ast.expr) -> "tuple[str, list[ast.expr]] | None":
    """e as a name and the indexes under it (`A[i][j]`: ("A", [i, j])); None for anything else, or where an index
    calls something (the rewrite reads each index more than once)."""
    idx: list[ast.expr] = []
    while isinstance(e, ast.Subscript):
        if any(isinstance(n, (ast.Call, ast.NamedExpr, ast.Await, ast.Yield)) for n in ast.walk(e.slice)):
            return None
        idx.append(e.slice)
        e = e.value
    return (e.id, idx[::-1]) if isinstance(e, ast.Name) else None


def _changed(n: ast.AST) -> "tuple[str, list[ast.expr], str] | None":
    """(the name, the indexes under it, "append" / "clear" / "setitem") of the list a statement n changes as a
    graph's new value: `L.append(v)`, `L.clear()`, `L[i] = v`, and these of an item (`L[0].append(v)`)."""
    if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute) and \
            n.value.func.attr in _REBOUND:
        c = _chain(n.value.func.value)
        return (c[0], c[1], n.value.func.attr) if c else None
    targets = n.targets if isinstance(n, ast.Assign) else []
    if len(targets) == 1 and isinstance(targets[0], ast.Subscript):
        c = _chain(targets[0].value)
        return (c[0], c[1] + [targets[0].slice], "setitem") if c else None
    return None


def _item(name: str, idx: "list[ast.expr]") -> ast.expr:
    e: ast.expr = ast.Name(id=name, ctx=ast.Load())
    for i in idx:
        e = ast.Subscript(value=e, slice=copy.deepcopy(i), ctx=ast.Load())
    return e


class _Rename(ast.NodeTransformer):
    """A module's / closure's names renamed to the graph's local (`names`), and the changes of these and of
    `local`'s (the function's own names) rewritten as new values (`L = _gs_.list_append(L, v)`)."""

    def __init__(self, names: set, local: set, helpers: str):
        self.names, self.helpers = names, helpers
        self.rewritten = {_PREFIX + n for n in names} | local
        self.loops = 0  # (inside a `while`: a local's change stays Python's, see _rewrite)

    def visit_While(self, node: ast.While):
        self.loops += 1
        self.generic_visit(node)
        self.loops -= 1
        return node

    def visit_Name(self, node: ast.Name):
        if node.id in self.names:
            node.id = _PREFIX + node.id
        return node

    def _nested(self, node: ast.AST) -> ast.AST:
        return node  # (a nested scope's own reads and writes: the module's name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _nested

    def _call(self, what: str, args: list, keywords: "list | None" = None) -> ast.Call:
        f = ast.Attribute(value=ast.Name(id=self.helpers, ctx=ast.Load()), attr="list_" + what, ctx=ast.Load())
        return ast.Call(func=f, args=args, keywords=keywords or [])

    def _rewrite(self, node: "ast.Expr | ast.Assign") -> ast.stmt:
        self.generic_visit(node)
        c = _changed(node)
        if c is None or c[0] not in self.rewritten:
            return node
        name, idx, what = c
        if self.loops and not name.startswith(_PREFIX):
            return node  # (a traced `while` runs trip by trip with its lists changed in place: its state is Tensors)
        if what == "setitem":
            if len(idx) == 1 and not name.startswith(_PREFIX):
                return node  # (a local's `x[i] = v`: _rewrite's pass 1b, item_written)
            *idx, last = idx
            value = self._call("setitem", [_item(name, idx), index_value(copy.deepcopy(last)), node.value])
        else:
            call = node.value
            assert isinstance(call, ast.Call)
            value = self._call(what, [_item(name, idx), *call.args], call.keywords)
        for k in range(len(idx), 0, -1):  # (the changed item written back into its container, up to the name)
            value = self._call("setitem", [_item(name, idx[:k - 1]), index_value(copy.deepcopy(idx[k - 1])), value])
        return ast.copy_location(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value), node)

    visit_Expr = visit_Assign = _rewrite


def rebind(fdef: ast.FunctionDef, local: set, helpers: str) -> None:
    """fdef's changes to lists (see the module's doc) as new values: of names outside `local` (its own names: a
    module's, a closure's) in a local of its own; `helpers`: the name rewritten code calls its helpers by."""
    changed = {c[0] for c in map(_changed, _own(fdef.body)) if c is not None and c[0] != helpers}
    if not changed:
        return
    names = changed - local
    r = _Rename(names, changed & local, helpers)
    fdef.body = [r.visit(s) for s in fdef.body]
    fdef.body[:0] = [ast.Assign(targets=[ast.Name(id=_PREFIX + n, ctx=ast.Store())],
                                value=ast.Name(id=n, ctx=ast.Load())) for n in sorted(names)]
