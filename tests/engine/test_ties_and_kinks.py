"""Derivatives at the points where an op is not smooth, as MindSpore 2.10 defines them.

Expected values: MindSpore 2.10 (CPU, GRAPH_MODE, ops.grad of the sum), run for this task:
  maximum([1, 2, 3], [1, 1, 4]) -> d/da [0.5, 1, 0], d/db [0.5, 0, 1] (ties split; JAX and PyTorch agree)
  minimum([1, 2, 3], [1, 1, 4]) -> d/da [0.5, 0, 1], d/db [0.5, 1, 0]
  maximum([1, 1, 1], [1])       -> d/da [0.5, 0.5, 0.5], d/db [1.5]
  atan2 at (y, x) = (0, 0) -> NaN, NaN; at (1, 0) -> 0, -1
The jvp, vmap and second-order checks follow from the same rule (no separate source needed: the jvp
must be the transpose of the vjp, the batched grad the per-row grad).
"""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder, grad, jvp
from engine.ir import tree_flatten
from engine.vmap import vmap_graph

ENG = Engine()


def _binary_sum(op, shape_a, shape_b):
    gb = GraphBuilder(op)
    a, b = gb.input(shape_a, "float64", name="a"), gb.input(shape_b, "float64", name="b")
    (out,) = gb.emit(op, [a, b])
    return gb.build(gb.sum(out))


def _run(g, *xs):
    return [np.asarray(v) for v in tree_flatten(ENG.run(g, [np.asarray(x, np.float64) for x in xs]))]


@pytest.mark.parametrize("op, da, db", [("maximum", [0.5, 1, 0], [0.5, 0, 1]),
                                        ("minimum", [0.5, 0, 1], [0.5, 1, 0])])
def test_ties_split_half_and_half(op, da, db):
    ga, gb_ = _run(grad(_binary_sum(op, (3,), (3,)), grad_position=(0, 1)), [1.0, 2.0, 3.0], [1.0, 1.0, 4.0])
    np.testing.assert_array_equal(ga, da)
    np.testing.assert_array_equal(gb_, db)


def test_tie_with_a_broadcast_operand():
    ga, gb_ = _run(grad(_binary_sum("maximum", (3,), (1,)), grad_position=(0, 1)), [1.0, 1.0, 1.0], [1.0])
    np.testing.assert_array_equal(ga, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(gb_, [1.5])


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_jvp_at_ties_is_the_transpose_of_the_vjp(op):
    a, b = [1.0, 2.0, 3.0], [1.0, 1.0, 4.0]
    ta, tb = [0.3, -0.7, 1.1], [2.0, 0.5, -1.3]
    _, tangent = _run(jvp(_binary_sum(op, (3,), (3,))), a, b, ta, tb)
    ga, gb_ = _run(grad(_binary_sum(op, (3,), (3,)), grad_position=(0, 1)), a, b)
    np.testing.assert_allclose(tangent, np.dot(ga, ta) + np.dot(gb_, tb), rtol=1e-12)


def test_vmap_of_grad_splits_ties_per_row():
    g = vmap_graph(grad(_binary_sum("maximum", (2,), (2,)), grad_position=(0, 1)), 2)
    ga, gb_ = _run(g, [[1.0, 2.0], [3.0, 3.0]], [[1.0, 5.0], [0.0, 3.0]])
    np.testing.assert_array_equal(ga, [[0.5, 0.0], [1.0, 0.5]])
    np.testing.assert_array_equal(gb_, [[0.5, 1.0], [0.0, 0.5]])


def test_second_derivative_at_a_tie_is_zero():
    # the share is piecewise constant in (a, b): d/da of d max(a, b)/da is 0, also at a tie
    d2 = grad(grad(_binary_sum("maximum", (2,), (2,)), grad_position=0, sens_param=False), grad_position=0,
              sens_param=True)
    (h,) = _run(d2, [1.0, 2.0], [1.0, 0.0], [1.0, 1.0])
    np.testing.assert_array_equal(h, [0.0, 0.0])


def test_atan2_gradient_at_the_origin_and_on_the_axes():
    ga, gb_ = _run(grad(_binary_sum("atan2", (3,), (3,)), grad_position=(0, 1)), [0.0, 1.0, 0.0], [0.0, 0.0, 1.0])
    assert np.isnan(ga[0]) and np.isnan(gb_[0])
    np.testing.assert_array_equal(ga[1:], [0.0, 1.0])
    np.testing.assert_array_equal(gb_[1:], [-1.0, 0.0])
