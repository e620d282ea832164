"""Elementwise ops: unary math, binary arithmetic with NumPy broadcasting, comparisons, where.

Unary ops are declared with their derivative f'(x) written as graph ops; the
vjp (ct * f') and jvp (t * f') rules follow from it. The AD driver sums
cotangents back to broadcast operands' shapes and broadcasts tangents up.
"""
from __future__ import annotations

import math

from ..ir import AVal
from ._infer import elementwise
from .registry import defop, impl_rules, jvp_rules, vjp_rules


def _unary(name: str, impl, deriv, *, float_only: bool = True, doc: str = ""):
    defop(name, 1, lambda avals: elementwise(name, avals, float_only=float_only), doc=doc or f"elementwise {name}")
    impl_rules[name] = impl
    if deriv is not None:
        vjp_rules[name] = lambda b, ins, outs, cts: [b.mul(cts[0], deriv(b, ins[0], outs[0]))]
        jvp_rules[name] = lambda b, ins, outs, ts: [b.mul(ts[0], deriv(b, ins[0], outs[0]))]


def _one(b, x):
    return b.scalar(1.0, x.dtype)


def _c(b, x, value):
    return b.scalar(value, x.dtype)


_unary("exp", lambda xp, x: xp.exp(x), lambda b, x, y: y)
_unary("log", lambda xp, x: xp.log(x), lambda b, x, y: b.reciprocal(x))
_unary("log1p", lambda xp, x: xp.log1p(x), lambda b, x, y: b.reciprocal(b.add(x, _one(b, x))))
_unary("expm1", lambda xp, x: xp.expm1(x), lambda b, x, y: b.add(y, _one(b, x)))
_unary("sqrt", lambda xp, x: xp.sqrt(x), lambda b, x, y: b.div(_c(b, x, 0.5), y))
_unary("rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda b, x, y: b.mul(_c(b, x, -0.5), b.div(y, x)))
_unary("reciprocal", lambda xp, x: 1 / x, lambda b, x, y: b.neg(b.square(y)))
_unary("square", lambda xp, x: x * x, lambda b, x, y: b.mul(_c(b, x, 2.0), x), float_only=False)
_unary("sin", lambda xp, x: xp.sin(x), lambda b, x, y: b.cos(x))
_unary("cos", lambda xp, x: xp.cos(x), lambda b, x, y: b.neg(b.sin(x)))
_unary("tan", lambda xp, x: xp.tan(x), lambda b, x, y: b.add(_one(b, x), b.square(y)))
_unary("sinh", lambda xp, x: xp.sinh(x), lambda b, x, y: b.cosh(x))
_unary("cosh", lambda xp, x: xp.cosh(x), lambda b, x, y: b.sinh(x))
_unary("tanh", lambda xp, x: xp.tanh(x), lambda b, x, y: b.sub(_one(b, x), b.square(y)))
_unary("asin", lambda xp, x: xp.asin(x), lambda b, x, y: b.rsqrt(b.sub(_one(b, x), b.square(x))))
_unary("acos", lambda xp, x: xp.acos(x), lambda b, x, y: b.neg(b.rsqrt(b.sub(_one(b, x), b.square(x)))))
_unary("atan", lambda xp, x: xp.atan(x), lambda b, x, y: b.reciprocal(b.add(_one(b, x), b.square(x))))
_unary("asinh", lambda xp, x: xp.asinh(x), lambda b, x, y: b.rsqrt(b.add(b.square(x), _one(b, x))))
_unary("acosh", lambda xp, x: xp.acosh(x), lambda b, x, y: b.rsqrt(b.sub(b.square(x), _one(b, x))))
_unary("atanh", lambda xp, x: xp.atanh(x), lambda b, x, y: b.reciprocal(b.sub(_one(b, x), b.square(x))))
_unary("sigmoid", lambda xp, x: 1 / (1 + xp.exp(-x)), lambda b, x, y: b.mul(y, b.sub(_one(b, x), y)))
_unary("softplus", lambda xp, x: xp.logaddexp(x, xp.zeros_like(x)), lambda b, x, y: b.sigmoid(x))
_unary("relu", lambda xp, x: xp.where(x > 0, x, xp.zeros_like(x)),
       lambda b, x, y: b.cast(b.greater(x, b.zeros_like(x)), dtype=x.dtype))
_unary("abs", lambda xp, x: xp.abs(x), lambda b, x, y: b.sign(x), float_only=False)
_unary("erf", lambda xp, x: xp.erf(x),
       lambda b, x, y: b.mul(_c(b, x, 2.0 / math.sqrt(math.pi)), b.exp(b.neg(b.square(x)))))

# neg and sign: linear / locally constant, with their own rules.
_unary("neg", lambda xp, x: -x, None, float_only=False)
vjp_rules["neg"] = lambda b, ins, outs, cts: [b.neg(cts[0])]
jvp_rules["neg"] = lambda b, ins, outs, ts: [b.neg(ts[0])]

# sign is differentiable with derivative zero almost everywhere: a true zero, not a missing rule.
_unary("sign", lambda xp, x: xp.sign(x), None, float_only=False)
vjp_rules["sign"] = lambda b, ins, outs, cts: [None]
jvp_rules["sign"] = lambda b, ins, outs, ts: [None]


# -- binary -------------------------------------------------------------------
def _binary(name: str, impl, vjp, jvp, *, float_only: bool = False, doc: str = ""):
    defop(name, 2, lambda avals: elementwise(name, avals, float_only=float_only),
          doc=doc or f"elementwise {name} with NumPy broadcasting")
    impl_rules[name] = impl
    vjp_rules[name] = vjp
    jvp_rules[name] = jvp


def _sum_tangents(b, *terms):
    out = None
    for t in terms:
        out = b.add_any(out, t)
    return out


_binary("add", lambda xp, x, y: x + y,
        lambda b, ins, outs, cts: [cts[0], cts[0]],
        lambda b, ins, outs, ts: [b.add_any(ts[0], ts[1])])
_binary("sub", lambda xp, x, y: x - y,
        lambda b, ins, outs, cts: [cts[0], b.neg(cts[0])],
        lambda b, ins, outs, ts: [ts[0] if ts[1] is None else (b.neg(ts[1]) if ts[0] is None else b.sub(ts[0], ts[1]))])
_binary("mul", lambda xp, x, y: x * y,
        lambda b, ins, outs, cts: [b.mul(cts[0], ins[1]), b.mul(ins[0], cts[0])],
        lambda b, ins, outs, ts: [_sum_tangents(b, ts[0] and b.mul(ts[0], ins[1]), ts[1] and b.mul(ins[0], ts[1]))])
_binary("div", lambda xp, x, y: x / y,
        lambda b, ins, outs, cts: [b.div(cts[0], ins[1]), b.neg(b.div(b.mul(cts[0], outs[0]), ins[1]))],
        lambda b, ins, outs, ts: [_sum_tangents(b, ts[0] and b.div(ts[0], ins[1]),
                                                ts[1] and b.neg(b.div(b.mul(ts[1], outs[0]), ins[1])))],
        float_only=True)


def _pow_dx(b, x, y):
    return b.mul(y, b.pow(x, b.sub(y, b.scalar(1.0, y.dtype))))


def _pow_dy(b, x, out):
    # d/dy x**y = log(x) * x**y; defined as 0 where x == 0 (the limit used by JAX and PyTorch).
    safe = b.where(b.equal(x, b.zeros_like(x)), b.full_like(x, 1.0), x)
    return b.mul(b.log(safe), out)


_binary("pow", lambda xp, x, y: xp.pow(x, y),
        lambda b, ins, outs, cts: [b.mul(cts[0], _pow_dx(b, ins[0], ins[1])),
                                   b.mul(cts[0], _pow_dy(b, ins[0], outs[0]))],
        lambda b, ins, outs, ts: [_sum_tangents(b, ts[0] and b.mul(ts[0], _pow_dx(b, ins[0], ins[1])),
                                                ts[1] and b.mul(ts[1], _pow_dy(b, ins[0], outs[0])))],
        float_only=True)


def _select_mask(b, x, y, out_shape, first: bool):
    """Mask (as x's dtype, broadcast to out_shape) choosing x (first=True) where x >= y."""
    m = b.greater_equal(x, y) if first else b.less(x, y)
    return b.cast(m, dtype=x.dtype)


for _name, _impl, _first in (("maximum", lambda xp, x, y: xp.maximum(x, y), True),
                             ("minimum", lambda xp, x, y: xp.minimum(x, y), False)):
    def _vjp(b, ins, outs, cts, _first=_first):
        m = _select_mask(b, ins[0], ins[1], outs[0].shape, _first)
        return [b.mul(cts[0], m), b.mul(cts[0], b.sub(b.full_like(m, 1.0), m))]

    def _jvp(b, ins, outs, ts, _first=_first):
        m = _select_mask(b, ins[0], ins[1], outs[0].shape, _first)
        return [_sum_tangents(b, ts[0] and b.mul(ts[0], m),
                              ts[1] and b.mul(ts[1], b.sub(b.full_like(m, 1.0), m)))]

    _binary(_name, _impl, _vjp, _jvp)


# -- comparisons: boolean outputs, no derivative flows through them ---------------
for _name, _impl in (("equal", lambda xp, x, y: x == y), ("not_equal", lambda xp, x, y: x != y),
                     ("less", lambda xp, x, y: x < y), ("less_equal", lambda xp, x, y: x <= y),
                     ("greater", lambda xp, x, y: x > y), ("greater_equal", lambda xp, x, y: x >= y)):
    defop(_name, 2, lambda avals, _n=_name: elementwise(_n, avals, out_dtype="bool"), nondiff=True,
          doc=f"elementwise comparison {_name} (bool output, not differentiable)")
    impl_rules[_name] = _impl

for _name, _impl in (("logical_and", lambda xp, x, y: xp.logical_and(x, y)),
                     ("logical_or", lambda xp, x, y: xp.logical_or(x, y))):
    defop(_name, 2, lambda avals, _n=_name: elementwise(_n, avals, out_dtype="bool"), nondiff=True)
    impl_rules[_name] = _impl
defop("logical_not", 1, lambda avals: elementwise("logical_not", avals, out_dtype="bool"), nondiff=True)
impl_rules["logical_not"] = lambda xp, x: xp.logical_not(x)


# -- where(cond, x, y) ----------------------------------------------------------------
def _where_infer(avals):
    from ..errors import ShapeError
    from ._infer import broadcast_shapes, same_dtype

    c, x, y = avals
    if c.dtype != "bool":
        raise ShapeError(f"where: condition must be bool, got {c}", dtype=c.dtype)
    dtype = same_dtype("where", [x, y])
    return [AVal(broadcast_shapes("where", c.shape, x.shape, y.shape), dtype)]


defop("where", 3, _where_infer, doc="where(cond, x, y): x where cond else y, broadcasting")
impl_rules["where"] = lambda xp, c, x, y: xp.where(c, x, y)


def _where_vjp(b, ins, outs, cts):
    c, x, y = ins
    ct = cts[0]
    zero = b.zeros_like(ct)
    return [None, b.where(c, ct, zero), b.where(c, zero, ct)]


def _where_jvp(b, ins, outs, ts):
    c, x, y = ins
    tx = ts[1] if ts[1] is not None else b.zeros_like(x)
    ty = ts[2] if ts[2] is not None else b.zeros_like(y)
    if ts[1] is None and ts[2] is None:
        return [None]
    return [b.where(c, tx, ty)]


vjp_rules["where"] = _where_vjp
jvp_rules["where"] = _where_jvp
