"""Normalising ops (softmax, log_softmax, logsumexp) and gather along an axis.

The normalising ops are kept as single ops (not decomposed into exp/sum/div)
so their kernels can subtract the max for stability, and their derivative
rules are written with the op's own output, which keeps higher-order graphs small.
"""
from __future__ import annotations

from ..errors import ShapeError
from ..ir import AVal, INT_DTYPES, is_float
from ._infer import norm_axes, reduced_shape
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


def _axis1(op: str, axis: int, ndim: int) -> int:
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ShapeError(f"{op}: axis {axis} out of range for rank {ndim}", axis=axis, ndim=ndim)
    return axis % max(ndim, 1)


def _float_same(op):
    def infer(avals, axis):
        x = avals[0]
        if not is_float(x.dtype):
            raise ShapeError(f"{op}: needs a floating-point operand, got {x}", dtype=x.dtype)
        if x.ndim == 0:
            raise ShapeError(f"{op}: needs rank >= 1, got {x}", shape=[])
        _axis1(op, axis, x.ndim)
        return [x]
    return infer


def _lse_impl(xp, x, axis, keepdims):
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = xp.reshape(out, tuple(d for i, d in enumerate(x.shape) if i not in _axes_tuple(axis, x.ndim)))
    return out


def _axes_tuple(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


# -- softmax ------------------------------------------------------------------------------------
def _softmax_impl(xp, x, axis):
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _softmax_lin(b, y, t, axis):
    """Linear map of softmax at output y: y * (t - sum(t * y)). Self-adjoint, so vjp == jvp."""
    return b.mul(y, b.sub(t, b.sum(b.mul(t, y), axis=(axis,), keepdims=True)))


defop("softmax", 1, _float_same("softmax"), attrs={"axis": Attr("int", -1)}, doc="softmax along `axis`")
impl_rules["softmax"] = _softmax_impl
vjp_rules["softmax"] = lambda b, ins, outs, cts, axis: [_softmax_lin(b, outs[0], cts[0], axis)]
jvp_rules["softmax"] = lambda b, ins, outs, ts, axis: [_softmax_lin(b, outs[0], ts[0], axis)]


# -- log_softmax --------------------------------------------------------------------------------
def _log_softmax_impl(xp, x, axis):
    s = x - xp.max(x, axis=axis, keepdims=True)
    return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))


defop("log_softmax", 1, _float_same("log_softmax"), attrs={"axis": Attr("int", -1)},
      doc="log of softmax along `axis` (stable)")
impl_rules["log_softmax"] = _log_softmax_impl
# J = I - 1 p^T with p = exp(y): vjp ct - p * sum(ct); jvp t - sum(p * t).
vjp_rules["log_softmax"] = lambda b, ins, outs, cts, axis: [
    b.sub(cts[0], b.mul(b.exp(outs[0]), b.sum(cts[0], axis=(axis,), keepdims=True)))]
jvp_rules["log_softmax"] = lambda b, ins, outs, ts, axis: [
    b.sub(ts[0], b.sum(b.mul(b.exp(outs[0]), ts[0]), axis=(axis,), keepdims=True))]


# -- logsumexp ----------------------------------------------------------------------------------
def _lse_infer(avals, axis, keepdims):
    x = avals[0]
    if not is_float(x.dtype):
        raise ShapeError(f"logsumexp: needs a floating-point operand, got {x}", dtype=x.dtype)
    axes = norm_axes("logsumexp", axis, x.ndim)
    return [AVal(reduced_shape(x.shape, axes, keepdims), x.dtype)]


def _lse_weights(b, x, out, axis):
    """softmax of x over the reduced axes, from the op's output: exp(x - lse)."""
    axes = norm_axes("logsumexp", axis, len(x.shape))
    keep = b.reshape(out, shape=reduced_shape(x.shape, axes, True))
    return axes, b.exp(b.sub(x, keep))


