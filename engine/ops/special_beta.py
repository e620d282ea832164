"""The regularized incomplete beta function (MindSpore's ops.Betainc, TensorFlow's math.betainc, SciPy's
special.betainc):

  betainc(a, b, x)    = I_x(a, b) = B(x; a, b) / B(a, b)
  betainc_dx(a, b, x) = d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b)  (the beta density)

Values: the continued fraction of I_x(a, b) (modified Lentz, Numerical Recipes' betacf) where x < (a+1)/(a+b+2),
and 1 - I_{1-x}(b, a) elsewhere (where the fraction converges fast), in float64 with a fixed iteration budget;
an element whose fraction is still short of float64 precision after it is NaN, never a truncated value. The
factor x^a (1-x)^b / B(a, b) goes through lgamma, whose rounding grows with a and b: relative error ~1e-9 at
a = b = 10^5..10^6, ~2e-8 at 10^7, ~2e-7 at 10^8 (against SciPy; MindSpore 2.10 CPU is off by 8e-7 at 10^6,
2e-2 at 10^7). Domain: a > 0, b > 0,
0 <= x <= 1 (NaN outside, as MindSpore 2.10 CPU); I_0 = 0, I_1 = 1.

Derivatives: w.r.t. x in closed form (betainc_dx, whose attribute order gives the density's own x-derivatives
by Leibniz' rule, with their limits at x = 0 and 1), to any order, both modes. W.r.t. a and b to first order:
betainc_da / betainc_db (engine/ops/special_beta_ab.py). MindSpore 2.10 returns zeros there (its bprop's
placeholder), which is not the derivative.
"""
from __future__ import annotations

import functools
import math

from ._infer import rule_infer
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules
from .special_gamma import _lgamma

_MAX_TERMS = 3000
_EPS = 2.0 ** -53
_TINY = 1e-300


def _nonzero(xp, v):
    return xp.where(xp.abs(v) < _TINY, _TINY, v)


def _log_beta(xp, a, b):
    return _lgamma(xp, a) + _lgamma(xp, b) - _lgamma(xp, a + b)


def _fraction(xp, a, b, x):
    """The continued fraction of I_x(a, b) * a / (x^a (1-x)^b / B(a, b)) by modified Lentz; NaN where not
    converged within the budget. The elements still converging are gathered apart whenever they are at most half
    of those stepped (_step_until_half): one element that needs the whole budget costs its own terms only."""
    shape = x.shape
    flat = [xp.reshape(v, (-1,)) for v in (a, b, x)]
    levels = []  # (done, h) of each set stepped, each next set its undone elements
    state = _start(xp, *flat)
    m = 1
    while True:
        done, state, m = _step_until_half(xp, flat, state, m)
        if m > _MAX_TERMS or not bool(xp.any(~done)):
            break
        levels.append((done, state[2]))
        flat, state = ([v[~done] for v in vs] for vs in (flat, state))
    out = xp.where(done, state[2], math.nan)
    for done, h in reversed(levels):  # each set's answers back into the elements of the set before
        full = xp.where(done, h, math.nan)
        full[~done] = out
        out = full
    return xp.reshape(out, shape)


def _start(xp, a, b, x):
    d = 1.0 / _nonzero(xp, 1.0 - (a + b) * x / (a + 1.0))
    return [xp.ones_like(x), d, d]  # c, d, h


def _step_until_half(xp, abx, state, m):
    """Lentz steps m, m + 1, ... on (c, d, h) until every element has converged, at most half of them are still
    converging, or the budget is spent: (done, (c, d, h), the next step)."""
    a, b, x = abx
    c, d, h = state
    done = xp.zeros_like(x) != 0
    while m <= _MAX_TERMS:
        m2 = 2.0 * m
        for aa in (m * (b - m) * x / ((a - 1.0 + m2) * (a + m2)),
                   -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2))):
            d = 1.0 / _nonzero(xp, 1.0 + aa * d)
            c = _nonzero(xp, 1.0 + aa / c)
            h = h * d * c
        done = done | (xp.abs(d * c - 1.0) <= _EPS)
        m += 1
        left = int(xp.sum(xp.astype(~done, xp.int64)))
        if 2 * left <= x.shape[0]:
            break
    return done, [c, d, h], m


