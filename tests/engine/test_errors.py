"""Typed engine errors: each names the node (or JSON path) and what is wrong."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from engine import (DifferentiationError, Engine, EngineError, GraphBuilder, InvalidGraph, LimitExceeded,
                    ShapeError, UnknownOp, grad, grad_operation, jvp, lower, vjp)
from engine.builder import Builder
from engine.ir import AVal, Eqn, Graph, Var, validate_graph
from engine.ops import OPS, impl_rules, jvp_rules, vjp_rules
from engine.ops.registry import defop
from engine.serialize import Limits, graph_from_json, graph_to_json


def two_input_graph(dtype="float32", dtype_y=None):
    gb = GraphBuilder("net")
    x = gb.input((2, 3), dtype, name="x")
    y = gb.input((2, 3), dtype_y or dtype, name="y")
    return gb, x, y


def small_json():
    gb, x, y = two_input_graph()
    return graph_to_json(gb.build(gb.sin(gb.mul(x, y))))


# -- building ----------------------------------------------------------------------------------
def test_unknown_op_names_it_and_suggests_close_names():
    gb, x, y = two_input_graph()
    with pytest.raises(UnknownOp) as ei:
        gb.emit("frobnicate", [x])
    msg = str(ei.value)
    assert "frobnicate" in msg and "known ops" in msg and "did you mean" not in msg
    assert len(msg) < 300  # not the whole catalog (it goes into HTTP bodies and gRPC trailers)
    with pytest.raises(UnknownOp) as ei2:
        gb.emit("matmull", [x, y])
    assert "did you mean matmul" in str(ei2.value)
    assert isinstance(ei.value, InvalidGraph) and ei.value.code == "unknown_op"


def test_unknown_op_from_json_names_path():
    d = small_json()
    d["nodes"][1]["op"] = "frobnicate"
    with pytest.raises(UnknownOp) as ei:
        graph_from_json(d)
    assert ei.value.path == "$.nodes[1]"
    assert "1:frobnicate" in str(ei.value) and "known ops" in str(ei.value)


def test_wrong_arity_names_node():
    gb, x, y = two_input_graph()
    with pytest.raises(InvalidGraph, match=r"op add takes 2 input\(s\), got 1") as ei:
        gb.emit("add", [x])
    assert ei.value.node and "add" in ei.value.node
    with pytest.raises(InvalidGraph, match="at least 1"):
        gb.emit("concat", [], {"axis": 0})


@pytest.mark.parametrize("attrs, match", [
    ({"axis": 0, "bogus": 1}, r"unknown attribute\(s\) \['bogus'\]"),
    ({"axis": "0"}, "'axis' must be a list of integers"),
    ({"keepdims": 1}, "'keepdims' must be a boolean"),
])
def test_wrong_attrs(attrs, match):
    gb, x, y = two_input_graph()
    with pytest.raises(InvalidGraph, match=match) as ei:
        gb.emit("sum", [x], attrs)
    assert "sum" in str(ei.value)


def test_missing_required_attr():
    gb, x, y = two_input_graph()
    with pytest.raises(InvalidGraph, match="missing required attribute 'shape'"):
        gb.emit("reshape", [x], {})


def test_shape_mismatch_names_both_shapes():
    gb = GraphBuilder()
    x, y = gb.input((2, 3), "float32"), gb.input((4,), "float32")
    with pytest.raises(ShapeError) as ei:
        gb.add(x, y)
    msg = str(ei.value)
    assert "[2, 3]" in msg and "[4]" in msg and "add" in msg
    assert ei.value.node  # the node is named
    with pytest.raises(ShapeError) as ei:
        gb.matmul(x, gb.input((2, 3), "float32"))
    assert "float32[2,3] @ float32[2,3]" in str(ei.value)


def test_dtype_mismatch_names_both_dtypes():
    gb, x, y = two_input_graph("float32", "float64")
    with pytest.raises(ShapeError) as ei:
        gb.mul(x, y)
    assert "float32[2,3]" in str(ei.value) and "float64[2,3]" in str(ei.value)


def test_float_only_op_rejects_int():
    gb = GraphBuilder()
    with pytest.raises(ShapeError, match="floating-point"):
        gb.log(gb.input((2,), "int32"))


def test_shape_error_from_json_names_node_and_path():
    d = small_json()
    d["inputs"][1]["shape"] = [4]
    with pytest.raises(ShapeError) as ei:
        graph_from_json(d)
    assert ei.value.path == "$.nodes[0]" and "0:mul" in str(ei.value)
    assert "[2, 3]" in str(ei.value) and "[4]" in str(ei.value)


# -- sens ---------------------------------------------------------------------------------------
def test_sens_of_wrong_shape_at_run():
    gb, x, y = two_input_graph()
    g = grad_operation(gb.build(gb.mul(x, y)), sens_param=True)
    ones = np.ones((2, 3), np.float32)
    with pytest.raises(ShapeError) as ei:
        Engine().run(g, [ones, ones, np.ones((3, 2), np.float32)])
    assert "[3, 2]" in str(ei.value) or "3,2" in str(ei.value)
    assert ei.value.path == "inputs[2]"


def test_sens_of_wrong_count_at_run():
    gb, x, y = two_input_graph()
    g = grad(gb.build((gb.mul(x, y), gb.sin(x))), grad_position=0, sens_param=True)
    ones = np.ones((2, 3), np.float32)
    with pytest.raises(ShapeError, match="expected 4 input"):
        Engine().run(g, [ones, ones, ones])


def _energy_fn(gb_outer):
    inner = GraphBuilder("energy")
    a = inner.input((3,), "float32", name="a")
    return gb_outer.function(inner.build(inner.sum(inner.sin(a)))), inner


def test_grad_node_sens_wrong_shape_and_count():
    gb = GraphBuilder("outer")
    x = gb.input((3,), "float32")
    fname, _ = _energy_fn(gb)
    bad = gb.input((2,), "float32")
    with pytest.raises(ShapeError) as ei:
        gb.emit("grad", [x, bad], {"fn": fname, "positions": (0,), "sens": True})
    assert "sens 0" in str(ei.value) and "[2]" in str(ei.value) and ei.value.node
    with pytest.raises(ShapeError, match=r"sens: expected 1 tensor\(s\)"):
        gb.emit("grad", [x], {"fn": fname, "positions": (0,), "sens": True})
    with pytest.raises(ShapeError, match="without sens"):
        gb.emit("grad", [x, bad], {"fn": fname, "positions": (0,)})


def test_jvp_node_tangent_wrong_shape_and_count():
    gb = GraphBuilder("outer")
    x = gb.input((3,), "float32")
    fname, _ = _energy_fn(gb)
    with pytest.raises(ShapeError, match="tangent"):
        gb.emit("jvp", [x, gb.input((2,), "float32")], {"fn": fname})
    with pytest.raises(ShapeError, match=r"expected 1 tangent\(s\), got 0"):
        gb.emit("jvp", [x], {"fn": fname})


# -- grad_position ------------------------------------------------------------------------------
@pytest.mark.parametrize("pos, match", [(2, "out of range"), (-3, "out of range"), ((0, 5), "out of range"),
                                        ((0, 0), "repeated"), ((1, -1), "repeated"), ((), "empty")])
def test_grad_position_out_of_range_or_repeated(pos, match):
    gb, x, y = two_input_graph()
    g = gb.build(gb.mul(x, y))
    with pytest.raises(DifferentiationError, match=match):
        grad(g, grad_position=pos)


@pytest.mark.parametrize("positions, match", [((2,), "out of range"), ((-3,), "out of range"),
                                              ((0, 0), "repeated"), ((1, -1), "repeated")])
def test_grad_node_positions_checked(positions, match):
    """A grad node (JSON or Python) checks positions before normalising them."""
    gb = GraphBuilder("outer")
    x, y = gb.input((3,), "float32"), gb.input((3,), "float32")
    inner = GraphBuilder("f")
    a, c = inner.input((3,), "float32"), inner.input((3,), "float32")
    fname = gb.function(inner.build(inner.sum(inner.mul(a, c))))
    with pytest.raises(DifferentiationError, match=match) as ei:
        gb.emit("grad", [x, y], {"fn": fname, "positions": positions})
    assert ei.value.node


def test_grad_node_weight_repeated():
    """A weight named twice in a grad node is refused: the gradient pass marked it twice and gave the first copy
    zeros, silently (the SDK asks for each Parameter once and repeats the gradient, MindSpore's answer)."""
    gb = GraphBuilder("outer")
    x = gb.input((3,), "float32")
    inner = GraphBuilder("f")
    a = inner.input((3,), "float32")
    w = inner.param("w", np.ones(3, np.float32))
    fname = gb.function(inner.build(inner.sum(inner.mul(a, w))))
    with pytest.raises(DifferentiationError, match="weight 'w' repeated") as ei:
        gb.emit("grad", [x], {"fn": fname, "positions": (), "weights": ("w", "w")})
    assert ei.value.node


def test_unknown_weight():
    gb, x, y = two_input_graph()
    gb.param("w", np.ones(3, np.float32))
    g = gb.build(gb.mul(x, y))
    with pytest.raises(DifferentiationError, match="unknown weight 'v'"):
        grad(g, grad_position=None, weights=["v"])


# -- integer inputs: an error, never a silent drop ---------------------------------------------------
def int_graph():
    gb = GraphBuilder("net")
    x = gb.input((3,), "float32", name="x")
    n = gb.input((3,), "int32", name="n")
    return gb.build(gb.mul(x, gb.cast(n, dtype="float32")))


def test_grad_wrt_int_input_is_an_error():
    g = int_graph()
    with pytest.raises(DifferentiationError, match="int32") as ei:
        lower(grad(g, grad_position=1))
    assert "input 1" in str(ei.value) and ei.value.node
    with pytest.raises(DifferentiationError, match="int32"):
        lower(grad_operation(g, get_all=True))


def test_jvp_wrt_int_input_is_an_error():
    with pytest.raises(DifferentiationError, match="int32"):
        jvp(int_graph())
    with pytest.raises(DifferentiationError, match="int32"):
        lower(vjp(int_graph()))


def test_grad_wrt_float_input_beside_int_works():
    g = grad(int_graph(), grad_position=0)
    out = Engine().run(g, [np.ones(3, np.float32), np.array([1, 2, 3], np.int32)])
    np.testing.assert_array_equal(out, [1, 2, 3])


# -- an op with no derivative rule: an error, never a silent zero ---------------------------------
@pytest.fixture
def rule_less_op():
    name = "test_only_cube"
    defop(name, 1, lambda avals: [avals[0]], doc="test-only op without derivative rules")
    impl_rules[name] = lambda xp, x: x * x * x
    try:
        yield name
    finally:
        OPS.pop(name, None)
        impl_rules.pop(name, None)
        vjp_rules.pop(name, None)
        jvp_rules.pop(name, None)


def test_op_without_rules(rule_less_op):
    gb = GraphBuilder("net")
    x = gb.input((3,), "float64", name="x")
    g = gb.build(gb.sum(gb.emit1(rule_less_op, x)))
    eng = Engine()
    np.testing.assert_allclose(eng.run(g, [np.full(3, 2.0)]), 24.0)  # it runs
    dg = grad(g)
    with pytest.raises(DifferentiationError, match=f"{rule_less_op}.*no reverse-mode rule") as ei:
        eng.run(dg, [np.full(3, 2.0)])
    assert ei.value.node
    jg = jvp(g)
    with pytest.raises(DifferentiationError, match=f"{rule_less_op}.*no forward-mode rule"):
        eng.run(jg, [np.full(3, 2.0), np.ones(3)])
    # the op off the differentiated path is fine: it gets no derivative at all
    gb = GraphBuilder("net2")
    x, c = gb.input((3,), "float64"), gb.input((3,), "float64")
    g2 = gb.build(gb.sum(gb.mul(x, gb.emit1(rule_less_op, c))))
    np.testing.assert_allclose(eng.run(grad(g2, 0), [np.ones(3), np.full(3, 2.0)]), [8.0] * 3)


def test_test_only_op_was_removed():
    assert not any(k.startswith("test_only") for k in OPS)


# -- malformed JSON: the error names the JSON path ------------------------------------------------------
def _mut(fn):
    d = small_json()
    fn(d)
    return d


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d.update(format="gradserve.graph/9"), "$.format"),
    (lambda d: d.pop("nodes"), "$"),
    (lambda d: d.update(nodes={}), "$.nodes"),
    (lambda d: d["inputs"][0].update(dtype="float128"), "$.inputs[0].dtype"),
    (lambda d: d["inputs"][0].update(shape=[2, -3]), "$.inputs[0].shape"),
    (lambda d: d["inputs"][1].update(name="x"), "$.inputs[1].name"),
    (lambda d: d["nodes"][0].pop("op"), "$.nodes[0]"),
    (lambda d: d["nodes"][0].update(op=7), "$.nodes[0].op"),
    (lambda d: d["nodes"][1]["inputs"].__setitem__(0, "nowhere"), "$.nodes[1].inputs[0]"),
    (lambda d: d["nodes"][0].update(outputs=["a", "b"]), "$.nodes[0].outputs"),
    (lambda d: d["nodes"][0].update(attrs={"axis": 1}), "$.nodes[0]"),
    (lambda d: d["nodes"][0].update(attrs={"k": {"code": "import os"}}), "$.nodes[0].attrs.k"),
    (lambda d: d.update(outputs="nowhere"), "$.outputs"),
    (lambda d: d.update(outputs=[d["nodes"][1]["outputs"][0], ["nowhere"]]), "$.outputs[1][0]"),
    (lambda d: d.update(outputs=[]), "$.outputs"),
    (lambda d: d["nodes"].__setitem__(0, "mul"), "$.nodes[0]"),
])
def test_malformed_json_names_path(mutate, path):
    with pytest.raises(InvalidGraph) as ei:
        graph_from_json(_mut(mutate))
    assert ei.value.path == path, str(ei.value)
    assert path in str(ei.value)


