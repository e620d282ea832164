"""A Cell or jit function returning one of its Parameters as it is gives back a Parameter, its name kept (MindSpore:
PyNative runs Python, which returns the object; GRAPH_MODE returns the Parameter too), with its value after the
call's assignments (MindSpore's assign: the Parameter's buffer holds the new value)."""
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
def test_a_returned_parameter_is_a_parameter(fake, mode):
    gs.set_context(mode=mode)
    net = Net()
    x = np.array([3.0, 4.0], np.float32)
    for _ in range(2):  # (the second call reuses GRAPH_MODE's cached trace)
        w, y, (w2,) = net(Tensor(x))
        assert isinstance(w, Parameter) and w.name == "w" and isinstance(w2, Parameter) and w2.name == "w"
        np.testing.assert_array_equal(w.asnumpy(), W)
        assert type(y) is Tensor  # (a value computed from it is not the Parameter)
        np.testing.assert_array_equal(y.asnumpy(), x * W)


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_returned_after_assign_holds_the_new_value(fake, mode):
    gs.set_context(mode=mode)
    net = AssignThenReturn()
    x = np.array([7.0, 8.0], np.float32)
    out = net(Tensor(x))
    assert isinstance(out, Parameter) and out.name == "weight"
    np.testing.assert_array_equal(out.asnumpy(), x)
    np.testing.assert_array_equal(net.w.asnumpy(), x)


def test_jit_function_returning_a_parameter(fake):
    p = Parameter(Tensor(W), name="p")

    @gs.jit
    def f(x):
        return p, x + p

    got, s = f(Tensor(np.ones(2, np.float32)))
    assert isinstance(got, Parameter) and got.name == "p"
    np.testing.assert_array_equal(s.asnumpy(), W + 1)