def _regularized(xp, a, b, x):
    """I_x(a, b) in the broadcast shape of a, b and x, in x's dtype."""
    dtype = x.dtype
    a, b, x = xp.broadcast_arrays(*(xp.astype(v, xp.float64) for v in (a, b, x)))
    valid = (a > 0) & (b > 0) & (x >= 0) & (x <= 1) & (a < math.inf) & (b < math.inf)
    inner = valid & (x > 0) & (x < 1)
    front_side = inner & (x < (a + 1.0) / (a + b + 2.0))
    # each side's fraction on the elements it serves (the others get a harmless 1, 1, 0.5)
    fa, fb, fx = (xp.where(front_side, v, d) for v, d in ((a, 1.0), (b, 1.0), (x, 0.5)))
    back = inner & ~front_side
    ra, rb, rx = (xp.where(back, v, d) for v, d in ((b, 1.0), (a, 1.0), (1.0 - x, 0.5)))
    front = _fraction(xp, fa, fb, fx) / fa * xp.exp(fa * xp.log(fx) + fb * xp.log1p(-fx) - _log_beta(xp, fa, fb))
    rear = _fraction(xp, ra, rb, rx) / ra * xp.exp(ra * xp.log(rx) + rb * xp.log1p(-rx) - _log_beta(xp, ra, rb))
    out = xp.where(front_side, front, 1.0 - rear)
    edge = xp.where(x == 0, 0.0, xp.where(x == 1, 1.0, xp.full_like(x, math.nan)))
    out = xp.where(inner, out, xp.where(valid, edge, math.nan))
    return xp.astype(out, dtype)


def _density(xp, a, b, x, order=0):
    """The order-th x-derivative of x^(a-1) (1-x)^(b-1) / B(a, b) for a, b > 0 and 0 <= x <= 1 (order 0: the
    density itself), by Leibniz: sum_j C(k, j) D^j x^(a-1) D^(k-j) (1-x)^(b-1) / B, each term a falling factorial
    times a power. At an end each power has its limit (0, 1 or inf as its exponent is positive, zero or
    negative): the product rule through (a-1)/x was inf * 0 (NaN) there. NaN outside."""
    dtype = x.dtype
    a, b, x = xp.broadcast_arrays(*(xp.astype(v, xp.float64) for v in (a, b, x)))
    valid = (a > 0) & (b > 0) & (x >= 0) & (x <= 1) & (a < math.inf) & (b < math.inf)
    inner = valid & (x > 0) & (x < 1)
    sa, sb, sx = xp.where(valid, a, 1.0), xp.where(valid, b, 1.0), xp.where(inner, x, 0.5)
    scale = xp.exp(-_log_beta(xp, sa, sb))
    terms = _leibniz_terms(xp, sa, sb, order)
    mid = sum(coef * xp.exp(ea * xp.log(sx) + eb * xp.log1p(-sx)) for coef, ea, eb in terms)
    at_0 = _end_limit(xp, [(coef, ea) for coef, ea, _ in terms])
    at_1 = _end_limit(xp, [(coef, eb) for coef, _, eb in terms])
    out = scale * xp.where(inner, mid, xp.where(x == 0, at_0, at_1))
    return xp.astype(xp.where(valid, out, math.nan), dtype)


def _leibniz_terms(xp, a, b, order: int):
    """[(coefficient, exponent of x, exponent of 1 - x)] of the terms of D^order (x^(a-1) (1-x)^(b-1)):
    C(k, j) (a-1)(a-2)..(a-j) (-1)^(k-j) (b-1)..(b-k+j), x^(a-1-j), (1-x)^(b-1-k+j)."""
    def falling(v, count):
        out = xp.ones_like(v)
        for t in range(count):
            out = out * (v - 1.0 - t)
        return out
    return [(math.comb(order, j) * (-1.0) ** (order - j) * falling(a, j) * falling(b, order - j),
             a - 1.0 - j, b - 1.0 - order + j) for j in range(order + 1)]


