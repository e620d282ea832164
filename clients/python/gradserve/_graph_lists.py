"""A list a graph changes with `L.append(v)`, `L.clear()` or `L[i] = v`: the graph's new value of that name.

MindSpore 2.10 (GRAPH_MODE, a @jit function in either mode; probes /work/ms_suite_left32/probe/p1.py, p1b.py and
/work/scratch_left33/p1.py, p1b.py): these three bind a new list to the name in the graph, they never write to a
list another name sees: a module's list (`LST.append(2); return x * len(LST)` gives x * 2 on every call, LST stays
[1]; also from a helper the graph calls, after `L.clear()`, `L[0] = 5`, `L[0] += 1`: /work/scratch_left35/p3c.py), a closure's, the caller's list passed as an
argument, a module's nested list (`M[0].append(3)`, `M[0][0] = 9`: M unchanged), another local name for the same list
(`z = y; z.append(2)` leaves len(y) 1). `L.extend`, `L.pop`, `L.insert`, `L.reverse` of a module's or an argument's
list do change it (not rewritten here). So the rewrite reads a module's or a closure's name once into a local of its
own (`_gs_gl_L = L`; binding the name itself would make it local) and binds the new list to that local; a local's
(parameters included) is bound to the name itself; `A[i][j].append(v)` is `A = set(A, i, set(A[i], j, A[i][j] + [v]))`.
`L.extend(v)`, `L.pop(i)` (a statement, or `v = L.pop(i)`), `L.insert(i, v)`, `L.reverse()` and `L += [..]` bind a
new list to that name alone too; `L.sort()` and `L.remove(v)` leave every list as it was, an argument's too, and
`d.setdefault(k, v)` a dict (`d.update(..)` changes it)
(/work/scratch_left34/p6b.py: `a = [3, 1, 2]; a.sort()` returns [3, 1, 2]) (/work/scratch_left34/p1.py: `z = y; z.extend([3])` leaves len(y) 1, `z = L` of an
argument, a closure's, a module's list or a Cell attribute's leaves that name's value in the graph); but where the list
came from outside the graph (an argument, a closure's, a module's, an attribute's, or a local name for one of these),
MindSpore 2.10 also changes that Python list, after the graph has read it (`z = L; z.extend([3]); len(L)` is 2 and the
caller's L then has 3 items); `+=` leaves it. That change is kept until the root trace's Python has run (`effects`).
PyNative (a Cell's construct outside jit) keeps Python's writes in place."""
from __future__ import annotations

import ast
import copy
import operator

from . import _graph_index, _seq_setitem
from ._late import late
from ._trace import current, graph_semantics

__all__ = ["rebind", "own", "appended", "cleared", "changed", "popped", "effects", "item_set", "item_written",
           "item_written_op", "index_value"]

_PREFIX = "_gs_gl_"
_REBOUND = ("append", "clear", "extend", "pop", "insert", "reverse", "sort", "remove", "setdefault")
# (MindSpore 2.10's graph leaves the list, or a dict's setdefault the dict, as it was: scratch_left34/p6b.py)
_LEFT = ("sort", "remove", "setdefault")
_OUTSIDE = ("extend", "pop", "insert", "reverse")  # (the ones MindSpore also runs on a list from outside the graph)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
IN_PLACE_OPS = {"Add": "iadd", "Sub": "isub", "Mult": "imul", "Div": "itruediv", "FloorDiv": "ifloordiv",
                "Mod": "imod", "Pow": "ipow", "MatMult": "imatmul", "BitAnd": "iand", "BitOr": "ior",
                "BitXor": "ixor", "LShift": "ilshift", "RShift": "irshift"}  # (ast's operator -> operator's)


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


def _origins(tr) -> dict:
    """{id(a list the graph made from one outside): (that list, the outside one)} of trace tr's root."""
    return tr.root.__dict__.setdefault("_gs_list_origins", {})


def changed(x, what: str, outside: bool, *args, **kwargs):
    """rewritten code's `L = _gs_.list_changed(L, "extend", outside, v)`: in a graph a new list, and where L is (or
    was made from) a list from outside the graph (`outside`: the rewrite's reading of where the name's value comes
    from), the same change of that list once the trace's Python has run (`effects`); Python's change elsewhere."""
    return popped(x, what, outside, *args, **kwargs)[0]


def popped(x, what: str, outside: bool, *args, **kwargs):
    """(the new list, what the method returned): `v = L.pop(i)` as `L, v = _gs_.list_popped(L, "pop", outside, i)`."""
    kind = list if type(x) is list else dict if isinstance(x, dict) and what in _LEFT else None  # (a GraphDict too)
    if kind is None or not graph_semantics():
        return x, (operator.iadd(x, *args) if what == "iadd" else getattr(x, what)(*args, **kwargs))
    if what in _LEFT:  # (run on a copy: its errors are Python's, `[1].remove(5)`'s ValueError)
        return x, getattr(kind(x), what)(*args, **kwargs)
    tr = current()
    new = list(x)
    checked = {"pop": _graph_index.checked_pop, "insert": _graph_index.checked_insert}.get(what)
    got = new.__iadd__(*args) if what == "iadd" else (checked(new) if checked else getattr(new, what))(*args, **kwargs)
    if tr is None or what not in _OUTSIDE:
        return new, got
    origins = _origins(tr)
    origin = origins[id(x)][1] if id(x) in origins else x if outside else None
    if origin is not None:
        origins[id(new)] = (new, origin)
        tr.root.__dict__.setdefault("_gs_list_effects", []).append((origin, what, args, kwargs))
    return new, got


