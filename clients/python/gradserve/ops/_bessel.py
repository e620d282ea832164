"""Modified Bessel functions of the first kind, ops.i0 / bessel_i0 / bessel_i0e / bessel_i1 / bessel_i1e, as
compositions of element-wise ops: Abramowitz & Stegun 9.8.1-9.8.4 (a polynomial in (x / 3.75)^2 for |x| <= 3.75,
one in 3.75 / |x| times exp(|x|) / sqrt(|x|) above). Relative error below 2e-7: float32's precision, not
float64's. Each branch reads its argument clamped to its own range, so the branch not taken stays finite and
the derivative (that of the polynomials) has no NaN at 0."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P

__all__ = ["i0", "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "BesselI0", "BesselI0e", "BesselI1",
           "BesselI1e"]

_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813)
_I0_LARGE = (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537, -0.01647633,
             0.00392377)
_I1_SMALL = (0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411)
_I1_LARGE = (0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312, 0.01787654,
             -0.00420059)


def _poly(t, coeffs):
    out = P.mul(P.ones_like(t), coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = P.add(P.mul(out, t), c)
    return out


def _parts(x, small, large):
    """(small-|x| polynomial in (x/3.75)^2, large-|x| polynomial in 3.75/|x|, the large |x| clamped, the mask)."""
    ax = P.abs(x)
    is_small = P.less_equal(ax, 3.75)
    ts = P.div(P.minimum(ax, 3.75), 3.75)
    big = P.maximum(ax, 3.75)
    return _poly(P.mul(ts, ts), small), _poly(P.div(3.75, big), large), big, is_small


def bessel_i0e(x):
    """exp(-|x|) I0(x)."""
    s, l, big, is_small = _parts(x, _I0_SMALL, _I0_LARGE)
    return P.select(is_small, P.mul(s, P.exp(P.neg(P.abs(x)))), P.div(l, P.sqrt(big)))


def bessel_i0(x):
    """I0(x) = sum_k (x^2 / 4)^k / (k!)^2."""
    s, l, big, is_small = _parts(x, _I0_SMALL, _I0_LARGE)
    return P.select(is_small, s, P.mul(l, P.div(P.exp(big), P.sqrt(big))))


def bessel_i1e(x):
    """exp(-|x|) I1(x) (odd in x)."""
    s, l, big, is_small = _parts(x, _I1_SMALL, _I1_LARGE)
    large = P.mul(P.sign(x), P.div(l, P.sqrt(big)))
    return P.select(is_small, P.mul(P.mul(s, x), P.exp(P.neg(P.abs(x)))), large)


def bessel_i1(x):
    """I1(x) = x / 2 sum_k (x^2 / 4)^k / (k! (k + 1)!) (odd in x)."""
    s, l, big, is_small = _parts(x, _I1_SMALL, _I1_LARGE)
    large = P.mul(P.sign(x), P.mul(l, P.div(P.exp(big), P.sqrt(big))))
    return P.select(is_small, P.mul(s, x), large)


def i0(input):  # noqa: A002  (MindSpore's name)
    """ops.i0: bessel_i0."""
    return bessel_i0(input)


def _op_class(name: str, fn):
    """MindSpore's primitive form (math_ops.BesselI0 ...): Cls()(x) = fn(x)."""
    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"For '{name}', the input must be a Tensor, got {type(x).__name__}")
        return fn(x)
    return type(name, (), {"__call__": __call__, "__doc__": f"ops.{name}()(x) = {fn.__name__}(x)."})


BesselI0 = _op_class("BesselI0", bessel_i0)
BesselI0e = _op_class("BesselI0e", bessel_i0e)
BesselI1 = _op_class("BesselI1", bessel_i1)
BesselI1e = _op_class("BesselI1e", bessel_i1e)
