"""Attacks on parameter values by content hash (reliab6: service.tensor_store, POST /v1/tensors(/missing), gRPC
PutTensors / MissingTensors) against one real server (one cpu worker, tensor_store_bytes 8 MiB,
max_body_bytes 64 MiB, max_elements 4 M).

A registration names a value's pieces by hash; each name was joined before anything was counted, so one kept
1 MiB piece named 10^5 times (6.7 MB of JSON) asked for 100 GB. A missing-tensors question was read within
max_body_bytes (256 MiB: 10^6 hashes parsed, then refused) and parsed, checked and answered on the event loop."""
from __future__ import annotations

import hashlib
import json
import socket
import time

import grpc
import numpy as np
import pytest

from .grpc_wire import error_body, rpc_error
from .helpers import metric
from .server import module_server

MIB = 1 << 20
CEILING = 120
STORE = 8 * MIB
MAX_HASHES = 1 << 18  # (service.tensor_store.MAX_ENTRIES, as documented in README's limits table)


srv = module_server("tensor_attacks", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_TENSOR_STORE_BYTES": str(STORE),
                         # (one client's graphs: half of it, 8 MiB, the most a graph's values named by hash may come to)
                         "GRADSERVE_GRAPH_CACHE_BYTES": str(2 * STORE),
                         # (the e2e defaults, 8 MiB bodies and 1 M elements, are below 2^18 hashes and a 9 MiB value)
                         "GRADSERVE_MAX_BODY_BYTES": str(64 * MIB), "GRADSERVE_MAX_ELEMENTS": str(4 * MIB)})


@pytest.fixture(scope="module")
def stub(srv):
    from service.proto import gradserve_pb2_grpc as pbg
    with grpc.insecure_channel(srv.grpc_target, options=[("grpc.max_send_message_length", -1)]) as ch:
        yield pbg.GradserveStub(ch)


def _put(stub, raw: bytes) -> str:
    from service.proto import gradserve_pb2 as pb
    key = stub.PutTensors(pb.PutTensorsRequest(tensors=[pb.Tensor(
        name="w", datatype="UINT8", shape=[len(raw)], raw_contents=raw)]), timeout=60).sha256[0]
    assert key == hashlib.sha256(raw).hexdigest()  # the store's key is the bytes' own hash, never one declared
    return key


def _graph(key: str, repeats: int, n: int) -> dict:
    """y = x * w, x and w float32 of n elements, w's value `key`'s bytes `repeats` times over."""
    return {"format": "gradserve.graph/1", "name": "by_hash",
            "inputs": [{"name": "x", "shape": [n], "dtype": "float32"}],
            "params": [{"name": "w", "shape": [n], "dtype": "float32",
                        "value": {"shape": [n], "dtype": "float32", "sha256": [key] * repeats}}],
            "nodes": [{"op": "mul", "inputs": ["x", "w"], "outputs": ["y"], "attrs": {}}], "outputs": "y"}


