"""`while <traced condition>:` in construct (and in functions traced by grad / jit) as the engine's `while`.

Python runs a `while` by asking `bool()` of its condition each trip, which a trace cannot answer; so
_rewrite turns each `while test: body` into

    def _gs_fnNc(a, b): return test
    def _gs_fnNb(a, b): body; return (a, b)
    (a, b) = _gs_.while_(_gs_fnNc, _gs_fnNb, (a, b), ('a', 'b'))

over the names the body assigns (the loop state). `run_while` runs a plain Python loop when the
condition is not a traced value; otherwise it traces the condition and the body as functions of the
graph (other values they read become extra state, passed through unchanged) and emits `while` with
`max_trips` from `set_context(max_loop_trips=...)`: a loop still running after that many trips is an
error of the run. A state name not bound before the loop (a temporary of the body, the value of a
`return (a, b)` inside it) enters as the zeros of what one probe trace of the body assigns to it; a tuple /
list (or sparse tensor) in the state is its leaves (_tree_state).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import _param_state, context
from ._late import late
from ._misc import LoopEscape
from ._sparse import SparseTensor
from ._tensor import Tensor
from ._branches import UNDEF, _truth
from ._hook_probes import inside_loop as _inside_loop
from ._trace import Trace, active, current, flatten, unflatten


class LoopError(RuntimeError):
    pass


class _Unknown(LoopError):
    """A loop that must run trip by trip met a condition whose value this trace does not know (it is inside an
    enclosing loop's traced body): the enclosing loop runs trip by trip too, or, at the top, this error."""


# -- the loop at trace time -------------------------------------------------------------------------
def _traced(v) -> bool:
    return isinstance(v, Tensor) and v._data is None


def run_while(cond_fn: Callable, body_fn: Callable, state: tuple, names: tuple):
    c = cond_fn(*state)
    while not _traced(c):  # Python's loop while the condition is a value (a counter, a flag not set yet)
        if not c:
            return state
        state = body_fn(*state)
        c = cond_fn(*state)
    if any(_is_tree(v) for v in state):
        return _tree_state(cond_fn, body_fn, state, names)
    return _emit_while(cond_fn, body_fn, state, names)  # the trips so far are in the trace already


def _is_tree(v) -> bool:
    """A loop variable of many leaves: a tuple / list (a `return (a, b)` in the body: pass 2's `_gs_rv`) or a
    sparse tensor (gradserve._sparse)."""
    return isinstance(v, SparseTensor) or (isinstance(v, (tuple, list)) and not isinstance(v, Tensor) and
                                           (type(v) in (tuple, list) or hasattr(type(v), "_fields")))


def _tree_state(cond_fn, body_fn, state: tuple, names: tuple):
    """Loop variables that are trees: their leaves are the state; the tree (a tuple's length, a sparse tensor's
    kind and shape) must stay, as a Tensor's dtype and shape must."""
    trees = [flatten(v) if _is_tree(v) else None for v in state]
    flat_names = [m for n, t in zip(names, trees) for m in ([n] if t is None else
                                                             [f"{n}_{k}" for k in range(len(t[0]))])]

    def unpack(s):
        it = iter(s)
        return [next(it) if t is None else unflatten(t[1], [next(it) for _ in t[0]]) for t in trees]

    def pack(out):
        flat = []
        for v, t, n in zip(out, trees, names):
            if t is None:
                flat.append(v)
                continue
            leaves, tdef = flatten(v) if _is_tree(v) else ([], None)
            if tdef != t[1]:
                raise LoopError(f"`while` on a traced value: loop variable {n!r} enters as {state[names.index(n)]!r} "
                                f"and leaves the body as {v!r}; a tuple / list must keep its length (and a sparse "
                                "tensor its kind and shape)")
            flat.extend(leaves)
        return tuple(flat)

    flat_state = pack(state)
    res = _emit_while(lambda *s: cond_fn(*unpack(s)), lambda *s: pack(body_fn(*unpack(s))), flat_state,
                      tuple(flat_names))
    return tuple(unpack(res))


def _as_state(v, name: str):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, (bool, np.bool_)):  # a flag of the loop (break / continue / return)
        return Tensor(np.asarray(v, dtype="bool"))
    if isinstance(v, (int, float)) and not isinstance(v, bool):  # a counter: a scalar of the loop
        return Tensor(np.asarray(v, dtype="int64" if isinstance(v, int) else "float32"))
    raise LoopError(f"`while` on a traced value: loop variable {name!r} is a {type(v).__name__}; the loop state "
                    "must be Tensors or numbers")


def _function(parent: Trace, label: str, fn: Callable, state: list[tuple[Tensor, str]], seed: list[Tensor]):
    """(the trace, fn's result, for each loop variable whether fn wrote it in place and gives it back as itself)."""
    tr = Trace(parent, label)
    inner = [tr.new_input(s.shape, s._dtype, n) for s, n in state]
    names = [t._name for t in inner]
    for c in seed:
        tr.ref(c)
    with active(tr):
        out = late.explore(lambda: fn(*inner))
    # loop variables the body wrote in place (`x -= 1` with GRAPH_MODE's semantics) and gives back as themselves
    outs = out if isinstance(out, tuple) else ()  # (a body's state; a cond's one value)
    return tr, out, [o is t and t._name != n for o, t, n in zip(outs, inner, names)]