def test_malformed_param_value_names_path():
    gb = GraphBuilder("net")
    x = gb.input((3,), "float32", name="x")
    w = gb.param("w", np.ones(3, np.float32))
    d = graph_to_json(gb.build(gb.mul(x, w)))
    bad = copy.deepcopy(d)
    bad["params"][0]["value"]["data"] = [1.0, 2.0]
    with pytest.raises(ShapeError) as ei:
        graph_from_json(bad)
    assert ei.value.path == "$.params[0].value.data"
    bad = copy.deepcopy(d)
    bad["params"][0]["value"]["data"] = ["a", "b", "c"]
    with pytest.raises(InvalidGraph) as ei:
        graph_from_json(bad)
    assert ei.value.path == "$.params[0].value.data"
    bad = copy.deepcopy(d)
    bad["params"][0]["value"] = {"shape": [3], "dtype": "float32", "b64": "!!!"}
    with pytest.raises(InvalidGraph) as ei:
        graph_from_json(bad)
    assert ei.value.path == "$.params[0].value.b64"


def test_json_is_not_an_object():
    for bad in (None, [], "graph", 3):
        with pytest.raises(InvalidGraph) as ei:
            graph_from_json(bad)
        assert ei.value.path == "$"


def test_json_unknown_function():
    d = small_json()
    d["nodes"].append({"op": "grad", "inputs": ["x"], "outputs": ["g"], "attrs": {"fn": "missing", "positions": [0]}})
    with pytest.raises(InvalidGraph, match="unknown function 'missing'") as ei:
        graph_from_json(d)
    assert ei.value.path == "$.nodes[2]"


