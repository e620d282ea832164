"""Padding, flipping, clipping, element gathers / scatters along an axis, dynamic slices,
and index ranges (arange, iota).

pad, flip, clip and scatter are composites (engine/ops/composite.py) of index / concat /
where / take_along_axis; take_along_axis and scatter_add_along are each other's transpose;
dynamic_slice and dynamic_update_slice likewise. Runtime start indices are clamped so the
slice stays inside the operand (XLA / StableHLO semantics).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from ..ir import AVal, INT_DTYPES, is_float
from .composite import defcomposite
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


def _axis(op, axis, ndim):
    if not -ndim <= axis < max(ndim, 1) or ndim == 0:
        raise ShapeError(f"{op}: axis {axis} out of range for rank {ndim}", axis=axis, ndim=ndim)
    return axis % ndim


def _sl(ndim, axis, s):
    return [[None, None, None]] * axis + [s] + [[None, None, None]] * (ndim - axis - 1)


# -- pad ------------------------------------------------------------------------------------------
def _pad(b, x, *, pads, mode, value):
    nd = x.aval.ndim
    if len(pads) != nd or not all(isinstance(p, (list, tuple)) and len(p) == 2 and
                                  all(isinstance(v, int) and not isinstance(v, bool) for v in p) for p in pads):
        raise ShapeError(f"pad: pads {pads!r} must be [[lo, hi], ...] integers, one pair per axis of {x.aval}")
    if mode not in ("constant", "reflect", "edge"):
        raise ShapeError(f"pad: mode must be 'constant', 'reflect' or 'edge', got {mode!r}")
    for ax, (lo, hi) in enumerate(pads):
        n = x.shape[ax]
        if lo < 0 or hi < 0:  # negative pads crop (ONNX)
            if -min(lo, 0) - min(hi, 0) > n:
                raise ShapeError(f"pad: pads {[lo, hi]} crop more than axis {ax} of {x.aval} holds")
            x = b.index(x, index=_sl(nd, ax, [-min(lo, 0), n + min(hi, 0), 1]))
            lo, hi, n = max(lo, 0), max(hi, 0), x.shape[ax]
        if lo == hi == 0:
            continue
        if mode != "constant" and n == 0:
            raise ShapeError(f"pad: mode {mode!r} needs a non-empty axis {ax}")
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ShapeError(f"pad: reflect pads {[lo, hi]} must be smaller than axis {ax} (size {n})")
        parts = [_side(b, x, ax, k, mode, value, first) for k, first in ((lo, True), (hi, False)) if k]
        x = b.concat(*(parts[:1] if lo else []), x, *(parts[-1:] if hi else []), axis=ax)
    return x


def _side(b, x, ax, k, mode, value, first):
    nd, n = x.aval.ndim, x.shape[ax]
    shape = x.shape[:ax] + (k,) + x.shape[ax + 1:]
    if mode == "constant":
        return b.full(shape, value, x.dtype)
    if mode == "edge":
        return b.broadcast(b.index(x, index=_sl(nd, ax, [0, 1, 1] if first else [n - 1, n, 1])), shape)
    # reflect (no edge repeat): x[k], ..., x[1] before; x[n-2], ..., x[n-1-k] after
    stop = n - 2 - k if n - 2 - k >= 0 else None  # -1 would mean the last element
    return b.index(x, index=_sl(nd, ax, [k, 0, -1] if first else [n - 2, stop, -1]))


defcomposite("pad", 1, _pad, attrs={"pads": Attr("any"), "mode": Attr("str", "constant"), "value": Attr("float", 0.0)},
             doc="pad x by pads [[lo, hi], ...] per axis (negative crops); mode 'constant' (value), 'reflect' or "
                 "'edge'")


def _flip(b, x, *, axis):
    nd = x.aval.ndim
    axes = range(nd) if axis is None else sorted({_axis("flip", a, nd) for a in axis})
    return b.index(x, index=[[None, None, -1] if i in axes else [None, None, None] for i in range(nd)])


defcomposite("flip", 1, _flip, attrs={"axis": Attr("ints", None, optional=True)},
             doc="reverse x along `axis` (None: all)")


def _clip(b, x, lo=None, hi=None, *, min, max):
    """where-based, so the gradient passes where lo <= x <= hi, inclusive, as PyTorch's clamp."""
    lo = lo if lo is not None else (None if min is None else b.scalar(min, x.dtype))
    hi = hi if hi is not None else (None if max is None else b.scalar(max, x.dtype))
    out = x
    if lo is not None:
        out = b.where(b.less(x, lo), lo, out)
    if hi is not None:
        out = b.where(b.greater(x, hi), hi, out)
    return out