def _emit_while(cond_fn, body_fn, state: tuple, names: tuple):
    parent = current()
    assert parent is not None, "a traced condition means an active trace"
    start = _param_state.snapshot()
    try:
        return _graph_while(parent, cond_fn, body_fn, state, names, start)
    except (_Unknown, LoopEscape):  # (LoopEscape: a body value appended to a list made outside: trip by trip)
        _param_state.restore(start)
        if _inside_loop(parent):
            raise
        return _unrolled(cond_fn, body_fn, state, names)


def _graph_while(parent: Trace, cond_fn, body_fn, state: tuple, names: tuple, start: dict):
    entry = state
    params: list = []
    if any(v is UNDEF for v in state):
        state, params = _probe(parent, body_fn, state, names, start)
        if any(v is UNDEF for v in state):  # names no path of the body assigns: not loop state
            return _without_unbound(cond_fn, body_fn, state, names)
        if any(_is_tree(v) for v in state):  # (a tuple / sparse value the body gives a temporary)
            return _tree_state(cond_fn, body_fn, state, names)
    while True:  # Parameters the body assigns are loop state too: found by tracing, then traced again
        k = len(state)
        full = tuple(state) + tuple(_param_value(start, p) for p in params)
        st = [(_as_state(v, n), n) for v, n in zip(full, tuple(names) + tuple(f"w_{p.name}" for p in params))]
        body, cond = _with_params(body_fn, cond_fn, params, k)
        traced, found, written = _trace_loop(parent, cond, body, st, start)
        more = [p for p in found if all(p is not q for q in params)]
        if not more:
            break
        params += more
    if _reshaped(st, traced[1]) or _aliased_write(st, written):
        return _unrolled(cond_fn, body_fn, entry, names)
    outs = _emit(parent, st, *traced)
    for p, v in zip(params, outs[k:]):
        _param_state.assign(p, v)
    return _written_back(parent, st, written, outs[:k])


def _written_back(parent: Trace, st, written: list, outs: list) -> tuple:
    """A loop variable the body writes in place (`x -= 1` in GRAPH_MODE) that entered as a Tensor of this trace:
    that Tensor takes the loop's result and stays the name's value, as MindSpore 2.10's graph writes it (an input
    so written lands in the caller's Tensor: `x = 7; for ..: x -= 1; while x > 1: x -= 1` leaves the caller's 1)."""
    res = list(outs)
    for i, ((s, _), w) in enumerate(zip(st, written)):
        if w and _traced(s) and s._trace is parent:
            res[i] = late.ops._inplace.write(s, outs[i], "while")
    return tuple(res)


def _aliased_write(st, written: list) -> bool:
    """Whether the body writes in place a loop variable that enters as the same Tensor as another (`out = x` before
    `while ..: x -= 1; out = out + x`): MindSpore 2.10's graph lets the other name see the write while it is not
    rebound (x = 5 there gives 19, not 20), which one graph body for every trip cannot say; the loop runs trip by
    trip on Python's objects."""
    entries = [s for s, _ in st]
    return any(w and any(e is entries[i] for j, e in enumerate(entries) if j != i) for i, w in enumerate(written))


def _reshaped(st, out) -> bool:
    """Whether the body gives a loop variable another dtype or shape than it entered with."""
    for (s, _), v in zip(st, out):
        v = v if isinstance(v, Tensor) else _as_state(v, "") if isinstance(v, (bool, int, float)) else v
        if isinstance(v, Tensor) and (v._dtype != s._dtype or tuple(v.shape) != tuple(s.shape)):
            return True
    return False


def _unrolled(cond_fn, body_fn, state: tuple, names: tuple):
    """A loop whose state changes dtype or shape (`y = 1` then `y = Tensor(2.0)`; a concat that grows; a mutable()
    list made outside it that it appends to) has no graph `while`: it runs trip by trip, each condition read as its value in this call (MindSpore's
    PyNative; the trace is specialised on those values, gradserve._value_reads), at most max_loop_trips."""
    limit = int(context.max_loop_trips())
    for _ in range(limit):
        c = cond_fn(*state)
        known = c._value() if _traced(c) else c
        if known is None:
            changed = ", ".join(names)
            raise _Unknown(f"`while` on a traced value: its loop variables ({changed}) change dtype or shape "
                            "across trips, so the loop runs trip by trip on its condition's values, which this "
                            "trace does not know (an exported graph?)")
        if not bool(np.asarray(known).all() if isinstance(known, np.ndarray) else known):
            return state
        state = tuple(body_fn(*state))
    raise LoopError(f"`while` on a traced value: still running after max_loop_trips={limit} trips "
                    "(set_context(max_loop_trips=...))")


