"""`_no_grad()` as a context manager and a decorator: what is computed under it passes no gradient
back; computing a gradient under it is a RuntimeError. Values by hand:
y = w x + b, m = y w (under _no_grad, so a constant), z = m y: dz/dx = m w; without the block
dz/dx = d(w y^2)/dx = 2 w^2 y."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, _no_grad, nn, ops

W, B, X = 5.0, 5.0, 2.0
Y = W * X + B


class Net(nn.Cell):
    def __init__(self, cut=True):
        super().__init__()
        self.w = Parameter(Tensor(np.array([W], np.float32)), name="w")
        self.b = Parameter(Tensor(np.array([B], np.float32)), name="b")
        self.cut = cut

    def construct(self, x):
        y = self.w * x + self.b
        if self.cut:
            with _no_grad():
                m = y * self.w
        else:
            m = y * self.w
        return m * y


def x():
    return Tensor(np.array([X], np.float32))


def test_block_cuts_the_gradient(fake):
    np.testing.assert_allclose(ops.grad(Net())(x()).asnumpy(), [Y * W * W])       # m w = (y w) w
    np.testing.assert_allclose(ops.grad(Net(cut=False))(x()).asnumpy(), [2 * W * W * Y])
    np.testing.assert_allclose(Net()(x()).asnumpy(), [Y * W * Y])                   # values unchanged


def test_decorated_construct_and_nesting(fake):
    class Inner(nn.Cell):
        @_no_grad()
        def construct(self, v):
            return v * v * 3.0

    class Outer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def construct(self, v):
            s = v * v
            return s + self.inner(s)   # only s = v^2 carries the gradient: 2v

    np.testing.assert_allclose(ops.grad(Outer())(x()).asnumpy(), [2 * X])


def test_gradient_inside_the_block_is_an_error(fake):
    def f(v):
        with _no_grad():
            return ops.grad(lambda u: u * u)(v)

    with pytest.raises(RuntimeError, match="_no_grad"):
        f(x())
    np.testing.assert_allclose(ops.grad(lambda u: u * u)(x()).asnumpy(), [2 * X])   # the flag is reset
