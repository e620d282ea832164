"""Failure modes of the real server: a worker killed mid-job, a flood past the queue, a job past its
deadline, bad input of every kind. After each, the server must still answer correctly."""
from __future__ import annotations

import os
import re
import signal
import threading
import time

import httpx
import numpy as np
import pytest

from .helpers import F32, X, Y, call, decode, error_of, in_thread, matmul_net, slow_input, slow_net

DX = np.array([[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]], F32)


def assert_healthy(client: httpx.Client, device: str = "cpu") -> None:
    assert client.get("/v2/health/live").status_code == 200
    out = decode(call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": device}))
    np.testing.assert_allclose(out["outputs"][0]["array"], DX, rtol=1e-6)


def metric(client: httpx.Client, name: str, **labels) -> float:
    text = client.get("/metrics").text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        m = re.match(r"^(\w+)(\{[^}]*\})?\s+(\S+)$", line)
        lab = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(lab.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


def wait_for_metric(client: httpx.Client, name: str, at_least: float, why: str, timeout: float = 10,
                    **labels) -> None:
    end = time.monotonic() + timeout
    while metric(client, name, **labels) < at_least:
        assert time.monotonic() < end, why
        time.sleep(0.1)


def busy_worker(client: httpx.Client, pool: str = "cpu", timeout: float = 30) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for p in client.get("/v1/devices").json()["pools"]:
            if p["device"] == pool:
                for w in p["workers"]:
                    if w["state"] == "busy":
                        return w
        time.sleep(0.02)
    raise AssertionError("no worker became busy")


SLOW = slow_net(512, 300)  # a few seconds on one core
XIN = slow_input(512)
# Jobs that must keep both workers busy while a test watches the queue: long enough (seconds)
# that the watching never races their end, even on a fast, idle machine.
BUSY_K = 600


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV], ids=["kill-9", "segfault"])
def test_worker_killed_mid_job(server, client, sig):
    """kill -9 (also what the kernel's OOM killer sends) and a segfault as the kernel delivers it."""
    before = metric(client, "gradserve_worker_restarts_total", device="cpu", reason="died")
    th, box = in_thread(call, server.client(), "eval", {"graph": SLOW, "inputs": [XIN], "device": "cpu"}, "binary")
    w = busy_worker(client)
    os.kill(w["pid"], sig)
    th.join(60)
    r = box["result"]
    assert r.status_code == 500, r.text
    err = error_of(r)
    assert err["code"] == "worker_died" and "died" in err["message"]
    assert err["detail"]["device"] == w["device"] and err["detail"]["exit_code"] == -sig
    assert_healthy(client)
    assert metric(client, "gradserve_worker_restarts_total", device="cpu", reason="died") == before + 1
    end = time.monotonic() + 30  # the replacement comes up
    while time.monotonic() < end:
        pools = {p["device"]: p for p in client.get("/v1/devices").json()["pools"]}
        if pools["cpu"]["state"] == "ready" and w["pid"] not in [x["pid"] for x in pools["cpu"]["workers"]]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the killed worker was not replaced: {pools['cpu']}")
    assert client.get("/v2/health/ready").status_code == 200


def test_deadline_exceeded_and_worker_recycled(server, client):
    before = metric(client, "gradserve_worker_restarts_total", device="cpu", reason="deadline")
    t0 = time.monotonic()
    r = call(client, "eval", {"graph": SLOW, "inputs": [XIN], "device": "cpu", "deadline_ms": 300}, "binary")
    assert r.status_code == 504, r.text
    assert error_of(r)["code"] == "deadline_exceeded"
    assert time.monotonic() - t0 < 3
    assert_healthy(client)
    wait_for_metric(client, "gradserve_worker_restarts_total", before + 1,
                    "the worker still running the expired job was not recycled", device="cpu", reason="deadline")
    assert_healthy(client)


