"""Reductions: sum, mean, reduce_to, max, min, prod, logsumexp (attrs axis = ints | None for all, keepdims).

Conventions:
  max/min: the gradient goes to the positions equal to the result, split equally
  among ties (d max(x, x) / dx = 1/2 each, as JAX does); the second derivative is zero.
  prod: zero-safe. Derivatives of every order are exact everywhere, also with zeros
  (the partials are products of the other factors, never out / x).
  logsumexp: one op (not exp/sum/log) so its kernel can subtract the max for stability.
"""
from __future__ import annotations

import numpy as np

from ..ir import is_inexact
from ._infer import conj, keep_axes, norm_axes, rule_infer
from ..shape_rules import reduced_shape
from .np_sum import sum_kernel
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules

RED_ATTRS = {"axis": Attr("ints", None, optional=True), "keepdims": Attr("bool", False)}


# -- max / min ----------------------------------------------------------------------------------
def _hit_weights(b, x, out, axes):
    """1/count at the positions where x equals the reduced result, 0 elsewhere (x's dtype)."""
    if not is_inexact(x.dtype):  # integers: 1 / count truncated (MindSpore 2.10's integer
        hit = b.cast(b.equal(x, keep_axes(b, out, x, axes)), dtype="float64")  # division: 1 alone, 0 among ties)
        return b.cast(b.div(hit, b.sum(hit, axis=axes, keepdims=True)), dtype=x.dtype)
    hit = b.cast(b.equal(x, keep_axes(b, out, x, axes)), dtype=x.dtype)
    return b.div(hit, b.sum(hit, axis=axes, keepdims=True))


def _extremum(name, impl):
    defop(name, 1, rule_infer(name), attrs=RED_ATTRS,
          doc=f"{name} over axes (None: all); gradient split equally among tied {'arg' + name} positions")
    impl_rules[name] = impl

    def vjp(b, ins, outs, cts, axis, keepdims):
        x = ins[0]
        axes = norm_axes(name, axis, len(x.shape))
        return [b.mul(keep_axes(b, cts[0], x, axes), _hit_weights(b, x, outs[0], axes))]

    def jvp(b, ins, outs, ts, axis, keepdims):
        x = ins[0]
        axes = norm_axes(name, axis, len(x.shape))
        return [b.sum(b.mul(ts[0], _hit_weights(b, x, outs[0], axes)), axis=axes, keepdims=keepdims)]

    vjp_rules[name] = vjp
    jvp_rules[name] = jvp


_extremum("max", lambda xp, x, axis, keepdims: xp.max(x, axis=axis, keepdims=keepdims))
_extremum("min", lambda xp, x, axis, keepdims: xp.min(x, axis=axis, keepdims=keepdims))


# -- prod ---------------------------------------------------------------------------------------
def _prod_partials(b, x, out, axes):
    """d prod / d x_i = prod_{j != i} x_j, as exclusive products from both ends (engine/ops/cumulative.py):
    no division, so exact with any number of zeros, precise near zero, at every order."""
    from .cumulative import prod_others

    return prod_others(b, x, axes)


def _prod_vjp(b, ins, outs, cts, axis, keepdims):
    x = ins[0]
    axes = norm_axes("prod", axis, len(x.shape))
    return [b.mul(keep_axes(b, cts[0], x, axes), conj(b, _prod_partials(b, x, outs[0], axes)))]


def _prod_jvp(b, ins, outs, ts, axis, keepdims):
    x = ins[0]
    axes = norm_axes("prod", axis, len(x.shape))
    return [b.sum(b.mul(ts[0], _prod_partials(b, x, outs[0], axes)), axis=axes, keepdims=keepdims)]


defop("prod", 1, rule_infer("prod"), attrs=RED_ATTRS, doc="product over axes (None: all); zero-safe gradient")
impl_rules["prod"] = lambda xp, x, axis, keepdims: xp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
vjp_rules["prod"] = _prod_vjp
jvp_rules["prod"] = _prod_jvp