def effects(root, out):
    """The changes a graph made to lists from outside it (`changed`), made now that root's Python has run; out, a
    list it returns that was made from one from outside (or a tuple's) given back as that list, as MindSpore 2.10
    returns the very object (`z = L; z.extend([3]); return z` is L)."""
    for origin, what, args, kwargs in root.__dict__.pop("_gs_list_effects", ()):
        getattr(origin, what)(*args, **kwargs)
    origins = root.__dict__.pop("_gs_list_origins", {})

    def very(v):
        if type(v) is tuple:
            return tuple(map(very, v))
        return origins[id(v)][1] if type(v) is list and id(v) in origins else v
    return very(out) if origins else out


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
    """(the name, the indexes under it, "append" / "clear" / "extend" / "pop" / "insert" / "reverse" / "setitem" /
    "pop=" / "iadd") of the list a statement n changes as a graph's new value: `L.append(v)` (and the other
    methods), `L[i] = v`, and these of an item (`L[0].append(v)`); `v = L.pop(i)` ("pop=") and `L += [..]` ("iadd",
    a list display added: a Tensor's `+=` is not this) of a name."""
    if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute) and \
            n.value.func.attr in _REBOUND:
        c = _chain(n.value.func.value)
        return (c[0], c[1], n.value.func.attr) if c else None
    if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and \
            isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute) and \
            n.value.func.attr == "pop" and isinstance(n.value.func.value, ast.Name) and \
            n.value.func.value.id != n.targets[0].id:
        return n.value.func.value.id, [], "pop="
    if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add) and isinstance(n.target, ast.Name) and \
            isinstance(n.value, (ast.List, ast.ListComp)):
        return n.target.id, [], "iadd"
    if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Subscript):  # (`L[i] += v`: L[i] = L[i] + v)
        c = _chain(n.target.value)
        return (c[0], c[1] + [n.target.slice], "setitem") if c else None
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

    def __init__(self, names: set, local: set, helpers: str, outside: "set | frozenset" = frozenset()):
        self.names, self.helpers, self.outside = names, helpers, outside
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

    def _rewrite(self, node: "ast.Expr | ast.Assign | ast.AugAssign") -> ast.stmt:
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
            # (`L[i] op= v`: operator's in-place op, a Tensor item's own `+=` (in place in a graph: `t[0][1] -= 1`
            # writes the argument, MindSpore 2.10's); an index calls nothing, _chain: read twice)
            item = node.value if not isinstance(node, ast.AugAssign) else ast.Call(
                func=ast.Attribute(value=ast.Attribute(value=ast.Name(id=self.helpers, ctx=ast.Load()),
                                                       attr="operators", ctx=ast.Load()),
                                   attr=IN_PLACE_OPS[type(node.op).__name__], ctx=ast.Load()),
                args=[_item(name, idx + [last]), node.value], keywords=[])
            value = self._call("setitem", [_item(name, idx), index_value(copy.deepcopy(last)), item])
        elif what in ("append", "clear"):
            call = node.value
            assert isinstance(call, ast.Call)
            value = self._call(what, [_item(name, idx), *call.args], call.keywords)
        else:  # (MindSpore changes a list from outside the graph with these: `changed`'s `outside`)
            outside = ast.Constant(name.startswith(_PREFIX) or name in self.outside)
            if what == "iadd":
                assert isinstance(node, ast.AugAssign)
                value = self._call("changed", [_item(name, idx), ast.Constant("iadd"), outside, node.value])
            else:
                call = node.value
                assert isinstance(call, ast.Call)
                method = ast.Constant("pop" if what == "pop=" else what)
                value = self._call("popped" if what == "pop=" else "changed",
                                   [_item(name, idx), method, outside, *call.args], call.keywords)
            if what == "pop=":
                assert isinstance(node, ast.Assign)
                target = ast.Tuple(elts=[ast.Name(id=name, ctx=ast.Store()), node.targets[0]], ctx=ast.Store())
                return ast.copy_location(ast.Assign(targets=[target], value=value), node)
        for k in range(len(idx), 0, -1):  # (the changed item written back into its container, up to the name)
            value = self._call("setitem", [_item(name, idx[:k - 1]), index_value(copy.deepcopy(idx[k - 1])), value])
        return ast.copy_location(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value), node)

    visit_Expr = visit_Assign = visit_AugAssign = _rewrite


