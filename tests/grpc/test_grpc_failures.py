"""The failure tests of the service issue, over gRPC against the real server: a worker killed mid-job
(INTERNAL, the next job succeeds), a flood past the queue (RESOURCE_EXHAUSTED + retry-after), deadlines
(the request's and the call's own), a client that cancels (its queued job dropped), bad input
(INVALID_ARGUMENT with the HTTP error body's detail), limits and an oversize message (RESOURCE_EXHAUSTED)."""
from __future__ import annotations

import json
import os
import signal
import time

import grpc
import numpy as np
import pytest
from e2e.helpers import X, Y, error_of, in_thread, matmul_net, slow_input, slow_net
from e2e.helpers import call as http_call
from e2e.test_failures import busy_worker, metric
from grpc_helpers import arrays, call, error_body, request, rpc_error, tensor

from service.proto import gradserve_pb2 as pb

SC = grpc.StatusCode
F32 = np.float32
DX = np.array([[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]], F32)
XIN = slow_input(512)
# Jobs that must keep both workers busy while a test watches the queue: long enough (seconds)
# that the watching never races their end, even on a fast, idle machine.
BUSY_K = 600


def assert_healthy(stub) -> None:
    assert stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live
    np.testing.assert_allclose(arrays(call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))[0], DX, rtol=1e-6)


def cpu_pool(client) -> dict:
    return next(p for p in client.get("/v1/devices").json()["pools"] if p["device"] == "cpu")


def test_worker_killed_mid_job(server, stub, client):
    before = metric(client, "gradserve_worker_restarts_total", device="cpu", reason="died")
    th, box = in_thread(call, stub, "eval", {"graph": slow_net(512, 300), "inputs": [XIN], "device": "cpu"})
    w = busy_worker(client)
    os.kill(w["pid"], signal.SIGKILL)
    th.join(60)
    e = box["error"]
    assert isinstance(e, grpc.RpcError) and e.code() == SC.INTERNAL, box
    err = error_body(e)
    assert err["code"] == "worker_died" and "died" in err["message"] and err["detail"]["device"] == w["device"]
    assert_healthy(stub)
    assert metric(client, "gradserve_worker_restarts_total", device="cpu", reason="died") == before + 1


def test_deadline_of_the_request(stub, client):
    t0 = time.monotonic()
    e = rpc_error(call, stub, "eval", {"graph": slow_net(512, 300), "inputs": [XIN], "device": "cpu",
                                       "deadline_ms": 300})
    assert e.code() == SC.DEADLINE_EXCEEDED and error_body(e)["code"] == "deadline_exceeded"
    assert time.monotonic() - t0 < 3
    assert_healthy(stub)


def test_deadline_of_the_call_reaches_the_core(stub, client):
    """No deadline_ms: the call's gRPC deadline is the job's; past it the worker is recycled as over HTTP.

    The call's timeout leaves room for the request to reach a worker on a loaded machine (it once took
    0.55 s with a 0.5 s timeout: the job never started, so no worker was recycled) and the job runs far
    longer. As the call ends, the server's deadline and the client's cancel race to recycle the worker:
    either reason counts, what matters is that the job does not outlive the call."""
    restarts = ("gradserve_worker_restarts_total",)
    before = sum(metric(client, *restarts, device="cpu", reason=r) for r in ("deadline", "cancelled"))
    t0 = time.monotonic()
    e = rpc_error(call, stub, "eval", {"graph": slow_net(512, 1400), "inputs": [XIN], "device": "cpu"}, timeout=3)
    assert e.code() == SC.DEADLINE_EXCEEDED
    end = time.monotonic() + 30
    while sum(metric(client, *restarts, device="cpu", reason=r) for r in ("deadline", "cancelled")) < before + 1:
        assert time.monotonic() < end, "the job outlived the call's deadline on its worker"
        time.sleep(0.1)
    assert time.monotonic() - t0 < 30
    assert_healthy(stub)