# -- sum, mean, reduce_to -----------------------------------------------------------------
def _sum_keep(b, ct, x, axis):
    """A cotangent reduced over `axis` of x, broadcast back to x."""
    return b.broadcast(keep_axes(b, ct, x, norm_axes("sum", axis, len(x.shape))), x.shape)


def _np_sum_out(e):
    if not e.outputs[0].dtype.startswith("float"):
        return None
    axis, keepdims = e.attrs.get("axis"), e.attrs.get("keepdims", False)
    axis = None if axis is None else tuple(axis)
    return sum_kernel(tuple(e.inputs[0].shape), axis, keepdims, e.outputs[0].dtype), "red", None


def _np_mean_out(e):
    if not e.outputs[0].dtype.startswith("float"):
        return None
    axis, keepdims = e.attrs.get("axis"), e.attrs.get("keepdims", False)
    axis = None if axis is None else tuple(axis)
    n = np.intp(_count(e.inputs[0].aval, axis))
    plain = e.outputs[0].dtype != "float16" and n > 0  # np.mean sums float16 in float32; warns when empty
    add_reduce = sum_kernel(tuple(e.inputs[0].shape), axis, keepdims, e.outputs[0].dtype)
    # np.mean divides the float sum by an intp count: in float64, then rounded to the sum's dtype. A
    # count the dtype holds exactly gives the same bits divided in that dtype (a quotient of two floats
    # rounded twice, to float64 then float32, is the float32 quotient: 53 >= 2 * 24 + 2), ~4 us less
    exact = {"float32": 1 << 24, "float64": 1 << 53}.get(e.outputs[0].dtype, 0)
    count = np.dtype(e.outputs[0].dtype).type(n) if n <= exact else None

    def k_mean(x, o=None):
        if o is None or not plain:
            return np.mean(x, axis=axis, keepdims=keepdims, out=o)
        # np.mean's own steps with out= (numpy/_core/_methods.py _mean), without its Python
        # bookkeeping (~8 us a call): the sum into o, then o / count in place
        add_reduce(x, o)
        if count is not None:
            return np.true_divide(o, count, o)
        return np.true_divide(o, n, out=o, casting="unsafe")
    return k_mean, "red", None


def _keep_dtype(xp, r, x):
    """NumPy widens integer sums (int32 -> int64) and means (-> float64); the ops keep x's dtype as
    their shape rule says (MindSpore's ReduceSum / ReduceMean: int32 in, int32 out)."""
    return r if r.dtype == x.dtype else xp.astype(r, x.dtype)


def _sum_impl(xp, x, axis, keepdims):
    if x.dtype == xp.bool:  # a sum kept in bool saturates: any (ReduceSum of bools)
        return xp.any(x, axis=axis, keepdims=keepdims)
    return _keep_dtype(xp, xp.sum(x, axis=axis, keepdims=keepdims), x)


def _mean_impl(xp, x, axis, keepdims):
    if xp.isdtype(x.dtype, ("real floating", "complex floating")):
        return xp.mean(x, axis=axis, keepdims=keepdims)
    return _keep_dtype(xp, xp.mean(xp.astype(x, xp.float64), axis=axis, keepdims=keepdims), x)


defop("sum", 1, rule_infer("sum"), attrs=RED_ATTRS, doc="sum over axes (None: all)",
      linear=True, sign_symmetric=True, np_out=_np_sum_out)
impl_rules["sum"] = _sum_impl
vjp_rules["sum"] = lambda b, ins, outs, cts, axis, keepdims: [_sum_keep(b, cts[0], ins[0], axis)]
jvp_rules["sum"] = lambda b, ins, outs, ts, axis, keepdims: [b.sum(ts[0], axis=axis, keepdims=keepdims)]


def _count(x, axis):
    axes = norm_axes("mean", axis, len(x.shape))
    return float(np.prod([x.shape[a] for a in axes])) if axes else 1.0


defop("mean", 1, rule_infer("mean"), attrs=RED_ATTRS, doc="mean over axes (None: all)",
      linear=True, sign_symmetric=True, np_out=_np_mean_out)
