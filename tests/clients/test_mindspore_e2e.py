"""The MindSpore-fidelity paths on a real gradserve-server, over REST and gRPC: a custom bprop
(engine custom_vjp) at second order, integer gradients (grad's int_grads), the gradient through a
Cast to int32. Values by hand (see test_mindspore_bprop / test_mindspore_ints)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops


class ScaledRelu(nn.Cell):
    def construct(self, x):
        return ops.relu(x)

    def bprop(self, x, out, dout):
        return (5 * x * dout,)


def test_mindspore_paths_on_the_server(on_real_server_each_transport):
    x = Tensor(np.array([0.5, 2.0], np.float32))
    g2 = ops.GradOperation()(ops.GradOperation()(ScaledRelu()))(x)
    np.testing.assert_allclose(g2.asnumpy(), [5.0, 5.0])
    ga, gb = gs.grad(lambda a, b: a * b, (0, 1))(Tensor(np.array([1, 2], np.int32)),
                                                  Tensor(np.array([3, 4], np.int32)))
    assert ga.dtype == gs.int32
    np.testing.assert_array_equal(ga.asnumpy(), [3, 4])
    np.testing.assert_array_equal(gb.asnumpy(), [1, 2])
    gc = gs.grad(lambda v: ops.cast(v, gs.int32) * 3)(x)
    np.testing.assert_array_equal(gc.asnumpy(), [3.0, 3.0])