def test_flood_past_the_queue(stub, client):
    """2 workers + a queue of 2: of 10 simultaneous slow calls some get RESOURCE_EXHAUSTED, none is lost."""
    job = {"graph": slow_net(512, 40), "inputs": [XIN], "device": "cpu"}
    call(stub, "eval", job)  # compile beforehand
    futures = [stub.Eval.future(request("eval", job), timeout=120) for _ in range(10)]
    ok, refused = 0, 0
    for f in futures:
        try:
            assert np.isfinite(arrays(f.result())[0]).all()
            ok += 1
        except grpc.RpcError as e:
            assert e.code() == SC.RESOURCE_EXHAUSTED, (e.code(), e.details())
            assert error_body(e)["code"] == "overloaded"
            assert int(dict(e.trailing_metadata())["retry-after"]) >= 1
            refused += 1
    assert refused >= 1 and ok >= 2, (ok, refused)
    assert_healthy(stub)


def test_cancel_drops_the_queued_job(stub, client):
    long = {"graph": slow_net(512, BUSY_K), "inputs": [XIN], "device": "cpu"}
    busy = [stub.Eval.future(request("eval", long), timeout=120) for _ in range(2)]
    end = time.monotonic() + 30
    while cpu_pool(client)["busy"] < 2:
        assert time.monotonic() < end, "workers did not become busy"
        time.sleep(0.02)
    queued = stub.Grad.future(request("grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "cpu"}),
                              timeout=60)
    while cpu_pool(client)["queue_depth"] < 1:
        assert time.monotonic() < end, "the job was not queued"
        time.sleep(0.02)
    assert queued.cancel()
    end = time.monotonic() + 5
    while cpu_pool(client)["queue_depth"] != 0:
        assert time.monotonic() < end, "the cancelled job stayed queued"
        time.sleep(0.05)
    assert cpu_pool(client)["busy"] == 2  # dropped while the others still run
    for f in busy:
        assert np.isfinite(arrays(f.result())[0]).all()
    assert_healthy(stub)


# -- bad input: INVALID_ARGUMENT (or the code HTTP's status maps to) with the HTTP body -------------------------
def _unknown_op():
    g = matmul_net()
    g["nodes"][1]["op"] = "os_system"
    return g


SAME_AS_HTTP = {  # job bodies both adapters must refuse alike: (kind, body, gRPC code, error code)
    "wrong_shape": ("grad", {"graph": matmul_net(), "inputs": [X.T.copy(), Y]}, SC.INVALID_ARGUMENT, "shape_error"),
    "missing_input": ("grad", {"graph": matmul_net(), "inputs": [X]}, SC.INVALID_ARGUMENT, "shape_error"),
    "wrong_dtype": ("grad", {"graph": matmul_net(), "inputs": [X.astype(np.float64), Y]}, SC.INVALID_ARGUMENT,
                    "shape_error"),
    "sens_shape": ("grad", {"graph": matmul_net(), "inputs": [X, Y], "sens": np.ones((3, 3), F32)},
                   SC.INVALID_ARGUMENT, "shape_error"),
    "grad_position": ("grad", {"graph": matmul_net(), "inputs": [X, Y], "grad_position": 5}, SC.INVALID_ARGUMENT,
                      "differentiation_error"),
    "unknown_op": ("grad", {"graph": _unknown_op(), "inputs": []}, SC.INVALID_ARGUMENT, "unknown_op"),
    "bad_format": ("grad", {"graph": {"format": "onnx"}, "inputs": []}, SC.INVALID_ARGUMENT, "invalid_graph"),
    "no_graph": ("grad", {"inputs": [X, Y]}, SC.INVALID_ARGUMENT, "invalid_request"),
    "bad_mode": ("jacobian", {"graph": matmul_net(), "inputs": [X, Y], "mode": "sideways"}, SC.INVALID_ARGUMENT,
                 "invalid_request"),
    "unknown_device": ("grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "tpu"}, SC.INVALID_ARGUMENT,
                       "invalid_request"),
    "absent_device": ("grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "ascend"}, SC.UNAVAILABLE,
                      "device_unavailable"),
    "graph_not_found": ("grad", {"graph_id": "sha256:" + "0" * 64, "inputs": [X, Y]}, SC.NOT_FOUND,
                        "graph_not_found"),
    "max_order": ("grad", {"graph": matmul_net(), "inputs": [X, Y], "order": 4}, SC.RESOURCE_EXHAUSTED,
                  "limit_exceeded"),
    "max_nodes": ("eval", {"graph": slow_net(4, 1600), "inputs": [np.zeros((4, 4), F32)]}, SC.RESOURCE_EXHAUSTED,
                  "limit_exceeded"),
}


@pytest.mark.parametrize("name", list(SAME_AS_HTTP))
def test_bad_input_same_error_as_http(stub, client, name):
    kind, body, code, err_code = SAME_AS_HTTP[name]
    e = rpc_error(call, stub, kind, body)
    assert e.code() == code, (e.code(), e.details())
    err = error_body(e)
    assert err["code"] == err_code, err
    r = http_call(client, kind, body)
    assert r.status_code >= 400
    # the same code, message and detail; each with its own request id
    h = error_of(r)
    assert h["detail"].pop("request_id") != err["detail"].pop("request_id")
    assert h == err


def test_wrong_shape_detail(stub):
    e = rpc_error(call, stub, "grad", {"graph": matmul_net(), "inputs": [X.T.copy(), Y]})
    d = error_body(e)["detail"]
    assert d["path"] == "$.inputs[0]" and d["expected"] == [2, 3] and d["got"] == [3, 2]


def _raw(kind: str, mutate) -> object:
    m = request(kind, {"graph": matmul_net(), "inputs": [X, Y]})
    mutate(m)
    return m


BAD_MESSAGES = {
    "bytes_short_of_shape": (lambda m: setattr(m.inputs[0], "raw_contents", b"\0" * 8), "shape_error", "$.inputs[0]"),
    "unknown_datatype": (lambda m: setattr(m.inputs[0], "datatype", "FP8"), "invalid_request", None),
    "bf16_named": (lambda m: setattr(m.inputs[0], "datatype", "BF16"), "invalid_request", "$.inputs[0].datatype"),
    "negative_dim": (lambda m: m.inputs[0].shape.__setitem__(0, -2), "invalid_request", None),
    "graph_not_json": (lambda m: setattr(m, "graph_json", b"{not json"), "invalid_request", "$.graph"),
    "graph_not_utf8": (lambda m: setattr(m, "graph_json", b"\xff\xfe"), "invalid_request", "$.graph"),
    "graph_not_object": (lambda m: setattr(m, "graph_json", b"3"), "invalid_request", None),
    "int_position_with_two_values": (lambda m: m.grad_position.CopyFrom(pb.Positions(values=[0, 1])),
                                     "invalid_request", "$.grad_position"),
    "negative_order": (lambda m: setattr(m, "order", -1), "invalid_request", None),
    "negative_deadline": (lambda m: setattr(m, "deadline_ms", -5.0), "invalid_request", None),
}


@pytest.mark.parametrize("name", list(BAD_MESSAGES))
def test_bad_messages(stub, name):
    mutate, code, path = BAD_MESSAGES[name]
    e = rpc_error(stub.Grad, _raw("grad", mutate), timeout=30)
    assert e.code() == SC.INVALID_ARGUMENT, (e.code(), e.details())
    err = error_body(e)
    assert err["code"] == code and err["message"], err
    if path:
        assert err["detail"]["path"] == path, err
    if name == "bf16_named":
        assert "BF16" in err["message"]


def test_register_bad_graph(stub):
    e = rpc_error(stub.RegisterGraph, pb.RegisterGraphRequest(graph_json=b"[1, 2]"), timeout=30)
    assert e.code() == SC.INVALID_ARGUMENT and error_body(e)["code"] == "invalid_request"
    g = _unknown_op()
    e = rpc_error(stub.RegisterGraph, pb.RegisterGraphRequest(graph_json=json.dumps(g).encode()), timeout=30)
    assert e.code() == SC.INVALID_ARGUMENT and error_body(e)["detail"]["path"] == "$.nodes[1]"


def test_limits(stub):
    # max_elements: named before any byte is read
    m = request("grad", {"graph": matmul_net(), "inputs": [X, Y]})
    m.inputs[0].CopyFrom(pb.Tensor(datatype="FP32", shape=[(1 << 20) + 1]))
    e = rpc_error(stub.Grad, m, timeout=30)
    assert e.code() == SC.RESOURCE_EXHAUSTED and error_body(e)["detail"]["limit"] == "max_elements"
    # a message above max_body_bytes (8 MiB here): grpc refuses it before the adapter sees it
    big = np.zeros((3 << 20,), F32)  # 12 MiB
    m = pb.GradRequest(graph_json=json.dumps(matmul_net()).encode(), inputs=[tensor(big), tensor(Y)])
    e = rpc_error(stub.Grad, m, timeout=60)
    assert e.code() == SC.RESOURCE_EXHAUSTED, (e.code(), e.details())
    assert_healthy(stub)
