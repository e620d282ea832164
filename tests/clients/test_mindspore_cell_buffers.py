"""Cell buffers (MindSpore 2.10's _Buffer / register_buffer / buffers / named_buffers / get_buffer): the
order and dotted names MindSpore documents, construct reading them, no gradient for them, and the error
classes of MindSpore 2.10 (its venv) for bad names."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, context, nn, ops
from gradserve.common.parameter import _Buffer


class Inner(nn.Cell):
    def __init__(self):
        super().__init__()
        self.b0 = _Buffer(Tensor(np.array([1.0, 2.0], np.float32)))
        self.register_buffer("b1", Tensor(np.array([3.0, 4.0], np.float32)))
        self.w = Parameter(Tensor(np.array([0.5, 0.5], np.float32)), name="w")

    def construct(self, x):
        return (x + self.b0) * self.b1 * self.w


class Outer(nn.Cell):
    def __init__(self):
        super().__init__()
        self.inner = Inner()
        self.register_buffer("c", Tensor(np.array([10.0, 10.0], np.float32)))

    def construct(self, x):
        return self.inner(x) - self.c


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_buffers_are_listed_read_and_get_no_gradient(on_real_server, mode):
    context.set_context(mode=mode)
    net = Outer()
    assert [n for n, _ in net.named_buffers()] == ["c", "inner.b0", "inner.b1"]
    assert [b.asnumpy().tolist() for b in net.buffers()] == [[10.0, 10.0], [1.0, 2.0], [3.0, 4.0]]
    assert net.get_buffer("inner.b1").asnumpy().tolist() == [3.0, 4.0]
    x = Tensor(np.array([2.0, 2.0], np.float32))
    assert net(x).asnumpy().tolist() == [(2 + 1) * 3 * 0.5 - 10, (2 + 2) * 4 * 0.5 - 10]
    assert [p.name for p in net.trainable_params()] == ["inner.w"]  # buffers are not Parameters (MindSpore 2.10)
    grads = ops.GradOperation(get_by_list=True)(net, net.trainable_params())(x)
    assert grads[0].asnumpy().tolist() == [9.0, 16.0]  # d/dw of (x + b0) * b1 * w


def test_bad_buffer_names_raise_mindsporeS_errors(on_real_server):
    net = Inner()
    with pytest.raises(TypeError, match="buffer name should be a string"):
        net.register_buffer(2, Tensor(np.zeros(2, np.float32)))
    with pytest.raises(KeyError, match='contain "."'):
        net.register_buffer("a.b", Tensor(np.zeros(2, np.float32)))
    with pytest.raises(AttributeError, match="has no attribute"):
        net.get_buffer("b5")
