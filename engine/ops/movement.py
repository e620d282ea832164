"""Data movement: reshape, transpose, broadcast_to, expand_dims, squeeze, concat, stack,
split, tile, static indexing (index / index_scatter) and gather / scatter_add."""
from __future__ import annotations

import functools
import math

import numpy as np

from ..errors import ShapeError
from ._infer import parse_index, rule_infer, split_bounds, tile_shapes
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


def _np_reshape_view(e):
    # the method, written into the plan's code: np.reshape's Python wrapper costs ~1 us a call, a lambda ~0.1
    return ("reshape", tuple(e.outputs[0].shape))


defop("reshape", 1, rule_infer("reshape"), attrs={"shape": Attr("ints")}, doc="reshape (one -1 allowed)",
      linear=True, sign_symmetric=True, rearranges=True, reshapes=True, np_view=_np_reshape_view)
impl_rules["reshape"] = lambda xp, x, shape: xp.reshape(x, shape)
vjp_rules["reshape"] = lambda b, ins, outs, cts, shape: [b.reshape(cts[0], shape=ins[0].shape)]
jvp_rules["reshape"] = lambda b, ins, outs, ts, shape: [b.reshape(ts[0], shape=outs[0].shape)]


def _perm(x_ndim, perm):
    return tuple(reversed(range(x_ndim))) if perm is None else tuple(perm)


def _np_transpose_view(e):
    perm = e.attrs.get("perm")
    perm = None if perm is None else tuple(perm)
    return lambda x: x.transpose(perm)  # a view, as the impl's permute_dims: no copy, the call ~8x cheaper


defop("transpose", 1, rule_infer("transpose"), attrs={"perm": Attr("ints", None, optional=True)},
      doc="permute axes (default: reverse)", linear=True, sign_symmetric=True, rearranges=True,
      np_view=_np_transpose_view)
impl_rules["transpose"] = lambda xp, x, perm: xp.permute_dims(x, _perm(x.ndim, perm))
vjp_rules["transpose"] = lambda b, ins, outs, cts, perm: [
    b.transpose(cts[0], perm=tuple(np.argsort(_perm(len(ins[0].shape), perm)).tolist()))]
jvp_rules["transpose"] = lambda b, ins, outs, ts, perm: [b.transpose(ts[0], perm=_perm(len(ins[0].shape), perm))]


def _np_broadcast_view(e):
    shape = tuple(e.attrs["shape"])
    return lambda x: np.broadcast_to(x, shape)


defop("broadcast_to", 1, rule_infer("broadcast_to"), attrs={"shape": Attr("shape")}, doc="broadcast to shape",
      linear=True, sign_symmetric=True, rearranges=True, np_view=_np_broadcast_view)
impl_rules["broadcast_to"] = lambda xp, x, shape: xp.broadcast_to(x, shape)
vjp_rules["broadcast_to"] = lambda b, ins, outs, cts, shape: [b.sum_to(cts[0], ins[0].shape)]
jvp_rules["broadcast_to"] = lambda b, ins, outs, ts, shape: [b.broadcast(ts[0], tuple(shape))]


defop("expand_dims", 1, rule_infer("expand_dims"), attrs={"axis": Attr("int")}, doc="insert a unit axis",
      linear=True, sign_symmetric=True, rearranges=True, reshapes=True, np_view=_np_reshape_view)
impl_rules["expand_dims"] = lambda xp, x, axis: xp.expand_dims(x, axis=axis)
vjp_rules["expand_dims"] = lambda b, ins, outs, cts, axis: [b.reshape(cts[0], shape=ins[0].shape)]
jvp_rules["expand_dims"] = lambda b, ins, outs, ts, axis: [b.reshape(ts[0], shape=outs[0].shape)]


defop("squeeze", 1, rule_infer("squeeze"), attrs={"axis": Attr("ints", None, optional=True)}, doc="drop unit axes",
      linear=True, sign_symmetric=True, rearranges=True, reshapes=True, np_view=_np_reshape_view)
