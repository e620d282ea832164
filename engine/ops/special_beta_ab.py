"""betainc's derivatives w.r.t. a and b (engine/ops/special_beta.py gives the values and d/dx):

  betainc_da(a, b, x) = d/da I_x(a, b),  betainc_db(a, b, x) = d/db I_x(a, b)

From I_x(a, b) = P U with P = x^a (1-x)^b / B(a, b) and U = sum_n u_n, u_0 = 1/a, u_{n+1} = u_n x (a+b+n) / (a+1+n)
(the hypergeometric series 2F1(a+b, 1; a+1; x) / a, DLMF 8.17.8), differentiated term by term:
  dI/da = P (U (log x - digamma(a) + digamma(a+b)) + sum_n u_n (-1/a + sum_{k<n} 1/(a+b+k) - 1/(a+1+k)))
  dI/db = P (U (log(1-x) - digamma(b) + digamma(a+b)) + sum_n u_n sum_{k<n} 1/(a+b+k)).
The series' ratio is below 1 from its first term where x < (a+1)/(a+b+2) (betainc's own split); elsewhere
I_x(a, b) = 1 - I_{1-x}(b, a), so d/da there is -(d/db at (b, a, 1-x)) and d/db is -(d/da at (b, a, 1-x)). NaN past
the term budget (as betainc's values), 0 at x = 0 and x = 1 (I is 0 / 1 there for every a, b). MindSpore 2.10
returns zeros for both (its bprop's placeholder), which is not the derivative; checked against float64 finite
differences of SciPy's betainc (tests/engine/test_betainc_grad_ab.py).
"""
from __future__ import annotations

import math

from ._infer import rule_infer
from .registry import defop, impl_rules, jvp_rules, vjp_rules
from .special_beta import _MAX_TERMS, _log_beta

_EPS = 2.0 ** -53


def _series(xp, a, b, x):
    """(d/da, d/db) of I_x(a, b) by the series above, for elements on the front side of the split."""
    u = 1.0 / a
    da_log, db_log = -1.0 / a, xp.zeros_like(x)  # d log u_n / da, d log u_n / db
    total, dsum_a, dsum_b = u, u * da_log, xp.zeros_like(x)
    done = xp.zeros_like(x) != 0
    n = 0.0
    for _ in range(_MAX_TERMS):
        u = u * x * (a + b + n) / (a + 1.0 + n)
        da_log = da_log + 1.0 / (a + b + n) - 1.0 / (a + 1.0 + n)
        db_log = db_log + 1.0 / (a + b + n)
        n += 1.0
        total, dsum_a, dsum_b = total + u, dsum_a + u * da_log, dsum_b + u * db_log
        small = xp.abs(u) * (1.0 + xp.abs(da_log) + xp.abs(db_log))
        done = done | (small <= _EPS * (xp.abs(total) + xp.abs(dsum_a) + xp.abs(dsum_b)))
        if bool(xp.all(done)):
            break
    p = xp.exp(a * xp.log(x) + b * xp.log1p(-x) - _log_beta(xp, a, b))
    common = xp.digamma(a + b)
    da = p * (total * (xp.log(x) - xp.digamma(a) + common) + dsum_a)
    db = p * (total * (xp.log1p(-x) - xp.digamma(b) + common) + dsum_b)
    return xp.where(done, da, math.nan), xp.where(done, db, math.nan)


def _derivatives(xp, a, b, x, wrt: int):
    """d/da (wrt 0) or d/db (wrt 1) of I_x(a, b) in the broadcast shape, in x's dtype."""
    dtype = x.dtype
    a, b, x = xp.broadcast_arrays(*(xp.astype(v, xp.float64) for v in (a, b, x)))
    valid = (a > 0) & (b > 0) & (x >= 0) & (x <= 1) & (a < math.inf) & (b < math.inf)
    inner = valid & (x > 0) & (x < 1)
    front = inner & (x < (a + 1.0) / (a + b + 2.0))
    back = inner & ~front
    f = _series(xp, *(xp.where(front, v, d) for v, d in ((a, 1.0), (b, 1.0), (x, 0.5))))
    r = _series(xp, *(xp.where(back, v, d) for v, d in ((b, 1.0), (a, 1.0), (1.0 - x, 0.5))))
    out = xp.where(front, f[wrt], -r[1 - wrt])
    out = xp.where(inner, out, xp.where(valid, 0.0, math.nan))
    return xp.astype(out, dtype)


def _flops(e) -> int:
    """The cost model's estimate: ~25 operations a term, both sides' series over every element, at the ~200 terms
    that moderate a and b need (the budget allows _MAX_TERMS)."""
    return 2 * 25 * 200 * e.outputs[0].aval.size


_WHY = ("betainc_da / betainc_db (betainc's derivatives w.r.t. a and b) have no derivatives of their own: betainc "
        "is differentiable w.r.t. a and b to first order only")

for _wrt, _name in enumerate(("betainc_da", "betainc_db")):
    defop(_name, 3, rule_infer(_name), underivable={0: _WHY, 1: _WHY, 2: _WHY}, flops=_flops,
          doc=f"elementwise d/d{'ab'[_wrt]} I_x(a, b) (betainc's derivative w.r.t. {'ab'[_wrt]}) with NumPy "
              "broadcasting; 0 at x = 0 and 1, NaN outside betainc's domain; not differentiable itself")
    impl_rules[_name] = (lambda w: lambda xp, a, b, x: _derivatives(xp, a, b, x, w))(_wrt)
    # (rules that never run: `underivable` refuses first, naming the op, where a derivative would pass through)
    vjp_rules[_name] = lambda b, ins, outs, cts: [None, None, None]
    jvp_rules[_name] = lambda b, ins, outs, ts: [None]
