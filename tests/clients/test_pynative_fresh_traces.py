"""PyNative (the default mode) runs construct's Python on every call: what it reads now is what counts.

MindSpore's PyNative executes the Python of a Cell / grad function each call, so a Cell attribute, a module global,
a sub-cell or a captured Tensor changed between two calls gives the second call the new value. A cached trace
would give the old one (silently). GRAPH_MODE and jit functions are compiled once per signature; a captured Tensor
written in place between their calls is still read at its current value (MindSpore passes it to the graph as the
Tensor object, not a copy). Expected values are NumPy's, by hand: d/dx sum(s * x * x) = 2 s x.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

XA = np.array([1.0, 2.0, 3.0], np.float32)
X = Tensor(XA)


def _np(t):
    return np.asarray(t.asnumpy())


class Scaled(nn.Cell):
    def __init__(self):
        super().__init__()
        self.scale = 2.0
        self.flip = False
        self.weights = [1.0, 1.0, 1.0]

    def construct(self, x):
        y = x * x * self.scale * Tensor(np.array(self.weights, np.float32))
        return -y.sum() if self.flip else y.sum()


def test_cell_attributes_changed_between_calls_are_seen():
    net = Scaled()
    g = ops.grad(net)
    np.testing.assert_allclose(_np(net(X)), 2.0 * (XA * XA).sum(), rtol=1e-6)
    np.testing.assert_allclose(_np(g(X)), 2 * 2.0 * XA, rtol=1e-6)
    net.scale = 3.0
    np.testing.assert_allclose(_np(net(X)), 3.0 * (XA * XA).sum(), rtol=1e-6)
    np.testing.assert_allclose(_np(g(X)), 2 * 3.0 * XA, rtol=1e-6)
    net.flip = True
    np.testing.assert_allclose(_np(net(X)), -3.0 * (XA * XA).sum(), rtol=1e-6)
    net.flip, net.weights = False, [1.0, 0.0, 2.0]
    w = np.array([1.0, 0.0, 2.0], np.float32)
    np.testing.assert_allclose(_np(g(X)), 2 * 3.0 * w * XA, rtol=1e-6)


SCALE = 2.0


class GlobalScaled(nn.Cell):
    def construct(self, x):
        return (x * x * SCALE).sum()


def test_a_module_global_changed_between_calls_is_seen():
    global SCALE
    net = GlobalScaled()
    try:
        np.testing.assert_allclose(_np(ops.grad(net)(X)), 2 * 2.0 * XA, rtol=1e-6)
        SCALE = 5.0
        np.testing.assert_allclose(_np(ops.grad(net)(X)), 2 * 5.0 * XA, rtol=1e-6)
        np.testing.assert_allclose(_np(net(X)), 5.0 * (XA * XA).sum(), rtol=1e-6)
    finally:
        SCALE = 2.0


class Times(nn.Cell):
    def __init__(self, k):
        super().__init__()
        self.k = Parameter(Tensor(np.array([k], np.float32)), name="k")

    def construct(self, x):
        return x * self.k


class Holder(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = Times(2.0)

    def construct(self, x):
        return (self.fc(x) * x).sum()


def test_a_sub_cell_replaced_between_calls_is_used():
    net = Holder()
    g = ops.grad(net)
    np.testing.assert_allclose(_np(g(X)), 2 * 2.0 * XA, rtol=1e-6)
    net.fc = Times(7.0)
    np.testing.assert_allclose(_np(g(X)), 2 * 7.0 * XA, rtol=1e-6)
    np.testing.assert_allclose(_np(net(X)), 7.0 * (XA * XA).sum(), rtol=1e-6)


C = Tensor(np.array([1.0, 1.0, 1.0], np.float32))


def test_a_captured_tensor_rebound_or_changed_is_seen():
    global C
    c = Tensor(np.array([2.0, 2.0, 2.0], np.float32))

    def f(x):
        return (x * x * c).sum()

    def h(x):
        return (x * C).sum()

    g, gh = ops.grad(f), ops.grad(h)
    np.testing.assert_allclose(_np(g(X)), 2 * 2.0 * XA, rtol=1e-6)
    c = Tensor(np.array([4.0, 5.0, 6.0], np.float32))  # the closure's cell rebound
    np.testing.assert_allclose(_np(g(X)), 2 * np.array([4.0, 5.0, 6.0]) * XA, rtol=1e-6)
    c[0] = 10.0  # written in place
    np.testing.assert_allclose(_np(g(X)), 2 * np.array([10.0, 5.0, 6.0]) * XA, rtol=1e-6)
    old = C
    try:
        np.testing.assert_allclose(_np(gh(X)), np.ones(3), rtol=1e-6)
        C = Tensor(np.array([3.0, 2.0, 1.0], np.float32))  # a global rebound
        np.testing.assert_allclose(_np(gh(X)), [3.0, 2.0, 1.0], rtol=1e-6)
    finally:
        C = old


def test_jit_functions_stay_compiled_once_in_the_default_mode():
    @ms.jit
    def f(x):
        return (x * x).sum()

    for _ in range(3):
        np.testing.assert_allclose(_np(f(X)), (XA * XA).sum(), rtol=1e-6)
    info = f.cache_info()
    assert (info.hits, info.misses) == (2, 1)


class Masked(nn.Cell):
    def __init__(self):
        super().__init__()
        self.mask = Tensor(np.array([1.0, 1.0, 1.0], np.float32))  # a Tensor attribute: not a Parameter

    def construct(self, x):
        return (x * self.mask).sum()


@pytest.mark.parametrize("write", ["setitem", "assign"])
def test_graph_mode_reads_a_captured_tensor_written_in_place(write):
    ms.set_context(mode=ms.GRAPH_MODE)
    net = Masked()
    np.testing.assert_allclose(_np(net(X)), XA.sum(), rtol=1e-6)
    if write == "setitem":
        net.mask[0] = 5.0
    else:
        ops.assign(net.mask, Tensor(np.array([5.0, 1.0, 1.0], np.float32)))
    np.testing.assert_allclose(_np(net(X)), 5.0 * XA[0] + XA[1] + XA[2], rtol=1e-6)
    np.testing.assert_allclose(_np(ops.grad(net)(X)), [5.0, 1.0, 1.0], rtol=1e-6)


def test_a_jit_function_reads_a_captured_tensor_written_in_place():
    t = Tensor(np.array([1.0, 2.0, 3.0], np.float32))

    @ms.jit
    def f(x):
        return (x * t).sum()

    np.testing.assert_allclose(_np(f(X)), (XA * [1.0, 2.0, 3.0]).sum(), rtol=1e-6)
    np.testing.assert_allclose(_np(f(X)), (XA * [1.0, 2.0, 3.0]).sum(), rtol=1e-6)
    assert f.cache_info().misses == 1
    t[1] = -4.0
    np.testing.assert_allclose(_np(f(X)), (XA * [1.0, -4.0, 3.0]).sum(), rtol=1e-6)
    np.testing.assert_allclose(_np(f(X)), (XA * [1.0, -4.0, 3.0]).sum(), rtol=1e-6)
    assert f.cache_info().misses == 2  # (traced again once after the write, then reused)


G_SCALE = 2.0
G_T = Tensor(np.array([1.0, 1.0, 1.0], np.float32))


@pytest.mark.parametrize("how", ["jit", "graph_mode"])
def test_graph_mode_and_jit_keep_the_globals_they_were_compiled_with(how):
    """MindSpore 2.x compiles a jit function / GRAPH_MODE Cell once per input signature: a global or closure it
    reads is not part of that key (its jit documents hash_args as the way to recompile when one changes), so a
    rebound Python float, or a global rebound to another Tensor object, keeps the compiled value. (A Tensor
    written in place is read at its current value: test above.)"""
    global G_SCALE, G_T

    def body(x):
        return (x * x * G_SCALE * G_T).sum()

    class Net(nn.Cell):
        def construct(self, x):
            return body(x)
    if how == "graph_mode":
        ms.set_context(mode=ms.GRAPH_MODE)
    f = ms.jit(body) if how == "jit" else Net()
    old = (G_SCALE, G_T)
    try:
        np.testing.assert_allclose(_np(f(X)), 2.0 * (XA * XA).sum(), rtol=1e-6)
        G_SCALE, G_T = 5.0, Tensor(np.array([3.0, 2.0, 1.0], np.float32))
        np.testing.assert_allclose(_np(f(X)), 2.0 * (XA * XA).sum(), rtol=1e-6)
    finally:
        G_SCALE, G_T = old