def _end_limit(xp, terms):
    """sum of coefficient * t^exponent as t -> 0+: the terms with exponent 0 where no term with a nonzero
    coefficient has a negative one, else inf signed as the most negative one's coefficient (it dominates)."""
    finite = sum(xp.where(e == 0, coef, 0.0) for coef, e in terms)
    worst, sign = xp.zeros_like(finite), xp.zeros_like(finite)
    for coef, e in terms:
        steeper = (coef != 0) & (e < worst)
        worst, sign = xp.where(steeper, e, worst), xp.where(steeper, xp.sign(coef), sign)
    # (sign is +-1 wherever worst < 0; the array API takes no where() of two scalars)
    return xp.where(worst < 0, sign * math.inf, finite)


def _loop_flops(e) -> int:
    """The cost model's bound: ~20 operations a term, the whole term budget (a = b = 10^6 at x = 0.5 needs it;
    moderate a and b ~100 terms), for each of the two sides' fractions (every element goes through both, the side
    not serving it at a harmless 1, 1, 0.5 that converges at once)."""
    return 2 * 20 * _MAX_TERMS * e.outputs[0].aval.size


def _float64_temporaries(count: int):
    """scratch: the impl's float64 working arrays (the operands broadcast and cast, both sides' operands, the Lentz
    state, masks), each the output's size: traced at ~21 (betainc) of them."""
    return lambda e: count * 8 * e.outputs[0].aval.size


def _dx(b, ins, order=0):
    return b.emit1("betainc_dx", *ins, **({"order": order} if order else {}))  # order 0: the default, unwritten


_WHY = ("its mixed second derivative w.r.t. a or b (the density's derivative w.r.t. a, b) is not implemented; "
        "betainc is differentiable w.r.t. a and b to first order, w.r.t. x to any order")


_PARTIALS = (lambda b, ins: b.emit1("betainc_da", *ins), lambda b, ins: b.emit1("betainc_db", *ins), _dx)


def _jvp(b, ins, outs, ts):
    # (only the partials a tangent needs: a forward pass of the x-tangent alone never emits betainc_da / _db,
    # whose own derivatives are refused)
    parts = [b.mul(t, d(b, ins)) for t, d in zip(ts, _PARTIALS) if t is not None]
    return [functools.reduce(b.add, parts) if parts else None]


defop("betainc", 3, rule_infer("betainc"), flops=_loop_flops, scratch=_float64_temporaries(24),
      doc="elementwise I_x(a, b), the regularized incomplete beta function (MindSpore ops.Betainc) with NumPy "
          "broadcasting; a, b > 0, 0 <= x <= 1 (NaN outside); differentiable w.r.t. x (any order) and a, b "
          "(first order)")
impl_rules["betainc"] = _regularized
vjp_rules["betainc"] = lambda b, ins, outs, cts: [b.mul(cts[0], d(b, ins)) for d in _PARTIALS]
jvp_rules["betainc"] = _jvp

def _dx_scratch(e) -> int:
    """_float64_temporaries' count for the density: ~14, and ~4 more for each term of Leibniz' rule (its
    coefficient, exponents and power): order + 1 terms."""
    return _float64_temporaries(14 + 4 * (e.attrs.get("order", 0) + 1))(e)


defop("betainc_dx", 3, rule_infer("betainc_dx"), attrs={"order": Attr("int", 0)}, scratch=_dx_scratch,
      underivable={0: _WHY, 1: _WHY},
      doc="elementwise x^(a-1) (1-x)^(b-1) / B(a, b) (the beta density; d/dx of betainc) with NumPy "
          "broadcasting, or its order-th x-derivative (attribute order, 0 the density), with its limits at "
          "x = 0 and 1; differentiable w.r.t. x only")
impl_rules["betainc_dx"] = _density
vjp_rules["betainc_dx"] = lambda b, ins, outs, cts, order=0: [None, None, b.mul(cts[0], _dx(b, ins, order + 1))]
jvp_rules["betainc_dx"] = lambda b, ins, outs, ts, order=0: [
    None if ts[2] is None else b.mul(ts[2], _dx(b, ins, order + 1))]