def rebind(fdef: ast.FunctionDef, local: set, helpers: str) -> None:
    """fdef's changes to lists (see the module's doc) as new values: of names outside `local` (its own names: a
    module's, a closure's) in a local of its own; `helpers`: the name rewritten code calls its helpers by."""
    attrs = _self_lists(fdef, helpers)
    changed = {c[0] for c in map(_changed, _own(fdef.body)) if c is not None and c[0] != helpers}
    if changed:
        names = changed - local
        r = _Rename(names, changed & local, helpers, _from_outside(fdef, local))
        fdef.body = [r.visit(s) for s in fdef.body]
        fdef.body[:0] = [ast.Assign(targets=[ast.Name(id=_PREFIX + n, ctx=ast.Store())],
                                    value=ast.Name(id=n, ctx=ast.Load())) for n in sorted(names)]
    fdef.body[:0] = attrs  # (first: `_gs_gl__gs_self_lst = _gs_self_lst` reads it)


_SELF = "_gs_self_"


def _self_attr(e) -> "str | None":
    return e.attr if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id == "self" else None


def _self_lists(fdef: ast.FunctionDef, helpers: str) -> list:
    """A Cell attribute's list changed in a graph (MindSpore 2.10, a straight construct, /work/scratch_left35/p3c.py):
    `self.lst[0] = 9` and `self.lst[0] += 1` are seen by the construct's later reads, the attribute's list stays as
    it was (on every call); `self.lst.append(3)` is not even seen (`len(self.lst)` after it is the old length). So
    the first read the attribute once into a name of the graph's own (`_gs_self_lst = self.lst`, then a module's
    name's rule: `rebind`, which puts these reads first), the second append to a copy thrown away. Not for an
    attribute the construct assigns. A dict attribute's item write stays Python's (item_set: written once, as
    MindSpore's)."""
    own = list(_own(fdef.body))
    assigned = {_self_attr(t) for n in own for t in (n.targets if isinstance(n, ast.Assign) else
                [n.target] if isinstance(n, (ast.AugAssign, ast.AnnAssign)) else [])}
    items: set = set()  # (the attributes under an item assignment's target: `self.lst[i][j] = v` too)
    for n in own:
        for t in (n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AugAssign) else []):
            while isinstance(t, ast.Subscript):
                t = t.value
                if _self_attr(t) is not None:
                    items.add(_self_attr(t))
    items -= assigned
    for n in own:  # `self.lst.append(v)` of a list no item assignment here changes: on a copy, thrown away
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute) and \
                n.value.func.attr == "append" and _self_attr(n.value.func.value) not in assigned | items | {None}:
            n.value = ast.Call(func=ast.Attribute(value=ast.Name(id=helpers, ctx=ast.Load()), attr="list_append",
                                                  ctx=ast.Load()), args=[n.value.func.value, *n.value.args],
                               keywords=n.value.keywords)
    if not items:
        return []

    class Reads(ast.NodeTransformer):
        def visit_Attribute(self, node: ast.Attribute):
            if _self_attr(node) in items and isinstance(node.ctx, ast.Load):
                return ast.copy_location(ast.Name(id=_SELF + node.attr, ctx=ast.Load()), node)
            return self.generic_visit(node)

        def _nested(self, node):
            return node
        visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _nested
    fdef.body = [Reads().visit(st) for st in fdef.body]
    # (read through self_item_target: an attribute never set is MindSpore's "should be initialized" TypeError
    # in a graph, its AttributeError text in PyNative, as the item assignment's own target gives: _graph_unbound)
    return [ast.Assign(targets=[ast.Name(id=_SELF + a, ctx=ast.Store())],
                       value=ast.Call(func=ast.Attribute(value=ast.Name(id=helpers, ctx=ast.Load()),
                                                         attr="self_item_target", ctx=ast.Load()),
                                      args=[ast.Name(id="self", ctx=ast.Load()), ast.Constant(a)], keywords=[]))
            for a in sorted(items)]


def _from_outside(fdef: ast.FunctionDef, local: set) -> set:
    """fdef's local names whose list comes from outside the graph: a parameter, or a name every binding of which
    is `z = n` of such a name or of a name not local (a module's, a closure's), or `z = obj.attr`."""
    a = fdef.args
    params = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
    values: dict = {}
    plain = {id(n.targets[0]) for n in _own(fdef.body)
             if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}
    plain |= {id(n.target) for n in _own(fdef.body) if isinstance(n, ast.AugAssign)}  # (`z += v`: z's own)
    for n in _own(fdef.body):
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and id(n.targets[0]) in plain:
            values.setdefault(n.targets[0].id, []).append(n.value)
        elif isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and id(n) not in plain:
            values.setdefault(n.id, []).append(None)  # (any other binding: not known to be from outside)
    out: set = set()
    while True:
        def outside(v) -> bool:
            while isinstance(v, ast.Subscript):  # (`y = t[0]` of an argument t: the caller's list inside it)
                v = v.value
            return isinstance(v, ast.Attribute) or (isinstance(v, ast.Name) and (v.id not in local or v.id in out))
        more = {k for k in local - out if (k in params or values.get(k)) and all(map(outside, values.get(k, [])))}
        if not more:
            return out
        out |= more


late.bind(list_effects=effects)  # (the root trace calls it: _trace.trace_program)
