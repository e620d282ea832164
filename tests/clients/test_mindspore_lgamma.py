"""ops.lgamma / digamma / mvlgamma and their Tensor methods, values and gradients.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv, where a line says so;
otherwise Python's math.lgamma, or central finite differences of the function itself.
"""
import math

import numpy as np
import pytest

from gradserve import Tensor, context, ops

X = np.array([0.5, 1.0, 2.5, 3.0, 10.0, -0.5, -2.5, 0.0, -1.0], np.float32)
MS_LGAMMA = [0.5723649263381958, 0.0, 0.28468286991119385, 0.6931471824645996, 12.801827430725098,
             1.2655121088027954, -0.056243713945150375, math.inf, math.inf]  # MindSpore 2.10


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_lgamma_values_and_poles_match_mindspore(on_real_server, mode):
    context.set_context(mode=mode)
    out = ops.lgamma(Tensor(X))
    assert out.dtype == Tensor(X).dtype
    np.testing.assert_allclose(out.asnumpy(), MS_LGAMMA, rtol=1e-6)
    np.testing.assert_allclose(Tensor(X).lgamma().asnumpy(), MS_LGAMMA, rtol=1e-6)


def test_lgamma_float64_and_int_input(on_real_server):
    x = np.array([0.5, 7.25, -3.3, 123.4], np.float64)
    np.testing.assert_allclose(ops.lgamma(Tensor(x)).asnumpy(), [math.lgamma(v) for v in x], rtol=1e-14)
    out = ops.lgamma(Tensor(np.array([1, 2, 5], np.int32)))  # MindSpore 2.10: Float32 [0, 0, log 24]
    assert "float32" in str(out.dtype).lower()
    np.testing.assert_allclose(out.asnumpy(), [0.0, 0.0, math.log(24.0)], rtol=1e-6, atol=1e-7)


def test_digamma_matches_mindspore(on_real_server):
    x = Tensor(np.array([0.5, 1.0, 2.5, 10.0, -0.5], np.float32))
    # MindSpore 2.10, except at -0.5: there by hand, psi(-0.5) = psi(0.5) + 2 = 2 - euler_gamma - 2 ln 2
    # = 0.0364899740 (MindSpore's float32 kernel gives 0.0364897773, 2e-7 off near psi's zero at -0.504)
    ms = [-1.9635108709335327, -0.5772159099578857, 0.7031567692756653, 2.2517526149749756,
          2 - 0.5772156649015329 - 2 * math.log(2)]
    np.testing.assert_allclose(ops.digamma(x).asnumpy(), ms, rtol=2e-6)
    np.testing.assert_allclose(x.digamma().asnumpy(), ms, rtol=2e-6)


def test_lgamma_gradient_is_digamma_against_finite_differences(on_real_server):
    x = np.array([0.5, 2.5, -0.5, 4.2, 0.03], np.float64)
    g = ops.grad(ops.lgamma)(Tensor(x)).asnumpy()
    h = 1e-6
    fd = [(math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h) for v in x]
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    g32 = ops.grad(ops.lgamma)(Tensor(np.array([0.5, 2.5, -0.5], np.float32))).asnumpy()
    np.testing.assert_allclose(g32, [-1.9635108709335327, 0.7031567692756653, 0.0364899740],
                               rtol=2e-6)  # MindSpore 2.10's grad (at -0.5 by hand: see test_digamma_...)


def test_lgamma_forward_mode_and_vmap(on_real_server):
    x = np.array([1.5, 3.0], np.float64)
    _, t = ops.jvp(ops.lgamma, Tensor(x), Tensor(np.array([1.0, 2.0])))
    h = 1e-6
    fd = [(math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h) * s for v, s in zip(x, (1.0, 2.0))]
    np.testing.assert_allclose(t.asnumpy(), fd, rtol=1e-6)
    batch = np.array([[0.5, 2.0], [3.5, 7.0]], np.float64)
    out = ops.vmap(ops.lgamma)(Tensor(batch)).asnumpy()
    np.testing.assert_allclose(out, np.vectorize(math.lgamma)(batch), rtol=1e-13)


def test_higher_derivatives_of_lgamma(on_real_server):
    # by hand: the 2nd derivative of lgamma at 1 is trigamma(1) = pi^2 / 6, the 3rd polygamma(2, 1) = -2 zeta(3)
    x = Tensor(np.array([1.0], np.float64))
    np.testing.assert_allclose(ops.grad(ops.grad(ops.lgamma))(x).asnumpy(), [math.pi ** 2 / 6], rtol=1e-12)
    zeta3 = 1.2020569031595942
    np.testing.assert_allclose(ops.grad(ops.grad(ops.grad(ops.lgamma)))(x).asnumpy(), [-2 * zeta3], rtol=1e-12)
    g = ops.grad(ops.digamma)(Tensor(np.array([0.5], np.float64))).asnumpy()
    np.testing.assert_allclose(g, [math.pi ** 2 / 2], rtol=1e-12)  # by hand: trigamma(1/2) = pi^2 / 2


def test_mvlgamma_matches_mindspore(on_real_server):
    y = Tensor(np.array([[3.0, 4.5], [2.0, 1.6]], np.float32))
    np.testing.assert_allclose(ops.mvlgamma(y, 3).asnumpy(), [[2.694924831390381, 7.163564205169678],
                                                              [1.5963125228881836, 1.952864408493042]],
                               rtol=2e-6)  # MindSpore 2.10
    np.testing.assert_allclose(y.mvlgamma(p=2).asnumpy(), [[1.5501949787139893, 4.817861080169678],
                                                           [0.4515827000141144, 0.4099006950855255]],
                               rtol=2e-6)  # MindSpore 2.10
    with pytest.raises(ValueError, match="'p' must be int and must > 0"):  # MindSpore 2.10's message
        ops.mvlgamma(y, 0)


def test_mvlgamma_with_p_one_is_lgamma_and_its_gradient(on_real_server):
    x = np.array([2.2, 5.0], np.float64)
    np.testing.assert_allclose(ops.mvlgamma(Tensor(x), 1).asnumpy(), [math.lgamma(v) for v in x], rtol=1e-14)
    g = ops.grad(lambda t: ops.mvlgamma(t, 2).sum())(Tensor(x)).asnumpy()
    h = 1e-6
    f = [lambda v: math.lgamma(v) + math.lgamma(v - 0.5) + 0.5 * math.log(math.pi)][0]
    np.testing.assert_allclose(g, [(f(v + h) - f(v - h)) / (2 * h) for v in x], rtol=1e-6)


def test_polygamma_mindspore_form(on_real_server):
    x = Tensor(np.array([0.5, 1.0, 2.5], np.float32))
    ms = {0: [-1.9635108709335327, -0.5772159099578857, 0.7031567692756653],
          1: [4.934802055358887, 1.644934058189392, 0.49035772681236267],
          2: [-16.828794479370117, -2.404114007949829, -0.23620404303073883]}  # MindSpore 2.10
    for n, want in ms.items():
        np.testing.assert_allclose(ops.polygamma(Tensor(n, "int64"), x).asnumpy(), want, rtol=2e-6)
    with pytest.raises(ValueError, match="'n' must be >= 0"):
        ops.polygamma(-1, x)
