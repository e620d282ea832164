"""Batching rules of the axis ops, gathers (gather, scatter_add, segment_reduce too), dynamic slices and
check_false, bprop_undefined and no_kernel (engine/ops/cumulative.py, segment.py, sorting.py, indexing.py, movement.py,
control_flow.py, custom_vjp.py).

Ops along one axis (cumsum, cumprod, linrec, argmax / argmin, sort, top_k, take_along_axis,
scatter_add_along) run once with that axis shifted past the batch axis. Dynamic slices
with unbatched starts are one dynamic slice with start 0 on the batch axis; with batched
starts each example reads its own window, done as gathers (take_along_axis with
clamp(start) + arange(size) per axis, the op's clamping kept), and the update as a
spread of the update (gathers) selected by the window mask.
"""
from __future__ import annotations

import math

from .batching import materialize, moveaxis, norm_axis, rule
from .builder import Builder
from .ir import Var

I64 = "int64"


@rule("cumsum", "cumprod", "argmax", "argmin", "sort", "sort_stl", "top_k", "top_k_unsorted", "top_k_stl")
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


@rule("segment_reduce")
def _segment_reduce(b, e, ins, batched, size):
    num, mode = e.attrs["num_segments"], e.attrs["mode"]
    v, ids = ins
    if not batched[1]:  # one set of ids: the batch rides along as a second axis of each row
        out = b.segment_reduce(moveaxis(b, v, 0, 1), ids, num_segments=num, mode=mode)
        return [moveaxis(b, out, 1, 0)]
    # ids per example: example i's segment s is segment i * num + s of one reduction; an id outside
    # [-num, num) goes past them all, so the op's range error still fires
    v = materialize(b, v, batched[0], size)
    n, dt = v.shape[1], ids.dtype
    wrapped = b.where(b.less(ids, b.scalar(0, dt)), b.add(ids, b.scalar(num, dt)), ids)
    bad = b.logical_or(b.less(wrapped, b.scalar(0, dt)), b.greater_equal(wrapped, b.scalar(num, dt)))
    base = b.reshape(b.arange(stop=float(size * num), step=float(num), dtype=dt), shape=(size, 1))
    flat = b.where(bad, b.full((size, n), size * num, dt), b.add(wrapped, base))
    out = b.segment_reduce(b.reshape(v, shape=(size * n,) + tuple(v.shape[2:])), b.reshape(flat, shape=(size * n,)),
                           num_segments=size * num, mode=mode)
    return [b.reshape(out, shape=(size, num) + tuple(v.shape[2:]))]


@rule("arange")
def _arange(b, e, ins, batched, size):  # no inputs, so never batched; here for completeness
    return [materialize(b, b.emit1("arange", **e.attrs), False, size)]


@rule("bprop_undefined")
def _bprop_undefined(b, e, ins, batched, size):
    """y batched (x as it comes: it only marks where a gradient would come from)."""
    return [b.emit1("bprop_undefined", materialize(b, ins[0], batched[0], size), ins[1], **e.attrs)]


@rule("no_kernel")
def _no_kernel(b, e, ins, batched, size):
    """One stand-in for the batch (it never runs)."""
    return [b.emit1("no_kernel", ins[0], **{**e.attrs, "shape": (size,) + tuple(e.attrs["shape"])})]


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