defcomposite("clip", None, _clip, min_arity=1,
             attrs={"min": Attr("float", None, optional=True), "max": Attr("float", None, optional=True)},
             doc="clip(x, [lo, [hi]]): x limited to [lo, hi] (tensors, broadcasting) or [min, max] (attributes); "
                 "the gradient passes where lo <= x <= hi")


# -- take_along_axis / scatter_add_along --------------------------------------------------------
def _check_idx(op, idx):
    if idx.dtype not in INT_DTYPES:
        raise ShapeError(f"{op}: indices must be int32 or int64, got {idx}", dtype=idx.dtype)


def _take_infer(avals, axis):
    x, idx = avals
    _check_idx("take_along_axis", idx)
    ax = _axis("take_along_axis", axis, x.ndim)
    if idx.ndim != x.ndim or any(a != b for i, (a, b) in enumerate(zip(idx.shape, x.shape)) if i != ax):
        raise ShapeError(f"take_along_axis: indices {idx} must match x {x} on every axis but {axis}",
                         shapes=[list(x.shape), list(idx.shape)])
    return [AVal(idx.shape, x.dtype)]


def _scatter_along_infer(avals, shape, axis):
    v, idx = avals
    _check_idx("scatter_add_along", idx)
    ax = _axis("scatter_add_along", axis, len(shape))
    if idx.shape != v.shape or any(a != b for i, (a, b) in enumerate(zip(v.shape, shape)) if i != ax) \
            or len(shape) != v.ndim:
        raise ShapeError(f"scatter_add_along: values {v} and indices {idx} must have one shape, equal to "
                         f"{list(shape)} on every axis but {axis}", shapes=[list(v.shape), list(idx.shape)])
    return [AVal(tuple(shape), v.dtype)]


def _wrap(xp, idx, n):
    return xp.where(idx < 0, idx + n, idx)  # negative indices count from the end (NumPy, ONNX)


def _take_impl(xp, x, idx, axis):
    ax = axis % x.ndim
    return xp.take_along_axis(x, _wrap(xp, idx, x.shape[ax]), axis=ax)


def _scatter_along_impl(xp, v, idx, shape, axis):
    ax = axis % len(shape)
    idx = _wrap(xp, idx, shape[ax])
    if isinstance(v, np.ndarray):
        out = np.zeros(shape, v.dtype)
        grid = list(np.indices(v.shape, sparse=True))
        grid[ax] = idx
        np.add.at(out, tuple(grid), v)
        return out
    if hasattr(v, "scatter_add"):  # torch
        return xp.zeros(tuple(shape), dtype=v.dtype).scatter_add(ax, idx, v)
    # the standard only (array-api-strict, ...): one-hot along the axis, summed
    n = shape[ax]
    vm = xp.expand_dims(xp.moveaxis(v, ax, -1), axis=-1)  # [..., m, 1]
    im = xp.expand_dims(xp.moveaxis(idx, ax, -1), axis=-1)
    onehot = xp.astype(im == xp.arange(n, dtype=idx.dtype), v.dtype)  # [..., m, n]
    return xp.moveaxis(xp.sum(vm * onehot, axis=-2), -1, ax)