def test_a_piece_named_again_is_counted_again(srv, stub):
    """One kept 1 MiB piece named 9 times (9 MiB joined, above a client's half of graph_cache_bytes=16 MiB): 413
    naming graph_cache_bytes and what the names come to, before any piece is joined (before: joined, then
    registered: 201). A 16-byte piece named
    twice (tied values) still registers, its value the piece twice over (NumPy's)."""
    big = _put(stub, np.random.default_rng(0).integers(0, 255, MIB, dtype=np.uint8).tobytes())
    with srv.client(timeout=120) as c:
        r = c.post("/v1/graphs", json={"graph": _graph(big, 9, 9 * MIB // 4)})
        assert r.status_code == 413, r.text[:300]
        err = r.json()["error"]
        assert err["detail"]["limit"] == "graph_cache_bytes" and err["detail"]["got"] == 9 * MIB, err
        assert err["detail"]["path"] == "$.graph.params", err

        w = np.array([1.5, -2.0, 0.25, 3.0], np.float32)
        small = _put(stub, w.astype("<f4").tobytes())
        r = c.post("/v1/graphs", json={"graph": _graph(small, 2, 8)})
        assert r.status_code == 201, r.text[:300]
        x = np.arange(1, 9, dtype=np.float32)
        r = c.post("/v1/eval", json={"graph_id": r.json()["graph_id"], "inputs": [
            {"name": "x", "shape": [8], "datatype": "FP32", "data": x.tolist()}]})
        assert r.status_code == 200, r.text[:300]
        np.testing.assert_array_equal(r.json()["outputs"][0]["data"], x * np.concatenate([w, w]))


def _hashes(n: int) -> list[str]:
    return [f"{i:064x}" for i in range(n)]


def test_missing_tensors_question_is_bounded_over_http(srv):
    """Past 2^18 hashes' worth of body: 413 before it is parsed, naming missing_body_bytes (before: read whole
    within max_body_bytes, parsed on the event loop, then refused). 2^18 hashes (compact JSON, as the SDK sends):
    answered, every one missing."""
    with srv.client(timeout=300) as c:
        r = c.post("/v1/tensors/missing", content=json.dumps({"sha256": _hashes(MAX_HASHES + 20_000)}).encode(),
                   headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["detail"]["limit"] == "missing_body_bytes", r.text[:300]
        keys = _hashes(MAX_HASHES)
        r = c.post("/v1/tensors/missing", content=json.dumps({"sha256": keys}, separators=(",", ":")).encode(),
                   headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text[:300]
        assert r.json()["missing"] == keys
        assert c.get("/v2/health/live").status_code == 200


def test_missing_tensors_question_is_bounded_over_grpc(srv, stub):
    """MissingTensors naming more than 2^18 hashes: INVALID_ARGUMENT naming $.sha256, counted before copied."""
    from service.proto import gradserve_pb2 as pb
    e = rpc_error(stub.MissingTensors, pb.MissingTensorsRequest(sha256=_hashes(MAX_HASHES + 1)), timeout=120)
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.details()
    assert error_body(e)["detail"]["path"] == "$.sha256"
    out = stub.MissingTensors(pb.MissingTensorsRequest(sha256=_hashes(3)), timeout=60)
    assert list(out.missing) == _hashes(3)


def _upload_body(raw: bytes) -> tuple[bytes, dict]:
    """POST /v1/tensors' body (the binary tensor extension: a JSON header, then the bytes) and its headers."""
    head = json.dumps({"tensors": [{"name": "w", "shape": [len(raw)], "datatype": "UINT8",
                                    "parameters": {"binary_data_size": len(raw)}}]}).encode()
    return head + raw, {"Inference-Header-Content-Length": str(len(head)), "Content-Type": "application/octet-stream"}


def _held(c) -> float:
    return metric(c, "gradserve_body_budget_bytes", state="held")


def test_uploads_abandoned_half_way_give_their_bytes_back(srv):
    """8 uploads of a 4 MiB tensor each send half their body and close: the body budget they held while open is
    free again once the server sees them go, and an upload after them is stored under its bytes' sha256."""
    raw = np.random.default_rng(1).integers(0, 255, 4 * MIB, dtype=np.uint8).tobytes()
    body, headers = _upload_body(raw)
    head = (f"POST /v1/tensors HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    socks = [socket.create_connection(("127.0.0.1", srv.port), timeout=CEILING) for _ in range(8)]
    with srv.client(timeout=120) as c:
        try:
            for s in socks:
                s.sendall(head + body[:len(body) // 2])
            _wait(lambda: _held(c) > 0, "the half-sent uploads were not charged to the body budget")
        finally:
            for s in socks:
                s.close()
        _wait(lambda: _held(c) == 0, "the abandoned uploads' bytes were not given back")
        small, headers = _upload_body(b"\x01\x02\x03\x04")
        r = c.post("/v1/tensors", content=small, headers=headers)
        assert r.status_code == 201, r.text[:300]
        assert r.json()["sha256"] == [hashlib.sha256(b"\x01\x02\x03\x04").hexdigest()]


def _wait(cond, why: str) -> None:
    end = time.monotonic() + CEILING
    while not cond():
        assert time.monotonic() < end, why
        time.sleep(0.05)  # (between reads of /metrics: the server's loop frees them as it sees the closes)
