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
error of the run. A state name not bound before the loop (a temporary of the body) enters as the
zeros of what one probe trace of the body assigns to it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import context
from ._late import late
from ._tensor import Tensor
from ._branches import UNDEF, _truth
from ._trace import Trace, active, current


class LoopError(RuntimeError):
    pass


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
    if isinstance(v, (bool, np.bool_)):  # a flag of the loop (break / continue / return)
        return Tensor(np.asarray(v, dtype="bool"))
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
    if any(v is UNDEF for v in state):
        state = _probe(parent, body_fn, state, names)
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


def _probe(parent: Trace, body_fn: Callable, state: tuple, names: tuple) -> tuple:
    """state with each UNDEF (a name the body assigns before reading it) as the zeros of what the body
    assigns to it, learnt from one trace of the body that is then dropped."""
    tr = Trace(parent, "while_probe")
    ins = [v if v is UNDEF else tr.new_input(_as_state(v, n).shape, _as_state(v, n)._dtype, n)
           for v, n in zip(state, names)]
    with active(tr):
        out = late.explore(lambda: body_fn(*ins))
    new = []
    for v, o, n in zip(state, out, names):
        if v is UNDEF:
            if not isinstance(o, (Tensor, int, float, bool, np.number, np.bool_)):
                raise LoopError(f"`while` on a traced value: loop variable {n!r} is not bound before the loop "
                                f"and the body gives it {o!r}; bind it before the loop")
            o = o if isinstance(o, Tensor) else _as_state(o, n)
            v = Tensor(np.zeros(tuple(o.shape), dtype=o._dtype))
        new.append(v)
    return tuple(new)
