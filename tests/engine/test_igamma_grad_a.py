"""igamma / igammac differentiated w.r.t. a (engine/ops/special_gamma.py: igamma_da, P's series differentiated term
by term). Independent sources: mpmath's numerical derivative of its regularized incomplete gamma at 30 digits,
central differences of SciPy's gammainc in float64, and MindSpore 2.10's float64 gradients (its venv) for the same
points, which are ~2e-6 off mpmath's where a >= 10 (its own approximation: -0.127214808 for a = x = 10 where
mpmath gives -0.1272148232099, as do we); both modes, broadcast a."""
import numpy as np
import pytest
from scipy.special import gammainc

from engine import Engine, GraphBuilder, grad, jvp
from engine.errors import DifferentiationError

A = np.array([0.5, 2.0, 4.0, 10.0, 22.0, 50.0, 3.0, 1.0])
X = np.array([0.3, 2.0, 3.0, 10.0, 22.0, 50.0, 30.0, 1e-3])
# MindSpore 2.10 CPU, ops.grad(ops.igamma, (0, 1))(A, X) in float64: its gradient w.r.t. a
MS_DA = [-7.70570353e-01, -2.94004692e-01, -2.01530447e-01, -1.27214808e-01, -8.53779348e-02, -5.65130235e-02,
         -1.13100810e-10, -7.32712546e-03]


def _mpmath_da(a, x):
    import mpmath as mp

    with mp.workdps(30):
        return float(mp.diff(lambda s: mp.gammainc(s, 0, x, regularized=True), a))


def _fd(a, x, h=1e-6):
    return (gammainc(a + h, x) - gammainc(a - h, x)) / (2 * h)


def _graph(op, a_shape, x_shape):
    b = GraphBuilder("f")
    a, x = b.input(a_shape, "float64", name="a"), b.input(x_shape, "float64", name="x")
    return b.build(b.sum(b.emit(op, [a, x], {})[0]))


@pytest.mark.parametrize("op,sign", [("igamma", 1.0), ("igammac", -1.0)])
def test_gradient_wrt_a_matches_scipy_and_mindspore(op, sign):
    eng = Engine("numpy")
    ga, gx = eng.run(grad(_graph(op, (8,), (8,)), grad_position=(0, 1)), [A, X])
    np.testing.assert_allclose(ga, sign * np.array([_mpmath_da(a, x) for a, x in zip(A, X)]), rtol=1e-9, atol=0)
    np.testing.assert_allclose(ga, sign * np.asarray(MS_DA), rtol=3e-6, atol=1e-15)
    np.testing.assert_allclose(ga, sign * _fd(A, X), rtol=1e-6, atol=1e-9)
    # forward mode: the tangent of a alone
    _, tan = eng.run(jvp(_graph(op, (8,), (8,))), [A, X, np.ones(8), np.zeros(8)])
    np.testing.assert_allclose(tan, np.sum(ga), rtol=1e-12)


def test_broadcast_a_sums_over_x_and_edges():
    eng = Engine("numpy")
    a = np.array([[0.6], [2.5], [6.0]])
    x = np.array([[0.3, 1.0, 4.0, 9.0]])
    ga, = eng.run(grad(_graph("igamma", (3, 1), (1, 4)), grad_position=(0,)), [a, x])
    np.testing.assert_allclose(ga, _fd(a, x).sum(axis=1, keepdims=True), rtol=1e-6)
    ga, = eng.run(grad(_graph("igamma", (3,), (3,)), grad_position=(0,)),
                  [np.array([2.0, 2.0, -1.0]), np.array([0.0, np.inf, 1.0])])
    assert ga[0] == 0.0 and ga[1] == 0.0 and np.isnan(ga[2])  # P is flat in a at x = 0 and inf; a < 0 outside


def test_second_derivative_wrt_a_is_refused_by_name():
    g1 = grad(_graph("igamma", (2,), (2,)), grad_position=(0,))
    with pytest.raises(DifferentiationError, match="igamma_da"):
        Engine("numpy").run(grad(g1, grad_position=(0,)), [np.array([1.0, 2.0]), np.array([1.0, 2.0])])


def test_gradient_wrt_a_in_the_upper_tail_is_relatively_exact():
    # where x >> a, Q(a, x) and dQ/da are tiny (Q(2, 50) ~ 1e-20): d/da of igammac there must be exact relative to
    # its own size (a log-survival's gradient divides by Q), not 1e-16 absolute (mpmath at 30 digits)
    a = np.array([1.0, 2.0, 0.5, 20.0, 3.0, 1.5])
    x = np.array([30.0, 50.0, 20.0, 60.0, 200.0, 700.0])
    eng = Engine("numpy")
    ga, = eng.run(grad(_graph("igammac", (6,), (6,)), grad_position=(0,)), [a, x])
    import mpmath as mp

    with mp.workdps(30):  # (Q itself, not 1 - P: at 30 digits P(3, 200) is 1)
        want = [float(mp.diff(lambda s: mp.gammainc(s, xi, mp.inf, regularized=True), ai)) for ai, xi in zip(a, x)]
    np.testing.assert_allclose(ga, want, rtol=1e-9, atol=0)
