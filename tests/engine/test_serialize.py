"""JSON form gradserve.graph/1: round trip, content hash, data only, the published JSON Schema, the printer."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import Engine, GraphBuilder, InvalidGraph, grad, grad_operation, jvp, value_and_grad, vjp
from engine.ir import tree_flatten
from engine.printer import format_graph
from engine.serialize import (canonical_json, graph_from_json, graph_hash, graph_to_json, json_schema,
                              tensor_from_json, tensor_to_json)

jsonschema = pytest.importorskip("jsonschema")

F32 = np.float32
X = np.array([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], F32)
Y = np.array([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], F32)
SCHEMA_PATH = Path(engine.__file__).parent / "graph.schema.json"


def matmul_net():
    gb = GraphBuilder("net")
    x, y = gb.input((2, 3), name="x"), gb.input((3, 3), name="y")
    z = gb.param("z", np.array([1.0], F32))
    return gb.build(gb.matmul(gb.mul(x, z), y))


def multi_out_net():
    """Nested tuple outputs, a non-uniform const, index attrs with null / '...' / negative step, split."""
    gb = GraphBuilder("multi")
    x, y = gb.input((2, 3), name="x"), gb.input((3, 3), name="y")
    c = gb.const(np.array([0.5, -1.0, 2.0], F32))
    h = gb.matmul(gb.mul(x, c), y, transpose_b=True)
    a, b = gb.split(h, sections=None, indices=(1,), axis=0)
    r = gb.index(h, index=["...", [None, None, -1]])
    return gb.build((gb.sum(a), (gb.softmax(b, axis=-1), gb.index(r, index=[None, 0]))))


def nested_fn_net():
    """A loss using d(energy)/dx and a jvp node inside the graph (functions in the JSON)."""
    inner = GraphBuilder("energy")
    xi = inner.input((3,), name="a")
    w = inner.param("w", np.array([0.5, -1.0, 2.0], F32))
    energy = inner.build(inner.sum(inner.mul(w, inner.sin(xi))))
    gb = GraphBuilder("loss")
    x = gb.input((3,), name="x")
    fname = gb.function(energy)
    (force,) = gb.emit("grad", [x], {"fn": fname, "positions": (0,)})
    _, tan = gb.emit("jvp", [x, force], {"fn": fname})
    return gb.build(gb.add(gb.sum(gb.square(force)), tan))


def int_and_gather_net():
    gb = GraphBuilder("gather")
    x = gb.input((2, 3), "float64", name="x")
    idx = gb.input((4,), "int64", name="idx")
    g = gb.gather(x, idx, axis=1)
    return gb.build(gb.mean(gb.where(gb.greater(g, gb.zeros_like(g)), g, gb.neg(g)), axis=(1,), keepdims=True))


XS3 = np.array([0.8, 0.6, 0.2], F32)
GRAPHS = {
    "matmul": (matmul_net, (X, Y)),
    "matmul-grad2": (lambda: grad_operation(grad_operation(matmul_net(), get_all=True), get_all=True), (X, Y)),
    "matmul-weights": (lambda: grad_operation(matmul_net(), get_all=True, get_by_list=True), (X, Y)),
    "matmul-sens": (lambda: grad_operation(matmul_net(), sens_param=True), (X, Y, np.ones((2, 3), F32))),
    "multi": (multi_out_net, (X, Y)),
    "multi-vjp": (lambda: vjp(multi_out_net()), (X, Y, np.float32(1.0), np.ones((1, 3), F32), np.ones((1, 3), F32))),
    "multi-jvp": (lambda: jvp(multi_out_net()), (X, Y, np.ones_like(X), np.ones_like(Y))),
    "nested": (nested_fn_net, (XS3,)),
    "nested-value-and-grad": (lambda: value_and_grad(nested_fn_net(), 0, weights=["w"]), (XS3,)),
    "gather": (int_and_gather_net, (np.arange(6.0).reshape(2, 3) - 2.5, np.array([2, 0, 2, 1]))),
}


def _equal_trees(a, b):
    la, lb = tree_flatten(a), tree_flatten(b)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("name", list(GRAPHS))
def test_round_trip_same_results(name):
    make, args = GRAPHS[name]
    g = make()
    d = graph_to_json(g)
    text = json.dumps(d, allow_nan=False)  # plain JSON types only
    again = graph_from_json(json.loads(text))
    eng = Engine()
    _equal_trees(eng.run(g, list(args)), eng.run(again, list(args)))
    # the reloaded graph serialises to the same JSON: names, attrs, values all survive
    assert graph_to_json(again) == d
    assert graph_hash(graph_to_json(again)) == graph_hash(d)
    # and it is the same graph after lowering
    assert engine.lower(again).node_count() == engine.lower(g).node_count()


def test_b64_tensors_round_trip():
    for a in (np.arange(6, dtype=np.float16).reshape(2, 3), np.array([[1.5, -2.0]], np.float64),
              np.array([True, False]), np.array([-3, 7], np.int32), np.zeros((0, 2), np.float32)):
        for b64 in (False, True):
            back = tensor_from_json(json.loads(json.dumps(tensor_to_json(a, b64=b64))), "$")
            assert back.dtype == a.dtype and back.shape == a.shape
            np.testing.assert_array_equal(back, a)


@pytest.mark.parametrize("b64", ["!!", "AAAA AAA=", "=AAAAAA", "AAAAAA", 7, "é"])
def test_b64_tensors_that_are_not_strict_base64_are_refused_by_path(b64):
    """Only the base64 alphabet with its padding (Python's base64.b64decode(validate=True) accepts none of these
    as a str either): an InvalidGraph naming the field, never a crash."""
    with pytest.raises(InvalidGraph) as e:
        tensor_from_json({"shape": [1], "dtype": "float32", "b64": b64}, "$.params[0].value")
    assert e.value.path == "$.params[0].value.b64"


def test_graph_hash_stable():
    d1, d2 = graph_to_json(matmul_net()), graph_to_json(matmul_net())
    h = graph_hash(d1)
    assert h.startswith("sha256:") and len(h) == len("sha256:") + 64
    assert graph_hash(d2) == h  # same construction, same hash
    shuffled = json.loads(json.dumps(d1))
    shuffled = {k: shuffled[k] for k in reversed(list(shuffled))}
    assert graph_hash(shuffled) == h  # key order does not matter
    assert canonical_json(shuffled) == canonical_json(d1)
    changed = copy.deepcopy(d1)
    changed["params"][0]["value"]["data"] = [2.0]
    assert graph_hash(changed) != h
    changed = copy.deepcopy(d1)
    changed["nodes"][1]["attrs"]["transpose_b"] = True
    assert graph_hash(changed) != h
    # stable across processes: pinned value of a fixed document
    assert graph_hash({"a": [1, 2.5, "x"], "b": None}) == \
        "sha256:" + __import__("hashlib").sha256(b'{"a":[1,2.5,"x"],"b":null}').hexdigest()


def test_data_only():
    """Loading never evaluates anything: op names come from the registry, attrs are plain data."""
    d = graph_to_json(matmul_net())
    for evil in ("__import__('os').system('true')", "eval", "pickle.loads", "engine.ops.registry.defop"):
        bad = copy.deepcopy(d)
        bad["nodes"][0]["op"] = evil
        with pytest.raises(InvalidGraph):
            graph_from_json(bad)
    bad = copy.deepcopy(d)
    bad["nodes"][0]["attrs"] = {"x": {"__reduce__": "os.system"}}
    with pytest.raises(InvalidGraph):
        graph_from_json(bad)
    bad = copy.deepcopy(d)
    bad["params"][0]["value"]["dtype"] = "object"
    with pytest.raises(InvalidGraph):
        graph_from_json(bad)


# -- JSON Schema ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_published_schema_is_current():
    """engine/graph.schema.json is generated from the registry; regenerate after adding an op:
    python -c 'from engine.serialize import write_schema; write_schema()'"""
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads(json.dumps(json_schema()))


@pytest.mark.parametrize("name", list(GRAPHS))
def test_graph_json_validates_against_schema(validator, name):
    d = json.loads(json.dumps(graph_to_json(GRAPHS[name][0]())))
    errors = sorted(validator.iter_errors(d), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_b64_graph_validates(validator):
    d = graph_to_json(matmul_net())
    d["params"][0]["value"] = tensor_to_json(np.array([1.0], F32), b64=True)
    validator.validate(d)
    graph_from_json(d)


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(format="gradserve.graph/2"),
    lambda d: d.pop("outputs"),
    lambda d: d["inputs"][0].update(dtype="float128"),
    lambda d: d["inputs"][0].update(shape=[2, -1]),
    lambda d: d["nodes"][0].update(op="frobnicate"),
    lambda d: d["nodes"][0].update(inputs=["x"]),  # mul takes 2
    lambda d: d["nodes"][1].update(attrs={"transpose_a": "yes"}),
    lambda d: d["nodes"][1].update(attrs={"bogus": 1}),
    lambda d: d["nodes"][0].update(outputs=[]),
    lambda d: d["params"][0]["value"].pop("data"),
    lambda d: d["nodes"][0]["attrs"].update(k={"code": "x"}),
])
def test_schema_and_loader_both_reject(validator, mutate):
    d = graph_to_json(matmul_net())
    mutate(d)
    assert list(validator.iter_errors(d)), "schema accepted a malformed graph"
    with pytest.raises(InvalidGraph):
        graph_from_json(d)


def test_schema_requires_attrs_of_ops(validator):
    gb = GraphBuilder("r")
    x = gb.input((2, 3), name="x")
    d = graph_to_json(gb.build(gb.reshape(x, shape=(3, 2))))
    validator.validate(d)
    del d["nodes"][0]["attrs"]["shape"]
    assert list(validator.iter_errors(d))


# -- printer -----------------------------------------------------------------------------------------------
def test_printer_small_graph():
    gb = GraphBuilder("net")
    x, y = gb.input((2, 3), name="x"), gb.input((3, 3), name="y")
    z = gb.param("z", np.array([1.0], F32))
    h = gb.matmul(gb.mul(x, z), y, transpose_b=True)
    g = gb.build((gb.sum(h, axis=(1,)), gb.index(h, index=[0, [None, None, -1]])))
    assert format_graph(g) == (
        "def net(x: float32[2,3], y: float32[3,3]) params(z: float32[1]):\n"
        "  t3: float32[2,3] = mul(x, z)\n"
        "  t4: float32[2,3] = matmul(t3, y, transpose_a=False, transpose_b=True)\n"
        "  t5: float32[2] = sum(t4, axis=(1,), keepdims=False)\n"
        "  t6: float32[3] = index(t4, index=[0, [None, None, -1]])\n"
        "  return (t5, t6)"
    )
    assert str(g) == format_graph(g)


def test_printer_functions_consts_and_name_clashes():
    gb = GraphBuilder("net")
    x = gb.input((2,), "float64", name="t1")  # a user name that looks like a generated one
    c = gb.const(np.array([1.0, 2.0]))
    g = gb.build((gb.add(gb.mul(x, c), x),))
    assert format_graph(g) == (
        "def net(t1: float64[2]):\n"
        "  t1_1: float64[2] = const(value=<float64[2]>)\n"
        "  t2: float64[2] = mul(t1, t1_1)\n"
        "  t3: float64[2] = add(t2, t1)\n"
        "  return (t3,)"
    )
    text = format_graph(grad(g, 0))
    assert text.startswith("def net_0(t1: float64[2]):")  # the function first
    assert "def grad_net(t1: float64[2]):" in text
    assert "= grad(t1, fn='net_0', positions=(0,), weights=(), sens=False, with_value=False, int_grads=False, reached=False, aux=0)" in text