def test_flood_past_the_queue(server, client):
    """2 workers + a queue of 2: of 10 simultaneous slow jobs, some get 429 with Retry-After, none is lost."""
    job = {"graph": slow_net(512, 40), "inputs": [XIN], "device": "cpu"}
    assert call(client, "eval", job, "binary").status_code == 200  # compile once per worker beforehand
    barrier = threading.Barrier(10)

    def one():
        with server.client() as c:
            barrier.wait()
            return call(c, "eval", job, "binary")

    threads = [in_thread(one) for _ in range(10)]
    results = []
    for th, box in threads:
        th.join(120)
        results.append(box["result"])
    codes = sorted(r.status_code for r in results)
    assert set(codes) <= {200, 429}, codes
    assert codes.count(429) >= 1 and codes.count(200) >= 2, codes
    for r in results:
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1
            assert error_of(r)["code"] == "overloaded"
        else:
            out = decode(r)
            assert np.isfinite(out["outputs"][0]["array"]).all()
    assert metric(client, "gradserve_rejected_total", device="cpu") >= codes.count(429)
    assert_healthy(client)


def test_queued_job_past_deadline(server, client):
    """Both workers busy: a queued job whose deadline passes is dropped with 504 (where=queued)."""
    long = {"graph": slow_net(512, BUSY_K), "inputs": [XIN], "device": "cpu"}
    ths = [in_thread(call, server.client(), "eval", long, "binary") for _ in range(2)]
    busy_worker(client)
    time.sleep(0.2)
    r = call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "cpu", "deadline_ms": 200})
    assert r.status_code == 504, r.text
    assert error_of(r)["detail"]["where"] == "queued"
    for th, box in ths:
        th.join(60)
        assert box["result"].status_code == 200
    assert_healthy(client)


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


def test_bf16_is_named(client):
    r = client.post("/v1/grad", json={"graph": matmul_net(), "inputs": [
        {"shape": [2, 3], "datatype": "BF16", "data": [1] * 6}, {"shape": [3, 3], "datatype": "FP32", "data": [1] * 9}]})
    assert r.status_code == 400 and "BF16" in error_of(r)["message"]


def test_unknown_op_names_the_node(client):
    g = matmul_net()
    g["nodes"][1]["op"] = "os_system"
    r = client.post("/v1/grad", json={"graph": g, "inputs": []})
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "unknown_op" and "os_system" in err["message"]
    assert err["detail"]["path"] == "$.nodes[1]"


