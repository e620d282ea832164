"""The same client mistakes over both protocols: the same error code, a 4xx (its gRPC equivalent), never a
5xx, with the error body either way. One table of cases, parametrised by protocol."""
from __future__ import annotations

import grpc
import numpy as np
import pytest
from e2e.helpers import X, Y, error_of, matmul_net
from e2e.helpers import call as http_call
from grpc_helpers import call, error_body, rpc_error

from service.errors import CODES

F32 = np.float32
X3 = [{"name": "x", "shape": [3], "dtype": "float32"}]


def _g(nodes, outputs, inputs=X3, params=()) -> dict:
    return {"format": "gradserve.graph/1", "name": "a", "inputs": list(inputs), "params": list(params),
            "nodes": nodes, "outputs": outputs}


ONES = [np.ones(3, F32)]
CASES = {  # name: (kind, body, error code)
    "param_without_value": ("eval", {"graph": _g([{"op": "mul", "inputs": ["x", "z"], "outputs": ["t"], "attrs": {}}],
                                                 "t", params=[{"name": "z", "shape": [3], "dtype": "float32"}]),
                                     "inputs": ONES}, "shape_error"),
    "gather_out_of_range": ("eval", {"graph": _g([{"op": "gather", "inputs": ["x", "i"], "outputs": ["t"],
                                                   "attrs": {"axis": 0}}], "t",
                                                 X3 + [{"name": "i", "shape": [2], "dtype": "int32"}]),
                                     "inputs": ONES + [np.array([0, 7], np.int32)]}, None),
    "tile_huge_reps": ("eval", {"graph": _g([{"op": "tile", "inputs": ["x"], "outputs": ["t"],
                                              "attrs": {"reps": [10 ** 9]}}], "t"), "inputs": ONES}, "limit_exceeded"),
    "fill_wraps_int64": ("eval", {"graph": _g([{"op": "fill", "inputs": [], "outputs": ["f"], "attrs": {
        "shape": [2 ** 32, 2 ** 32], "value": 1.0, "dtype": "float32"}}], "f"), "inputs": ONES}, None),
    "jacobian_of_no_output": ("jacobian", {"graph": _g([], []), "inputs": ONES}, None),
    "hessian_of_no_output": ("hessian", {"graph": _g([], []), "inputs": ONES}, None),
    "deadline_beyond_limit": ("grad", {"graph": matmul_net(), "inputs": [X, Y], "deadline_ms": 10 ** 9},
                              "invalid_request"),
    "unknown_device": ("grad", {"graph": matmul_net(), "inputs": [X, Y], "device": "tpu"}, "invalid_request"),
    "wrong_shape": ("grad", {"graph": matmul_net(), "inputs": [Y, Y]}, "shape_error"),
    "order_too_high": ("grad", {"graph": matmul_net(), "inputs": [X, Y], "order": 9}, "limit_exceeded"),
}


def _http(client, kind, body) -> tuple[int, dict]:
    r = http_call(client, kind, body)
    return r.status_code, error_of(r)


def _grpc(stub, kind, body) -> tuple[int, dict]:
    e = rpc_error(call, stub, kind, body)
    err = error_body(e)
    http, name = CODES[err["code"]]
    assert e.code() == getattr(grpc.StatusCode, name), (e.code(), err)  # the table's gRPC code for it
    return http, err


@pytest.mark.parametrize("protocol", ["http", "grpc"])
@pytest.mark.parametrize("name", list(CASES))
def test_client_mistakes(client, stub, protocol, name):
    kind, body, code = CASES[name]
    status, err = _http(client, kind, body) if protocol == "http" else _grpc(stub, kind, body)
    assert 400 <= status < 500, (status, err)
    assert CODES[err["code"]][0] == status
    if code:
        assert err["code"] == code, err
    assert err["detail"]["request_id"]


@pytest.mark.parametrize("name", list(CASES))
def test_same_code_on_both(client, stub, name):
    kind, body, _ = CASES[name]
    assert _http(client, kind, body)[1]["code"] == _grpc(stub, kind, body)[1]["code"]
