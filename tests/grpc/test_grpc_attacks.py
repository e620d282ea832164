"""Issue #10 over gRPC: the error trailer stays small whatever the input echoed, carries the request id,
and is a standard rich status. (Admission and the client mistakes both protocols share, deadline_ms
beyond the limit among them, are in tests/e2e/test_protocol_failures.py and tests/e2e/test_protocols.py.)"""
from __future__ import annotations

import grpc
import numpy as np
from e2e.grpc_wire import call, error_body, rpc_error
from e2e.helpers import X, Y, matmul_net

SC = grpc.StatusCode
F32 = np.float32


def test_error_trailer_stays_small(stub):
    """An error that echoes a huge name from the request: the trailer is cut to fit, the call still
    ends with its code and a parseable error body (not a transport error)."""
    name = "p" * 50000
    e = rpc_error(call, stub, "eval", {"graph": matmul_net(), "inputs": [X, Y], "params": {name: np.ones(1, F32)}})
    assert e.code() == SC.INVALID_ARGUMENT, (e.code(), e.details())
    raw = dict(e.trailing_metadata())["gradserve-error-bin"]
    assert len(raw) <= 4096 and error_body(e)["code"] == "shape_error"


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
