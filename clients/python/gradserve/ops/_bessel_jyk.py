"""Bessel functions of the first and second kind (ops.bessel_j0 / j1 / y0 / y1) and modified ones of the second
kind (bessel_k0 / k1 and the scaled k0e / k1e), with their primitives (BesselJ0 ...), as compositions of
element-wise ops: Abramowitz & Stegun 9.4.1-9.4.6 (J, Y: a polynomial in (x / 3)^2 for |x| <= 3, an amplitude
and a phase in 3 / |x| above) and 9.8.5-9.8.8 (K: a polynomial in (x / 2)^2 plus log(x / 2) times I0 / I1 for
x <= 2, one in 2 / x times exp(-x) / sqrt(x) above). Absolute error below 2.2e-7 (float32's precision). As in
_bessel.py each branch reads its argument clamped to its own range, so the branch not taken stays finite and the
derivative (that of the formulas) has no NaN. Outside the domain, as SciPy: Y and K are NaN for x < 0, Y(0) is
-inf and K(0) inf. Half-precision inputs are computed in float32 and rounded once, as MindSpore's kernels do
(in float16 the rounding of each of the ~20 steps put k0e(2) 5 ulps off)."""
from __future__ import annotations

import math

from ._bessel import _op_class, _poly
from ._extra import P
from ._half_precision import in_float32 as _in_float32

__all__ = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e",
           "BesselJ0", "BesselJ1", "BesselY0", "BesselY1", "BesselK0", "BesselK0e", "BesselK1", "BesselK1e"]

# 9.4.1 / 9.4.4 (J0, x J1 / x: in (x/3)^2), 9.4.2 / 9.4.5 (Y0 and x Y1 less their log terms)
_J0_SMALL = (1.0, -2.2499997, 1.2656208, -0.3163866, 0.0444479, -0.0039444, 0.0002100)
_J1_SMALL = (0.5, -0.56249985, 0.21093573, -0.03954289, 0.00443319, -0.00031761, 0.00001109)
_Y0_SMALL = (0.36746691, 0.60559366, -0.74350384, 0.25300117, -0.04261214, 0.00427916, -0.00024846)
_Y1_SMALL = (-0.6366198, 0.2212091, 2.1682709, -1.3164827, 0.3123951, -0.0400976, 0.0027873)
# 9.4.3 / 9.4.6: amplitude f and phase theta - x in 3/x
_F0 = (0.79788456, -0.00000077, -0.00552740, -0.00009512, 0.00137237, -0.00072805, 0.00014476)
_T0 = (-0.78539816, -0.04166397, -0.00003954, 0.00262573, -0.00054125, -0.00029333, 0.00013558)
_F1 = (0.79788456, 0.00000156, 0.01659667, 0.00017105, -0.00249511, 0.00113653, -0.00020033)
_T1 = (-2.35619449, 0.12499612, 0.00005650, -0.00637879, 0.00074348, 0.00079824, -0.00029166)
# 9.8.5 / 9.8.7 (K0 and x K1 less their log terms, in (x/2)^2), 9.8.6 / 9.8.8 (sqrt(x) e^x K in 2/x)
_K0_SMALL = (-0.57721566, 0.42278420, 0.23069756, 0.03488590, 0.00262698, 0.00010750, 0.00000740)
_K1_SMALL = (1.0, 0.15443144, -0.67278579, -0.18156897, -0.01919402, -0.00110404, -0.00004686)
_K0_LARGE = (1.25331414, -0.07832358, 0.02189568, -0.01062446, 0.00587872, -0.00251540, 0.00053208)
_K1_LARGE = (1.25331414, 0.23498619, -0.03655620, 0.01504268, -0.00780353, 0.00325614, -0.00068245)

_TWO_OVER_PI = 2.0 / math.pi


def _split(x, edge: float):
    """(|x| clamped to (0, edge], |x| clamped to [edge, inf), the mask |x| <= edge): each branch's argument.
    Clamped by select, not minimum / maximum: at |x| = edge those split the gradient between |x| and the edge
    (J0'(3) was half of -J1(3))."""
    ax = P.abs(x)
    is_small = P.less_equal(ax, edge)
    at_edge = P.mul(P.ones_like(ax), edge)
    return P.maximum(P.select(is_small, ax, at_edge), 1e-30), P.select(is_small, at_edge, ax), is_small


def _sq(t):
    return P.mul(t, t)


def _oscillating(big, amplitude, phase, wave):
    """x^-1/2 f(3/x) wave(x + theta(3/x)) for x >= 3."""
    y = P.div(3.0, big)
    return P.mul(P.div(_poly(y, amplitude), P.sqrt(big)), wave(P.add(big, _poly(y, phase))))


def _j0_parts(x):
    small, big, is_small = _split(x, 3.0)
    return small, big, is_small, _poly(_sq(P.div(small, 3.0)), _J0_SMALL)


def _j1_over_x_parts(x):
    small, big, is_small = _split(x, 3.0)
    return small, big, is_small, _poly(_sq(P.div(small, 3.0)), _J1_SMALL)