def _lse_vjp(b, ins, outs, cts, axis, keepdims):
    x = ins[0]
    axes, w = _lse_weights(b, x, outs[0], axis)
    return [b.mul(b.reshape(cts[0], shape=reduced_shape(x.shape, axes, True)), w)]


def _lse_jvp(b, ins, outs, ts, axis, keepdims):
    axes, w = _lse_weights(b, ins[0], outs[0], axis)
    return [b.sum(b.mul(ts[0], w), axis=axes, keepdims=keepdims)]


defop("logsumexp", 1, _lse_infer, attrs={"axis": Attr("ints", None, optional=True), "keepdims": Attr("bool", False)},
      doc="log(sum(exp(x))) over axes (None: all), stable")
impl_rules["logsumexp"] = lambda xp, x, axis, keepdims: _lse_impl(xp, x, axis, keepdims)
vjp_rules["logsumexp"] = _lse_vjp
jvp_rules["logsumexp"] = _lse_jvp


# -- gather along an axis (MindSpore Gather(params, indices, axis)) -------------------------------
def _gather_infer(avals, axis):
    x, idx = avals
    if idx.dtype not in INT_DTYPES:
        raise ShapeError(f"gather: indices must be int32 or int64, got {idx}", dtype=idx.dtype)
    if x.ndim == 0:
        raise ShapeError(f"gather: cannot gather from a rank-0 tensor {x}", shape=[])
    ax = _axis1("gather", axis, x.ndim)
    return [AVal(x.shape[:ax] + idx.shape + x.shape[ax + 1:], x.dtype)]


def _gather_impl(xp, x, idx, axis):
    ax = axis % x.ndim
    flat = xp.take(x, xp.reshape(idx, (-1,)), axis=ax)
    return xp.reshape(flat, tuple(x.shape[:ax]) + tuple(idx.shape) + tuple(x.shape[ax + 1:]))


def _scatter_infer(avals, shape, axis):
    v, idx = avals
    ax = _axis1("scatter_add", axis, len(shape))
    expect = tuple(shape[:ax]) + idx.shape + tuple(shape[ax + 1:])
    if v.shape != expect:
        raise ShapeError(f"scatter_add: values {v} do not fit indices {idx} into shape {list(shape)} "
                         f"on axis {axis} (expected values of shape {list(expect)})",
                         shapes=[list(v.shape), list(expect)])
    return [AVal(tuple(shape), v.dtype)]


def _scatter_impl(xp, v, idx, shape, axis):
    ax = axis % len(shape)
    flat = xp.reshape(v, tuple(shape[:ax]) + (-1,) + tuple(shape[ax + 1:]))
    target = xp.zeros(tuple(shape), dtype=v.dtype)
    return xp.index_add(target, ax, xp.reshape(idx, (-1,)), flat)


defop("gather", 2, _gather_infer, attrs={"axis": Attr("int", 0)},
      doc="gather(x, indices): slices of x at integer `indices` along `axis` (MindSpore Gather)")
impl_rules["gather"] = _gather_impl
vjp_rules["gather"] = lambda b, ins, outs, cts, axis: [
    b.scatter_add(cts[0], ins[1], shape=ins[0].shape, axis=axis), None]
jvp_rules["gather"] = lambda b, ins, outs, ts, axis: [None if ts[0] is None else b.gather(ts[0], ins[1], axis=axis)]

defop("scatter_add", 2, _scatter_infer, attrs={"shape": Attr("shape"), "axis": Attr("int", 0)},
      doc="zeros of `shape` with values added at integer `indices` along `axis` (the transpose of gather)")
impl_rules["scatter_add"] = _scatter_impl
vjp_rules["scatter_add"] = lambda b, ins, outs, cts, shape, axis: [b.gather(cts[0], ins[1], axis=axis), None]
jvp_rules["scatter_add"] = lambda b, ins, outs, ts, shape, axis: [
    None if ts[0] is None else b.scatter_add(ts[0], ins[1], shape=shape, axis=axis)]
