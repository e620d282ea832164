"""ATen special functions for torch_import (registered into torch_table.ATEN on import): lgamma, digamma,
polygamma, ndtri, erfcx, i0 / i0e / i1 / i1e, as compositions of the engine's elementwise ops (so their
derivatives, of any order, are the compositions' own); erfinv is the engine's op.

Each is computed in float64 and cast back: the series and Lanczos sums below cancel terms of size ~1e3,
which float32 would leave accurate to ~1e-4 only. The branches are selected with where on inputs made
safe first (the branch not taken never sees a pole), so no 0 * inf reaches a derivative.
"""
from __future__ import annotations

import math

import numpy as np

from ._shared.graph_writer import GraphWriter, UnsupportedModel
from .torch_table import aten

# Lanczos (g = 7, 9 terms): lgamma to ~1e-15 relative for x >= 0.5
_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
# Bernoulli numbers B_2k, k = 1..7 (the asymptotic series of digamma / polygamma)
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_SHIFT = 8  # recurrence steps before the asymptotic series: it is then read at x + 8 >= 8.5


def _f64(w: GraphWriter, x: str) -> str:
    return w.cast(x, "float64")


def _k(w: GraphWriter, v: float, like: str) -> str:
    return w.scalar_like(v, like)


def _lanczos_lgamma(w, x):
    """lgamma(x) for x >= 0.5."""
    z = w.sub(x, _k(w, 1.0, x))
    a = _k(w, _LANCZOS[0], x)
    for i, c in enumerate(_LANCZOS[1:], start=1):
        a = w.add(a, w.div(_k(w, c, x), w.add(z, _k(w, float(i), x))))
    t = w.add(z, _k(w, _G + 0.5, x))
    return w.add(w.sub(w.mul(w.add(z, _k(w, 0.5, x)), w.unary("log", t)), t),
                 w.add(w.unary("log", a), _k(w, 0.5 * math.log(2 * math.pi), x)))


def _reflected(w, x):
    """(x < 0.5, x reflected to 1 - x there, sin(pi x) read only there): the reflection formulas' pieces."""
    low = w.binary("less", x, _k(w, 0.5, x))
    up = w.where(low, w.sub(_k(w, 1.0, x), x), x)
    s = w.unary("sin", w.mul(w.where(low, x, _k(w, 0.5, x)), _k(w, math.pi, x)))
    return low, up, s


def lgamma(w: GraphWriter, x: str) -> str:
    """log|Gamma(x)|; reflection log(pi / |sin(pi x)|) - lgamma(1 - x) below 0.5."""
    x64 = _f64(w, x)
    low, up, s = _reflected(w, x64)
    big = _lanczos_lgamma(w, up)
    refl = w.sub(w.unary("log", w.div(_k(w, math.pi, x64), w.unary("abs", s))), big)
    return w.cast(w.where(low, refl, big), w.dtype(x))


def _shifted(w, x, n):
    """(x + _SHIFT, sum_{k < _SHIFT} 1 / (x + k)^(n + 1)): the recurrence psi^(n)(x) -> psi^(n)(x + _SHIFT)."""
    acc = None
    for k in range(_SHIFT):
        t = w.unary("reciprocal", w.add(x, _k(w, float(k), x)))
        p = t if n == 0 else w.binary("pow", t, _k(w, float(n + 1), x))
        acc = p if acc is None else w.add(acc, p)
    return w.add(x, _k(w, float(_SHIFT), x)), acc


def _digamma_pos(w, x):
    """digamma(x) for x >= 0.5: recurrence to y = x + 8, then log y - 1/(2y) - sum B_2k / (2k y^2k)."""
    y, acc = _shifted(w, x, 0)
    inv2 = w.unary("reciprocal", w.mul(y, y))
    series, p = None, inv2
    for k, b in enumerate(_B2K, start=1):
        term = w.mul(p, _k(w, b / (2 * k), x))
        series = term if series is None else w.add(series, term)
        p = w.mul(p, inv2)
    asym = w.sub(w.sub(w.unary("log", y), w.div(_k(w, 0.5, x), y)), series)
    return w.sub(asym, acc)


def digamma(w: GraphWriter, x: str) -> str:
    """psi(x); reflection psi(1 - x) - pi / tan(pi x) below 0.5."""
    x64 = _f64(w, x)
    low, up, s = _reflected(w, x64)
    big = _digamma_pos(w, up)
    c = w.unary("cos", w.mul(w.where(low, x64, _k(w, 0.5, x64)), _k(w, math.pi, x64)))
    refl = w.sub(big, w.div(w.mul(c, _k(w, math.pi, x64)), s))
    return w.cast(w.where(low, refl, big), w.dtype(x))


