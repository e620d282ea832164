"""A program that never sets its mode: MindSpore 2.x's default, PYNATIVE_MODE (each call traced afresh).

Expected values are MindSpore 2.10's (CPU, run for this task with no set_context): get_context("mode") is 1;
w * x * x + b at w = 2, b = 1, x = 3 has gradients (9, 1), and (9, 0) while b.requires_grad is False (PyNative's
zeros for a weight asked for by name; GRAPH_MODE gives 1); construct's Python (a counter on the Cell, an inner
cell's forward hook) runs on every call.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

X = Tensor(np.array([3.0], np.float32))


class Net(nn.Cell):
    def __init__(self, count: bool = False):
        super().__init__()
        self.w = Parameter(Tensor(np.array([2.0], np.float32)), name="w")
        self.b = Parameter(Tensor(np.array([1.0], np.float32)), name="b")
        self.count = count
        self.calls = 0

    def construct(self, x):
        if self.count:
            self.calls += 1
        return (self.w * x * x + self.b).sum()


def _values(ts):
    return [float(t.asnumpy()[0]) for t in ts]


def test_default_mode_is_pynative():
    assert ms.get_context("mode") == ms.PYNATIVE_MODE


def test_requires_grad_false_by_name_gives_zeros_and_a_cached_trace_does_not_keep_them():
    net = Net()
    g = ops.grad(net, None, (net.w, net.b))
    assert _values(g(X)) == [9.0, 1.0]
    net.b.requires_grad = False
    assert _values(g(X)) == [9.0, 0.0]
    net.b.requires_grad = True
    assert _values(g(X)) == [9.0, 1.0]
    assert _values(g(X)) == [9.0, 1.0]


def test_traces_are_cached_in_graph_mode_only():
    net = Net()
    for _ in range(2):
        assert float(net(X).asnumpy()) == 19.0
    info = net.trace_cache_info()
    assert (info.hits, info.misses) == (0, 0)  # the default, PyNative: nothing kept (test_pynative_fresh_traces)
    ms.set_context(mode=ms.GRAPH_MODE)
    for _ in range(3):
        assert float(net(X).asnumpy()) == 19.0
    info = net.trace_cache_info()
    assert (info.hits, info.misses) == (2, 1)
    g = ops.value_and_grad(net, None, net.trainable_params())
    for _ in range(3):
        v, (gw, gb) = g(X)
        assert (float(v.asnumpy()), float(gw.asnumpy()[0]), float(gb.asnumpy()[0])) == (19.0, 9.0, 1.0)


def test_construct_writing_its_cell_runs_on_every_call():
    net = Net(count=True)
    g = ops.grad(net, None, (net.w, net.b))
    for _ in range(3):
        g(X)
    net(X)
    net(X)
    assert net.calls == 5


class Outer(nn.Cell):
    def __init__(self):
        super().__init__()
        self.inner = nn.ReLU()

    def construct(self, x):
        return self.inner(x) * 2


def test_an_inner_cells_forward_hook_runs_on_every_call():
    seen = []
    o = Outer()
    o.inner.register_forward_hook(lambda cell, inputs, out: seen.append(1))
    o(X)
    o(X)
    assert len(seen) == 2


def test_explicit_graph_mode_keeps_graph_semantics():
    ms.set_context(mode=ms.GRAPH_MODE)
    net = Net()
    net.b.requires_grad = False
    assert _values(ops.grad(net, None, (net.w, net.b))(X)) == [9.0, 1.0]
