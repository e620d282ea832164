"""The regularized incomplete gamma functions (JAX's lax.igamma / igammac, MindSpore's ops.igamma /
igammac, torch.special.gammainc / gammaincc):

  igamma(a, x)  = P(a, x) = gamma(a, x) / Gamma(a)   (lower)
  igammac(a, x) = Q(a, x) = 1 - P(a, x)              (upper)
  igamma_dx(a, x) = d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)  (the gamma density: their derivative w.r.t. x)

Values: P's power series where x < a + 1, Q's continued fraction (modified Lentz) elsewhere, each in
float64 with a fixed iteration budget (_MAX_TERMS) that reaches float64 precision for a up to ~5e4; an
element still short of it after the budget is NaN, never a truncated value. Domain as JAX: a >= 0, x >= 0,
not both 0 (NaN outside); P(a, 0) = 0, P(0, x > 0) = 1, P(a, inf) = 1.

Derivatives: w.r.t. x in closed form (igamma_dx, whose own x-derivative is igamma_dx * ((a-1)/x - 1)), to
any order, both modes. W.r.t. a: igamma_da(a, x) = d/da P(a, x), P's series differentiated term by term (where
x >= a + 1, -d/da Q: Q's continued fraction differentiated with its recurrence, exact relative to Q's size)
(first order only: its own derivatives, and igamma_dx's w.r.t. a, are a DifferentiationError naming the
op, never a zero).
"""
from __future__ import annotations

import math

from ._infer import rule_infer
from .registry import defop, impl_rules, jvp_rules, vjp_rules

_MAX_TERMS = 2000
_EPS = 2.0 ** -53
_TINY = 1e-300

# Lanczos approximation (g = 7, 9 coefficients): lgamma(a) to ~1e-15 relative for a >= 0.5
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)


def _lgamma(xp, a):
    """lgamma for a > 0 (float64 array): Lanczos at a >= 0.5, lgamma(a) = lgamma(a + 1) - log(a) below."""
    small = a < 0.5
    z = xp.where(small, a + 1.0, a) - 1.0
    s = xp.full_like(z, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], start=1):
        s = s + c / (z + k)
    t = z + _LANCZOS_G + 0.5
    big = 0.5 * math.log(2 * math.pi) + (z + 0.5) * xp.log(t) - t + xp.log(s)
    return xp.where(small, big - xp.log(xp.where(small, a, 1.0)), big)


def _log_prefactor(xp, a, x):
    """log(x^a e^-x / Gamma(a)) for a > 0, x > 0."""
    return a * xp.log(x) - x - _lgamma(xp, a)


def _lower_series(xp, a, x):
    """P(a, x) by sum_n x^n / ((a+1)...(a+n)) (fast where x < a + 1); NaN where not converged."""
    term = xp.ones_like(x) / a
    total = term
    ap = a
    done = xp.zeros_like(x) != 0
    for _ in range(_MAX_TERMS):
        ap = ap + 1.0
        term = term * x / ap
        total = total + term
        done = done | (xp.abs(term) <= xp.abs(total) * _EPS)
        if bool(xp.all(done)):
            break
    return xp.where(done, total * xp.exp(_log_prefactor(xp, a, x)), math.nan)


def _upper_fraction(xp, a, x):
    """Q(a, x) by its continued fraction, modified Lentz (fast where x >= a + 1); NaN where not converged."""
    b = x + 1.0 - a
    c = xp.full_like(x, 1.0 / _TINY)
    d = 1.0 / _nonzero(xp, b)
    h = d
    done = xp.zeros_like(x) != 0
    for i in range(1, _MAX_TERMS + 1):
        an = -i * (i - a)
        b = b + 2.0
        d = 1.0 / _nonzero(xp, an * d + b)
        c = _nonzero(xp, b + an / c)
        step = d * c
        h = h * step
        done = done | (xp.abs(step - 1.0) <= _EPS)
        if bool(xp.all(done)):
            break
    return xp.where(done, h * xp.exp(_log_prefactor(xp, a, x)), math.nan)


