"""Functions whose outputs are (partly) constants -- a shape tuple, a Python number -- under
GradOperation / grad with and without sens. A constant reaches no input, so its gradient
contribution is zero; a sens given for it (mirroring the outputs, as MindSpore programs pass
the forward result back as sens) is accepted and ignored. Expected values by hand."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops
from gradserve.ops import GradOperation

X = np.arange(6, dtype=np.float32).reshape(2, 3)


class ShapeOf(nn.Cell):
    def construct(self, x):
        return ops.Shape()(x)


class Mixed(nn.Cell):
    def construct(self, x):
        return x * 3.0, ops.shape(x)


class Wrap(nn.Cell):
    def __init__(self, net, **flags):
        super().__init__()
        self.net, self.grad = net, GradOperation(**flags)

    def construct(self, *args):
        return self.grad(self.net)(*args)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_only_constant_outputs_give_zero_gradients(on_real_server, dtype):
    x = Tensor(X.astype(dtype))
    shape = ShapeOf()(x)
    assert shape == (2, 3)
    for grads in (Wrap(ShapeOf(), get_all=True)(x), Wrap(ShapeOf(), get_all=True, sens_param=True)(x, shape)):
        assert len(grads) == 1
        np.testing.assert_array_equal(grads[0].asnumpy(), np.zeros_like(X))
        assert grads[0].dtype == x.dtype
    np.testing.assert_array_equal(ops.grad(ShapeOf(), sens_param=True)(x, shape).asnumpy(), np.zeros_like(X))


def test_sens_for_a_constant_output_is_ignored(on_real_server):
    sens = Tensor(np.full_like(X, 2.0))
    g = GradOperation(sens_param=True)(Mixed())(Tensor(X), (sens, (2, 3)))
    np.testing.assert_allclose(g.asnumpy(), np.full_like(X, 6.0))   # d(3x)/dx * 2
    g_vals = ops.value_and_grad(Mixed(), sens_param=True)(Tensor(X), (sens, (2, 3)))
    np.testing.assert_allclose(g_vals[1].asnumpy(), np.full_like(X, 6.0))
    assert g_vals[0][1] == (2, 3)


def test_a_sens_of_the_wrong_length_is_still_an_error(on_real_server):
    with pytest.raises(gs.errors.ShapeError, match="sens"):
        GradOperation(sens_param=True)(Mixed())(Tensor(X), (Tensor(X), Tensor(X), Tensor(X)))
