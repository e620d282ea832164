"""Tensor.asnumpy() gives a copy (docs/mindspore_support.md): MindSpore 2.10's CPU array shares the Tensor's
memory (a write through it changes the Tensor: checked for this task), gradserve's does not, so a trace reused
by PyNative's guards or GRAPH_MODE's cache never computes with a value changed behind the SDK's back."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


def test_a_write_into_asnumpy_leaves_the_tensor_and_a_reused_trace_unchanged():
    t = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    a = t.asnumpy()
    a[0] = 100.0
    np.testing.assert_array_equal(t.asnumpy(), [1.0, 2.0, 3.0])
    assert not np.shares_memory(a, t.asnumpy())

    class Scale(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.array([2.0, 3.0], np.float32)), name="w")

        def construct(self, x):
            return ops.sum(x * self.w)
    net = Scale()
    x = Tensor(np.array([1.0, 1.0], np.float32))
    g1 = ms.grad(net)(x).asnumpy()
    net.w.asnumpy()[0] = 50.0  # (MindSpore: the Parameter becomes [50, 3]; here nothing changes)
    np.testing.assert_array_equal(ms.grad(net)(x).asnumpy(), g1)
    np.testing.assert_array_equal(g1, [2.0, 3.0])
    net.w.set_data(Tensor(np.array([50.0, 3.0], np.float32)))  # the way to change it
    np.testing.assert_array_equal(ms.grad(net)(x).asnumpy(), [50.0, 3.0])
