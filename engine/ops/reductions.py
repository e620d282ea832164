"""Reductions max, min and prod (attrs as `sum`: axis = ints | None for all, keepdims).

Conventions:
  max/min: the gradient goes to the positions equal to the result, split equally
  among ties (d max(x, x) / dx = 1/2 each, as JAX does); the second derivative is zero.
  prod: zero-safe. The first derivative is exact everywhere (also with zeros);
  higher derivatives are exact where at most one factor of a product is zero.
"""
from __future__ import annotations

from ..errors import ShapeError
from ..ir import AVal
from ._infer import norm_axes, reduced_shape
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules

RED_ATTRS = {"axis": Attr("ints", None, optional=True), "keepdims": Attr("bool", False)}


def keep_axes(b, v, x, axes):
    """Reshape a reduced value so it broadcasts against `x` (re-insert the reduced axes)."""
    return b.reshape(v, shape=reduced_shape(x.shape, axes, True))


def _infer(name, empty_ok):
    def infer(avals, axis, keepdims):
        x = avals[0]
        if x.dtype == "bool":
            raise ShapeError(f"{name}: needs a numeric operand, got {x}", dtype=x.dtype)
        axes = norm_axes(name, axis, x.ndim)
        if not empty_ok and any(x.shape[a] == 0 for a in axes):
            raise ShapeError(f"{name}: cannot reduce a zero-size axis of {x} (axis={list(axes)})",
                             shape=list(x.shape))
        return [AVal(reduced_shape(x.shape, axes, keepdims), x.dtype)]
    return infer


# -- max / min ----------------------------------------------------------------------------------
def _hit_weights(b, x, out, axes):
    """1/count at the positions where x equals the reduced result, 0 elsewhere (x's dtype)."""
    hit = b.cast(b.equal(x, keep_axes(b, out, x, axes)), dtype=x.dtype)
    return b.div(hit, b.sum(hit, axis=axes, keepdims=True))


def _extremum(name, impl):
    defop(name, 1, _infer(name, False), attrs=RED_ATTRS,
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
    """d prod / d x_i = prod_{j != i} x_j, without dividing by zero.

    No zero in the slice: out / x_i. Exactly one zero (at k): the product of the other
    factors at k, and out / x_i (= 0, with the right derivative) elsewhere. Two or more: 0.
    """
    zero = b.zeros_like(x)
    is_zero = b.equal(x, zero)
    x_safe = b.where(is_zero, b.full_like(x, 1.0), x)
    n_zero = b.sum(b.cast(is_zero, dtype=x.dtype), axis=axes, keepdims=True)
    rest = b.prod(x_safe, axis=axes, keepdims=True)
    rest = b.where(b.equal(n_zero, b.full_like(n_zero, 1.0)), rest, b.zeros_like(rest))
    return b.where(is_zero, rest, b.div(keep_axes(b, out, x, axes), x_safe))


def _prod_vjp(b, ins, outs, cts, axis, keepdims):
    x = ins[0]
    axes = norm_axes("prod", axis, len(x.shape))
    return [b.mul(keep_axes(b, cts[0], x, axes), _prod_partials(b, x, outs[0], axes))]


def _prod_jvp(b, ins, outs, ts, axis, keepdims):
    x = ins[0]
    axes = norm_axes("prod", axis, len(x.shape))
    return [b.sum(b.mul(ts[0], _prod_partials(b, x, outs[0], axes)), axis=axes, keepdims=keepdims)]


defop("prod", 1, _infer("prod", True), attrs=RED_ATTRS, doc="product over axes (None: all); zero-safe gradient")
impl_rules["prod"] = lambda xp, x, axis, keepdims: xp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
vjp_rules["prod"] = _prod_vjp
jvp_rules["prod"] = _prod_jvp
