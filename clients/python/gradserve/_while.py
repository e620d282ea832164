"""`while <traced condition>:` in construct (and in functions traced by grad / jit) as the engine's `while`.

Python runs a `while` by asking `bool()` of its condition each trip, which a trace cannot answer; so,
as MindSpore's graph mode parses construct, a function whose source has a `while` is rewritten once
(cached per code object): each `while test: body` with no `else` / `break` / `return` / `yield` becomes

    def _gs_cond(a, b): return test
    def _gs_body(a, b): body; return (a, b)
    (a, b) = _gs_run_while(_gs_cond, _gs_body, (a, b), ('a', 'b'))

over the names the body assigns (the loop state; each must be bound before the loop).
`run_while` runs a plain Python loop when the condition is not a traced value; otherwise it traces
the condition and the body as functions of the graph (other values they read become extra state,
passed through unchanged) and emits `while` with `max_trips` from
`set_context(max_loop_trips=...)`: a loop still running after that many trips is an error of the run.
A function whose source cannot be read, or a loop of another form, is left as it is (its `bool()` on a
traced value is then the branch explorer's error).
"""
from __future__ import annotations

import ast
import inspect
import textwrap
import types
from typing import Any, Callable

import numpy as np

from . import context
from ._late import late
from ._tensor import Tensor
from ._branches import _truth
from ._trace import Trace, active, current

_cache: dict[Any, Any] = {}
_RUN = "_gs_run_while"


class LoopError(RuntimeError):
    pass


# -- the source rewrite ---------------------------------------------------------------------------
def _own_nodes(stmts):
    """The nodes of `stmts`, not descending into nested functions, lambdas or classes."""
    todo = list(stmts)
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(n))


def _convertible(loop: ast.While) -> bool:
    if loop.orelse:
        return False
    bad = (ast.Break, ast.Continue, ast.Return, ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal)
    return not any(isinstance(n, bad) for n in _own_nodes(loop.body))


def _assigned(stmts) -> list[str]:
    names = {n.id for n in _own_nodes(stmts) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return sorted(names)


def _def(name: str, params: list[str], body: list) -> ast.FunctionDef:
    """`def name(*params): body` (parsed, so the node has every field of this Python's grammar)."""
    d = ast.parse(f"def {name}({', '.join(params)}): pass").body[0]
    assert isinstance(d, ast.FunctionDef)
    d.body = body
    return d


class _Rewrite(ast.NodeTransformer):
    def __init__(self):
        self.n = 0
        self.changed = False

    def visit_While(self, node: ast.While):
        loop = node
        self.generic_visit(loop)  # inner loops first
        if not _convertible(loop):
            return loop
        state = _assigned(loop.body)
        if not state:
            return loop
        self.n += 1
        self.changed = True
        k = self.n
        def tup(ctx):
            return ast.Tuple(elts=[ast.Name(id=s, ctx=ctx) for s in state], ctx=ctx)

        cond = _def(f"_gs_cond{k}", state, [ast.Return(value=loop.test)])
        body = _def(f"_gs_body{k}", state, loop.body + [ast.Return(value=tup(ast.Load()))])
        call = ast.Call(func=ast.Name(id=_RUN, ctx=ast.Load()),
                        args=[ast.Name(id=cond.name, ctx=ast.Load()), ast.Name(id=body.name, ctx=ast.Load()),
                              tup(ast.Load()),
                              ast.Tuple(elts=[ast.Constant(value=v) for v in state], ctx=ast.Load())], keywords=[])
        return [cond, body, ast.Assign(targets=[tup(ast.Store())], value=call)]


def _rewrite_function(f: types.FunctionType):
    try:
        src = textwrap.dedent(inspect.getsource(f))
    except (OSError, TypeError):
        return None
    if "while" not in src:
        return None
    tree = ast.parse(src)
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef) or fdef.name != f.__name__:
        return None
    rw = _Rewrite()
    fdef.body = [rw.visit(s) for s in fdef.body]
    fdef.body = [s for b in fdef.body for s in (b if isinstance(b, list) else [b])]
    if not rw.changed:
        return None
    fdef.decorator_list = []
    free = list(f.__code__.co_freevars) + [_RUN]  # closures: the outer def binds them again by name
    outer = _def("_gs_outer", free, [fdef, ast.Return(value=ast.Name(id=fdef.name, ctx=ast.Load()))])
    mod = ast.fix_missing_locations(ast.Module(body=[outer], type_ignores=[]))
    ns: dict[str, Any] = {}
    exec(compile(mod, inspect.getsourcefile(f) or "<construct>", "exec"), f.__globals__, ns)  # noqa: S102 - own source
    return ns["_gs_outer"]


