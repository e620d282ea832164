"""One answer for every too-large tensor a graph asks for: 413 limit_exceeded (gRPC RESOURCE_EXHAUSTED) naming
`max_elements` with the server's setting as its value, the node where the graph says it. Before, a tensor past
the engine's absolute cap (iota, arange, fill, an input's shape: engine.ir.check_size, shape_rules.arange_length)
was a 400 shape_error while one past the server's own max_elements was a 413 (service.errors.from_engine).

Against the shared session server (GRADSERVE_MAX_ELEMENTS = 2**20), over /v1 HTTP (a job and a registration)
and gRPC."""
from __future__ import annotations

import json

import grpc
import numpy as np
import pytest

from e2e import grpc_wire as gw
from e2e.server import SERVER_ENV
from engine import GraphBuilder
from engine.serialize import graph_to_json

MAX_ELEMENTS = int(SERVER_ENV["GRADSERVE_MAX_ELEMENTS"])


def _graph(op: str | None = None, small: dict | None = None, big: dict | None = None, input_shape=None) -> dict:
    """sum(x) + sum(op(**small)) with x: (4,) float64, then op's attributes replaced by `big` (and the input's
    shape by `input_shape`): what a hand-written request can say that the builder refuses to write."""
    gb = GraphBuilder("big")
    x = gb.input((4,), "float64", name="x")
    y = gb.sum(x)
    if op is not None:
        y = gb.add(y, gb.sum(gb.cast(gb.emit1(op, **small), dtype="float64")))
    d = graph_to_json(gb.build(y))
    for n in d["nodes"]:
        if n["op"] == op:
            n["attrs"].update(big)
    if input_shape is not None:
        d["inputs"][0]["shape"] = list(input_shape)
    return d


IOTA, ARANGE = {"shape": [3, 3]}, {"stop": 5.0, "dtype": "float64"}
FILL = {"shape": [3], "value": 1.0, "dtype": "float32"}
CASES = {  # name: (graph, where the error points)
    "iota_past_the_engine_cap": (_graph("iota", IOTA, {"shape": [1 << 30, 1 << 30]}), "$.nodes[1]"),
    "arange_past_the_engine_cap": (_graph("arange", ARANGE, {"stop": 1e15}), "$.nodes[1]"),
    "arange_tiny_step": (_graph("arange", ARANGE, {"step": 1e-300}), "$.nodes[1]"),
    "fill_past_the_engine_cap": (_graph("fill", FILL, {"shape": [1 << 32, 1 << 32]}), "$.nodes[1]"),
    "input_shape_past_the_engine_cap": (_graph(input_shape=(1 << 40, 1 << 40)), "$.inputs[0].shape"),
    "iota_past_the_setting_only": (_graph("iota", IOTA, {"shape": [1 << 12, 1 << 12]}), "$.graph"),
}
X4 = np.array([0.5, 1.0, 1.5, 2.0])


def _check(err: dict, where: str) -> None:
    assert err["code"] == "limit_exceeded", err
    assert err["detail"]["limit"] == "max_elements" and err["detail"]["value"] == MAX_ELEMENTS, err
    assert err["detail"]["path"].endswith(where) and "max_elements" in err["message"], err


@pytest.mark.parametrize("name", list(CASES))
def test_too_many_elements_is_413_naming_max_elements_over_http(client, name):
    g, where = CASES[name]
    r = client.post("/v1/eval", content=json.dumps({"graph": g, "inputs": [{"shape": [4], "datatype": "FP64",
                                                                             "data": X4.tolist()}]}),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    _check(r.json()["error"], where)
    if where != "$.graph":  # refused at registration too, before any job
        r = client.post("/v1/graphs", json={"graph": g})
        assert r.status_code == 413, r.text
        _check(r.json()["error"], where)


@pytest.mark.parametrize("name", ["iota_past_the_engine_cap", "arange_past_the_engine_cap"])
def test_too_many_elements_is_resource_exhausted_over_grpc(stub, name):
    g, where = CASES[name]
    e = gw.rpc_error(gw.call, stub, "eval", {"graph": g, "inputs": [X4]})
    assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (e.code(), e.details())
    _check(gw.error_body(e), where)


def test_a_graph_within_the_limits_still_runs(client):
    """The iota case's graph at a size the server takes: the refusals above are the sizes, not the ops."""
    g = _graph("iota", IOTA, {})
    r = client.post("/v1/eval", json={"graph": g, "inputs": [{"shape": [4], "datatype": "FP64", "data": X4.tolist()}]})
    assert r.status_code == 200, r.text
    assert r.json()["outputs"][0]["data"] == [5.0 + 9.0]  # sum(x) + sum(iota((3, 3), 0)) = 5 + (0 + 1 + 2) * 3
