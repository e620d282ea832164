"""Batching rules of the axis ops, gathers (gather, scatter_add too), dynamic slices, lowered control
flow and custom_vjp (engine/ops/cumulative.py, sorting.py, indexing.py, movement.py, control_flow.py,
custom_vjp.py).

Ops along one axis (cumsum, linrec, argmax / argmin, sort, top_k, take_along_axis,
scatter_add_along) run once with that axis shifted past the batch axis. Dynamic slices
with unbatched starts are one dynamic slice with start 0 on the batch axis; with batched
starts each example reads its own window, done as gathers (take_along_axis with
clamp(start) + arange(size) per axis, the op's clamping kept), and the update as a
spread of the update (gathers) selected by the window mask. switch_run with an unbatched
index runs the batched branches (still only the chosen one); with a batched index every
example may pick another branch: evaluating all branches and selecting would run the
untaken ones, whose NaN / inf the op exists to keep out of gradients, so that case stays
one switch_run per example (the explicit fallback). custom_vjp stays one node whose bprop
is the user's function vmapped, so a derivative taken after vmap still runs the user's rule.
"""
from __future__ import annotations

import math

from .batching import batch_eqns, materialize, moveaxis, norm_axis, rule, unrolled
from .builder import Builder
from .ir import AVal, Graph, Var
from .ops.registry import layers

I64 = "int64"


@rule("cumsum", "argmax", "argmin", "sort", "top_k")
def _along_axis(b, e, ins, batched, size):
    return b.emit(e.op, ins, dict(e.attrs, axis=norm_axis(e.attrs["axis"], e.inputs[0].aval.ndim) + 1))


@rule("linrec", "take_along_axis")
def _along_axis_pair(b, e, ins, batched, size):
    xs = [materialize(b, x, bt, size) for x, bt in zip(ins, batched)]
    return b.emit(e.op, xs, dict(e.attrs, axis=norm_axis(e.attrs["axis"], e.inputs[0].aval.ndim) + 1))


@rule("scatter_add_along")
def _scatter_add_along(b, e, ins, batched, size):
    xs = [materialize(b, x, bt, size) for x, bt in zip(ins, batched)]
    shape = tuple(e.attrs["shape"])
    return b.emit(e.op, xs, {"shape": (size,) + shape, "axis": norm_axis(e.attrs["axis"], len(shape)) + 1})


# -- gather / scatter_add ---------------------------------------------------------------------------
def _rows(b: Builder, x: Var, ax: int) -> tuple[Var, tuple, tuple]:
    """(B, *pre, n, *post) -> (B, n, P): the gathered axis next to the batch, the others flattened."""
    pre, post = tuple(x.shape[1:ax + 1]), tuple(x.shape[ax + 2:])
    x = b.transpose(x, perm=(0, ax + 1) + tuple(range(1, ax + 1)) + tuple(range(ax + 2, x.aval.ndim)))
    return b.reshape(x, shape=(x.shape[0], x.shape[1], math.prod(pre + post))), pre, post


def _unrows(b: Builder, y: Var, mid: tuple, pre: tuple, post: tuple) -> Var:
    """(B, M, P) -> (B, *pre, *mid, *post), M = prod(mid)."""
    y = b.reshape(y, shape=(y.shape[0],) + mid + pre + post)
    m, p = len(mid), len(pre)
    perm = (0,) + tuple(range(1 + m, 1 + m + p)) + tuple(range(1, 1 + m)) + tuple(range(1 + m + p, y.aval.ndim))
    return b.transpose(y, perm=perm)


def _index_rows(b: Builder, idx: Var, size: int, p: int) -> Var:
    """(B, *shape) int indices -> (B, M, P), each index repeated along P."""
    m = math.prod(idx.shape[1:])
    return b.broadcast(b.reshape(idx, shape=(size, m, 1)), (size, m, p))


@rule("gather")
def _gather(b, e, ins, batched, size):
    x, idx = ins
    ax = norm_axis(e.attrs["axis"], e.inputs[0].aval.ndim)
    if batched[0] and not batched[1]:
        return [b.gather(x, idx, axis=ax + 1)]
    if batched[1] and not batched[0]:  # the batch axis of the indices lands at ax
        return [moveaxis(b, b.gather(x, idx, axis=ax), ax, 0)]
    # both: each example its own rows, as one take_along_axis over (B, n, P)
    rows, pre, post = _rows(b, x, ax)
    got = b.take_along_axis(rows, _index_rows(b, idx, size, rows.shape[2]), axis=1)
    return [_unrows(b, got, tuple(idx.shape[1:]), pre, post)]


