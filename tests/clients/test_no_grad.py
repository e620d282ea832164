"""mindspore._no_grad: values computed inside are constants to derivatives; a derivative asked for
inside is an error. Expected values by hand (chain rule), checked on the real server."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, Tensor, nn, ops


class Affine(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([3.0], np.float32)), name="w")
        self.b = Parameter(Tensor(np.array([1.0], np.float32)), name="b")

    def construct(self, x):
        y = self.w * x + self.b
        with gs._no_grad():
            m = y * self.w  # constant below
        return m * y


def test_values_inside_are_constants(on_real_server):
    x = Tensor(np.array([2.0], np.float32))
    # y = 3x + 1 = 7, m = 21 (constant): d(m*y)/dx = m * 3 = 63 (63 + y*w*3 = 210 without _no_grad)
    np.testing.assert_allclose(ops.grad(Affine())(x).asnumpy(), [63.0])
    net = Affine()
    _, (gw, gb) = ops.grad(net, grad_position=0, weights=net.trainable_params())(x)
    # d/dw of m*y with m constant: m * x = 42; d/db: m = 21
    np.testing.assert_allclose([gw.asnumpy()[0], gb.asnumpy()[0]], [42.0, 21.0])


def test_decorator_on_construct(on_real_server):
    class Inner(nn.Cell):
        @gs._no_grad()
        def construct(self, x):
            return x * x * x

    class Outer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def construct(self, x):
            return x * x + self.inner(x)

    x = Tensor(np.array([2.0, -1.0], np.float32))
    np.testing.assert_allclose(ops.grad(Outer())(x).asnumpy(), [4.0, -2.0])  # 2x only
    np.testing.assert_allclose(Outer()(x).asnumpy(), [12.0, 0.0])  # forward value unchanged


def test_a_derivative_inside_is_an_error(on_real_server):
    def f(x):
        with gs._no_grad():
            return ops.grad(lambda v: (v * v).sum())(x)

    with pytest.raises(RuntimeError, match="no_grad"):
        f(Tensor(np.array([1.0], np.float32)))
    with pytest.raises(RuntimeError, match="no_grad"):
        gs.jit(f)(Tensor(np.array([1.0], np.float32)))
    # the scope is left cleanly after the error
    np.testing.assert_allclose(ops.grad(lambda v: (v * v).sum())(Tensor(np.array([1.5], np.float32))).asnumpy(), [3.0])
