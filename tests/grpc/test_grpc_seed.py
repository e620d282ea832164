"""Every example of shared/reference/seed_expected.md through gRPC against a real server, on every pool,
and the same jobs through HTTP (JSON and binary) and gRPC give the same bytes, names and structure."""
from __future__ import annotations

import json

import grpc
import numpy as np
import pytest
from e2e.conftest import devices
from e2e.helpers import X, Y, cube_net, decode, matmul_net, sin_cos_net
from e2e.helpers import call as http_call
from e2e.test_seed_rest import CASES, XS, YS, _check
from grpc_helpers import arrays, call, error_body, rebuild, rpc_error, structure

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.proto import gradserve_pb2 as pb

F32 = np.float32


def _same_as_http(client, kind, body, r: pb.JobResponse) -> None:
    got = arrays(r)
    for enc in ("json", "binary"):
        h = decode(http_call(client, kind, body, enc))
        assert [o["name"] for o in h["outputs"]] == [t.name for t in r.outputs]
        assert h["structure"] == structure(r.structure)
        assert h["graph_id"] == r.graph_id
        for o, a in zip(h["outputs"], got):
            assert o["datatype"] == "FP32" and o["array"].dtype == a.dtype
            assert o["array"].tobytes() == a.tobytes(), (enc, o["name"])


@pytest.mark.parametrize("device", devices())
@pytest.mark.parametrize("case", list(CASES))
def test_seed_example(stub, client, case, device):
    kind, graph, fields, expected, names = CASES[case]
    body = {"graph": graph, "device": device, **fields}
    r = call(stub, kind, body)
    assert r.device.split(":")[0] == device
    assert [t.name for t in r.outputs] == names
    assert all(t.datatype == "FP32" for t in r.outputs)
    assert r.graph_id.startswith("sha256:") and r.timing.total_ms > 0
    _check(rebuild(r), expected)
    _same_as_http(client, kind, body, r)


def test_registry_and_graph_not_found(stub, client):
    graph = cube_net()
    reg = stub.RegisterGraph(pb.RegisterGraphRequest(graph_json=json.dumps(graph).encode()), timeout=30)
    assert reg.graph_id == client.post("/v1/graphs", json={"graph": graph}).json()["graph_id"]
    assert [(s.name, list(s.shape), s.datatype) for s in reg.signature.inputs] == [("x", [2, 2], "FP32"),
                                                                                    ("y", [2, 2], "FP32")]
    got = stub.GetGraph(pb.GetGraphRequest(graph_id=reg.graph_id), timeout=30)
    assert json.loads(got.graph_json) == graph and got.graph_id == reg.graph_id
    a, v = np.array([[1, 2], [3, 4]], F32), np.ones((2, 2), F32)
    by_id = call(stub, "vjp", {"graph_id": reg.graph_id, "inputs": [a, a], "v": v})
    inline = call(stub, "vjp", {"graph": graph, "inputs": [a, a], "v": v})
    assert structure(by_id.structure) == structure(inline.structure) == [0, [1, 2]]
    assert [x.tobytes() for x in arrays(by_id)] == [x.tobytes() for x in arrays(inline)]
    e = rpc_error(call, stub, "vjp", {"graph_id": "sha256:" + "0" * 64, "inputs": [a, a], "v": v})
    assert e.code() == grpc.StatusCode.NOT_FOUND and error_body(e)["code"] == "graph_not_found"
    e = rpc_error(stub.GetGraph, pb.GetGraphRequest(graph_id="sha256:nope"), timeout=30)
    assert e.code() == grpc.StatusCode.NOT_FOUND and error_body(e)["code"] == "graph_not_found"


def test_value_and_grad_weights_params(stub, client):
    g = matmul_net()
    body = {"graph": g, "inputs": [X, Y], "value_and_grad": True, "grad_position": None, "weights": ["z"]}
    r = call(stub, "grad", body)
    assert [t.name for t in r.outputs] == ["out", "d/dz"] and structure(r.structure) == [0, [1]]
    np.testing.assert_allclose(arrays(r)[1], [21.536], rtol=1e-6)
    _same_as_http(client, "grad", body, r)
    body = {"graph": g, "inputs": [X, Y], "params": {"z": np.array([2.0], F32)}}
    r = call(stub, "grad", body)
    np.testing.assert_allclose(arrays(r)[0], 2 * np.array([[4.51, 2.7, 3.6]] * 2, F32), rtol=1e-6)
    _same_as_http(client, "grad", body, r)
    body = {"graph": g, "inputs": [X, Y], "get_all": True, "order": 2}
    _same_as_http(client, "grad", body, call(stub, "grad", body))


def test_eval_jacobian_hessian_hvp(stub, client):
    g = sin_cos_net()
    gb = GraphBuilder("f")
    x = gb.input((3,), name="x")
    f = graph_to_json(gb.build(gb.sum(gb.sin(x))))
    jobs = [("eval", {"graph": g, "inputs": [XS, YS]}),
            ("jacobian", {"graph": g, "inputs": [XS, YS], "positions": [0, 1]}),
            ("jacobian", {"graph": g, "inputs": [XS, YS], "positions": 1, "mode": "fwd"}),
            ("jvp", {"graph": g, "inputs": [XS, YS], "tangents": [np.ones(3, F32)], "positions": [1]}),
            ("hessian", {"graph": f, "inputs": [XS]}),
            ("hvp", {"graph": f, "inputs": [XS], "v": [np.ones(3, F32)]})]
    for kind, body in jobs:
        r = call(stub, kind, body)
        _same_as_http(client, kind, body, r)
    np.testing.assert_allclose(arrays(call(stub, "hessian", jobs[4][1]))[0], np.diag(-np.sin(XS)), rtol=1e-6,
                               atol=1e-7)


def test_large_tensor_round_trip(stub, client):
    """4 MiB in and out (above gRPC's default 4 MiB message limit): raw bytes both ways, HTTP binary alike."""
    gb = GraphBuilder("big")
    x = gb.input((1 << 20,), name="x")
    g = graph_to_json(gb.build(gb.mul(gb.sin(x), gb.scalar(2.0, "float32"))))
    big = np.linspace(-3, 3, 1 << 20, dtype=F32)
    r = call(stub, "grad", {"graph": g, "inputs": [big]})
    np.testing.assert_allclose(arrays(r)[0], 2 * np.cos(big), rtol=1e-6, atol=1e-6)
    h = decode(http_call(client, "grad", {"graph": g, "inputs": [big]}, "binary"))
    assert h["outputs"][0]["array"].tobytes() == arrays(r)[0].tobytes()
