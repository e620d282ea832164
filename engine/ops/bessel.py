"""Modified Bessel functions of the first kind (MindSpore's ops.bessel_i0 / i0e / i1 / i1e) as engine ops, so
that their derivatives are the exact identities MindSpore's bprops use, to any order, rather than the slopes of
the approximating polynomials (those drift ~1e-6 from the truth at the second order):

  i0' = i1,  i1' = i0 - i1 / x (1/2 at 0),
  i0e' = i1e - sign(x) i0e,  i1e' = i0e - i1e (sign(x) + 1 / x) (1/2 at 0)

Values: Abramowitz & Stegun 9.8.1-9.8.4 (a polynomial in (x / 3.75)^2 for |x| <= 3.75, one in 3.75 / |x| times
exp(|x|) / sqrt(|x|) above), evaluated in float64: relative error below 2e-7 (float32's precision)."""
from __future__ import annotations

import math

import ml_dtypes

from ._infer import rule_infer
from .composite import dtype_name
from .registry import defop, impl_rules, jvp_rules, vjp_rules

_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813)
_I0_LARGE = (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537, -0.01647633,
             0.00392377)
_I1_SMALL = (0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411)
_I1_LARGE = (0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312, 0.01787654,
             -0.00420059)


def _poly(t, coeffs):
    out = t * 0.0 + coeffs[-1]
    for c in reversed(coeffs[:-1]):
        out = out * t + c
    return out


def _scaled(xp, x, order: int):
    """exp(-|x|) I_order(x), float64, each branch on its argument clamped to its own range (no overflow)."""
    ax = xp.abs(x)
    small, large = (_I0_SMALL, _I0_LARGE) if order == 0 else (_I1_SMALL, _I1_LARGE)
    ts = xp.minimum(ax, 3.75) / 3.75
    near = _poly(ts * ts, small) * xp.exp(-xp.minimum(ax, 3.75))
    big = xp.maximum(ax, 3.75)
    far = _poly(3.75 / big, large) / xp.sqrt(big)
    if order == 1:
        near, far = near * x, far * xp.sign(x)
    return xp.where(ax <= 3.75, near, far)


def _impl(order: int, scaled: bool):
    def impl(xp, x):
        x64 = xp.astype(x, xp.float64)
        ax = xp.abs(x64)
        infinite = ax == math.inf
        finite = xp.where(infinite, 1.0, x64)  # +-inf set apart below: no 0 * inf warning in either form
        out = _scaled(xp, finite, order)
        if scaled:  # exp(-|x|) I(x) -> 0
            out = xp.where(infinite, 0.0, out)
        else:  # NaN at +-inf (inf / inf in the large-|x| form), as MindSpore 2.10, torch and SciPy (the limit is inf)
            out = xp.where(infinite, math.nan, out * xp.exp(xp.abs(finite)))
        return xp.astype(out, x.dtype)
    return impl


def _minus_over_x(b, x, value, numerator, at_zero):
    """value - numerator / x, at_zero where x = 0 (x replaced by 1 there so that no branch is NaN)."""
    zero = b.equal(x, b.scalar(0.0, x.dtype))
    safe = b.where(zero, b.full_like(x, 1.0), x)
    return b.where(zero, at_zero, b.sub(value, b.div(numerator, safe)))


def _i1_slope_near_zero(b, x):
    """I1'(x) = 1/2 + 3 x^2 / 16 + 5 x^4 / 384 + ...: at 0 its derivatives are I1's next ones (to the fifth)."""
    x2 = b.square(x)
    return b.add(b.scalar(0.5, x.dtype), b.mul(x2, b.add(b.scalar(3.0 / 16.0, x.dtype),
                                                          b.mul(x2, b.scalar(5.0 / 384.0, x.dtype)))))


def _i1e_slope(b, x, y):
    """i0e - i1e (sign(x) + 1 / x) in MindSpore 2.10's order, one op at a time (its float16 gradient rounds at each:
    in our earlier order, i0e - sign(x) i1e - i1e / x, 5978 of 8192 float16 values were off), 1/2 where |x| is
    at most the dtype's eps (MindSpore's cut-off; at 0, exp(-|x|)'s kink, the one-sided slopes are 1/2 and 0)."""
    small = b.less_equal(b.abs(x), b.scalar(float(ml_dtypes.finfo(dtype_name(x.dtype)).eps), x.dtype))
    safe = b.where(small, b.full_like(x, 1.0), x)
    value = b.sub(b.bessel_i0e(x), b.mul(y, b.add(b.sign(x), b.reciprocal(safe))))
    return b.where(small, b.full_like(x, 0.5), value)


_SLOPES = {
    "bessel_i0": lambda b, x, y: b.bessel_i1(x),
    "bessel_i1": lambda b, x, y: _minus_over_x(b, x, b.bessel_i0(x), y, _i1_slope_near_zero(b, x)),
    "bessel_i0e": lambda b, x, y: b.sub(b.bessel_i1e(x), b.mul(b.sign(x), y)),
    "bessel_i1e": lambda b, x, y: _i1e_slope(b, x, y),
}
_DOCS = {"bessel_i0": "I0(x)", "bessel_i1": "I1(x)", "bessel_i0e": "exp(-|x|) I0(x)", "bessel_i1e": "exp(-|x|) I1(x)"}


def _register(name: str, order: int, scaled: bool) -> None:
    slope = _SLOPES[name]
    defop(name, 1, rule_infer(name), doc=f"elementwise modified Bessel function {_DOCS[name]} (float32 precision); "
                                          f"derivatives of any order by the Bessel identities")
    impl_rules[name] = _impl(order, scaled)
    vjp_rules[name] = lambda b, ins, outs, cts: [b.mul(cts[0], slope(b, ins[0], outs[0]))]
    jvp_rules[name] = lambda b, ins, outs, ts: [b.mul(ts[0], slope(b, ins[0], outs[0]))]


for _name, _order, _is_scaled in (("bessel_i0", 0, False), ("bessel_i1", 1, False), ("bessel_i0e", 0, True),
                                  ("bessel_i1e", 1, True)):
    _register(_name, _order, _is_scaled)
