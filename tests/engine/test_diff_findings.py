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
