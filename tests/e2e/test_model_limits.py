"""Which limit bounds which path: binary model uploads (POST /v1/graphs application/onnx) are bound by
max_model_bytes, not max_body_bytes (which stays the JSON bodies' limit and sizes their parse cap); binary
responses by max_binary_output_bytes, JSON ones by max_output_bytes. Limits set low here so a ~3 MiB model
shows each: a real ViT-B/16 (346 MB of weights) is the same over the defaults (benchmarks/IMPORT_ZOO.md)."""
from __future__ import annotations

import json
import socket
import time

import numpy as np
import pytest

from .helpers import call, decode, error_of, metric, wait_for_metric
from .server import module_server

MIB = 1 << 20
ENV = {"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_BODY_BYTES": str(MIB), "GRADSERVE_MAX_OUTPUT_BYTES": str(MIB),
       "GRADSERVE_MAX_MODEL_BYTES": str(8 * MIB), "GRADSERVE_MAX_BINARY_OUTPUT_BYTES": str(6 * MIB),
       "GRADSERVE_MAX_ELEMENTS": str(4 * MIB), "GRADSERVE_GRAPH_CACHE_BYTES": str(12 * MIB),  # (the e2e default is lower than the 2 M-element answer below)
       # the body-budget test's two uploads come from one client (no API keys: one address), which
       # imports_per_client's default (1) would refuse before the budget does
       "GRADSERVE_IMPORTS_PER_CLIENT": "2"}
ONNX = {"Content-Type": "application/onnx"}
K, N = 768, 1024  # a 3 MiB float32 weight: three times max_body_bytes


srv = module_server("model_limits", env=ENV, devices="cpu")


@pytest.fixture
def c(srv):
    with srv.client(timeout=120) as cl:
        yield cl


def matmul_model(w: np.ndarray) -> bytes:
    """y = x @ W with W an initializer (the weight a user differentiates)."""
    onnx = pytest.importorskip("onnx")
    h, tp = onnx.helper, onnx.TensorProto
    g = h.make_graph([h.make_node("MatMul", ["x", "W"], ["y"])], "mm",
                     [h.make_tensor_value_info("x", tp.FLOAT, [1, w.shape[0]])],
                     [h.make_tensor_value_info("y", tp.FLOAT, [1, w.shape[1]])],
                     [onnx.numpy_helper.from_array(w, "W")])
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17)]).SerializeToString()


@pytest.fixture(scope="module")
def registered(srv):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((K, N)).astype(np.float32)
    body = matmul_model(w)
    assert len(body) > 3 * MIB  # above max_body_bytes, within max_model_bytes
    with srv.client(timeout=120) as h:
        r = h.post("/v1/graphs", content=body, headers=ONNX)
    assert r.status_code == 201, r.text[:500]
    return r.json()["graph_id"], r.json()["signature"]


def test_onnx_upload_above_max_body_bytes_is_taken_within_max_model_bytes(registered):
    """The 3 MiB model (three times max_body_bytes) is registered whole: its weight is a parameter."""
    _, signature = registered
    assert [(p["name"], p["shape"]) for p in signature["params"]] == [("W", [K, N])]


def test_onnx_upload_past_max_model_bytes_names_it(c):
    r = c.post("/v1/graphs", content=b"\0" * (9 * MIB), headers=ONNX)
    assert r.status_code == 413, r.text[:500]
    d = error_of(r)["detail"]
    assert d["limit"] == "max_model_bytes" and d["value"] == 8 * MIB


