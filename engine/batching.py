"""The batching-rule table of vmap (engine/vmap.py) and the helpers rules share.

A rule is `rule(b, eqn, ins, batched, size) -> list of output Vars`, every output batched
on axis 0; `ins` are the batched-or-not values of eqn's inputs (batched ones carry the batch
axis at 0). The rules live beside the transform (vmap.py: elementwise, reductions, shapes,
matmul) and in batch_window.py (conv, pooling, windows) and batch_index.py (axis ops,
gathers, dynamic slices, control flow).
"""
from __future__ import annotations

from typing import Callable

from .builder import Builder
from .ir import Var

# op -> rule(b, eqn, ins, batched, size) -> list of output Vars, all batched (axis 0)
BATCH_RULES: dict[str, Callable] = {}


def rule(*ops: str):
    def deco(fn):
        for op in ops:
            BATCH_RULES[op] = fn
        return fn
    return deco


def moveaxis(b: Builder, x: Var, src: int, dst: int) -> Var:
    if src == dst:
        return x
    perm = [i for i in range(x.aval.ndim) if i != src]
    perm.insert(dst, src)
    return b.emit1("transpose", x, perm=tuple(perm))


def lift(b: Builder, x: Var, rank: int) -> Var:
    """A batched value (B, *s) as (B, 1, ..., 1, *s) of rank rank + 1 (NumPy's trailing alignment)."""
    extra = rank - (x.aval.ndim - 1)
    if extra <= 0:
        return x
    return b.emit1("reshape", x, shape=(x.shape[0],) + (1,) * extra + tuple(x.shape[1:]))


def materialize(b: Builder, x: Var, is_batched: bool, size: int) -> Var:
    return x if is_batched else b.emit1("broadcast_to", x, shape=(size,) + tuple(x.shape))


def norm_axis(a: int, ndim: int) -> int:
    return a % ndim if ndim else 0


def fold(b: Builder, x: Var) -> Var:
    """(B, N, *s) -> (B*N, *s): the batch folded into an op's own leading batch axis."""
    return b.emit1("reshape", x, shape=(x.shape[0] * x.shape[1],) + tuple(x.shape[2:]))


def unfold(b: Builder, y: Var, size: int) -> Var:
    return b.emit1("reshape", y, shape=(size, y.shape[0] // size) + tuple(y.shape[1:]))


def unrolled(b, e, ins, batched, size):
    """One slice per batch element, the op on each, the results stacked: the rule of last resort."""
    per_out: list[list[Var]] = [[] for _ in e.outputs]
    for i in range(size):
        xs = [b.emit1("index", x, index=[i]) if bt else x for x, bt in zip(ins, batched)]
        for k, o in enumerate(b.emit(e.op, xs, e.attrs)):
            per_out[k].append(o)
    return [b.emit1("stack", *outs, axis=0) for outs in per_out]


def batch_eqns(b: Builder, eqns, env: dict[int, tuple[Var, bool]], size: int, label: str) -> None:
    """Each equation by its batching rule; env maps a Var id to (its value, whether it is batched)."""
    for e in eqns:
        xs = [env[x.id] for x in e.inputs]
        ins_i, batched = [x for x, _ in xs], [bt for _, bt in xs]
        b.node_label = f"{label} (batching rule of {e.op})"
        if not any(batched):
            outs, flags = b.emit(e.op, ins_i, e.attrs), False
        else:
            outs, flags = BATCH_RULES.get(e.op, unrolled)(b, e, ins_i, batched, size), True
        for o, n in zip(e.outputs, outs):
            env[o.id] = (n, flags)