defop("take_along_axis", 2, _take_infer, attrs={"axis": Attr("int", 0)},
      doc="out[..i..] = x[..idx[..i..]..] along `axis` (torch.gather, ONNX GatherElements)")
impl_rules["take_along_axis"] = _take_impl
vjp_rules["take_along_axis"] = lambda b, ins, outs, cts, axis: [
    b.scatter_add_along(cts[0], ins[1], shape=ins[0].shape, axis=axis), None]
jvp_rules["take_along_axis"] = lambda b, ins, outs, ts, axis: [b.take_along_axis(ts[0], ins[1], axis=axis)]

defop("scatter_add_along", 2, _scatter_along_infer, attrs={"shape": Attr("shape"), "axis": Attr("int", 0)},
      doc="zeros of `shape` with values added at indices along `axis` (the transpose of take_along_axis; "
          "torch scatter_add)")
impl_rules["scatter_add_along"] = _scatter_along_impl
vjp_rules["scatter_add_along"] = lambda b, ins, outs, cts, shape, axis: [
    b.take_along_axis(cts[0], ins[1], axis=axis), None]
jvp_rules["scatter_add_along"] = lambda b, ins, outs, ts, shape, axis: [
    b.scatter_add_along(ts[0], ins[1], shape=shape, axis=axis)]


def _scatter(b, x, idx, updates, *, axis, reduction):
    if not is_float(x.dtype) or x.dtype != updates.dtype:
        raise ShapeError(f"scatter: x {x.aval} and updates {updates.aval} must share a floating-point dtype")
    added = b.scatter_add_along(updates, idx, shape=x.shape, axis=axis)
    if reduction == "add":
        return b.add(x, added)
    if reduction != "none":
        raise ShapeError(f"scatter: reduction must be 'none' or 'add', got {reduction!r}")
    hit = b.greater(b.scatter_add_along(b.full_like(updates, 1.0), idx, shape=x.shape, axis=axis), b.zeros_like(x))
    return b.where(hit, added, x)


defcomposite("scatter", 3, _scatter, attrs={"axis": Attr("int", 0), "reduction": Attr("str", "none")},
             doc="scatter(x, indices, updates): x with updates written (reduction 'none'; repeated indices add) or "
                 "added ('add') at indices along `axis` (ONNX ScatterElements, torch scatter / scatter_add)")


# -- dynamic_slice / dynamic_update_slice ---------------------------------------------------------
def _starts_check(op, x, starts):
    if len(starts) != x.ndim:
        raise ShapeError(f"{op}: needs one start index per axis of {x} ({x.ndim}), got {len(starts)}")
    for i, s in enumerate(starts):
        if s.ndim != 0 or s.dtype not in INT_DTYPES:
            raise ShapeError(f"{op}: start index {i} must be an int32/int64 scalar, got {s}", dtype=s.dtype)


def _ds_infer(avals, sizes):
    x, starts = avals[0], avals[1:]
    _starts_check("dynamic_slice", x, starts)
    if len(sizes) != x.ndim or any(not 0 <= s <= n for s, n in zip(sizes, x.shape)):
        raise ShapeError(f"dynamic_slice: sizes {list(sizes)} must fit within {x}", shape=list(x.shape))
    return [AVal(tuple(sizes), x.dtype)]


def _dus_infer(avals):
    x, u, starts = avals[0], avals[1], avals[2:]
    _starts_check("dynamic_update_slice", x, starts)
    if u.dtype != x.dtype or u.ndim != x.ndim or any(a > n for a, n in zip(u.shape, x.shape)):
        raise ShapeError(f"dynamic_update_slice: update {u} must fit within {x} (same dtype and rank)",
                         shapes=[list(x.shape), list(u.shape)])
    return [x]


def _region(starts, sizes, shape):
    return tuple(slice(c, c + s) for c, s in ((min(max(int(st), 0), n - s), s)
                                              for st, s, n in zip(starts, sizes, shape)))


