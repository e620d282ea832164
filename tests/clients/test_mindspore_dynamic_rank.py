"""Dynamic rank as MindSpore's tests use it: a reduction whose axes are a traced Tensor (declared with
set_inputs(Tensor(shape=(None,)))) reads their values in the call, so the result's rank follows them; integer
max / min gradients (1 / ties truncated, as MindSpore 2.10's integer division); ops.dyn_shape. Expected values
from MindSpore 2.10 (CPU) running the same programs in its venv."""
import numpy as np

import gradserve as ms
from gradserve import Tensor, nn, ops


class _Net(nn.Cell):
    def construct(self, x, axis):
        return ops.reduce_sum(x, axis)[1:3]


def test_reduction_over_traced_axes_in_a_construct(fake):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    net = _Net()
    net.set_inputs(Tensor(x), Tensor(shape=(None,), dtype=ms.int64))
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        out = net(Tensor(x), Tensor(np.array([0, 1])))
        np.testing.assert_array_equal(out.asnumpy(), x.sum(axis=(0, 1))[1:3])
        g = ms.grad(net)(Tensor(x), Tensor(np.array([0, 1])))
        want = np.zeros_like(x)
        want[:, :, 1:3] = 1
        np.testing.assert_array_equal(g.asnumpy(), want)
        assert net(Tensor(x), Tensor(np.array([2]))).shape == (1, 3)  # other axes, another rank: traced again
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)


def test_integer_extremum_gradients_and_dyn_shape(fake):
    x = Tensor(np.array([[3, 1, 1], [2, 5, 0]], np.int64))
    # MindSpore 2.10: [[0 0 0] [0 0 1]] (a tie of two: 1 // 2) and [[1 0 0] [0 1 0]]
    np.testing.assert_array_equal(ops.grad(lambda t: ops.reduce_min(t, 1))(x).asnumpy(), [[0, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(ops.grad(lambda t: ops.reduce_max(t, 1))(x).asnumpy(), [[1, 0, 0], [0, 1, 0]])
    s = ops.dyn_shape(x)
    assert s.dtype == ms.int64 and s.asnumpy().tolist() == [2, 3]