impl_rules["squeeze"] = lambda xp, x, axis: xp.reshape(
    x, tuple(d for i, d in enumerate(x.shape)
             if not (d == 1 and (axis is None or i in [a % x.ndim for a in axis]))))
vjp_rules["squeeze"] = lambda b, ins, outs, cts, axis: [b.reshape(cts[0], shape=ins[0].shape)]
jvp_rules["squeeze"] = lambda b, ins, outs, ts, axis: [b.reshape(ts[0], shape=outs[0].shape)]


def _fill_zeros(b, ts, like):
    """Tangents/cotangents with None (symbolic zero) replaced by explicit zeros; None if all are."""
    if all(t is None for t in ts):
        return None
    return [b.zeros_like(v) if t is None else t for t, v in zip(ts, like)]


# -- concat -------------------------------------------------------------------------------------
def _concat_vjp(b, ins, outs, cts, axis):
    ax = axis % len(ins[0].shape)
    bounds, n = [], 0
    for x in ins[:-1]:
        n += x.shape[ax]
        bounds.append(n)
    parts = b.emit("split", [cts[0]], {"indices": tuple(bounds), "axis": ax})
    return parts


def _concat_jvp(b, ins, outs, ts, axis):
    ts = _fill_zeros(b, ts, ins)
    return [None if ts is None else b.concat(*ts, axis=axis)]


defop("concat", None, rule_infer("concat"), attrs={"axis": Attr("int", 0)}, min_arity=1,
      doc="join inputs along an existing axis")
impl_rules["concat"] = lambda xp, *xs, axis: xp.concat(xs, axis=axis)
vjp_rules["concat"] = _concat_vjp
jvp_rules["concat"] = _concat_jvp


# -- stack --------------------------------------------------------------------------------------
def _stack_vjp(b, ins, outs, cts, axis):
    parts = b.emit("split", [cts[0]], {"sections": len(ins), "axis": axis % len(outs[0].shape)})
    return [b.reshape(p, shape=x.shape) for p, x in zip(parts, ins)]


def _stack_jvp(b, ins, outs, ts, axis):
    ts = _fill_zeros(b, ts, ins)
    return [None if ts is None else b.stack(*ts, axis=axis)]


defop("stack", None, rule_infer("stack"), attrs={"axis": Attr("int", 0)}, min_arity=1,
      doc="join same-shape inputs along a new axis")
impl_rules["stack"] = lambda xp, *xs, axis: xp.stack(xs, axis=axis)
vjp_rules["stack"] = _stack_vjp
jvp_rules["stack"] = _stack_jvp


# -- split --------------------------------------------------------------------------------------
def _split_impl(xp, x, sections, indices, axis):
    ax, bounds = split_bounds(tuple(x.shape), sections, indices, axis)
    # trailing ... : the array API standard (array-api-strict) wants every axis indexed
    outs = tuple(x[(slice(None),) * ax + (slice(lo, hi), ...)] for lo, hi in bounds)
    return outs if len(outs) > 1 else outs[0]


def _split_vjp(b, ins, outs, cts, sections, indices, axis):
    cts = _fill_zeros(b, cts, outs)
    if cts is None:
        return [None]
    return [b.concat(*cts, axis=axis) if len(cts) > 1 else cts[0]]


def _split_jvp(b, ins, outs, ts, sections, indices, axis):
    return list(b.emit("split", [ts[0]], {"sections": sections, "indices": indices, "axis": axis}))


defop("split", 1, rule_infer("split"), n_outputs=None,
      attrs={"sections": Attr("int", None, optional=True), "indices": Attr("ints", None, optional=True),
             "axis": Attr("int", 0)},
      doc="split along an axis into `sections` equal parts or at `indices`; one output per part")
