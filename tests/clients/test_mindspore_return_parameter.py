"""A PyNative Cell returning one of its Parameters as it is gives back that Parameter, its name kept (MindSpore:
PyNative runs Python, which returns the object), with its value after the call's assignments (MindSpore's assign:
the Parameter's buffer holds the new value). A graph's output (GRAPH_MODE Cell, a jit function in either mode) is a
Tensor of that value (MindSpore 2.10 CPU, run for h-left21: type Tensor, name gone)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, Tensor, context, nn, ops

W = np.array([1.5, -2.0], np.float32)


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(W), name="w")

    def construct(self, x):
        return self.w, x * self.w, (self.w,)


class AssignThenReturn(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(W), name="weight")

    def construct(self, x):
        ops.assign(self.w, x)
        return self.w


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_a_returned_parameter_is_a_parameter_in_pynative_a_tensor_in_a_graph(fake, mode):
    gs.set_context(mode=mode)
    net = Net()
    x = np.array([3.0, 4.0], np.float32)
    for _ in range(2):  # (the second call reuses GRAPH_MODE's cached trace)
        w, y, (w2,) = net(Tensor(x))
        if mode == context.PYNATIVE_MODE:
            assert isinstance(w, Parameter) and w.name == "w" and isinstance(w2, Parameter) and w2.name == "w"
        else:
            assert type(w) is Tensor and type(w2) is Tensor
        np.testing.assert_array_equal(w.asnumpy(), W)
        assert type(y) is Tensor  # (a value computed from it is not the Parameter)
        np.testing.assert_array_equal(y.asnumpy(), x * W)


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_returned_after_assign_holds_the_new_value(fake, mode):
    gs.set_context(mode=mode)
    net = AssignThenReturn()
    x = np.array([7.0, 8.0], np.float32)
    out = net(Tensor(x))
    if mode == context.PYNATIVE_MODE:
        assert isinstance(out, Parameter) and out.name == "weight"
    else:
        assert type(out) is Tensor
    np.testing.assert_array_equal(out.asnumpy(), x)
    np.testing.assert_array_equal(net.w.asnumpy(), x)


def test_jit_function_returning_a_parameter(fake):
    p = Parameter(Tensor(W), name="p")

    @gs.jit
    def f(x):
        return p, x + p

    got, s = f(Tensor(np.ones(2, np.float32)))
    assert type(got) is Tensor  # MindSpore 2.10: a jit function's output, in PyNative too
    np.testing.assert_array_equal(got.asnumpy(), W)
    np.testing.assert_array_equal(s.asnumpy(), W + 1)
