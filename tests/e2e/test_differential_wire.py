"""Raw graphs over the wire, against JAX: random gradserve.graph/1 JSON over the op registry (tests/e2e/_wire_fuzz.py:
axes incl. negative, keepdims, broadcasting with size-1 dims, 0-size inputs, float16/32/64, stop_gradient on random
edges) sent to the real server over HTTP (json, b64, binary tensors) and gRPC, each job (eval, grad with positions
and sens, get_all, vjp, jvp, hvp, hessian, order 2-3) compared with JAX in float64 (tests/e2e/_wire_jobs.py).
Wide runs outside CI: PYTHONPATH=.:clients/python:tests python -m e2e._wire_jobs N [first].

Bad graphs: an invalid attr or a shape mismatch is a 400 naming the node, its path and the field, never a 500."""
from __future__ import annotations

import numpy as np
import pytest

from ._wire_jobs import KINDS, SKIP, run_one

pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)

SEEDS = range(10)  # ~4 s a seed on a busy 2-core box; the wide runner takes thousands
ENCODINGS = ("json", "b64", "binary")


@pytest.mark.parametrize("seed", SEEDS)
def test_random_graph_matches_jax(proto, seed):
    results = {kind: run_one(proto, seed, kind, ENCODINGS[(seed + k) % 3]) for k, kind in enumerate(KINDS)}
    wrong = [why for why in results.values() if why not in (None, SKIP)]
    assert not wrong, "\n".join(wrong)
    # only a hessian may pass the test server's max_nodes; every other job is compared
    assert all(why is None for kind, why in results.items() if kind != "hessian"), results


def _graph(nodes, shapes=((2, 3),)):
    ins = [{"name": f"x{i}", "shape": list(s), "dtype": "float32"} for i, s in enumerate(shapes)]
    return {"format": "gradserve.graph/1", "inputs": ins, "nodes": nodes, "outputs": nodes[-1]["outputs"][0]}


def _node(op, ins, attrs, outs=("y",)):
    return {"op": op, "inputs": list(ins), "outputs": list(outs), "attrs": attrs}


# (graph, input shapes, error code, words the message must hold: the field or the shapes)
BAD = {
    "sum axis past rank": ([_node("sum", ["x0"], {"axis": 5})], ((2, 3),), "shape_error", ["axis 5"]),
    "negative axis past rank": ([_node("logsumexp", ["x0"], {"axis": [-3]})], ((2, 3),), "shape_error", ["axis -3"]),
    "repeated axis": ([_node("sum", ["x0"], {"axis": [1, -1]})], ((2, 3),), "shape_error", ["repeated axis"]),
    "keepdims not a bool": ([_node("mean", ["x0"], {"keepdims": "yes"})], ((2, 3),), "invalid_graph", ["keepdims"]),
    "unknown attr": ([_node("sum", ["x0"], {"axes": 1})], ((2, 3),), "invalid_graph", ["axes"]),
    "no broadcast": ([_node("mul", ["x0", "x1"], {})], ((2, 3), (4,)), "shape_error", ["[2, 3]", "[4]"]),
    "cumsum axis": ([_node("cumsum", ["x0"], {"axis": -3, "reverse": True})], ((2, 3),), "shape_error", ["axis -3"]),
    "softmax axis": ([_node("log_softmax", ["x0"], {"axis": 2})], ((2, 3),), "shape_error", ["axis 2"]),
    "concat shapes": ([_node("concat", ["x0", "x1"], {"axis": -2})], ((2, 3), (2, 4)), "shape_error", ["[2, 4]"]),
    "squeeze size 2": ([_node("squeeze", ["x0"], {"axis": [-2]})], ((2, 3),), "shape_error", ["size 2"]),
    "reshape count": ([_node("reshape", ["x0"], {"shape": [4, -1]})], ((2, 3),), "shape_error", ["reshape"]),
    "sort axis": ([_node("sort", ["x0"], {"axis": 3}, ("y", "i"))], ((2, 3),), "shape_error", ["axis 3"]),
    "dtypes differ": ([_node("cast", ["x0"], {"dtype": "float64"}, ("z",)), _node("add", ["x0", "z"], {})],
                      ((2, 3),), "shape_error", ["float64"]),
}


@pytest.mark.parametrize("name", sorted(BAD))
@pytest.mark.parametrize("kind", ["eval", "hessian"])
def test_bad_graph_is_a_400_naming_node_and_field(proto, name, kind):
    nodes, shapes, code, words = BAD[name]
    g = _graph(nodes, shapes)
    ans = proto.call(kind, g, [np.ones(s, np.float32) for s in shapes]).failed(400, code)
    bad = len(nodes) - 1
    assert ans.error["detail"]["path"] == f"$.nodes[{bad}]", ans.error
    assert ans.error["detail"]["node"].endswith(f"{bad}:{nodes[bad]['op']}"), ans.error
    assert all(w in ans.error["message"] for w in words), ans.error