@rule("scatter_add")
def _scatter_add(b, e, ins, batched, size):
    shape = tuple(e.attrs["shape"])
    ax = norm_axis(e.attrs["axis"], len(shape))
    if batched[0] and not batched[1]:
        return [b.scatter_add(ins[0], ins[1], shape=(size,) + shape, axis=ax + 1)]
    # batched indices: the transpose of gather's rule, one scatter_add_along over (B, M, P)
    v, idx = materialize(b, ins[0], batched[0], size), ins[1]
    k = idx.aval.ndim - 1  # v is (B, *pre, *idx_shape, *post)
    perm = (0,) + tuple(range(1 + ax, 1 + ax + k)) + tuple(range(1, 1 + ax)) + tuple(range(1 + ax + k, v.aval.ndim))
    pre, post = shape[:ax], shape[ax + 1:]
    v = b.reshape(b.transpose(v, perm=perm), shape=(size, math.prod(idx.shape[1:]), math.prod(pre + post)))
    out = b.scatter_add_along(v, _index_rows(b, idx, size, v.shape[2]), shape=(size, shape[ax], v.shape[2]), axis=1)
    return [_unrows(b, out, (shape[ax],), pre, post)]


@rule("arange")
def _arange(b, e, ins, batched, size):  # no inputs, so never batched; here for completeness
    return [materialize(b, b.emit1("arange", **e.attrs), False, size)]


@rule("check_false")
def _check_false(b, e, ins, batched, size):
    """The flag of any example raises (the loop bound is the graph's, not an example's)."""
    flag, x = ins
    if batched[0]:
        flag = b.greater(b.sum(b.cast(flag, dtype=I64)), b.full((), 0.0, I64))
    return [materialize(b, b.emit1("check_false", flag, x, **e.attrs), batched[1], size)]


# -- dynamic slices -------------------------------------------------------------------------------
def _clamped(b: Builder, start: Var, hi: int) -> Var:
    """The op's clamping, as ops: min(max(start, 0), hi), in int64."""
    s = b.cast(start, dtype=I64) if start.dtype != I64 else start
    return b.maximum(b.minimum(s, b.full((), float(hi), I64)), b.full((), 0.0, I64))


def _on_axis(b: Builder, v: Var, ax: int, ndim: int) -> Var:
    """(B, m) or (m,) as (B or 1, 1.., m at ax + 1, 1..) of rank ndim + 1."""
    m = v.shape[-1]
    lead = v.shape[0] if v.aval.ndim == 2 else 1
    return b.reshape(v, shape=(lead,) + tuple(m if i == ax else 1 for i in range(ndim)))


def _positions(b: Builder, start: Var, is_batched: bool, m: int, relative: bool = False) -> Var:
    """start + arange(m) (relative: arange(m) - start) as (B, m) for a batched start, (m,) otherwise."""
    r = b.arange(stop=float(m), dtype=I64)
    s = b.reshape(start, shape=(start.shape[0], 1)) if is_batched else start
    return b.sub(r, s) if relative else b.add(s, r)


@rule("dynamic_slice")
def _dynamic_slice(b, e, ins, batched, size):
    x, starts = materialize(b, ins[0], batched[0], size), ins[1:]
    shape, sizes, nd = tuple(e.inputs[0].shape), tuple(e.attrs["sizes"]), e.inputs[0].aval.ndim
    zero = b.full((), 0.0, I64)
    by_start = batched[1:]
    # the axes with shared starts in one dynamic slice; the others whole, for the gathers below
    first = [zero] + [zero if bt else s for s, bt in zip(starts, by_start)]
    x = b.emit1("dynamic_slice", x, *first,
                sizes=(size,) + tuple(n if bt else k for n, k, bt in zip(shape, sizes, by_start)))
    for ax, (s, bt) in enumerate(zip(starts, by_start)):
        if not bt:
            continue
        idx = _on_axis(b, _positions(b, _clamped(b, s, shape[ax] - sizes[ax]), True, sizes[ax]), ax, nd)
        x = b.take_along_axis(x, b.broadcast(idx, x.shape[:ax + 1] + (sizes[ax],) + x.shape[ax + 2:]), axis=ax + 1)
    return [x]


