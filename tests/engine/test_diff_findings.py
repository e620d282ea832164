"""Regressions from the differential hunt against JAX (tests/engine/diff_jax.py): each a value gradserve
got wrong silently, with its expected value from an independent source named beside it."""
from __future__ import annotations

import numpy as np
import pytest

from engine import GraphBuilder
from engine.api import evaluate


def _unary(op, x):
    gb = GraphBuilder("f")
    a = gb.input(x.shape, str(x.dtype), "a")
    return gb.build(gb.emit(op, [a], {})[0])


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lgamma_at_minus_infinity_is_plus_infinity(backend, dtype):
    # |Gamma(x)| has no limit as x -> -inf, and C99 / IEEE (lgamma(-inf) = +inf), torch, JAX and MindSpore 2.10
    # (ops.lgamma) all return +inf; SciPy's gammaln (the numpy backend's) returns -inf.
    x = np.array([-np.inf, np.inf, np.nan, 1.0], dtype)
    got = np.asarray(evaluate(_unary("lgamma", x), x, backend=backend))
    np.testing.assert_array_equal(got, np.array([np.inf, np.inf, np.nan, 0.0], dtype))


def test_torch_trigamma_matches_scipy_at_poles_and_in_between():
    # torch.special.polygamma(1, x) gives finite values at the poles x = -1, -1e300 (6.6e32, 12.1) and is off by
    # ~1e-9 relative elsewhere; the reference is SciPy's polygamma (the numpy backend's), an independent library
    pytest.importorskip("torch")
    from scipy.special import polygamma
    x = np.array([-1.0, -1e300, -2.5, -0.3, 0.37, 1.7, 3.2, 40.0, 1e10])
    gb = GraphBuilder("f")
    a = gb.input(x.shape, "float64", "a")
    g = gb.build(gb.emit("polygamma", [a], {"n": 1})[0])
    got = np.asarray(evaluate(g, x, backend="torch"))
    np.testing.assert_allclose(got, polygamma(1, x), rtol=1e-13)


# (x, y) whose quotient x / y overflows the dtype, each sign, a subnormal divisor, then ordinary pairs; tiled past
# the SIMD width: torch's vectorised fmod kernel gave NaN where x / y overflows (a 1-element tensor was right)
_HUGE_QUOTIENT = {
    "float64": [(1e300, 1e-300), (-1e300, 1e-300), (1e300, -1e-300), (-1e300, -1e-300), (1e308, 5e-324),
                (-3.5e200, 7e-150), (1.5, 0.4), (-7.0, 2.0), (5.0, -3.0), (-0.0, 2.0)],
    "float32": [(1e38, 1e-38), (-1e38, 1e-38), (1e30, -1e-10), (-3e38, -1e-45), (2e20, 3e-19),
                (1.5, 0.4), (-7.0, 2.0), (5.0, -3.0), (-0.0, 2.0)],
}


@pytest.mark.parametrize("op, quotient", [("fmod", np.trunc), ("remainder", np.floor)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_fmod_remainder_with_a_huge_quotient(op, quotient, dtype):
    # values: C's fmod and Python's sign rule for remainder, through NumPy (fmod(1e300, 1e-300) = 4.89e-301; JAX
    # agrees). Gradient: d/dx = 1, d/dy = -trunc(x / y) (fmod) or -floor(x / y) (remainder), infinite where x / y
    # overflows: what JAX, torch.autograd and MindSpore 2.10 (ms.grad of ops.fmod / ops.remainder) all give
    pytest.importorskip("torch")
    from engine.transforms import vjp
    pairs = np.array(_HUGE_QUOTIENT[dtype] * 8, dtype)
    x, y = pairs[:, 0].copy(), pairs[:, 1].copy()
    gb = GraphBuilder("f")
    a, b = gb.input(x.shape, dtype, "a"), gb.input(y.shape, dtype, "b")
    g = gb.build(gb.emit(op, [a, b], {})[0])
    ref = np.fmod if op == "fmod" else np.remainder
    np.testing.assert_array_equal(np.asarray(evaluate(g, x, y, backend="torch")), ref(x, y))
    with np.errstate(over="ignore"):
        want_dy = -quotient(x / y)
    assert np.isinf(want_dy[:4]).all()
    _, (dx, dy) = evaluate(vjp(g), x, y, np.ones_like(x), backend="torch")
    np.testing.assert_array_equal(np.asarray(dx), np.ones_like(x))
    np.testing.assert_array_equal(np.asarray(dy), want_dy)
