"""A Parameter read (and written) through asnumpy() inside a training loop (nn.SGD in TrainOneStepCell): each
step's values follow plain gradient descent worked in NumPy, a write through asnumpy() between steps is the next
step's starting value (MindSpore 2.10's asnumpy() shares the memory on CPU), and the step's trace is reused: reads
cost no retrace."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, nn, ops
from gradserve import _trace

pytestmark = pytest.mark.usefixtures("on_real_server")


class _Fit(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([0.5, -1.0], np.float32)), name="w")
        self.s = Parameter(Tensor(np.array([2.0, 3.0], np.float32)), name="s", requires_grad=False)

    def construct(self, x, y):
        return ops.sum((x * self.w * self.s - y) ** 2)


def _numpy_step(w, s, x, y, lr):
    # d/dw sum((x w s - y)^2) = 2 (x w s - y) x s
    return w - lr * 2.0 * (x * w * s - y) * x * s


def test_sgd_steps_with_asnumpy_reads_and_writes_match_numpy_and_reuse_the_trace():
    net = _Fit()
    step = nn.TrainOneStepCell(net, nn.SGD([net.w], learning_rate=0.01))
    x, y = np.array([1.0, 2.0], np.float32), np.array([3.0, -1.0], np.float32)
    w, s = net.w.asnumpy().copy(), net.s.asnumpy().copy()
    traces = None
    for i in range(6):
        if i == 3:  # a write through asnumpy() into the trained and into the frozen Parameter
            net.w.asnumpy()[0] = 4.0
            net.s.asnumpy()[1] = -2.0
            w[0], s[1] = 4.0, -2.0
        step(Tensor(x), Tensor(y))
        w = _numpy_step(w, s, x, y, 0.01)
        np.testing.assert_allclose(net.w.asnumpy(), w, rtol=1e-6)
        np.testing.assert_array_equal(net.s.asnumpy(), s)
        if i == 1:
            traces = _trace.trace_counts["traces"]
    assert _trace.trace_counts["traces"] == traces  # (the frozen s written: it travels as data, no new trace)