def test_json_graph_body_past_max_body_bytes_still_names_it(c):
    doc = {"format": "gradserve.graph/1", "name": "big", "inputs": [], "params": [], "nodes": [],
           "outputs": [], "pad": "x" * (3 * MIB)}
    r = c.post("/v1/graphs", content=json.dumps(doc).encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text[:500]
    assert error_of(r)["detail"]["limit"] == "max_body_bytes"


def test_a_model_the_graph_cache_cannot_keep_is_refused_naming_it(c):
    """A 7 MiB weight (within max_model_bytes) takes ~16 MiB registered (base64 JSON and loaded arrays), more
    than graph_cache_bytes (12 MiB): 413 naming it, not a 201 whose graph_id is unknown at once (404)."""
    w = np.zeros((K, 2400), np.float32)
    r = c.post("/v1/graphs", content=matmul_model(w), headers=ONNX)
    assert r.status_code == 413, r.text[:500]
    d = error_of(r)["detail"]
    assert d["limit"] == "graph_cache_bytes" and d["value"] == 12 * MIB and d["got"] > 12 * MIB


def _grad_body(graph_id, x, v):
    return {"graph_id": graph_id, "inputs": [x], "sens": v, "grad_position": None, "weights": ["W"]}


def test_binary_weight_gradient_above_the_json_cap_is_served(c, registered):
    """dW of sum(v * (x @ W)) is outer(x, v) (NumPy): 3 MiB binary, above max_output_bytes (1 MiB)."""
    graph_id, _ = registered
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, K)).astype(np.float32)
    v = rng.standard_normal((1, N)).astype(np.float32)
    body = {**_grad_body(graph_id, x, v), "binary_output": True}
    out = decode(call(c, "grad", body, "binary"))["outputs"]
    np.testing.assert_allclose(out[-1]["array"], x.T @ v, rtol=1e-5, atol=1e-6)


def test_the_same_gradient_as_json_is_refused_naming_max_output_bytes(c, registered):
    graph_id, _ = registered
    x, v = np.ones((1, K), np.float32), np.ones((1, N), np.float32)
    r = call(c, "grad", _grad_body(graph_id, x, v), "json")  # a JSON request: a JSON answer
    assert r.status_code == 413, r.text[:500]
    err = error_of(r)
    assert err["detail"]["limit"] == "max_output_bytes" and "binary_output" in err["message"], err


def test_binary_output_past_its_own_cap_names_max_binary_output_bytes(c, srv):
    """A 2 M-element float32 answer (8 MiB) past max_binary_output_bytes (6 MiB): refused before running."""
    g = {"format": "gradserve.graph/1", "name": "wide", "inputs": [{"name": "x", "shape": [1], "dtype": "float32"}],
         "params": [], "nodes": [{"op": "broadcast_to", "inputs": ["x"], "outputs": ["b"],
                                  "attrs": {"shape": [2048, 1024]}}], "outputs": "b"}
    r = call(c, "eval", {"graph": g, "inputs": [np.ones(1, np.float32)], "binary_output": True}, "binary")
    assert r.status_code == 413, r.text[:500]
    d = error_of(r)["detail"]
    assert d["limit"] == "max_binary_output_bytes" and d["value"] == 6 * MIB


def test_model_uploads_share_the_body_budget_and_a_lone_one_goes_ahead(c, srv):
    """Model uploads hold the body budget (2 x max_body_bytes = 2 MiB here) as their bytes arrive and while they
    convert (3 x the model): a 0.9 MiB model (2.7 MiB to convert) is refused, 429 naming body_budget_bytes, while
    another upload holds the budget, and registered once it is alone. (Before, model bytes and their conversion
    were charged nowhere: uploads at once of up to max_model_bytes each were bounded by nothing.)"""
    small = matmul_model(np.ones((480, 480), np.float32))
    assert 0.8 * MIB < len(small) < MIB  # (read whole before its charge: no refusal mid-upload)
    held = socket.create_connection(("127.0.0.1", srv.port))
    try:  # an upload that stops part way: its 2.5 MiB received hold the budget until it goes
        held.sendall(f"POST /v1/graphs HTTP/1.1\r\nHost: x\r\nContent-Type: application/onnx\r\n"
                     f"Content-Length: {6 * MIB}\r\n\r\n".encode() + b"\0" * (5 * MIB // 2))
        wait_for_metric(c, "gradserve_body_budget_bytes", 2 * MIB, "the stalled upload never held the budget",
                        timeout=60, state="held")
        r = c.post("/v1/graphs", content=small, headers=ONNX)
        assert r.status_code == 429, r.text[:500]
        assert error_of(r)["detail"]["limit"] == "body_budget_bytes"
    finally:
        held.close()
    end = time.monotonic() + 60
    while metric(c, "gradserve_body_budget_bytes", state="held") > 0:
        assert time.monotonic() < end, "the dropped upload's charge was never given back"
        time.sleep(0.1)
    r = c.post("/v1/graphs", content=small, headers=ONNX)
    assert r.status_code == 201, r.text[:500]
