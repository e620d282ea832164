"""Sums and matrix products of a broadcast value, computed on the value before the broadcast.

Reverse mode makes these wherever a loss sums a tensor: the cotangent of sum(y) is a scalar
broadcast to y's shape, and the gradients of a bias (reduce_to) and of a dense layer (matmul)
then sum that broadcast. L1's energy term does (sum of a (32, 1) fit): broadcast_to (1, 1) ->
(32, 1) (~3-10 us in NumPy's Python-level broadcast_to), its reduce_to (~5 us) and two products
with it. Computed on the source instead:

- sum / reduce_to over axes the value is broadcast along only: source * count;
- a 2-D matmul whose operand is broadcast along the contracted axis: (its source) times the
  other operand summed over that axis; along the other axis: the product of the source's one
  row (column), broadcast (a one-term product, K = 1, is a mul);
- a broadcasting binary op bypasses a broadcast_to this pass made when the source broadcast
  against the other operand still gives the output shape (as the builder does).

Not exact (a sum of n copies is rounded as x * n, a sum of products as a product of a sum): it
runs with the reassociating passes, after absorb_neg, beside `contract`.
"""
from __future__ import annotations

import math

from .contract import Emitter, _summed
from .ir import Eqn, Graph, Var, tree_flatten, tree_unflatten
from .ops.registry import OPS
from .simplify import _broadcast_shape

DTYPES = ("float32", "float64")


def unbroadcast(g: Graph) -> Graph:
    made: dict[int, Eqn] = {}  # var id (in the new graph) -> its equation
    alias: dict[int, Var] = {}  # a rewritten equation's output -> the value standing for it
    eqns: list[Eqn] = []
    for e in g.eqns:
        ins = tuple(alias.get(x.id, x) for x in e.inputs)
        if ins != e.inputs:
            e = Eqn(e.op, ins, e.attrs, e.outputs, e.label)
        new = _rewrite(e, made)
        if new is None:
            new = [e], None
        for ne in new[0]:
            eqns.append(ne)
            for o in ne.outputs:
                made[o.id] = ne
        if new[1] is not None:
            alias[e.outputs[0].id] = new[1]
    outs = tree_unflatten(g.outputs, [alias.get(v.id, v) for v in tree_flatten(g.outputs)])
    return Graph(g.inputs, g.params, eqns, outs, g.param_values, g.functions, g.name)


def _source(v: Var, made: dict) -> Var | None:
    e = made.get(v.id)
    return e.inputs[0] if e is not None and e.op == "broadcast_to" else None


def _padded(shape: tuple, n: int) -> tuple:
    return (1,) * (n - len(shape)) + tuple(shape)


def _rewrite(e: Eqn, made: dict) -> tuple[list[Eqn], Var | None] | None:
    if len(e.outputs) != 1 or e.outputs[0].dtype not in DTYPES:
        return None
    if e.op in ("sum", "reduce_to"):
        return _sum_of_broadcast(e, made)
    if e.op == "matmul":
        return _matmul_of_broadcast(e, made)
    if OPS[e.op].broadcasts and len(e.inputs) == 2:
        return _narrowed(e, made)
    return None


def _narrowed(e: Eqn, made: dict):
    """e with an operand's broadcast_to bypassed (it keeps its output Var: nothing to alias)."""
    ins, out = list(e.inputs), e.outputs[0]
    for i in (0, 1):
        src = _source(ins[i], made)
        if src is not None and src.dtype == ins[i].dtype and \
                _broadcast_shape(src.shape, ins[1 - i].shape) == tuple(out.shape):
            ins[i] = src
            return [Eqn(e.op, tuple(ins), e.attrs, e.outputs, e.label)], None
    return None


def _sum_of_broadcast(e: Eqn, made: dict):
    x, out = e.inputs[0], e.outputs[0]
    src = _source(x, made)
    red = _summed(e)
    if src is None or not red:
        return None
    n = x.aval.ndim
    ps = _padded(src.shape, n)
    kept = tuple(1 if d in red else x.shape[d] for d in range(n))
    if ps != kept:
        return None  # summed along an axis the source has (a real sum), or broadcast along a kept one
    em = Emitter(e.label)
    count = math.prod(x.shape[d] for d in red)
    scaled = em.emit("mul", [src, _scalar(em, count, x.dtype)], {}, tuple(src.shape))
    return em.eqns, em.reshape(scaled, tuple(out.shape))


def _scalar(em: Emitter, value: float, dtype: str) -> Var:
    return em.emit("fill", [], {"shape": (), "value": float(value), "dtype": dtype}, (), dtype)


def _matmul_of_broadcast(e: Eqn, made: dict):
    a, b = e.inputs
    out = e.outputs[0]
    if a.aval.ndim != 2 or b.aval.ndim != 2:
        return None
    ta, tb = bool(e.attrs.get("transpose_a")), bool(e.attrs.get("transpose_b"))
    m, n = out.shape
    k = a.shape[0] if ta else a.shape[1]
    em = Emitter(e.label)
    sa, sb = _source(a, made), _source(b, made)
    if sa is not None:
        # A (m, k) as it enters the product, its source's shape in that orientation
        r, c = _padded(sa.shape, 2)[::-1] if ta else _padded(sa.shape, 2)
        if c == 1 and k > 1:  # constant along k: source column * column sums of B
            cols = em.emit("sum", [b], {"axis": (1 if tb else 0,), "keepdims": True}, (n, 1) if tb else (1, n))
            v = em.emit("mul", [em.reshape(sa, (r, 1)), em.reshape(cols, (1, n))], {}, (r, n))
        elif r == 1 and m > 1:  # every row the same: one row's product
            row = em.reshape(sa, (1, c))
            v = em.emit("mul", [row, em.reshape(b, (1, n))], {}, (1, n)) if k == 1 else \
                em.emit("matmul", [row, b], {"transpose_a": False, "transpose_b": tb}, (1, n))
        else:
            return None
    elif sb is not None:
        r, c = _padded(sb.shape, 2)[::-1] if tb else _padded(sb.shape, 2)  # B (k, n) as it enters
        if r == 1 and k > 1:  # constant along k: row sums of A * source row
            rows = em.emit("sum", [a], {"axis": (0 if ta else 1,), "keepdims": True}, (1, m) if ta else (m, 1))
            v = em.emit("mul", [em.reshape(rows, (m, 1)), em.reshape(sb, (1, c))], {}, (m, c))
        elif c == 1 and n > 1:  # every column the same: one column's product
            col = em.reshape(sb, (r, 1))
            v = em.emit("mul", [em.reshape(a, (m, 1)), col], {}, (m, 1)) if k == 1 else \
                em.emit("matmul", [a, col], {"transpose_a": ta, "transpose_b": False}, (m, 1))
        else:
            return None
    else:
        return None
    if tuple(v.shape) != (m, n):
        v = em.emit("broadcast_to", [v], {"shape": (m, n)}, (m, n))
    return em.eqns, v
