"""Bad input only HTTP can send (bodies that are not JSON, JSON tensors, the binary framing, body and
nesting limits) and /metrics. Worker deaths, deadlines, floods and the client mistakes both protocols
can make are in test_protocol_failures.py and test_protocols.py."""
from __future__ import annotations

import httpx
import numpy as np
import pytest

from .helpers import DX, F32, X, Y, call, decode, error_of, matmul_net, metric



def assert_healthy(client: httpx.Client, device: str = "cpu") -> None:
    assert client.get("/v2/health/live").status_code == 200
    out = decode(call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": device}))
    np.testing.assert_allclose(out["outputs"][0]["array"], DX, rtol=1e-6)


# -- bad input -------------------------------------------------------------------------------------
def post(client, kind, content, headers=None):
    return client.post(f"/v1/{kind}", content=content, headers=headers or {"Content-Type": "application/json"})


BAD_BODIES = {
    "not_json": (b"{not json", "invalid_request"),
    "json_array": (b"[1, 2]", "invalid_request"),
    "unknown_field": (b'{"graph_id": "x", "inputs": [], "grad_positon": 1}', "invalid_request"),
    "tensor_without_data": (b'{"graph_id": "x", "inputs": [{"shape": [1], "datatype": "FP32"}]}', "invalid_request"),
    "bad_datatype": (b'{"graph_id": "x", "inputs": [{"shape": [1], "datatype": "FP8", "data": [1]}]}',
                     "invalid_request"),
    "ragged_data": (b'{"graph_id": "x", "inputs": [{"shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3]]}]}',
                    "invalid_request"),
    "string_data": (b'{"graph_id": "x", "inputs": [{"shape": [1], "datatype": "FP32", "data": ["a"]}]}',
                    "invalid_request"),
    "negative_shape": (b'{"graph_id": "x", "inputs": [{"shape": [-1], "datatype": "FP32", "data": []}]}',
                       "invalid_request"),
    "graph_not_object": (b'{"graph": 3, "inputs": []}', "invalid_request"),
    "no_graph": (b'{"inputs": []}', "invalid_request"),
    "bad_format": (b'{"graph": {"format": "onnx"}, "inputs": []}', "invalid_graph"),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_malformed_bodies(client, name):
    content, code = BAD_BODIES[name]
    r = post(client, "grad", content)
    assert r.status_code == 400, r.text
    err = error_of(r)
    assert err["code"] == code, err
    assert err["message"]


def test_bf16_bytes_are_two_per_element(client):
    """BF16 raw data is 2 bytes an element (float32's 4 bytes under BF16 is a shape error naming both sizes)."""
    import base64
    r = client.post("/v1/grad", json={"graph": matmul_net(), "inputs": [
        {"shape": [2, 3], "datatype": "BF16", "b64": base64.b64encode(b"\0" * 24).decode()},
        {"shape": [3, 3], "datatype": "FP32", "data": [1] * 9}]})
    assert r.status_code == 400 and error_of(r)["code"] == "shape_error" and "needs 12" in error_of(r)["message"]


def test_json_data_short_of_its_shape(client):
    """JSON `data` with fewer numbers than its shape (the other shape mistakes: test_protocols.MISTAKES)."""
    r = client.post("/v1/grad", json={"graph": matmul_net(), "inputs": [
        {"shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3]}, {"shape": [3, 3], "datatype": "FP32", "data": [1] * 9}]})
    assert r.status_code == 400 and error_of(r)["code"] == "shape_error"
    assert_healthy(client)


def test_limits_name_themselves(server, client):
    r = post(client, "grad", b" " * (8 * 1024 * 1024 + 1))
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_body_bytes"
    big = np.zeros((1 << 20) + 1, F32)
    r = client.post("/v1/grad", json={"graph": matmul_net(), "inputs": [
        {"shape": [(1 << 20) + 1], "datatype": "FP32", "b64": ""}]})
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_elements", r.text
    del big
    nested = {"graph": matmul_net(), "inputs": [{"shape": [1], "datatype": "FP32", "data": [[[[[[[[[[[[[[[[[[[[[[[[
        [[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}
    r = client.post("/v1/grad", json=nested)
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_depth", r.text
    assert_healthy(client)


def test_binary_framing_errors(client):
    good = b'{"graph_id": "x", "inputs": [{"shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]}'
    h = {"Content-Type": "application/octet-stream"}
    r = post(client, "grad", good + b"\0" * 4, {**h, "Inference-Header-Content-Length": str(len(good))})
    assert r.status_code == 400 and "past the end" in error_of(r)["message"]
    r = post(client, "grad", good + b"\0" * 12, {**h, "Inference-Header-Content-Length": str(len(good))})
    assert r.status_code == 400 and "after the last" in error_of(r)["message"]
    r = post(client, "grad", good, {**h, "Inference-Header-Content-Length": "99999"})
    assert r.status_code == 400
    r = post(client, "grad", good, {**h, "Inference-Header-Content-Length": "abc"})
    assert r.status_code == 400


def test_metrics_exposed(client):
    for _ in range(2):  # on one named worker (never the inline lane): its second run is a plan cache hit
        assert_healthy(client, "cpu:0")
    text = client.get("/metrics").text
    for name in ("gradserve_queue_depth{device=\"cpu\"}", "gradserve_request_latency_seconds_bucket",
                 "gradserve_compile_cache_hits_total", "gradserve_compile_cache_misses_total",
                 "gradserve_requests_total", "gradserve_workers_live"):
        assert name in text, name
    assert metric(client, "gradserve_compile_cache_hits_total", device="cpu") >= 1
