"""GRAPH_MODE ops.ForiLoop(unroll=False) differentiated twice: MindSpore 2.10 refuses the second order (and its
GRAPH_MODE first order of this loop fails with an internal error); gradserve runs the loop as the engine's while and
differentiates it to any order. The first and second derivatives checked against central finite differences of
the loop computed in NumPy (float64), and the Hessian-vector product against differences of the gradient."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops


def _loop_np(x, trips):
    v = x.copy()
    for i in range(trips):
        v = np.sin(v) * v + 0.5 * v + 0.1 * i
    return v


class Net(nn.Cell):
    def __init__(self, trips):
        super().__init__()
        self.trips = trips

    def construct(self, x):
        body = lambda i, v: ops.sin(v) * v + 0.5 * v + 0.1 * i  # noqa: E731
        # (a Tensor bound: the index is a traced value, so the loop is the engine's while, not unrolled here)
        return ops.ForiLoop()(Tensor(0, gs.int32), self.trips, body, x, unroll=False).sum()


@pytest.mark.parametrize("trips", [1, 3])
def test_second_order_through_a_rolled_loop_matches_finite_differences(fake, trips):
    gs.set_context(mode=gs.GRAPH_MODE)
    x = np.array([0.7, -1.2, 0.3], np.float64)
    net = Net(trips)
    g1 = gs.grad(net)(Tensor(x)).asnumpy()
    g2 = gs.grad(gs.grad(net))(Tensor(x)).asnumpy()  # the Hessian's row sums (grad of sum(grad))
    h = 1e-5
    eye = np.eye(3)
    f = lambda v: _loop_np(v, trips).sum()  # noqa: E731
    fd1 = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(g1, fd1, rtol=1e-7, atol=1e-8)
    # the loop acts elementwise, so the Hessian is diagonal and grad(sum(grad)) is its diagonal
    fd2 = np.array([(f(x + h * e) - 2 * f(x) + f(x - h * e)) / h ** 2 for e in eye])
    np.testing.assert_allclose(g2, fd2, rtol=1e-4, atol=1e-5)
    gfd = (gs.grad(net)(Tensor(x + h)).asnumpy() - gs.grad(net)(Tensor(x - h)).asnumpy()) / (2 * h)
    np.testing.assert_allclose(g2, gfd, rtol=1e-6, atol=1e-8)