def _nonzero(xp, v):
    return xp.where(xp.abs(v) < _TINY, _TINY, v)


def _regularized(xp, a, x, upper: bool):
    """P (upper=False) or Q (upper=True), in a's and x's broadcast shape and dtype."""
    dtype = x.dtype
    a, x = xp.broadcast_arrays(xp.astype(a, xp.float64), xp.astype(x, xp.float64))
    # JAX's domain: a >= 0, x >= 0, not both 0 (P(0, x > 0) = 1, the limit a -> 0+)
    valid = (a >= 0) & (x >= 0) & ~((a == 0) & (x == 0)) & ~xp.isnan(a) & ~xp.isnan(x)
    inner = valid & (a > 0) & (x > 0) & (x < math.inf) & (a < math.inf)
    series = inner & (x < a + 1.0)
    # each method on the elements it serves (the others get a harmless 1, 1 so no loop runs on them)
    sa, sx = xp.where(series, a, 1.0), xp.where(series, x, 0.5)
    fa, fx = xp.where(inner & ~series, a, 1.0), xp.where(inner & ~series, x, 2.0)
    p = _lower_series(xp, sa, sx)
    q = _upper_fraction(xp, fa, fx)
    lower = xp.where(series, p, 1.0 - q)
    upper_v = xp.where(series, 1.0 - p, q)
    out = upper_v if upper else lower
    edge_p = xp.where(x == 0, 0.0, xp.where((x == math.inf) | (a == 0), 1.0, xp.full_like(x, math.nan)))  # a = inf: P = 0 for finite x
    edge_p = xp.where((a == math.inf) & (x < math.inf), 0.0, edge_p)
    edge = 1.0 - edge_p if upper else edge_p
    out = xp.where(inner, out, xp.where(valid, edge, math.nan))
    return xp.astype(out, dtype)


def _density(xp, a, x):
    """x^(a-1) e^-x / Gamma(a): 0 for x < 0 or x = inf; at x = 0: 1 if a = 1, 0 if a > 1, inf if a < 1."""
    dtype = x.dtype
    a, x = xp.broadcast_arrays(xp.astype(a, xp.float64), xp.astype(x, xp.float64))
    valid = (a > 0) & ~xp.isnan(x)
    pos = valid & (x > 0) & (x < math.inf)
    sx, sa = xp.where(pos, x, 1.0), xp.where(valid, a, 1.0)
    inner = xp.exp((sa - 1.0) * xp.log(sx) - sx - _lgamma(xp, sa))
    at0 = xp.where(a == 1.0, 1.0, xp.where(a > 1.0, 0.0, xp.full_like(a, math.inf)))
    out = xp.where(pos, inner, xp.where(x == 0, at0, 0.0))
    return xp.astype(xp.where(valid, out, math.nan), dtype)


def _dx(b, a, x):
    return b.emit1("igamma_dx", a, x)


def _da(b, a, x):
    return b.emit1("igamma_da", a, x)


def _series_da(xp, a, x):
    """d/da P(a, x) for a > 0, x > 0: P = e^(a log x - x - lgamma(a)) S with S = sum_n t_n,
    t_n = x^n / (a (a+1) ... (a+n)), so dP/da = e^(...) (S (log x - digamma(a)) + sum_n t_n dlog t_n / da),
    dlog t_n / da = -(1/a + ... + 1/(a+n)). The series converges for every x (in about x + a terms: NaN past
    the budget, as P's); used where x < a + 1 (beyond, P is near 1, the two sums nearly cancel and the result
    would be exact to ~1e-16 absolute only: _fraction_da there)."""
    term = xp.ones_like(x) / a
    harmonic = 1.0 / a
    total, dtotal = term, -term * harmonic
    ap = a
    done = xp.zeros_like(x) != 0
    for _ in range(_MAX_TERMS):
        ap = ap + 1.0
        term = term * x / ap
        harmonic = harmonic + 1.0 / ap
        total = total + term
        dtotal = dtotal - term * harmonic
        done = done | ((xp.abs(term) <= xp.abs(total) * _EPS) & (xp.abs(term * harmonic) <= xp.abs(dtotal) * _EPS))
        if bool(xp.all(done)):
            break
    out = xp.exp(_log_prefactor(xp, a, x)) * (total * (xp.log(x) - xp.digamma(a)) + dtotal)
    return xp.where(done, out, math.nan)


