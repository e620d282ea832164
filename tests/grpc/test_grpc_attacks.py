"""Issue #10 over gRPC: calls are admitted like HTTP requests (the same places, the same limits), client
mistakes are INVALID_ARGUMENT with the error trailer (never UNKNOWN), the trailer stays small whatever
the input echoed, and deadline_ms beyond the limit is refused as over HTTP."""
from __future__ import annotations

import socket
import time

import grpc
import numpy as np
from e2e.helpers import X, Y, error_of, matmul_net
from e2e.helpers import call as http_call
from grpc_helpers import arrays, call, error_body, rpc_error

SC = grpc.StatusCode
F32 = np.float32


def _admitting(client) -> int:
    return client.get("/v1/devices").json()["admitting"]


def test_grpc_is_admitted_like_http(server, stub, client):
    """Slow HTTP uploads holding every place (idle workers + free queue places of all pools): a gRPC call
    is refused the same way (RESOURCE_EXHAUSTED, overloaded, retry-after); once they go, it runs."""
    end = time.monotonic() + 60  # every worker up and idle
    while not all(w["state"] == "idle" for p in client.get("/v1/devices").json()["pools"] for w in p["workers"]):
        assert time.monotonic() < end, "the workers did not settle"
        time.sleep(0.05)
    pools = client.get("/v1/devices").json()["pools"]
    room = sum(len(p["workers"]) + p["queue_size"] - p["queue_depth"] for p in pools)
    socks = []
    for _ in range(room):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
                  b"\r\n{")
        socks.append(s)
    try:
        end = time.monotonic() + 30
        while _admitting(client) < room:
            assert time.monotonic() < end, "the uploads did not take their places"
            time.sleep(0.05)
        e = rpc_error(call, stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]})
        assert e.code() == SC.RESOURCE_EXHAUSTED and error_body(e)["code"] == "overloaded"
        assert int(dict(e.trailing_metadata())["retry-after"]) >= 1
    finally:
        for s in socks:
            s.close()
    end = time.monotonic() + 30
    while _admitting(client):
        assert time.monotonic() < end, "the uploads kept their places after disconnecting"
        time.sleep(0.05)
    assert arrays(call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))[0].shape == (2, 3)


def test_jacobian_of_no_output_is_invalid_argument(stub):
    g = {"format": "gradserve.graph/1", "name": "a", "inputs": [{"name": "x", "shape": [3], "dtype": "float32"}],
         "params": [], "nodes": [], "outputs": []}
    for kind in ("jacobian", "hessian"):
        e = rpc_error(call, stub, kind, {"graph": g, "inputs": [np.ones(3, F32)]})
        assert e.code() == SC.INVALID_ARGUMENT, (e.code(), e.details())
        assert error_body(e)["code"] in ("invalid_request", "invalid_graph")


def test_error_trailer_stays_small(stub):
    """An error that echoes a huge name from the request: the trailer is cut to fit, the call still
    ends with its code and a parseable error body (not a transport error)."""
    name = "p" * 50000
    e = rpc_error(call, stub, "eval", {"graph": matmul_net(), "inputs": [X, Y], "params": {name: np.ones(1, F32)}})
    assert e.code() == SC.INVALID_ARGUMENT, (e.code(), e.details())
    raw = dict(e.trailing_metadata())["gradserve-error-bin"]
    assert len(raw) <= 4096 and error_body(e)["code"] == "shape_error"


def test_deadline_beyond_the_limit_is_refused_on_both(stub, client):
    body = {"graph": matmul_net(), "inputs": [X, Y], "deadline_ms": 10 ** 9}
    e = rpc_error(call, stub, "grad", body)
    r = http_call(client, "grad", body)
    assert e.code() == SC.INVALID_ARGUMENT and r.status_code == 400
    assert error_body(e)["code"] == error_of(r)["code"] == "invalid_request"


def test_request_id_over_grpc(stub):
    from service.proto import gradserve_pb2 as pb

    e = rpc_error(stub.GetGraph, pb.GetGraphRequest(graph_id="sha256:00"), metadata=(("x-request-id", "rid-8"),),
                  timeout=30)
    assert e.code() == SC.NOT_FOUND and error_body(e)["detail"]["request_id"] == "rid-8"
    e = rpc_error(call, stub, "grad", {"graph": matmul_net(), "inputs": [X]}, metadata=(("x-request-id", "rid-7"),))
    assert error_body(e)["detail"]["request_id"] == "rid-7"
    assert dict(e.trailing_metadata())["x-request-id"] == "rid-7"


def test_errors_are_standard_rich_status(stub, client):
    """grpc-status-details-bin: a google.rpc.Status with ErrorInfo (the code, the setting, not retryable)."""
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    e = rpc_error(call, stub, "grad", {"graph": matmul_net(), "inputs": [X, Y], "order": 9})
    st = rpc_status.from_call(e)
    assert st is not None and st.code == SC.RESOURCE_EXHAUSTED.value[0] and st.message == e.details()
    info = error_details_pb2.ErrorInfo()
    assert st.details[0].Unpack(info)
    assert info.reason == "LIMIT_EXCEEDED" and info.metadata["limit"] == "max_order"
    assert info.metadata["retryable"] == "false"