def _without_unbound(cond_fn, body_fn, state: tuple, names: tuple):
    """The loop over the names bound on entry or by the body (the others stay UNDEF)."""
    live = [k for k, v in enumerate(state) if v is not UNDEF]

    def full(s):
        out = [UNDEF] * len(state)
        for k, v in zip(live, s):
            out[k] = v
        return out

    def body(*s):
        out = body_fn(*full(s))
        return tuple(out[k] for k in live)

    res = _emit_while(lambda *s: cond_fn(*full(s)), body, tuple(state[k] for k in live),
                      tuple(names[k] for k in live))
    return tuple(full(res))


def _param_value(snap: dict, p):
    hit = snap.get(id(p))
    return p if hit is None else hit[1]


def _with_params(body_fn, cond_fn, params: list, k: int):
    """body and cond over (state..., values of params...): the params' values set for the code inside."""
    if not params:
        return body_fn, cond_fn

    def enter(s):
        for p, v in zip(params, s[k:]):
            _param_state.assign(p, v)

    def body(*s):
        enter(s)
        out = body_fn(*s[:k])
        return tuple(out) + tuple(_param_state.get(p) for p in params)

    def cond(*s):
        enter(s)
        return cond_fn(*s[:k])
    return body, cond


def _trace_loop(parent: Trace, cond_fn, body_fn, st, start: dict):
    """(the body's and the cond's traces and results, the Parameters the body assigns, the loop variables it writes in
    place: _function); each traced from the Parameters' values at the loop's entry."""
    bt, out, written = _function(parent, "while_body", body_fn, st, [])
    found = _param_state.changed(start, _param_state.snapshot())
    _param_state.restore(start)
    ct, c, _ = _function(parent, "while_cond", cond_fn, st, bt.captures)
    _param_state.restore(start)
    return (bt, out, ct, c), found, written


def _emit(parent: Trace, st, bt, out, ct, c) -> list:
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
    # a loop variable that leaves the body as an outer Tensor (a sparse tensor remade from the loop's inputs) is
    # a capture the body takes only now: the cond takes it too, as body and cond take the same inputs
    for x in bt.captures[len(ct.captures):]:
        ct.ref(x)
    for x in ct.captures[len(bt.captures):]:
        bt.ref(x)
    body = bt.add_function(bt.body(new + passthrough), "while_body")
    cond = ct.add_function(ct.body([cname]), "while_cond")
    for tr in (bt, ct):  # parameters read in the loop are read through this body too
        for pname, aval in tr.params.items():
            parent.params.setdefault(pname, aval)
    ins = [parent.ref(s) for s, _ in st] + [parent.ref(x) for x in caps]
    avals = [(tuple(s.shape), s._dtype) for s, _ in st] + [(tuple(x.shape), x._dtype) for x in caps]
    outs = parent.emit("while", ins, {"cond": cond, "body": body, "max_trips": int(context.max_loop_trips())}, avals)
    return outs[:len(st)]


def _probe(parent: Trace, body_fn: Callable, state: tuple, names: tuple, start: dict):
    """(state with each UNDEF -- a name the body assigns before reading it -- as the zeros of what the body
    assigns to it, the Parameters the body assigns), learnt from one trace of the body that is dropped."""
    tr = Trace(parent, "while_probe")
    ins = [v if v is UNDEF else tr.new_input(_as_state(v, n).shape, _as_state(v, n)._dtype, n)
           for v, n in zip(state, names)]
    with active(tr):
        out = late.explore(lambda: body_fn(*ins))
    params = _param_state.changed(start, _param_state.snapshot())
    _param_state.restore(start)
    new = []
    for v, o, n in zip(state, out, names):
        if v is UNDEF and _is_tree(o):  # the zeros of its leaves in its tree (a tuple, a sparse tensor)
            leaves, tdef = flatten(o)
            zeros = [_as_state(x, n) if x is not UNDEF else x for x in leaves]
            if any(x is UNDEF for x in zeros):
                raise LoopError(f"`while` on a traced value: loop variable {n!r} is not bound before the loop "
                                f"and the body gives it {o!r}, which holds a variable not bound on that path")
            new.append(unflatten(tdef, [Tensor(np.zeros(tuple(x.shape), dtype=x._dtype)) for x in zeros]))
            continue
        if v is UNDEF and o is not UNDEF:
            if not isinstance(o, (Tensor, int, float, bool, np.number, np.bool_)):
                raise LoopError(f"`while` on a traced value: loop variable {n!r} is not bound before the loop "
                                f"and the body gives it {o!r}; bind it before the loop")
            o = o if isinstance(o, Tensor) else _as_state(o, n)
            v = Tensor(np.zeros(tuple(o.shape), dtype=o._dtype))
        new.append(v)
    return tuple(new), params


late.bind(run_while=run_while)  # ops.WhileLoop / ForiLoop (ops/_loop_prims.py, a layer below) run their loops here