def loops(fn: Callable) -> Callable:
    """fn with each `while` of its own source as `run_while` (fn itself when there is none)."""
    target = fn.__func__ if isinstance(fn, types.MethodType) else fn
    if not isinstance(target, types.FunctionType):
        return fn
    key = target.__code__
    if key not in _cache:
        try:
            _cache[key] = _rewrite_function(target)
        except SyntaxError:
            _cache[key] = None
    outer = _cache[key]
    if outer is None:
        return fn
    new = outer(*[c.cell_contents for c in (target.__closure__ or ())], run_while)
    new.__defaults__, new.__kwdefaults__ = target.__defaults__, target.__kwdefaults__
    return types.MethodType(new, fn.__self__) if isinstance(fn, types.MethodType) else new


# -- the loop at trace time -------------------------------------------------------------------------
def _traced(v) -> bool:
    return isinstance(v, Tensor) and v._data is None


def run_while(cond_fn: Callable, body_fn: Callable, state: tuple, names: tuple):
    c = cond_fn(*state)
    if not _traced(c):
        while c:
            state = body_fn(*state)
            c = cond_fn(*state)
            if _traced(c):
                raise LoopError(f"a `while` over {', '.join(names)}: the condition became a traced value after "
                                "the first trip; make it traced from the start (a Tensor, not a Python number)")
        return state
    return _emit_while(cond_fn, body_fn, state, names)


def _as_state(v, name: str):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):  # a counter: a scalar of the loop
        return Tensor(np.asarray(v, dtype="int64" if isinstance(v, int) else "float32"))
    raise LoopError(f"`while` on a traced value: loop variable {name!r} is a {type(v).__name__}; the loop state "
                    "must be Tensors or numbers")


def _function(parent: Trace, label: str, fn: Callable, state: list[tuple[Tensor, str]], seed: list[Tensor]):
    tr = Trace(parent, label)
    inner = [tr.new_input(s.shape, s._dtype, n) for s, n in state]
    for c in seed:
        tr.ref(c)
    with active(tr):
        out = late.explore(lambda: fn(*inner))
    return tr, out


def _emit_while(cond_fn, body_fn, state: tuple, names: tuple):
    parent = current()
    assert parent is not None, "a traced condition means an active trace"
    st = [(_as_state(v, n), n) for v, n in zip(state, names)]
    bt, out = _function(parent, "while_body", body_fn, st, [])
    ct, c = _function(parent, "while_cond", cond_fn, st, bt.captures)
    for x in ct.captures[len(bt.captures):]:
        bt.ref(x)
    caps = ct.captures
    new = []
    with active(bt):
        for (s, n), v in zip(st, out):
            v = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=s._dtype))
            if v._dtype != s._dtype or tuple(v.shape) != tuple(s.shape):
                raise LoopError(f"`while` on a traced value: loop variable {n!r} enters as {s.dtype}"
                                f"{list(s.shape)} and leaves the body as {v.dtype}{list(v.shape)}; it must keep "
                                "its dtype and shape")
            new.append(bt.ref(v))
        passthrough = [i["name"] for i in bt.inputs[len(st):]]
    with active(ct):
        c = _truth(c if isinstance(c, Tensor) else Tensor(np.asarray(bool(c))))
        cname = ct.ref(c)
    body = bt.add_function(bt.body(new + passthrough), "while_body")
    cond = ct.add_function(ct.body([cname]), "while_cond")
    for tr in (bt, ct):  # parameters read in the loop are read through this body too
        for pname, aval in tr.params.items():
            parent.params.setdefault(pname, aval)
    ins = [parent.ref(s) for s, _ in st] + [parent.ref(x) for x in caps]
    avals = [(tuple(s.shape), s._dtype) for s, _ in st] + [(tuple(x.shape), x._dtype) for x in caps]
    outs = parent.emit("while", ins, {"cond": cond, "body": body, "max_trips": int(context.max_loop_trips())}, avals)
    return tuple(outs[:len(st)])


late.bind(loops=loops)
