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

from ..ir import INT_DTYPES
from ..shape_rules import arange_length
from ._infer import rule_infer
from .composite import defcomposite
from .movement import _check_indices as check_indices
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


def _sl(ndim, axis, s):
    return [[None, None, None]] * axis + [s] + [[None, None, None]] * (ndim - axis - 1)


# -- pad ------------------------------------------------------------------------------------------
def _pad(b, x, *, pads, mode, value):
    nd = x.aval.ndim  # pads and mode checked by the shape rule
    for ax, (lo, hi) in enumerate(pads):
        n = x.shape[ax]
        if lo < 0 or hi < 0:  # negative pads crop (ONNX)
            x = b.index(x, index=_sl(nd, ax, [-min(lo, 0), n + min(hi, 0), 1]))
            lo, hi, n = max(lo, 0), max(hi, 0), x.shape[ax]
        if lo == hi == 0:
            continue
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
    axes = range(nd) if axis is None else {a % nd for a in axis}
    return b.index(x, index=[[None, None, -1] if i in axes else [None, None, None] for i in range(nd)])


defcomposite("flip", 1, _flip, attrs={"axis": Attr("ints", None, optional=True)},
             doc="reverse x along `axis` (None: all)")


def _int_bound(v, rnd, dtype: str):
    """A float bound of an integer clip as the integer of `dtype` it acts as (a fill PyTorch can make)."""
    if v is None:
        return None
    info = np.iinfo(dtype)
    return float(np.clip(rnd(v) if math.isfinite(v) else v, info.min, info.max))


def _clip(b, x, lo=None, hi=None, *, min, max):
    """where-based, so the gradient passes where lo <= x <= hi, inclusive, as MindSpore 2.10's ops.clamp and
    PyTorch's clamp (a tensor bound gets it only where x is strictly beyond it)."""
    if x.dtype in INT_DTYPES:  # x >= ceil(min) iff x >= min for integers; the bounds within the dtype
        min, max = _int_bound(min, math.ceil, x.dtype), _int_bound(max, math.floor, x.dtype)
    lo = lo if lo is not None else (None if min is None else b.scalar(min, x.dtype))
    hi = hi if hi is not None else (None if max is None else b.scalar(max, x.dtype))
    out = x
    if lo is not None:
        out = b.where(b.less(x, lo), lo, out)
    if hi is not None:  # compares the lo-clipped value, so lo > hi gives hi everywhere (MindSpore, PyTorch, ONNX)
        out = b.where(b.greater(out, hi), hi, out)
    return out


defcomposite("clip", None, _clip, min_arity=1,
             attrs={"min": Attr("float", None, optional=True), "max": Attr("float", None, optional=True)},
             doc="clip(x, [lo, [hi]]): x limited to [lo, hi] (tensors, broadcasting) or [min, max] (attributes); "
                 "the gradient passes where lo <= x <= hi")


# -- take_along_axis / scatter_add_along --------------------------------------------------------
def _wrap(xp, idx, n):
    return xp.where(idx < 0, idx + n, idx)  # negative indices count from the end (NumPy, ONNX)


def _take_impl(xp, x, idx, axis):
    ax = axis % x.ndim
    check_indices(xp, idx, x.shape[ax], "take_along_axis", axis)
    return xp.take_along_axis(x, _wrap(xp, idx, x.shape[ax]), axis=ax)


def _scatter_along_impl(xp, v, idx, shape, axis):
    ax = axis % len(shape)
    check_indices(xp, idx, shape[ax], "scatter_add_along", axis)
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


defop("take_along_axis", 2, rule_infer("take_along_axis"), attrs={"axis": Attr("int", 0)}, runtime_checked=True,
      doc="out[..i..] = x[..idx[..i..]..] along `axis` (torch.gather, ONNX GatherElements)")
impl_rules["take_along_axis"] = _take_impl
vjp_rules["take_along_axis"] = lambda b, ins, outs, cts, axis: [
    b.scatter_add_along(cts[0], ins[1], shape=ins[0].shape, axis=axis), None]