def _fraction_da(xp, a, x):
    """d/da Q(a, x) for x >= a + 1, where Q and its derivative are small and 1 - (P's series) would keep only
    ~1e-16 of them absolutely: Q = e^(a log x - x - lgamma(a)) F, F the continued fraction as the convergents
    p_k / q_k of its three-term recurrence (Cephes' igamc), differentiated along with it (p_k' and q_k'), so
    dQ/da = e^(...) (F (log x - digamma(a)) + F'). p and q are rescaled together (their ratio is F)."""
    y, z, c = 1.0 - a, x + 2.0 - a, xp.zeros_like(x)
    pm2, qm2, pm1, qm1 = xp.ones_like(x), x, x + 1.0, z * x
    dpm2, dqm2, dpm1, dqm1 = xp.zeros_like(x), xp.zeros_like(x), xp.zeros_like(x), -x  # (dz/da = -1)
    f, df = pm1 / qm1, -pm1 / (qm1 * qm1) * dqm1
    done = xp.zeros_like(x) != 0
    for _ in range(_MAX_TERMS):
        c, y, z = c + 1.0, y + 1.0, z + 2.0
        yc = y * c  # d(yc)/da = -c
        pk, qk = pm1 * z - pm2 * yc, qm1 * z - qm2 * yc
        dpk = dpm1 * z - pm1 - dpm2 * yc + pm2 * c
        dqk = dqm1 * z - qm1 - dqm2 * yc + qm2 * c
        ok = qk != 0
        qs = xp.where(ok, qk, 1.0)
        r = xp.where(ok, pk / qs, f)
        dr = xp.where(ok, (dpk - r * dqk) / qs, df)
        done = done | (ok & (xp.abs(r - f) <= xp.abs(r) * _EPS) & (xp.abs(dr - df) <= xp.abs(dr) * _EPS))
        f, df = r, dr
        pm2, qm2, pm1, qm1, dpm2, dqm2, dpm1, dqm1 = pm1, qm1, pk, qk, dpm1, dqm1, dpk, dqk
        scale = xp.where(xp.abs(pk) + xp.abs(dpk) > 2.0 ** 200, xp.full_like(x, 2.0 ** -200), 1.0)
        pm2, qm2, pm1, qm1 = pm2 * scale, qm2 * scale, pm1 * scale, qm1 * scale
        dpm2, dqm2, dpm1, dqm1 = dpm2 * scale, dqm2 * scale, dpm1 * scale, dqm1 * scale
        if bool(xp.all(done)):
            break
    out = xp.exp(_log_prefactor(xp, a, x)) * (f * (xp.log(x) - xp.digamma(a)) + df)
    return xp.where(done, out, math.nan)


def _da_values(xp, a, x):
    """igamma_da in a's and x's broadcast shape and dtype: 0 at x = 0 and x = inf (P is 0 / 1 there for
    every a), NaN outside the domain and at a = 0 (P jumps there)."""
    dtype = x.dtype
    a, x = xp.broadcast_arrays(xp.astype(a, xp.float64), xp.astype(x, xp.float64))
    inner = (a > 0) & (x > 0) & (x < math.inf) & (a < math.inf)
    series = inner & (x < a + 1.0)  # (the split igamma's own values use: _regularized)
    frac = inner & ~series
    d = xp.where(series, _series_da(xp, xp.where(series, a, 1.0), xp.where(series, x, 0.5)),
                 -_fraction_da(xp, xp.where(frac, a, 1.0), xp.where(frac, x, 2.0)))
    edge = xp.where((a > 0) & ((x == 0) | (x == math.inf)), 0.0, xp.full_like(x, math.nan))
    return xp.astype(xp.where(inner, d, edge), dtype)