# -- limits ------------------------------------------------------------------------------------------------
def test_json_node_limit():
    d = small_json()
    graph_from_json(d, Limits(max_nodes=2))
    with pytest.raises(LimitExceeded) as ei:
        graph_from_json(d, Limits(max_nodes=1))
    assert ei.value.path == "$.nodes[1]" and "1 nodes" in str(ei.value)
    assert ei.value.code == "limit_exceeded"


def test_builder_and_engine_node_limit():
    b = Builder(max_nodes=2)
    x = Var(AVal((3,), "float32"), "x")
    b.sin(x)
    b.cos(x)
    with pytest.raises(LimitExceeded, match="node limit of 2"):
        b.exp(x)
    gb, x, y = two_input_graph()
    g = grad(grad(gb.build(gb.sum(gb.sin(gb.mul(x, y)))), 0), 0)
    with pytest.raises(LimitExceeded):
        Engine(max_nodes=3).run(g, [np.ones((2, 3), np.float32)] * 2)


def test_json_tensor_element_limit():
    gb = GraphBuilder("net")
    x = gb.input((3,), "float32", name="x")
    d = graph_to_json(gb.build(gb.mul(x, gb.param("w", np.ones(3, np.float32)))))
    with pytest.raises(LimitExceeded) as ei:
        graph_from_json(d, Limits(max_elements=2))
    assert ei.value.path == "$.params[0].value"