jvp_rules["take_along_axis"] = lambda b, ins, outs, ts, axis: [b.take_along_axis(ts[0], ins[1], axis=axis)]

defop("scatter_add_along", 2, rule_infer("scatter_add_along"), attrs={"shape": Attr("shape"), "axis": Attr("int", 0)},
      runtime_checked=True,
      doc="zeros of `shape` with values added at indices along `axis` (the transpose of take_along_axis; "
          "torch scatter_add)")
impl_rules["scatter_add_along"] = _scatter_along_impl
vjp_rules["scatter_add_along"] = lambda b, ins, outs, cts, shape, axis: [
    b.take_along_axis(cts[0], ins[1], axis=axis), None]
jvp_rules["scatter_add_along"] = lambda b, ins, outs, ts, shape, axis: [
    b.scatter_add_along(ts[0], ins[1], shape=shape, axis=axis)]


def _scatter(b, x, idx, updates, *, axis, reduction):
    added = b.scatter_add_along(updates, idx, shape=x.shape, axis=axis)
    if reduction == "add":
        return b.add(x, added)
    hit = b.greater(b.scatter_add_along(b.full_like(updates, 1.0), idx, shape=x.shape, axis=axis), b.zeros_like(x))
    return b.where(hit, added, x)


defcomposite("scatter", 3, _scatter, runtime_checked=True,
             attrs={"axis": Attr("int", 0), "reduction": Attr("str", "none")},
             doc="scatter(x, indices, updates): x with updates written (reduction 'none'; repeated indices add) or "
                 "added ('add') at indices along `axis` (ONNX ScatterElements, torch scatter / scatter_add)")


# -- dynamic_slice / dynamic_update_slice ---------------------------------------------------------
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


defop("dynamic_slice", None, rule_infer("dynamic_slice"), attrs={"sizes": Attr("shape")}, min_arity=1,
      doc="dynamic_slice(x, *starts): the block of `sizes` at runtime int scalar starts (clamped to fit)")
impl_rules["dynamic_slice"] = _ds_impl
vjp_rules["dynamic_slice"] = _ds_vjp
jvp_rules["dynamic_slice"] = lambda b, ins, outs, ts, sizes: [b.dynamic_slice(ts[0], *ins[1:], sizes=sizes)]

defop("dynamic_update_slice", None, rule_infer("dynamic_update_slice"), min_arity=2,
      doc="dynamic_update_slice(x, update, *starts): x with the block at starts (clamped) replaced by update")
impl_rules["dynamic_update_slice"] = _dus_impl
vjp_rules["dynamic_update_slice"] = _dus_vjp
jvp_rules["dynamic_update_slice"] = _dus_jvp


# -- arange / iota ------------------------------------------------------------------------------------
def _arange_impl(xp, start, stop, step, dtype):
    n = arange_length(start, stop, step)
    # start + i * step in float64 then cast: one rounding, the same on every backend
    return xp.astype(start + xp.arange(n, dtype=xp.float64) * step, getattr(xp, dtype))


defop("arange", 0, rule_infer("arange"), nondiff=True,
      attrs={"start": Attr("float", 0.0), "stop": Attr("float"), "step": Attr("float", 1.0),
             "dtype": Attr("dtype", "int64")},
      doc="[start, start + step, ...) below `stop` (a constant: no inputs)")
impl_rules["arange"] = _arange_impl


def _iota(b, *, shape, dimension, dtype):
    r = b.arange(stop=float(shape[dimension]), dtype=dtype)
    r = b.reshape(r, shape=tuple(n if i == dimension else 1 for i, n in enumerate(shape)))
    return b.broadcast(r, tuple(shape))


defcomposite("iota", 0, _iota, nondiff=True, attrs={"shape": Attr("shape"), "dimension": Attr("int", 0),
                                      "dtype": Attr("dtype", "int64")},
             doc="StableHLO iota: the index along `dimension`, broadcast to `shape`")

