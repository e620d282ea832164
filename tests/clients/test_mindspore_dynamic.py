"""Dynamic shapes: Tensor(shape=[None, 3]) placeholders and Cell.set_inputs (one trace per concrete
shape signature, cached). Values by hand."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops


class Net(nn.Cell):
    def construct(self, x):
        return ops.sum(x * x, 1)


def test_placeholder():
    t = Tensor(shape=[None, 3], dtype=gs.float32)
    assert t.shape == (-1, 3) and t.dtype == gs.float32 and t.is_dynamic


def test_set_inputs_accepts_every_batch_size(fake):
    gs.set_context(mode=gs.GRAPH_MODE)  # (traces are kept in GRAPH_MODE: PyNative traces every call)
    net = Net()
    net.set_inputs(Tensor(shape=[None, 3], dtype=gs.float32))
    for n in (1, 4, 2):
        x = np.arange(3 * n, dtype=np.float32).reshape(n, 3)
        np.testing.assert_allclose(net(Tensor(x)).asnumpy(), (x * x).sum(1))
        np.testing.assert_allclose(ops.grad(net)(Tensor(x)).asnumpy(), 2 * x)
    assert len(net._gs_programs) == 3  # one trace per concrete shape
    net(Tensor(np.ones((4, 3), np.float32)))
    assert len(net._gs_programs) == 3  # reused


def test_set_inputs_rejects_what_does_not_fit(fake):
    net = Net()
    net.set_inputs(Tensor(shape=[None, 3], dtype=gs.float32))
    with pytest.raises(ValueError, match="shape"):
        net(Tensor(np.ones((2, 4), np.float32)))
    with pytest.raises(TypeError, match="Float64"):
        net(Tensor(np.ones((2, 3), np.float64)))