# -- undefined variables and cycles ---------------------------------------------------------------------------
def test_cycle_in_json():
    d = small_json()
    later = d["nodes"][1]["outputs"][0]
    d["nodes"][0]["inputs"] = ["x", later]  # the output of node 1, which uses node 0: a cycle
    with pytest.raises(InvalidGraph, match="undefined variable or cycle") as ei:
        graph_from_json(d)
    assert ei.value.path == "$.nodes[0].inputs[1]"


def test_self_loop_in_json():
    d = small_json()
    d["nodes"][0]["inputs"] = ["x", d["nodes"][0]["outputs"][0]]
    with pytest.raises(InvalidGraph, match="undefined variable or cycle"):
        graph_from_json(d)


def test_undefined_variable_and_cycle_in_ir():
    x = Var(AVal((3,), "float32"), "x")
    a, c = Var(AVal((3,), "float32"), "a"), Var(AVal((3,), "float32"), "c")
    cyclic = Graph([x], [], [Eqn("add", (x, c), {}, (a,)), Eqn("sin", (a,), {}, (c,))], c)
    with pytest.raises(InvalidGraph, match="undefined variable") as ei:
        validate_graph(cyclic)
    assert ei.value.node == "0:add"
    with pytest.raises(InvalidGraph):
        lower(cyclic)
    twice = Graph([x], [], [Eqn("sin", (x,), {}, (a,)), Eqn("cos", (x,), {}, (a,))], a)
    with pytest.raises(InvalidGraph, match="defined twice"):
        validate_graph(twice)
    dangling = Graph([x], [], [Eqn("sin", (x,), {}, (a,))], c)
    with pytest.raises(InvalidGraph, match="not defined"):
        validate_graph(dangling)


def test_errors_are_typed_and_serialisable():
    try:
        graph_from_json(_mut(lambda d: d["inputs"][0].update(dtype="float128")))
    except EngineError as e:
        d = e.to_dict()
        assert d["code"] == "invalid_graph" and d["detail"]["path"] == "$.inputs[0].dtype"
    else:  # pragma: no cover
        pytest.fail("no error")
