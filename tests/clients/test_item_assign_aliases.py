"""Item assignment and another name for the same Tensor, in PyNative, GRAPH_MODE and @jit, values and gradients.

Expected values: MindSpore 2.10.0 CPU, run for this task (each also what the chain rule gives for the semantics
named). PyNative is eager: `z = y; y[0] = 0` writes y in place, and z sees the write (its gradient follows).
GRAPH_MODE and a @jit function (in either mode, also inlined into a PyNative grad) bind the new value to the
name y alone: z keeps the old value. Before: PyNative's gradient took the graph's semantics (8 for 0) and a
@jit function's gradient PyNative's (0 for 8): each disagreed with its own value."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

X = np.array([1.0, 2.0, 3.0], np.float32)


def alias_then_write(x):
    y = x * 2
    z = y
    y[0] = 0.0
    return (z * z).sum()


def two_writes(x):
    y = x * 1
    z = y
    y[1:] += 1.0  # an augmented item assignment
    w = y
    w[0] = 7.0
    return (z * x).sum() + y.sum()


class AliasNet(nn.Cell):
    def construct(self, x):
        return alias_then_write(x)


def _grad(f):
    return ops.grad(f)(Tensor(X)).asnumpy().tolist()


def test_pynative_writes_in_place_and_differentiates_what_it_computed(pynative):
    assert float(alias_then_write(Tensor(X)).asnumpy()) == 52.0  # z = [0, 4, 6]
    assert _grad(alias_then_write) == [0.0, 16.0, 24.0]
    assert float(two_writes(Tensor(X)).asnumpy()) == 39.0
    assert _grad(two_writes) == [7.0, 6.0, 8.0]
    assert float(AliasNet()(Tensor(X)).asnumpy()) == 52.0
    assert _grad(AliasNet()) == [0.0, 16.0, 24.0]


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
def test_a_jit_function_keeps_the_old_value_for_the_other_name(request, mode):
    request.getfixturevalue(mode)
    f, g = ms.jit(alias_then_write), ms.jit(two_writes)
    assert float(f(Tensor(X)).asnumpy()) == 56.0  # z = [2, 4, 6]
    assert _grad(f) == [8.0, 16.0, 24.0]
    assert float(g(Tensor(X)).asnumpy()) == 22.0  # z = x; y = [1, 3, 4]
    assert _grad(g) == [3.0, 5.0, 7.0]


def test_graph_mode_cell_keeps_the_old_value_for_the_other_name(graph_mode):
    assert float(AliasNet()(Tensor(X)).asnumpy()) == 56.0
    assert _grad(AliasNet()) == [8.0, 16.0, 24.0]
