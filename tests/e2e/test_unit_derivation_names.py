"""Unit tests of derivation naming (service/derivation.py): the output names every kind of job gets, for
each option that changes them. The e2e suites see these names on the wire (test_protocols.py); here every
combination is cheap. Expected names are written out by hand from the naming rule of docs/API.md: values
`out` / `outN`, derivatives `d/d<input or parameter>`, Hessian blocks `d2/d<a>d<b>`, forward tangents
`jvp` / `jvpN`; a parameter by its name, an unnamed input by `x<position>`. Jacobian blocks of several
outputs are `dN/d<t>` (`d0/dx`), as the engine has named them from the start (tests/engine/test_output_names.py);
docs/API.md says `dout0/dx` there: the docs are the odd one out."""
from __future__ import annotations

import numpy as np
import pytest

from engine import GraphBuilder
from service.derivation import Deriver, spec_of

F32 = np.float32


def one_output():
    """out = sum(x * y * w + b): inputs x, y; parameters w, b (declared in that order)."""
    gb = GraphBuilder("one")
    x, y = gb.input((2,), name="x"), gb.input((2,), name="y")
    w, b = gb.param("w", np.ones(2, F32)), gb.param("b", np.zeros(2, F32))
    return gb.build(gb.sum(gb.add(gb.mul(gb.mul(x, y), w), b)))


def two_outputs():
    """(x * y * w, sin(x) + b)."""
    gb = GraphBuilder("two")
    x, y = gb.input((2,), name="x"), gb.input((2,), name="y")
    w, b = gb.param("w", np.ones(2, F32)), gb.param("b", np.zeros(2, F32))
    return gb.build((gb.mul(gb.mul(x, y), w), gb.add(gb.sin(x), b)))


def unnamed_inputs():
    gb = GraphBuilder("anon")
    x, y = gb.input((2,)), gb.input((2,))
    return gb.build(gb.sum(gb.mul(x, y)))


GRAPHS = {"one": one_output, "two": two_outputs, "anon": unnamed_inputs}