impl_rules["split"] = _split_impl
vjp_rules["split"] = _split_vjp
jvp_rules["split"] = _split_jvp


# -- tile ---------------------------------------------------------------------------------------
def _tile_impl(xp, x, reps):
    shape, reps, inter = tile_shapes(tuple(x.shape), reps)
    spread = xp.reshape(x, tuple(v for d in shape for v in (1, d)))
    return xp.reshape(xp.broadcast_to(spread, inter), tuple(r * d for r, d in zip(reps, shape)))


def _tile_vjp(b, ins, outs, cts, reps):
    x = ins[0]
    shape, reps, inter = tile_shapes(x.shape, reps)
    summed = b.sum(b.reshape(cts[0], shape=inter), axis=tuple(range(0, len(inter), 2)))
    return [b.reshape(summed, shape=x.shape)]


defop("tile", 1, rule_infer("tile"), attrs={"reps": Attr("ints")}, doc="repeat the whole tensor `reps` times per axis")
impl_rules["tile"] = _tile_impl
vjp_rules["tile"] = _tile_vjp
jvp_rules["tile"] = lambda b, ins, outs, ts, reps: [b.tile(ts[0], reps=reps)]


# -- static indexing: x[idx] with ints, slices, None (new axis) and one Ellipsis ------------
def _freeze_index(index):
    return tuple(tuple(it) if isinstance(it, list) else it for it in index)


@functools.lru_cache(maxsize=1024)
def _basic_index(index: tuple, shape: tuple):
    """Rewrite a static index into what every array API backend accepts.

    NumPy takes any basic index; the standard (array-api-strict) wants every axis
    spelled out (a trailing '...') and PyTorch rejects negative slice steps. So:
    x[index] == reshape(flip(x[basic], flips), out_shape), where `basic` has only
    in-range ints and positive-step slices, one per axis, `flips` are axes of
    x[basic] taken by a negative-step slice, and new axes (None) come from the reshape.
    Returns (basic, flips, basic_shape, out_shape).
    """
    items = parse_index(index, len(shape))
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    full = []
    for it in items:
        full.extend([slice(None)] * (len(shape) - n_real) if it is Ellipsis else [it])
    full += [slice(None)] * (len(shape) - sum(1 for i in full if i is not None))
    basic, flips, bshape, oshape, dim = [], [], [], [], 0
    for it in full:
        if it is None:
            oshape.append(1)
            continue
        n = shape[dim]
        dim += 1
        if isinstance(it, int):
            basic.append(it % n if -n <= it < n else it)  # out of range: infer has rejected it
            continue
        r = range(*it.indices(n))
        if r.step < 0:
            if len(r):
                flips.append(len(bshape))
            r = r[::-1]
        basic.append(slice(r.start, r[-1] + 1, r.step) if len(r) else slice(0, 0, 1))  # stop within the axis
        bshape.append(len(r))
        oshape.append(len(r))
    return tuple(basic), tuple(flips), tuple(bshape), tuple(oshape)


def _index_impl(xp, x, index):
    basic, flips, bshape, oshape = _basic_index(_freeze_index(index), tuple(x.shape))
    y = x[basic]
    if flips:
        y = xp.flip(y, axis=flips)
    return y if bshape == oshape else xp.reshape(y, oshape)


def _np_index_view(e):
    idx = parse_index(e.attrs["index"], e.inputs[0].aval.ndim)
    return lambda x: x[idx]


def _index_scatter_impl(xp, v, shape, index):
    basic, flips, bshape, oshape = _basic_index(_freeze_index(index), tuple(shape))
    if bshape != oshape:
        v = xp.reshape(v, bshape)
    if flips:
        v = xp.flip(v, axis=flips)
    out = xp.zeros(shape, dtype=v.dtype)
    out[basic] = v  # basic index only: see _basic_index
    return out


defop("index", 1, rule_infer("index"), attrs={"index": Attr("any")},
      doc="static indexing/slicing: items int | [start, stop, step] | null (new axis) | '...'",
      linear=True, sign_symmetric=True, np_view=_np_index_view)