def _ds_impl(xp, x, *starts, sizes):
    return x[_region(starts, sizes, tuple(x.shape))]


def _dus_impl(xp, x, u, *starts):
    out = xp.asarray(x, copy=True)
    out[_region(starts, tuple(u.shape), tuple(x.shape))] = u
    return out


def _ds_vjp(b, ins, outs, cts, sizes):
    x, starts = ins[0], ins[1:]
    return [b.dynamic_update_slice(b.zeros_like(x), cts[0], *starts)] + [None] * len(starts)


def _dus_vjp(b, ins, outs, cts, **_):
    x, u, starts = ins[0], ins[1], ins[2:]
    ct = cts[0]
    return [b.dynamic_update_slice(ct, b.zeros_like(u), *starts), b.dynamic_slice(ct, *starts, sizes=u.shape)] + \
        [None] * len(starts)


def _dus_jvp(b, ins, outs, ts):
    x, u, starts = ins[0], ins[1], ins[2:]
    if ts[0] is None and ts[1] is None:
        return [None]
    tx = ts[0] if ts[0] is not None else b.zeros_like(x)
    tu = ts[1] if ts[1] is not None else b.zeros_like(u)
    return [b.dynamic_update_slice(tx, tu, *starts)]


defop("dynamic_slice", None, _ds_infer, attrs={"sizes": Attr("shape")}, min_arity=1,
      doc="dynamic_slice(x, *starts): the block of `sizes` at runtime int scalar starts (clamped to fit)")
impl_rules["dynamic_slice"] = _ds_impl
vjp_rules["dynamic_slice"] = _ds_vjp
jvp_rules["dynamic_slice"] = lambda b, ins, outs, ts, sizes: [b.dynamic_slice(ts[0], *ins[1:], sizes=sizes)]

defop("dynamic_update_slice", None, _dus_infer, min_arity=2,
      doc="dynamic_update_slice(x, update, *starts): x with the block at starts (clamped) replaced by update")
impl_rules["dynamic_update_slice"] = _dus_impl
vjp_rules["dynamic_update_slice"] = _dus_vjp
jvp_rules["dynamic_update_slice"] = _dus_jvp


# -- arange / iota ------------------------------------------------------------------------------------
def _arange_len(start, stop, step):
    if step == 0:
        raise ShapeError("arange: step may not be 0")
    return max(0, math.ceil((stop - start) / step))


def _arange_infer(avals, start, stop, step, dtype):
    n = _arange_len(start, stop, step)
    if n > 1 << 31:
        raise ShapeError(f"arange: {n} elements is too many")
    return [AVal((n,), dtype)]


def _arange_impl(xp, start, stop, step, dtype):
    n = _arange_len(start, stop, step)
    # start + i * step in float64 then cast: one rounding, the same on every backend
    return xp.astype(start + xp.arange(n, dtype=xp.float64) * step, getattr(xp, dtype))


defop("arange", 0, _arange_infer, nondiff=True,
      attrs={"start": Attr("float", 0.0), "stop": Attr("float"), "step": Attr("float", 1.0),
             "dtype": Attr("dtype", "int64")},
      doc="[start, start + step, ...) below `stop` (a constant: no inputs)")
impl_rules["arange"] = _arange_impl


def _iota(b, *, shape, dimension, dtype):
    if not 0 <= dimension < len(shape):
        raise ShapeError(f"iota: dimension {dimension} out of range for shape {list(shape)}")
    r = b.arange(stop=float(shape[dimension]), dtype=dtype)
    r = b.reshape(r, shape=tuple(n if i == dimension else 1 for i, n in enumerate(shape)))
    return b.broadcast(r, tuple(shape))


defcomposite("iota", 0, _iota, nondiff=True, attrs={"shape": Attr("shape"), "dimension": Attr("int", 0),
                                      "dtype": Attr("dtype", "int64")},
             doc="StableHLO iota: the index along `dimension`, broadcast to `shape`")