# (graph, kind, the job's options as the wire sends them) -> names
CASES = [
    ("one", "eval", {}, ["out"]),
    ("two", "eval", {}, ["out0", "out1"]),
    # grad, functional form (grad_position / weights)
    ("one", "grad", {}, ["d/dx"]),
    ("one", "grad", {"grad_position": 1}, ["d/dy"]),
    ("one", "grad", {"grad_position": -1}, ["d/dy"]),
    ("one", "grad", {"grad_position": [1, 0]}, ["d/dy", "d/dx"]),
    ("one", "grad", {"grad_position": [0, 1]}, ["d/dx", "d/dy"]),
    ("one", "grad", {"grad_position": None, "weights": ["w"]}, ["d/dw"]),
    ("one", "grad", {"grad_position": None, "weights": ["b", "w"]}, ["d/db", "d/dw"]),
    ("one", "grad", {"grad_position": 0, "weights": ["w", "b"]}, ["d/dx", "d/dw", "d/db"]),
    ("one", "grad", {"weights": "b"}, ["d/dx", "d/db"]),
    ("one", "grad", {"sens": np.ones(())}, ["d/dx"]),
    ("anon", "grad", {"grad_position": [0, 1]}, ["d/dx0", "d/dx1"]),
    # grad, GradOperation form (get_all / get_by_list)
    ("one", "grad", {"get_all": True}, ["d/dx", "d/dy"]),
    ("one", "grad", {"get_by_list": True}, ["d/dw", "d/db"]),
    ("one", "grad", {"get_by_list": True, "weights": ["b"]}, ["d/db"]),
    ("one", "grad", {"get_all": True, "get_by_list": True}, ["d/dx", "d/dy", "d/dw", "d/db"]),
    ("two", "grad", {"get_all": True, "sens": [np.ones(2), np.ones(2)]}, ["d/dx", "d/dy"]),
    # value_and_grad: the values first
    ("one", "grad", {"value_and_grad": True}, ["out", "d/dx"]),
    ("two", "grad", {"value_and_grad": True, "grad_position": [0, 1]}, ["out0", "out1", "d/dx", "d/dy"]),
    ("one", "grad", {"value_and_grad": True, "grad_position": None, "weights": ["w"]}, ["out", "d/dw"]),
    # higher order: the names of the last derivative taken
    ("one", "grad", {"order": 2}, ["d/dx"]),
    ("one", "grad", {"order": 2, "grad_position": [0, 1]}, ["d/dx", "d/dy"]),
    ("one", "grad", {"order": 3, "get_all": True}, ["d/dx", "d/dy"]),
    # jvp / vjp
    ("one", "jvp", {}, ["out", "jvp"]),
    ("one", "jvp", {"positions": [1]}, ["out", "jvp"]),
    ("two", "jvp", {}, ["out0", "out1", "jvp0", "jvp1"]),
    ("one", "vjp", {}, ["out", "d/dx", "d/dy"]),
    ("two", "vjp", {}, ["out0", "out1", "d/dx", "d/dy"]),
    ("anon", "vjp", {}, ["out", "d/dx0", "d/dx1"]),
    # jacobian: one output -> d/d<t>; several -> dN/d<t>, output-major
    ("one", "jacobian", {}, ["d/dx"]),
    ("one", "jacobian", {"positions": [0, 1]}, ["d/dx", "d/dy"]),
    ("one", "jacobian", {"positions": 1, "mode": "fwd"}, ["d/dy"]),
    ("two", "jacobian", {"positions": [0, 1]}, ["d0/dx", "d0/dy", "d1/dx", "d1/dy"]),
    ("two", "jacobian", {"positions": [0, 1], "mode": "fwd"}, ["d0/dx", "d0/dy", "d1/dx", "d1/dy"]),
    # hessian: every pair of targets, row-major
    ("one", "hessian", {}, ["d2/dxdx"]),
    ("one", "hessian", {"positions": [0, 1]}, ["d2/dxdx", "d2/dxdy", "d2/dydx", "d2/dydy"]),
    # hvp: one per target
    ("one", "hvp", {}, ["d/dx"]),
    ("one", "hvp", {"positions": [1, 0]}, ["d/dy", "d/dx"]),
    # weights by name (engine.wrt_params): inputs first, then the parameters
    ("one", "jacobian", {"positions": [], "weights": ["w"]}, ["d/dw"]),
    ("one", "jacobian", {"positions": [0], "weights": ["b"]}, ["d/dx", "d/db"]),
    ("two", "jacobian", {"positions": [], "weights": ["w", "b"]}, ["d0/dw", "d0/db", "d1/dw", "d1/db"]),
    ("one", "hessian", {"positions": [], "weights": ["w"]}, ["d2/dwdw"]),
    ("one", "hessian", {"positions": [1], "weights": ["w"]}, ["d2/dydy", "d2/dydw", "d2/dwdy", "d2/dwdw"]),
    ("one", "hvp", {"positions": [], "weights": ["w", "b"]}, ["d/dw", "d/db"]),
]


def _derive(graph: str, kind: str, options: dict):
    return Deriver(4, 10 ** 6, 1 << 24, 64).derive(kind, graph, GRAPHS[graph](), spec_of(kind, options))


@pytest.mark.parametrize("graph,kind,options,names", CASES,
                         ids=[f"{g}-{k}-{'-'.join(o) or 'default'}-{i}" for i, (g, k, o, _) in enumerate(CASES)])
def test_output_names(graph, kind, options, names):
    d = _derive(graph, kind, options)
    assert d.names == names
    assert len(d.names) == len(d.graph.flat_outputs)  # one name per output the worker returns


def test_value_and_grad_structure_and_sens_labels():
    """value_and_grad nests the gradients after the value; sens inputs are labelled for error messages."""
    d = _derive("one", "grad", {"value_and_grad": True, "grad_position": [0, 1]})
    assert d.structure == [0, [1, 2]]
    d = _derive("two", "grad", {"get_all": True, "sens": [np.ones(2), np.ones(2)]})
    assert d.input_labels == ["inputs[0]", "inputs[1]", "sens[0]", "sens[1]"]
