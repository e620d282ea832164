"""bprop_undefined(y, x) and no_kernel(x) (engine/ops/custom_vjp.py). bprop_undefined: y, computed from x by an op
with no derivative (MindSpore 2.10's Histogram: "Illegal primitive Histogram's bprop not defined"). Reverse mode
refuses with the op's message where a gradient reaches it from a differentiated input, and only there (MindSpore
2.10: histc's result unused, its input constant or behind stop_gradient, or not the differentiated one, gives the
other gradients); forward mode passes y's tangent (MindSpore's jvp of histc is 0). no_kernel: a forward's
stand-in, refused only where it runs."""
from __future__ import annotations

import numpy as np
import pytest

from engine import GraphBuilder, transforms
from engine.api import evaluate
from engine.errors import DifferentiationError
from engine.vmap import vmap_graph

MSG = "Illegal primitive Histogram's bprop not defined"
X = np.array([1.0, 2.0, 3.0])


def _graph(dep, use):
    """sum(t * 2 + use * bprop_undefined(t < 2.5 (as float64), dep(t))) of one input t: y is a count, as histc's."""
    gb = GraphBuilder("f")
    t = gb.input((3,), "float64", "t")
    y = gb.bprop_undefined(gb.cast(gb.less(t, gb.scalar(2.5, "float64")), dtype="float64"), dep(gb, t), message=MSG)
    return gb.build(gb.sum(gb.add(gb.mul(t, gb.scalar(2.0, "float64")), gb.mul(y, gb.scalar(use, "float64")))))


def test_a_gradient_reaching_it_is_the_refusal():
    g = _graph(lambda gb, t: t, 1.0)
    np.testing.assert_allclose(evaluate(g, X), 6.0 * 2 + 2.0)  # the value is y's
    with pytest.raises(DifferentiationError, match=MSG):
        evaluate(transforms.grad(g, 0), X)


@pytest.mark.parametrize("dep", [lambda gb, t: gb.stop_gradient(t), lambda gb, t: gb.scalar(1.0, "float64")],
                         ids=["stop_gradient", "constant"])
def test_no_gradient_reaching_it_is_no_refusal(dep):
    np.testing.assert_allclose(evaluate(transforms.grad(_graph(dep, 1.0), 0), X), [2.0, 2.0, 2.0])


def test_forward_mode_passes_ys_tangent():
    g = _graph(lambda gb, t: t, 1.0)
    # d/dt of sum(2 t + y) along ones: 6 (y's tangent: none)
    np.testing.assert_allclose(evaluate(transforms.jvp(g), X, np.ones(3))[1], 6.0)


def test_vmapped_its_value_is_ys():
    g = _graph(lambda gb, t: t, 1.0)
    xs = np.stack([X, X + 1.0])
    np.testing.assert_allclose(evaluate(vmap_graph(g, 2), xs), [14.0, 19.0])  # 2 sum(t) + the count below 2.5


# -- no_kernel(x; message, shape, dtype): a stand-in for a forward with no kernel (MindSpore 2.10 GRAPH_MODE prunes a
# user primitive's unused forward where only its bprop's gradient is asked, and refuses where the value is used)
def _stand_in_graph(use_it):
    gb = GraphBuilder("f")
    t = gb.input((2,), "float32", "t")
    y = gb.no_kernel(t, message="Unsupported op [MyDouble]", shape=(2,), dtype="float32")
    return gb.build(gb.sum(gb.mul(y, t)) if use_it else gb.sum(gb.mul(t, gb.scalar(3.0, "float32"))))


def test_no_kernel_runs_where_unused_and_refuses_where_used():
    np.testing.assert_allclose(evaluate(_stand_in_graph(False), np.ones(2, np.float32)), 6.0)
    with pytest.raises(DifferentiationError, match=r"Unsupported op \[MyDouble\]"):
        evaluate(_stand_in_graph(True), np.ones(2, np.float32))
    vm = vmap_graph(_stand_in_graph(False), 3)
    np.testing.assert_allclose(evaluate(vm, np.ones((3, 2), np.float32)), [6.0, 6.0, 6.0])
