"""A graph whose values are named by hash runs on read-only arrays that share the tensor store's bytes
(service.tensor_store): in a worker and in the server's own process (the inline lane, which runs the registered
graph's derived form there), forward and gradients w.r.t. the input and both weights equal NumPy's by hand
(y = sum(tanh(x @ w + b)): dy/dx = (1 - t^2) @ w.T, dy/dw = x.T @ (1 - t^2), dy/db = sum(1 - t^2) over rows).
w goes in two pieces (joined once, the store's pieces views of it), b in one (the store's piece itself)."""
from __future__ import annotations

import hashlib
import json

import numpy as np

from .server import module_server
from .test_inline_lane import until_inline


srv = module_server("by_hash_inline", env={"GRADSERVE_INLINE_MAX_MS": "50"}, devices="cpu")


def _upload(c, pieces: list) -> list:
    head = json.dumps({"tensors": [{"name": f"p{i}", "shape": [len(p)], "datatype": "UINT8",
                                    "parameters": {"binary_data_size": len(p)}} for i, p in enumerate(pieces)]})
    r = c.post("/v1/tensors", content=head.encode() + b"".join(pieces), headers={
        "Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))})
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == [hashlib.sha256(p).hexdigest() for p in pieces]
    return r.json()["sha256"]


def _param(name: str, shape: list, keys: list) -> dict:
    return {"name": name, "shape": shape, "dtype": "float32",
            "value": {"shape": shape, "dtype": "float32", "sha256": keys}}


def tanh_layer(x_shape: list, params: list) -> dict:
    """sum(tanh(x @ w + b)), its params (w, b) as given."""
    return {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": x_shape, "dtype": "float32"}],
            "params": params,
            "nodes": [{"op": "matmul", "inputs": ["x", "w"], "outputs": ["m"], "attrs": {}},
                      {"op": "add", "inputs": ["m", "b"], "outputs": ["z"], "attrs": {}},
                      {"op": "tanh", "inputs": ["z"], "outputs": ["t"], "attrs": {}},
                      {"op": "sum", "inputs": ["t"], "outputs": ["y"], "attrs": {}}], "outputs": "y"}


def test_values_by_hash_compute_right_in_a_worker_and_inline(srv):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 8)).astype(np.float32)
    w = rng.standard_normal((8, 64)).astype(np.float32)  # 2048 bytes: two pieces of 1024
    b = rng.standard_normal(64).astype(np.float32)
    with srv.client() as c:
        wkeys = _upload(c, [w.tobytes()[:1024], w.tobytes()[1024:]])
        bkeys = _upload(c, [b.tobytes()])
        graph = tanh_layer([4, 8], [_param("w", [8, 64], wkeys), _param("b", [64], bkeys)])
        r = c.post("/v1/graphs", json={"graph": graph})
        assert r.status_code in (200, 201), r.text
        gid = r.json()["graph_id"]
        t = np.tanh(x.astype(np.float64) @ w + b)
        dz = 1 - t * t
        body = {"graph_id": gid, "inputs": [x]}
        lanes, out = until_inline(c, "eval", body)
        np.testing.assert_allclose(out["outputs"][0]["array"], t.sum(), rtol=1e-5)
        lanes_g, out_g = until_inline(c, "grad", dict(body, weights=["w", "b"], get_all=True, get_by_list=True))
        got = [o["array"] for o in out_g["outputs"]]
        for g, want in zip(got, [dz @ w.T, x.T @ dz, dz.sum(0)]):
            np.testing.assert_allclose(g, want, rtol=2e-5, atol=2e-6)
        assert len(got) == 3 and (lanes or lanes_g)  # (some ran in a worker before the inline answers)
