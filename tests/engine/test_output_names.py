"""Transforms name their flat outputs (Graph.output_names), so a caller need not re-work out which
positions and weights the engine chose. The names are the service's wire names (checked equal to
what service/core.py's derivation computed when this API was added)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import GraphBuilder, grad, grad_operation, hessian, hvp, jacobian, jvp, nth_grad, value_and_grad, vjp


@pytest.fixture
def net():
    gb = GraphBuilder("net")
    x = gb.input((2,), name="x")
    y = gb.input((2,), name="y")
    z = gb.param("z", np.array([1.0, 2.0], np.float32))
    return gb.build((gb.mul(gb.mul(x, y), z), gb.sin(x)))


def test_grad_family_names(net):
    assert value_and_grad(net, (0, 1), ["z"]).output_names == ["out0", "out1", "d/dx", "d/dy", "d/dz"]
    assert grad(net, 1).output_names == ["d/dy"]
    assert grad(net, None, "z").output_names == ["d/dz"]
    assert grad_operation(net, get_by_list=True, sens_param=True).output_names == ["d/dz"]
    assert grad_operation(net, get_all=True, get_by_list=True).output_names == ["d/dx", "d/dy", "d/dz"]
    inner = grad(net, 1)  # GradOperation(get_all) over grad(net, 1): names from the inner graph's inputs
    assert grad_operation(grad_operation(inner, get_all=True), get_all=True).output_names == ["d/dx", "d/dy"]
    assert nth_grad(net, 3, get_all=True).output_names == ["d/dx", "d/dy"]


def test_forward_and_matrix_names(net):
    assert jvp(net).output_names == ["out0", "out1", "jvp0", "jvp1"]
    assert vjp(net).output_names == ["out0", "out1", "d/dx", "d/dy"]
    assert jacobian(net, (0, 1)).output_names == ["d0/dx", "d0/dy", "d1/dx", "d1/dy"]
    assert hessian(net, 1).output_names == ["d20/dydy", "d21/dydy"]
    assert hvp(net, 0).output_names == ["d/dx"]


def test_names_match_the_flat_outputs(net):
    for dg in (value_and_grad(net, (0, 1), ["z"]), jvp(net), vjp(net), jacobian(net, (0, 1), "fwd"),
               hessian(net, (0, 1)), hvp(net, (0, 1))):
        assert len(dg.output_names) == len(dg.flat_outputs)


def test_unnamed_inputs_and_a_single_output():
    gb = GraphBuilder("f")
    x = gb.input((3,))
    g = gb.build(gb.sum(gb.sin(x)))
    assert grad(g, 0, return_value=True).output_names == ["out", "d/dx0"]
    assert jacobian(g, 0).output_names == ["d/dx0"]
    assert hessian(g, 0).output_names == ["d2/dx0dx0"]