def polygamma(w: GraphWriter, n: int, x: str) -> str:
    """psi^(n)(x), n >= 1: (-1)^(n+1) n! sum_k 1 / (x + k)^(n+1), the tail from x + 8 by its asymptotic
    series (n-1)!/y^n + n!/(2 y^(n+1)) + sum B_2k (2k+n-1)! / ((2k)! y^(2k+n)). Accurate for x > -0.5 away
    from the poles at 0, -1, ... (the recurrence's terms); further left it is refused by nothing but loses
    accuracy, as it reads the series at x + 8."""
    if n == 0:
        return digamma(w, x)
    x64 = _f64(w, x)
    y, acc = _shifted(w, x64, n)
    inv = w.unary("reciprocal", y)
    pw = lambda e: w.binary("pow", inv, _k(w, float(e), x64))  # noqa: E731
    tail = w.add(w.mul(pw(n), _k(w, math.factorial(n - 1), x64)), w.mul(pw(n + 1), _k(w, math.factorial(n) / 2, x64)))
    for k, b in enumerate(_B2K, start=1):
        coef = b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        tail = w.add(tail, w.mul(pw(2 * k + n), _k(w, coef, x64)))
    total = w.add(w.mul(acc, _k(w, float(math.factorial(n)), x64)), tail)
    return w.cast(total if n % 2 else w.unary("neg", total), w.dtype(x))


def _erfcx_tail(w: GraphWriter, xl: str) -> str:
    """exp(x^2) erfc(x) for x >= 2 (float64): the 60-deep continued fraction
    1 / (sqrt(pi) (x + (1/2) / (x + 1 / (x + (3/2) / ...))))."""
    t = xl
    for k in range(60, 0, -1):
        t = w.add(xl, w.div(_k(w, k / 2, xl), t))
    return w.unary("reciprocal", w.mul(t, _k(w, math.sqrt(math.pi), xl)))


def erfcx(w: GraphWriter, x: str) -> str:
    """exp(x^2) erfc(x): directly below 2 (erfc(2) ~ 5e-3 keeps float64's 1 - erf exact enough), the
    continued fraction from 2 on."""
    x64 = _f64(w, x)
    small = w.binary("less", x64, _k(w, 2.0, x64))
    xs = w.where(small, x64, _k(w, 0.0, x64))
    direct = w.mul(w.unary("exp", w.mul(xs, xs)), w.sub(_k(w, 1.0, x64), w.unary("erf", xs)))
    xl = w.where(small, _k(w, 2.0, x64), x64)
    return w.cast(w.where(small, direct, _erfcx_tail(w, xl)), w.dtype(x))


def erfc(w: GraphWriter, x: str) -> str:
    """erfc(x) to float32's relative precision for large x too (1 - erf(x) is 0 in float32 from x ~ 3.9):
    1 - erf in float64 below 2, exp(-x^2) times the continued fraction from 2 on. Each branch reads a safe
    stand-in where it is not taken, so no inf reaches the derivative (what JAX's inlined polynomial gives at 0)."""
    x64 = _f64(w, x)
    small = w.binary("less", x64, _k(w, 2.0, x64))
    xs = w.where(small, x64, _k(w, 0.0, x64))
    xl = w.where(small, _k(w, 2.0, x64), x64)
    tail = w.mul(w.unary("exp", w.unary("neg", w.mul(xl, xl))), _erfcx_tail(w, xl))
    return w.cast(w.where(small, w.sub(_k(w, 1.0, x64), w.unary("erf", xs)), tail), w.dtype(x))


