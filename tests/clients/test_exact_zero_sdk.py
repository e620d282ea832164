"""A Cell multiplying by 0 (or dividing 0 by x) computes the products: NaN * 0 and inf * 0 are NaN, as in
MindSpore and NumPy (a zero of the user's graph is a value, not a pruned derivative); the gradient with
respect to an input the output ignores is still zeros (MindSpore's zero-like gradient), even at NaN.
Expected values: NumPy on the same inputs."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops

X = np.array([np.nan, 1.0, np.inf, 0.0], np.float32)


class TimesZero(nn.Cell):
    def construct(self, x):
        return x * 0, 0 * x, 0 / x, ops.matmul(ops.reshape(x, (1, 4)), ops.zeros((4, 2), ms.float32))


class Ignores(nn.Cell):
    def construct(self, x, y):
        return (x * x).sum()


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_products_with_zero_are_computed(on_real_server, mode):
    ms.set_context(mode=mode)
    got = TimesZero()(Tensor(X))
    with np.errstate(invalid="ignore", divide="ignore"):
        want = (X * 0, 0 * X, np.float32(0) / X, X.reshape(1, 4) @ np.zeros((4, 2), np.float32))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.asnumpy(), w)


def test_gradient_of_an_ignored_input_is_zeros_at_nan(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    x = np.array([1.0, -2.0, 3.0, 0.5], np.float32)
    gx, gy = ms.grad(Ignores(), grad_position=(0, 1))(Tensor(x), Tensor(X))
    np.testing.assert_array_equal(gx.asnumpy(), 2 * x)
    np.testing.assert_array_equal(gy.asnumpy(), np.zeros(4, np.float32))
