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