def _loop_flops(e) -> int:
    """The cost model's estimate: two loops of ~10 operations a term over every element, at the ~100 terms
    that a up to a few hundred needs (the budget allows _MAX_TERMS, for a up to ~5e4)."""
    return 2 * 10 * 100 * e.outputs[0].aval.size


_WHY_A = ("its derivative w.r.t. a (a series of digamma terms; JAX's igamma_grad_a) is not implemented; "
          "differentiate w.r.t. x only, or keep a constant (a non-trainable parameter or input)")
_WHY_DA = ("igamma_da (d/da of igamma) has no derivative of its own: igamma / igammac are differentiable w.r.t. "
           "a to first order only")

for _name, _sign, _doc in (
        ("igamma", 1.0, "P(a, x), the regularized lower incomplete gamma function (MindSpore ops.igamma)"),
        ("igammac", -1.0, "Q(a, x) = 1 - P(a, x), the regularized upper incomplete gamma function "
                          "(MindSpore ops.igammac)")):
    defop(_name, 2, rule_infer(_name), broadcasts=True, flops=_loop_flops,
          doc=f"elementwise {_doc} with NumPy broadcasting; a > 0, x >= 0 (NaN outside); differentiable "
              f"w.r.t. x (any order) and a (first order)")
    impl_rules[_name] = (lambda upper: lambda xp, a, x: _regularized(xp, a, x, upper))(_sign < 0)

    def _vjp(b, ins, outs, cts, _s=_sign):
        ga = b.mul(cts[0], _da(b, ins[0], ins[1]))
        g = b.mul(cts[0], _dx(b, ins[0], ins[1]))
        return [ga if _s > 0 else b.neg(ga), g if _s > 0 else b.neg(g)]

    def _jvp(b, ins, outs, ts, _s=_sign):
        parts = [b.mul(t, d(b, ins[0], ins[1])) for t, d in ((ts[0], _da), (ts[1], _dx)) if t is not None]
        if not parts:
            return [None]
        t = parts[0] if len(parts) == 1 else b.add(parts[0], parts[1])
        return [t if _s > 0 else b.neg(t)]

    vjp_rules[_name], jvp_rules[_name] = _vjp, _jvp


def _dx_slope(b, a, x, out):
    """d/dx igamma_dx(a, x) = igamma_dx(a, x) * ((a - 1) / x - 1)."""
    one = b.scalar(1.0, x.dtype)
    return b.mul(out, b.sub(b.div(b.sub(a, one), x), one))


defop("igamma_dx", 2, rule_infer("igamma_dx"), broadcasts=True, underivable={0: _WHY_A},
      doc="elementwise x^(a-1) e^-x / Gamma(a) (the gamma density; d/dx of igamma) with NumPy broadcasting; "
          "differentiable w.r.t. x only")
impl_rules["igamma_dx"] = _density
vjp_rules["igamma_dx"] = lambda b, ins, outs, cts: [None, b.mul(cts[0], _dx_slope(b, ins[0], ins[1], outs[0]))]
jvp_rules["igamma_dx"] = lambda b, ins, outs, ts: [
    None if ts[1] is None else b.mul(ts[1], _dx_slope(b, ins[0], ins[1], outs[0]))]

defop("igamma_da", 2, rule_infer("igamma_da"), broadcasts=True, underivable={0: _WHY_DA, 1: _WHY_DA},
      flops=_loop_flops, doc="elementwise d/da P(a, x) (the derivative of igamma w.r.t. a) with NumPy broadcasting; "
                             "not differentiable itself")
impl_rules["igamma_da"] = _da_values