@rule("dynamic_update_slice")
def _dynamic_update_slice(b, e, ins, batched, size):
    x, u = (materialize(b, v, bt, size) for v, bt in zip(ins[:2], batched[:2]))
    starts, by_start = ins[2:], batched[2:]
    if not any(by_start):
        return [b.emit1("dynamic_update_slice", x, u, b.full((), 0.0, I64), *starts)]
    shape, ushape, nd = tuple(e.inputs[0].shape), tuple(e.inputs[1].shape), e.inputs[0].aval.ndim
    mask = None
    for ax, (s, bt) in enumerate(zip(starts, by_start)):
        n, k = shape[ax], ushape[ax]
        rel = _positions(b, _clamped(b, s, n - k), bt, n, relative=True)  # position - start, (B, n) or (n,)
        inside = b.logical_and(b.greater_equal(rel, b.full((), 0.0, I64)), b.less(rel, b.full((), float(k), I64)))
        inside = _on_axis(b, inside, ax, nd)
        mask = inside if mask is None else b.logical_and(mask, inside)
        idx = _clamped(b, rel, k - 1)  # where in the update each position reads (masked outside)
        idx = b.broadcast(_on_axis(b, idx, ax, nd), u.shape[:ax + 1] + (n,) + u.shape[ax + 2:])
        u = b.take_along_axis(u, idx, axis=ax + 1)  # the update spread over x's extent on this axis
    return [b.where(b.broadcast(mask, x.shape), u, x)]


# -- control flow -----------------------------------------------------------------------------------
def _batched_branch(b: Builder, g: Graph, batched: list[bool], size: int) -> Graph:
    """A flat branch graph with its batched operands carrying the batch axis, every output batched."""
    b2 = Builder(max_nodes=b.max_nodes, budget=b.budget)
    ins = [Var(AVal((size,) + tuple(v.shape), v.dtype), v.name) if bt else Var(v.aval, v.name)
           for v, bt in zip(g.inputs, batched)]
    env = {v.id: (x, bt) for v, x, bt in zip(g.inputs, ins, batched)}
    batch_eqns(b2, g.eqns, env, size, f"{g.name} (vmap)")
    outs = [materialize(b2, *env[o.id], size) for o in g.flat_outputs]
    return layers.optimize(Graph(ins, [], b2.eqns, tuple(outs), name=f"{g.name}/vmap"))


@rule("switch_run")
def _switch_run(b, e, ins, batched, size):
    if batched[0]:  # a branch per example: see the module note
        return unrolled(b, e, ins, batched, size)
    graphs = tuple(_batched_branch(b, g, batched[1:], size) for g in e.attrs["branches"])
    return b.emit("switch_run", ins, {"branches": graphs})


# -- custom_vjp ---------------------------------------------------------------------------------------
def _batched_bprop(b: Builder, e, batched: list[bool], size: int) -> str:
    """The name of bprop vmapped (inputs, outputs, douts batched; captures as they are), added to the
    builder's functions once: the batched node's derivative runs the user's rule per example."""
    a = e.attrs
    n_in, n_out, params = a["n_in"], a["n_out"], list(a["params"])
    fn = b.functions[a["bprop"]]
    caps = batched[n_in + n_out:len(batched) - len(params)]
    name = f"{a['bprop']}/vmap{size}" + "".join("b" if c else "u" for c in caps)
    if name in b.functions:
        return name
    avals = [v.aval for v in fn.inputs]
    mapped = [True] * (n_in + 2 * n_out) + list(caps)
    ins = [Var(AVal((size,) + v.shape, v.dtype) if m else v, f"a{i}") for i, (v, m) in enumerate(zip(avals, mapped))]
    gb = Builder(functions=b.functions, budget=b.budget)
    outs = gb.emit("vmap", ins, {"fn": a["bprop"], "in_axes": tuple(0 if m else None for m in mapped),
                                 "out_axes": 0})
    b.functions[name] = Graph(ins, [Var(p.aval, p.name) for p in fn.params], gb.eqns, tuple(outs), name=name)
    return name


@rule("custom_vjp")
def _custom_vjp(b, e, ins, batched, size):
    """An identity on the raw outputs whose derivative is the user's bprop: batched as the same node
    over materialized inputs and outputs, with bprop vmapped."""
    a = e.attrs
    n_main = a["n_in"] + a["n_out"]
    if a["bprop"] not in b.functions or any(batched[len(batched) - len(a["params"]):]):
        return unrolled(b, e, ins, batched, size)  # parameters are never batched by vmap itself
    xs = [materialize(b, x, bt, size) for x, bt in zip(ins[:n_main], batched[:n_main])] + list(ins[n_main:])
    return b.emit("custom_vjp", xs, dict(a, bprop=_batched_bprop(b, e, batched, size)))