def test_wrong_shapes(client):
    g = matmul_net()
    r = call(client, "grad", {"graph": g, "inputs": [X.T.copy(), Y]})
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "shape_error" and err["detail"]["path"] == "$.inputs[0]"
    assert err["detail"]["expected"] == [2, 3] and err["detail"]["got"] == [3, 2]
    r = call(client, "grad", {"graph": g, "inputs": [X]})
    assert r.status_code == 400 and error_of(r)["code"] == "shape_error"
    r = call(client, "grad", {"graph": g, "inputs": [X, Y], "sens": np.ones((3, 3), F32)})
    assert r.status_code == 400 and error_of(r)["detail"]["path"] == "$.sens[0]"
    r = call(client, "grad", {"graph": g, "inputs": [X.astype(np.float64), Y]})
    assert r.status_code == 400 and "float32" in error_of(r)["message"]
    r = client.post("/v1/grad", json={"graph": g, "inputs": [
        {"shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3]}, {"shape": [3, 3], "datatype": "FP32", "data": [1] * 9}]})
    assert r.status_code == 400 and error_of(r)["code"] == "shape_error"
    # a shape error inside the graph names the node
    bad = matmul_net()
    bad["inputs"][1]["shape"] = [4, 4]
    r = client.post("/v1/grad", json={"graph": bad, "inputs": []})
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "shape_error" and "matmul" in err["message"] and err["detail"].get("path") == "$.nodes[1]"
    # grad_position out of range
    r = call(client, "grad", {"graph": g, "inputs": [X, Y], "grad_position": 5})
    assert r.status_code == 400 and error_of(r)["code"] == "differentiation_error"
    assert_healthy(client)


def test_limits_name_themselves(server, client):
    r = post(client, "grad", b" " * (8 * 1024 * 1024 + 1))
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_body_bytes"
    big = np.zeros((1 << 20) + 1, F32)
    r = client.post("/v1/grad", json={"graph": matmul_net(), "inputs": [
        {"shape": [(1 << 20) + 1], "datatype": "FP32", "b64": ""}]})
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_elements", r.text
    del big
    r = call(client, "eval", {"graph": slow_net(4, 1600), "inputs": [np.zeros((4, 4), F32)]})
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_nodes", r.text
    r = call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "order": 4})
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_order", r.text
    nested = {"graph": matmul_net(), "inputs": [{"shape": [1], "datatype": "FP32", "data": [[[[[[[[[[[[[[[[[[[[[[[[
        [[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}
    r = client.post("/v1/grad", json=nested)
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_depth", r.text
    assert_healthy(client)


def test_devices_and_ids(client):
    r = call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "tpu"})
    assert r.status_code == 400 and "cpu" in error_of(r)["message"]
    r = call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "ascend"})
    assert r.status_code == 503 and error_of(r)["code"] == "device_unavailable"
    assert "cpu" in error_of(r)["detail"]["available"]
    assert error_of(r)["detail"]["retryable"] is False  # the SDK does not retry a device that is not there
    r = call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "cpu:7"})
    assert r.status_code == 503
    out = decode(call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "cpu:1"}))
    assert out["device"] == "cpu:1"
    out = decode(call(client, "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "auto"}))
    assert out["device"].split(":")[0] in ("cpu", "gpu", "ascend")
    r = call(client, "grad", {"graph_id": "sha256:" + "0" * 64, "inputs": [X, Y]})
    assert r.status_code == 404 and error_of(r)["code"] == "graph_not_found"
    r = client.get("/v1/graphs/sha256:nope")
    assert r.status_code == 404 and error_of(r)["code"] == "graph_not_found"
    r = call(client, "grad", {"graph": matmul_net(), "graph_id": "sha256:" + "1" * 64, "inputs": [X, Y]})
    assert r.status_code == 400


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
    assert_healthy(client)
    text = client.get("/metrics").text
    for name in ("gradserve_queue_depth{device=\"cpu\"}", "gradserve_request_latency_seconds_bucket",
                 "gradserve_compile_cache_hits_total", "gradserve_compile_cache_misses_total",
                 "gradserve_requests_total", "gradserve_workers_live"):
        assert name in text, name
    assert metric(client, "gradserve_compile_cache_hits_total", device="cpu") >= 1


def _cpu_pool(client):
    return next(p for p in client.get("/v1/devices").json()["pools"] if p["device"] == "cpu")


def test_client_disconnect_drops_its_queued_job(server, client):
    long = {"graph": slow_net(512, BUSY_K), "inputs": [XIN], "device": "cpu"}
    ths = [in_thread(call, server.client(), "eval", long, "binary") for _ in range(2)]
    end = time.monotonic() + 30
    while _cpu_pool(client)["busy"] < 2:
        assert time.monotonic() < end, "workers did not become busy"
        time.sleep(0.02)
    with pytest.raises(httpx.TimeoutException):  # queued behind the two, then the client gives up
        call(server.client(timeout=0.5), "grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "cpu"})
    end = time.monotonic() + 5
    while _cpu_pool(client)["queue_depth"] != 0:
        assert time.monotonic() < end, "the abandoned job stayed queued"
        time.sleep(0.05)
    assert _cpu_pool(client)["busy"] == 2  # dropped while the others still run
    for th, box in ths:
        th.join(60)
        assert box["result"].status_code == 200
    assert_healthy(client)
