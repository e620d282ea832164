"""betainc's derivatives w.r.t. a and b (engine/ops/special_beta_ab.py) against central finite differences of SciPy's
betainc in float64 (independent of the engine): both sides of the split x = (a+1)/(a+b+2), small and large a and
b, the ends x = 0 and 1 (I is constant there: 0), and jvp = vjp. MindSpore 2.10 returns zeros here (its bprop's
placeholder, run by hand: a = [0.5, 2, 3], b = [1.5, 0.7, 2], x = [0.3, 0.6, 0.9] gives [0, 0, 0] for a and b)."""
import numpy as np
import pytest

from engine import GraphBuilder, evaluate, grad, jvp
from engine.errors import EngineError

sp = pytest.importorskip("scipy.special")

A = np.array([0.5, 2.0, 3.0, 0.3, 10.0, 50.0, 1.0, 2.0, 0.8, 200.0])
B = np.array([1.5, 0.7, 2.0, 4.0, 12.0, 40.0, 1.0, 3.0, 0.4, 150.0])
X = np.array([0.3, 0.6, 0.9, 0.05, 0.5, 0.55, 0.0, 1.0, 0.999, 0.58])


def _graph(shape):
    gb = GraphBuilder("betainc")
    a, b, x = (gb.input(shape, "float64", name=n) for n in "abx")
    return gb.build(gb.sum(gb.emit("betainc", [a, b, x], {})[0]))


def _fd(i, h=1e-6):
    up, down = [A, B, X], [A, B, X]
    up[i], down[i] = up[i] + h, down[i] - h
    return (sp.betainc(*up) - sp.betainc(*down)) / (2 * h)


def test_gradients_wrt_a_and_b_match_finite_differences():
    da, db, dx = evaluate(grad(_graph(A.shape), grad_position=(0, 1, 2)), A, B, X)
    np.testing.assert_allclose(da, _fd(0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, _fd(1), rtol=1e-6, atol=1e-8)
    assert da[6] == db[6] == da[7] == db[7] == 0.0  # x = 0 and 1: I is 0 / 1 for every a, b
    assert abs(da[0] + 0.58962175) < 1e-7 and abs(db[1] - 0.36918352) < 1e-7  # (values of this run, = the FDs)


def test_jvp_of_a_and_b_equals_the_vjp():
    ta, tb = np.linspace(-1, 1, A.size), np.linspace(0.5, -0.3, A.size)
    _, tangent = evaluate(jvp(_graph(A.shape), positions=(0, 1)), A, B, X, ta, tb)
    np.testing.assert_allclose(tangent, (_fd(0) * ta + _fd(1) * tb).sum(), rtol=1e-6)


def test_second_derivative_wrt_a_is_refused_by_name():
    g = grad(_graph(()), grad_position=0)
    with pytest.raises(EngineError, match="betainc_da.*first order only"):
        evaluate(grad(g, grad_position=0), 2.0, 3.0, 0.4)
