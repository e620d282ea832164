"""Reductions max, min and prod (attrs as `sum`: axis = ints | None for all, keepdims).

Conventions:
  max/min: the gradient goes to the positions equal to the result, split equally
  among ties (d max(x, x) / dx = 1/2 each, as JAX does); the second derivative is zero.
  prod: zero-safe. Derivatives of every order are exact everywhere, also with zeros
  (the partials are products of the other factors, never out / x).
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
    """d prod / d x_i = prod_{j != i} x_j, as exclusive products from both ends (engine/ops/cumulative.py):
    no division, so exact with any number of zeros, precise near zero, at every order."""
    from .cumulative import prod_others

    return prod_others(b, x, axes)


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