impl_rules["mean"] = _mean_impl
# (an empty x has an empty cotangent: any scale does, 1 avoids dividing by its zero count)
vjp_rules["mean"] = lambda b, ins, outs, cts, axis, keepdims: [
    _sum_keep(b, b.mul(cts[0], b.scalar(1.0 / max(_count(ins[0], axis), 1.0), ins[0].dtype)), ins[0], axis)]
jvp_rules["mean"] = lambda b, ins, outs, ts, axis, keepdims: [b.mean(ts[0], axis=axis, keepdims=keepdims)]


def _reduce_to_axes(x_shape: tuple, shape: tuple) -> tuple[int, ...]:
    """Axes of x that reduce_to sums over: the leading ones and those broadcast from 1."""
    lead = len(x_shape) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and x_shape[lead + i] != 1)


def _np_reduce_to_out(e):
    if not e.outputs[0].dtype.startswith("float"):
        return None
    x_shape, shape = tuple(e.inputs[0].shape), tuple(e.attrs["shape"])
    axes = _reduce_to_axes(x_shape, shape)
    keep = tuple(1 if i in axes else d for i, d in enumerate(x_shape))
    add_reduce = sum_kernel(x_shape, axes, True, e.outputs[0].dtype)

    def k_reduce_to(x, o=None):
        if o is None:
            return np.reshape(add_reduce(x), shape)
        add_reduce(x, o.reshape(keep))
        return o
    return k_reduce_to, "red", None


def _reduce_to_impl(xp, x, shape):
    axes = _reduce_to_axes(tuple(x.shape), tuple(shape))
    if axes:  # (as sum: x's dtype kept; an int32 gradient of a broadcast stays int32)
        x = _sum_impl(xp, x, axes, True)
    return xp.reshape(x, shape)


defop("reduce_to", 1, rule_infer("reduce_to"), attrs={"shape": Attr("shape")},
      doc="sum a broadcast tensor back to `shape` (the transpose of broadcast_to)",
      linear=True, sign_symmetric=True, np_out=_np_reduce_to_out)
impl_rules["reduce_to"] = _reduce_to_impl
vjp_rules["reduce_to"] = lambda b, ins, outs, cts, shape: [b.broadcast(cts[0], ins[0].shape)]
jvp_rules["reduce_to"] = lambda b, ins, outs, ts, shape: [b.sum_to(ts[0], tuple(shape))]


# -- logsumexp ----------------------------------------------------------------------------------
def _lse_impl(xp, x, axis, keepdims):
    axes = norm_axes("logsumexp", axis, x.ndim)
    if any(x.shape[a] == 0 for a in axes):  # the log of an empty sum (torch, MindSpore 2.10: -inf), not max's error
        return xp.full(reduced_shape(tuple(x.shape), axes, keepdims), -float("inf"), dtype=x.dtype)
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = xp.reshape(out, tuple(d for i, d in enumerate(x.shape) if i not in norm_axes("logsumexp", axis, x.ndim)))
    return out


def _lse_weights(b, x, out, axis):
    """softmax of x over the reduced axes, from the op's output: exp(x - lse)."""
    axes = norm_axes("logsumexp", axis, len(x.shape))
    return axes, b.exp(b.sub(x, keep_axes(b, out, x, axes)))


def _lse_vjp(b, ins, outs, cts, axis, keepdims):
    x = ins[0]
    axes, w = _lse_weights(b, x, outs[0], axis)
    return [b.mul(keep_axes(b, cts[0], x, axes), w)]


def _lse_jvp(b, ins, outs, ts, axis, keepdims):
    axes, w = _lse_weights(b, ins[0], outs[0], axis)
    return [b.sum(b.mul(ts[0], w), axis=axes, keepdims=keepdims)]


defop("logsumexp", 1, rule_infer("logsumexp"), attrs=RED_ATTRS,
      doc="log(sum(exp(x))) over axes (None: all), stable")
impl_rules["logsumexp"] = lambda xp, x, axis, keepdims: _lse_impl(xp, x, axis, keepdims)
vjp_rules["logsumexp"] = _lse_vjp
jvp_rules["logsumexp"] = _lse_jvp