@_in_float32
def bessel_j0(x):
    """J0(x) (even)."""
    _, big, is_small, small_value = _j0_parts(x)
    return P.select(is_small, small_value, _oscillating(big, _F0, _T0, P.cos))


@_in_float32
def bessel_j1(x):
    """J1(x) (odd)."""
    _, big, is_small, over_x = _j1_over_x_parts(x)
    large = P.mul(P.sign(x), _oscillating(big, _F1, _T1, P.cos))
    return P.select(is_small, P.mul(over_x, x), large)  # (over_x is of the clamped |x|: finite)


def _second_kind_domain(x, value, at_zero: float):
    """value where x > 0, at_zero at 0, NaN below."""
    return P.select(P.greater(x, 0.0), value,
                    P.select(P.equal(x, 0.0), P.mul(P.ones_like(x), at_zero), P.mul(P.ones_like(x), math.nan)))


@_in_float32
def bessel_y0(x):
    """Y0(x) for x > 0."""
    small, big, is_small, j0 = _j0_parts(x)
    log_term = P.mul(P.mul(P.log(P.div(small, 2.0)), j0), _TWO_OVER_PI)
    near = P.add(log_term, _poly(_sq(P.div(small, 3.0)), _Y0_SMALL))
    return _second_kind_domain(x, P.select(is_small, near, _oscillating(big, _F0, _T0, P.sin)), -math.inf)


@_in_float32
def bessel_y1(x):
    """Y1(x) for x > 0."""
    small, big, is_small, j1_over_x = _j1_over_x_parts(x)
    j1 = P.mul(j1_over_x, small)
    times_x = P.add(P.mul(P.mul(P.mul(small, P.log(P.div(small, 2.0))), j1), _TWO_OVER_PI),
                    _poly(_sq(P.div(small, 3.0)), _Y1_SMALL))
    near = P.div(times_x, small)
    return _second_kind_domain(x, P.select(is_small, near, _oscillating(big, _F1, _T1, P.sin)), -math.inf)


def _k_parts(x, small_coeffs, large_coeffs, bessel_i):
    """(K near 0 (times x for K1), sqrt(x) e^x K far, the clamped arguments, the mask) for x > 0."""
    small, big, is_small = _split(x, 2.0)
    log_half = P.log(P.div(small, 2.0))
    near = _poly(_sq(P.div(small, 2.0)), small_coeffs)
    far = P.div(_poly(P.div(2.0, big), large_coeffs), P.sqrt(big))  # e^x K(x)
    return near, far, small, big, is_small, log_half, bessel_i(small)


@_in_float32
def bessel_k0(x):
    """K0(x) for x > 0."""
    near, far, _, big, is_small, log_half, i0 = _k_parts(x, _K0_SMALL, _K0_LARGE, P.bessel_i0)
    value = P.select(is_small, P.sub(near, P.mul(log_half, i0)), P.mul(far, P.exp(P.neg(big))))
    return _second_kind_domain(x, value, math.inf)


@_in_float32
def bessel_k0e(x):
    """exp(x) K0(x) for x > 0."""
    near, far, small, _, is_small, log_half, i0 = _k_parts(x, _K0_SMALL, _K0_LARGE, P.bessel_i0)
    value = P.select(is_small, P.mul(P.sub(near, P.mul(log_half, i0)), P.exp(small)), far)
    return _second_kind_domain(x, value, math.inf)


def _k1_near(near, small, log_half, i1):
    """K1 for 0 < x <= 2: (x log(x/2) I1(x) + poly) / x."""
    return P.div(P.add(P.mul(P.mul(small, log_half), i1), near), small)


@_in_float32
def bessel_k1(x):
    """K1(x) for x > 0."""
    near, far, small, big, is_small, log_half, i1 = _k_parts(x, _K1_SMALL, _K1_LARGE, P.bessel_i1)
    value = P.select(is_small, _k1_near(near, small, log_half, i1), P.mul(far, P.exp(P.neg(big))))
    return _second_kind_domain(x, value, math.inf)


@_in_float32
def bessel_k1e(x):
    """exp(x) K1(x) for x > 0."""
    near, far, small, _, is_small, log_half, i1 = _k_parts(x, _K1_SMALL, _K1_LARGE, P.bessel_i1)
    value = P.select(is_small, P.mul(_k1_near(near, small, log_half, i1), P.exp(small)), far)
    return _second_kind_domain(x, value, math.inf)


BesselJ0 = _op_class("BesselJ0", bessel_j0)
BesselJ1 = _op_class("BesselJ1", bessel_j1)
BesselY0 = _op_class("BesselY0", bessel_y0)
BesselY1 = _op_class("BesselY1", bessel_y1)
BesselK0 = _op_class("BesselK0", bessel_k0)
BesselK0e = _op_class("BesselK0e", bessel_k0e)
BesselK1 = _op_class("BesselK1", bessel_k1)
BesselK1e = _op_class("BesselK1e", bessel_k1e)
