"""betainc's x-derivatives of orders 1-4 (engine/ops/special_beta.py: betainc_dx and its attribute order), inside
(0, 1) and at x = 0 and x = 1, where the density's derivatives have limits (0, finite or signed inf) that the
product rule through (a - 1) / x turned into NaN (inf * 0).

References, independent of the engine: mpmath at 60 digits, numerical derivatives of its incomplete beta
(inside) and, at the ends, of its beta density at x = 1e-60 from the end (each power's exponent is a multiple of
1/2 away from 0 below, so the value there is the limit to ~1e-30, or beyond 1e25 where the limit is inf)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import GraphBuilder, evaluate, grad
from engine.errors import EngineError

mpmath = pytest.importorskip("mpmath")


def _derivative_graph(order: int, shape=()):
    gb = GraphBuilder("betainc")
    a, b, x = (gb.input(shape, "float64", name=n) for n in "abx")
    g = gb.build(gb.emit("betainc", [a, b, x], {})[0])
    for _ in range(order):
        g = grad(g, grad_position=2)
    return g


def _mp_inside(a, b, x, order):
    with mpmath.workdps(60):
        return float(mpmath.diff(lambda t: mpmath.betainc(a, b, 0, t, regularized=True), x, order))


def _mp_at_end(a, b, end, order):
    """The (order - 1)-th derivative of the density 1e-60 inside the end (orders of betainc: one more)."""
    with mpmath.workdps(200):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        dens = lambda t: t ** (a - 1) * (1 - t) ** (b - 1) / mpmath.beta(a, b)  # noqa: E731
        x = mpmath.mpf("1e-60") if end == 0 else 1 - mpmath.mpf("1e-60")
        return float(mpmath.diff(dens, x, order - 1, h=mpmath.mpf("1e-90")))


ABS = [(0.5, 2.0), (1.0, 3.0), (1.5, 1.0), (2.0, 2.5), (2.5, 4.0), (3.0, 0.5), (4.0, 1.5)]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_inside_against_mpmath(order):
    a = np.array([p[0] for p in ABS])
    b = np.array([p[1] for p in ABS])
    x = np.linspace(0.07, 0.93, len(ABS))
    got = evaluate(_derivative_graph(order, a.shape), a, b, x)
    want = np.array([_mp_inside(*v, order) for v in zip(a, b, x)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("end", [0.0, 1.0])
def test_limits_at_the_ends(order, end):
    a = np.array([p[0] for p in ABS] + [p[1] for p in ABS])
    b = np.array([p[1] for p in ABS] + [p[0] for p in ABS])
    got = evaluate(_derivative_graph(order, a.shape), a, b, np.full(a.shape, end))
    want = np.array([_mp_at_end(p, q, end, order) for p, q in zip(a, b)])
    assert not np.isnan(got).any()
    infinite = np.abs(want) > 1e25
    assert (np.isinf(got) == infinite).all() and (np.sign(got[infinite]) == np.sign(want[infinite])).all()
    np.testing.assert_allclose(got[~infinite], want[~infinite], rtol=1e-12, atol=1e-12)


def test_near_the_ends_approaches_the_limits():
    """At x = 1e-12 and 1 - 1e-12 the second derivative matches mpmath (a or b = 1 + 1e-9 too, whose limit at
    the end is inf, reached only much closer) and, for a, b in {1, 2, 3}, the value at the end."""
    for a, b, exact in ((np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 3.0]), True),
                        (np.array([1 + 1e-9, 2.5]), np.array([1 + 1e-9, 0.7]), False)):
        g = _derivative_graph(2, a.shape)
        for end, near in ((0.0, 1e-12), (1.0, 1 - 1e-12)):
            close = evaluate(g, a, b, np.full(a.shape, near))
            want = np.array([_mp_inside(p, q, near, 2) for p, q in zip(a, b)])
            np.testing.assert_allclose(close, want, rtol=1e-6)
            if exact:
                np.testing.assert_allclose(evaluate(g, a, b, np.full(a.shape, end)), want, rtol=1e-6, atol=1e-9)


def test_negative_order_is_refused_naming_the_attribute():
    gb = GraphBuilder("dx")
    ins = [gb.input((), "float64", name=n) for n in "abx"]
    with pytest.raises(EngineError, match="order must be >= 0"):
        gb.emit("betainc_dx", ins, {"order": -1})