def bessel_i(w: GraphWriter, x: str, nu: int, scaled: bool = False) -> str:
    """Modified Bessel I_nu, nu 0 or 1 (times e^-|x| if `scaled`): (x/2)^nu sum (x^2/4)^k / (k! (k+nu)!)
    (Horner, 60 terms) for |x| <= 20; beyond, the asymptotic e^|x| / sqrt(2 pi |x|) sum_k c_k / |x|^k with
    c_k / c_(k-1) = ((2k-1)^2 - 4 nu^2) / (8k) (12 terms: below 1e-15 relative at 20), odd for nu = 1."""
    x64 = _f64(w, x)
    ax = w.unary("abs", x64)
    near = w.binary("less_equal", ax, _k(w, 20.0, x64))
    xn = w.where(near, x64, _k(w, 0.0, x64))
    q = w.mul(w.mul(xn, xn), _k(w, 0.25, x64))
    s = _k(w, 1.0 / (math.factorial(60) * math.factorial(60 + nu)), x64)
    for k in range(59, -1, -1):
        s = w.add(w.mul(s, q), _k(w, 1.0 / (math.factorial(k) * math.factorial(k + nu)), x64))
    if nu:
        s = w.mul(s, w.mul(xn, _k(w, 0.5, x64)))
    if scaled:
        s = w.mul(s, w.unary("exp", w.unary("neg", w.unary("abs", xn))))
    xf = w.where(near, _k(w, 21.0, x64), ax)
    inv = w.unary("reciprocal", w.mul(xf, _k(w, 8.0, x64)))
    series, term = _k(w, 1.0, x64), _k(w, 1.0, x64)
    for k in range(1, 13):
        term = w.mul(term, w.mul(inv, _k(w, ((2 * k - 1) ** 2 - 4 * nu * nu) / k, x64)))
        series = w.add(series, term)
    far = w.div(series, w.unary("sqrt", w.mul(xf, _k(w, 2 * math.pi, x64))))
    far = far if scaled else w.mul(far, w.unary("exp", xf))
    far = w.mul(far, w.unary("sign", x64)) if nu else far
    return w.cast(w.where(near, s, far), w.dtype(x))


def _float(c, x):
    x = c.v(x)
    return x if c.w.dtype(x).startswith(("float", "bfloat")) else c.w.cast(x, "float32")


aten("aten.lgamma.default", "aten.special_gammaln.default")(lambda c, x: lgamma(c.w, _float(c, x)))
aten("aten.digamma.default", "aten.special_digamma.default", "aten.special_psi.default")(
    lambda c, x: digamma(c.w, _float(c, x)))
aten("aten.erfinv.default", "aten.special_erfinv.default")(lambda c, x: c.w.unary("erfinv", _float(c, x)))
aten("aten.special_erfcx.default")(lambda c, x: erfcx(c.w, _float(c, x)))
aten("aten.i0.default", "aten.special_i0.default")(lambda c, x: bessel_i(c.w, _float(c, x), 0))
aten("aten.special_i0e.default")(lambda c, x: bessel_i(c.w, _float(c, x), 0, scaled=True))
aten("aten.special_i1.default")(lambda c, x: bessel_i(c.w, _float(c, x), 1))
aten("aten.special_i1e.default")(lambda c, x: bessel_i(c.w, _float(c, x), 1, scaled=True))


@aten("aten.polygamma.default", "aten.special_polygamma.default")
def _polygamma(c, n, x):
    if not isinstance(n, int) or n < 0:
        raise UnsupportedModel(f"polygamma order n={n!r} (a non-negative int)")
    return polygamma(c.w, n, _float(c, x))


@aten("aten.special_ndtri.default")
def _ndtri(c, p):
    """sqrt(2) erfinv(2p - 1)."""
    w, p = c.w, _float(c, p)
    return w.mul(w.unary("erfinv", w.sub(w.mul(p, w.scalar_like(2.0, p)), w.scalar_like(1.0, p))),
                 w.scalar_like(math.sqrt(2.0), p))


def _cbrt_value(w: GraphWriter, x: str) -> str:
    """sign(x) |x|^(1/3) in float64, rounded once to x's type (exact cubes come back exact)."""
    x64 = _f64(w, x)
    mag = w.binary("pow", w.unary("abs", x64), _k(w, 1 / 3, x64))
    return w.cast(w.mul(w.unary("sign", x64), mag), w.dtype(x))


def cbrt(w: GraphWriter, x: str, orders: int = 2) -> str:
    """The real cube root with JAX's derivative, dout / (3 cbrt(x)^2) (inf at 0, as JAX's; the composition's own
    derivative would be sign'(x) |x|^(1/3) + sign(x) ... = 0 * inf = nan there): one custom_vjp node whose rule is
    written from x (so differentiating the rule differentiates through x), `orders` deep."""
    y = _cbrt_value(w, x)
    if orders < 1:
        return y
    fw = w.function_writer(f"{w.name}_cbrt_vjp")
    xi, _, dout = (fw.input(n, *w.avals[v]) for n, v in (("x", x), ("out", y), ("dout", y)))
    r = cbrt(fw, xi, orders - 1)
    bprop = w.finish(fw, [fw.div(dout, fw.mul(fw.scalar_like(3.0, r), fw.mul(r, r)))])
    return w.emit("custom_vjp", [x, y], {"bprop": bprop, "n_in": 1, "n_out": 1, "params": [], "site": 0},
                  [w.avals[y]])[0]