impl_rules["index"] = _index_impl
vjp_rules["index"] = lambda b, ins, outs, cts, index: [b.index_scatter(cts[0], shape=ins[0].shape, index=index)]
jvp_rules["index"] = lambda b, ins, outs, ts, index: [b.index(ts[0], index=index)]

defop("index_scatter", 1, rule_infer("index_scatter"), attrs={"shape": Attr("shape"), "index": Attr("any")},
      doc="zeros of `shape` with x[index] = value (the transpose of index)", linear=True)
impl_rules["index_scatter"] = _index_scatter_impl
vjp_rules["index_scatter"] = lambda b, ins, outs, cts, shape, index: [b.index(cts[0], index=index)]
jvp_rules["index_scatter"] = lambda b, ins, outs, ts, shape, index: [b.index_scatter(ts[0], shape=shape, index=index)]


# -- gather along an axis (MindSpore Gather(params, indices, axis)) -------------------------------
def _check_indices(xp, idx, n: int, op: str, axis: int) -> None:
    """Indices lie in [-n, n): a run-time check, the input's fault (a ShapeError, not a crash).
    The executor adds the node (the op is flagged runtime_checked)."""
    if math.prod(idx.shape) == 0:
        return
    lo, hi = int(xp.min(idx)), int(xp.max(idx))
    if lo < -n or hi >= n:
        bad = hi if hi >= n else lo
        raise ShapeError(f"{op}: index {bad} out of range for axis {axis} of size {n} (indices lie in [-{n}, {n}))",
                         index=bad, size=n, axis=axis)


def _gather_impl(xp, x, idx, axis):
    ax = axis % x.ndim
    _check_indices(xp, idx, x.shape[ax], "gather", axis)
    flat = xp.take(x, xp.reshape(idx, (-1,)), axis=ax)
    return xp.reshape(flat, tuple(x.shape[:ax]) + tuple(idx.shape) + tuple(x.shape[ax + 1:]))


def _scatter_impl(xp, v, idx, shape, axis):
    ax = axis % len(shape)
    _check_indices(xp, idx, shape[ax], "scatter_add", axis)
    # the index count spelled out, not -1: NumPy cannot infer -1 beside a zero-size axis
    flat = xp.reshape(v, tuple(shape[:ax]) + (math.prod(idx.shape),) + tuple(shape[ax + 1:]))
    target = xp.zeros(tuple(shape), dtype=v.dtype)
    return xp.index_add(target, ax, xp.reshape(idx, (-1,)), flat)


defop("gather", 2, rule_infer("gather"), attrs={"axis": Attr("int", 0)},
      doc="gather(x, indices): slices of x at integer `indices` along `axis` (MindSpore Gather)",
      runtime_checked=True)
impl_rules["gather"] = _gather_impl
vjp_rules["gather"] = lambda b, ins, outs, cts, axis: [
    b.scatter_add(cts[0], ins[1], shape=ins[0].shape, axis=axis), None]
jvp_rules["gather"] = lambda b, ins, outs, ts, axis: [None if ts[0] is None else b.gather(ts[0], ins[1], axis=axis)]

defop("scatter_add", 2, rule_infer("scatter_add"), attrs={"shape": Attr("shape"), "axis": Attr("int", 0)},
      doc="zeros of `shape` with values added at integer `indices` along `axis` (the transpose of gather)",
      runtime_checked=True)
impl_rules["scatter_add"] = _scatter_impl
vjp_rules["scatter_add"] = lambda b, ins, outs, cts, shape, axis: [b.gather(cts[0], ins[1], axis=axis), None]
jvp_rules["scatter_add"] = lambda b, ins, outs, ts, shape, axis: [
    None if ts[0] is None else b.scatter_add(ts[0], ins[1], shape=shape, axis=axis)]
