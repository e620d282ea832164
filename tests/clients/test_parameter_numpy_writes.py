"""A write through NumPy into a Parameter's own array (np.asarray(p)[...] = v) is seen by the next call of a trace
reused from before, in PyNative and GRAPH_MODE, by a Cell, ops.grad and a jit function, as MindSpore 2.10 CPU sees
it (its asnumpy() shares the Parameter's memory). The literals are MindSpore 2.10's answers (CPU, both modes) for
w = ones(3) written to 2, 5, 7 and x = [1, 2, 3]: net(x) = sum(w * x) 6 / 12 / 30 / 42, d/dx = w. A Parameter
whose array no user code got stays frozen (part of its graph, its bytes never compared)."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, Tensor, _private_arrays, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

X = np.array([1.0, 2.0, 3.0], np.float32)


class Net(nn.Cell):
    def __init__(self, w):
        super().__init__()
        self.w = Parameter(Tensor(w), name="w")

    def construct(self, x):
        return (self.w * x).sum()


@pytest.fixture(params=["pynative", "graph"])
def mode(request):
    gs.set_context(mode=gs.GRAPH_MODE if request.param == "graph" else gs.PYNATIVE_MODE)
    yield request.param


def _calls(net):
    """(net(x), d/dx net(x), jit(net)(x)): three traces, each called twice before it is asked here."""
    x = Tensor(X)
    g = ops.grad(net, grad_position=0)
    f = gs.jit(lambda t: net(t))
    return float(net(x).asnumpy()), g(x).asnumpy(), float(f(x).asnumpy())


def _check(net, value, grad):
    for _ in range(2):  # (the second call reuses each trace)
        v, d, j = _calls(net)
        assert (v, j) == (value, value)
        np.testing.assert_array_equal(d, np.array(grad, np.float32))


def test_a_numpy_write_into_a_frozen_parameter_is_seen_by_reused_traces(mode):
    net = Net(np.ones(3, np.float32))
    _check(net, 6.0, [1.0, 1.0, 1.0])
    np.asarray(net.w)[...] = 2.0
    _check(net, 12.0, [2.0, 2.0, 2.0])
    np.asarray(net.w)[...] = 5.0
    _check(net, 30.0, [5.0, 5.0, 5.0])


def test_a_reference_taken_before_the_calls_and_written_later_is_seen(mode):
    net = Net(np.ones(3, np.float32))
    held = np.asarray(net.w)
    _check(net, 6.0, [1.0, 1.0, 1.0])
    held[...] = 7.0
    _check(net, 42.0, [7.0, 7.0, 7.0])
    held[1] = 2.0  # ([7, 2, 7] . [1, 2, 3] = 32)
    _check(net, 32.0, [7.0, 2.0, 7.0])


def test_a_large_frozen_weight_written_through_a_view_is_seen(mode):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((128, 256)).astype(np.float32)  # 128 KiB: by shared memory
    x = rng.standard_normal((256,)).astype(np.float32)

    class Big(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(w), name="w")

        def construct(self, t):
            return ops.matmul(self.w, t).sum()

    net, xt = Big(), Tensor(x)
    g = ops.grad(net, grad_position=0)
    for _ in range(2):
        np.testing.assert_allclose(g(xt).asnumpy(), w.sum(axis=0), rtol=1e-5, atol=1e-5)
    np.asarray(net.w).reshape(-1)[:256] = 3.0  # (row 0, through a NumPy view)
    w[0] = 3.0
    for _ in range(2):
        np.testing.assert_allclose(g(xt).asnumpy(), w.sum(axis=0), rtol=1e-5, atol=1e-5)


def test_a_parameter_no_user_code_got_stays_frozen(mode):
    net = Net(np.ones(3, np.float32))
    other = Parameter(np.full(3, 2.0, np.float32), name="other")
    assert _private_arrays.sealed(net.w._data) and _private_arrays.sealed(other._data)  # (however small)
    _check(net, 6.0, [1.0, 1.0, 1.0])
    np.asarray(other)[...] = 4.0  # (another Parameter's array, and an input's, go to user code)
    np.asarray(Tensor(X))
    _check(net, 6.0, [1.0, 1.0, 1.0])
    assert net.w._version == 0  # still part of its graph: no byte compare, no data with each job


def test_a_deep_copied_cell_seals_its_parameters_and_sees_a_write(mode):
    net = copy.deepcopy(Net(np.ones(3, np.float32)))
    assert _private_arrays.sealed(net.w._data)
    _check(net, 6.0, [1.0, 1.0, 1.0])
    np.asarray(net.w)[...] = 5.0
    _check(net, 30.0, [5.0, 5.0, 5.0])
