"""Attacks with values a request names, each against a real server (one cpu pool of 2 workers): what a decoder
lets through must not reach a conversion that throws (a 500) or an error message that echoes it whole.

- `device` with an index of 10^5 digits: int() past Python's 4300-digit limit raised ValueError, a 500 (HTTP
  and gRPC INTERNAL); an index of non-ASCII digits ('²' passes str.isdigit, int('²') throws). Now a name
  longer than any device is a 400 naming $.device, without echoing it whole, and an index must be ASCII
  digits.
- an Open Inference Protocol request naming the same output many times (HTTP JSON, gRPC ModelInfer): each
  name was answered with its own copy of the output, so a body of 20 bytes an entry asked for as many copies
  of a 4 MiB output as it had entries (a response 10^5 times the request, built in the server's memory).
  Now a repeated output is a 400 / INVALID_ARGUMENT naming it, as a repeated input is, before the job runs.
- Inference-Header-Content-Length "+N" or "N_M" (forms Python's int() takes, which a proxy in front may read
  otherwise, or not at all) split the body where the server alone thought it should: now 400, as "0x10" was.

After each attack a canary job is answered right and no worker restarted. Expected values: the canary's
gradient by hand (d/dx sum((x * 1) @ y) = y.sum(axis=1) in each row)."""
from __future__ import annotations

import json

import grpc
import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from tritonclient.grpc import service_pb2 as oip_pb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as oip_grpc

from . import grpc_wire as gw
from .helpers import X, Y, call, canary, error_of, matmul_net
from .server import server_in

CEILING = 60.0


BIG_OUT = 1 << 20  # elements of the "wide" model's output (4 MiB of FP32), at the e2e max_elements


def wide_net() -> dict:
    gb = GraphBuilder("wide")
    x = gb.input((1,), name="x")
    return graph_to_json(gb.build(gb.broadcast_to(x, shape=(BIG_OUT,))))


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_model  # (tests/ is on sys.path: the OIP suite's repository)

    repo = tmp_path_factory.mktemp("models")
    write_model(repo, "wide", wide_net(), {"kind": "eval"})
    write_model(repo, "seed_grad", matmul_net(), {"kind": "grad"})
    with server_in(tmp_path_factory, "attacks_values", devices="cpu",
                   env={"GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        yield s


@pytest.fixture
def c(srv):
    with httpx.Client(base_url=srv.url, timeout=CEILING) as cl:
        yield cl


@pytest.fixture(scope="module")
def oip(srv):
    ch = gw.open_channel(srv.grpc_target)
    yield oip_grpc.GRPCInferenceServiceStub(ch)
    ch.close()


# -- device names ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("device", ["cpu:" + "9" * 100_000, "cpu:" + "1" * 5000, "x" * 100_000, "cpu:²", "cpu:١"],
                         ids=["index_1e5_digits", "index_5000_digits", "name_1e5_chars", "superscript_two",
                              "arabic_indic_one"])
def test_a_device_no_server_has_is_a_400_not_a_500(c, stub, device):
    body = {"graph": matmul_net(), "inputs": [X, Y], "device": device}
    r = call(c, "grad", body)
    assert r.status_code == 400, r.text[:500]
    err = error_of(r)
    assert err["detail"]["path"] == "$.device" and len(r.text) < 2000, r.text[:500]
    e = gw.rpc_error(gw.call, stub, "grad", body)
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, (e.code(), e.details()[:300])
    assert gw.error_body(e)["detail"]["path"] == "$.device"
    canary(c, no_restarts=True)


# -- outputs an inference request names ------------------------------------------------------------------------------
REPEATS = 1000  # 4 GiB of copies of the wide model's output, from a request of about 20 KB


def test_an_output_named_many_times_over_oip_http_is_a_400_naming_it(c):
    body = {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1.0]}],
            "outputs": [{"name": "out", "parameters": {"binary_data": True}}] * REPEATS}
    r = c.post("/v2/models/wide/infer", json=body)
    assert r.status_code == 400, (r.status_code, len(r.content))
    assert "'out'" in r.json()["error"] and "twice" in r.json()["error"], r.text[:500]
    canary(c, no_restarts=True)


def test_an_output_named_many_times_over_oip_grpc_is_invalid_argument(c, oip):
    req = oip_pb.ModelInferRequest(model_name="wide")
    req.inputs.add(name="x", datatype="FP32", shape=[1]).contents.fp32_contents.append(1.0)
    for _ in range(REPEATS):
        req.outputs.add(name="out")
    e = gw.rpc_error(oip.ModelInfer, req, timeout=CEILING)
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "'out'" in e.details() and "twice" in e.details(), \
        (e.code(), e.details()[:300])
    canary(c, no_restarts=True)


def test_each_output_named_once_is_answered(c):
    body = {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [2.0]}],
            "outputs": [{"name": "out", "parameters": {"binary_data": True}}]}
    r = c.post("/v2/models/wide/infer", json=body)
    assert r.status_code == 200, r.text[:500]
    n = int(r.headers["inference-header-content-length"])
    np.testing.assert_array_equal(np.frombuffer(r.content[n:], np.float32), np.full(BIG_OUT, 2.0, np.float32))


# -- the binary extension's header length ---------------------------------------------------------------------------
def binary_body(oip: bool) -> tuple[bytes, int]:
    tensors = [{"shape": list(a.shape), "datatype": "FP32", "parameters": {"binary_data_size": a.nbytes}} for a in (X, Y)]
    if oip:  # (an OIP request names its inputs)
        head = {"inputs": [dict(t, name=n) for t, n in zip(tensors, "xy")]}
    else:
        head = {"graph": matmul_net(), "inputs": tensors}
    h = json.dumps(head).encode()
    return h + X.tobytes() + Y.tobytes(), len(h)


@pytest.mark.parametrize("path", ["/v1/grad", "/v2/models/seed_grad/infer"])
@pytest.mark.parametrize("form", ["+{}", "{}_{}", "{}.0"], ids=["plus", "underscore", "float"])
def test_a_header_length_int_would_take_but_is_not_digits_is_a_400(c, path, form):
    body, n = binary_body(path.startswith("/v2"))
    digits = str(n)
    value = form.format(digits[:1], digits[1:]) if "_" in form else form.format(digits)
    r = c.post(path, content=body, headers={"Content-Type": "application/octet-stream",
                                            "Inference-Header-Content-Length": value})
    assert r.status_code == 400 and "Inference-Header-Content-Length" in r.text, r.text[:500]
    r = c.post(path, content=body, headers={"Content-Type": "application/octet-stream",
                                            "Inference-Header-Content-Length": digits})
    assert r.status_code == 200, r.text[:500]  # the same body with its length as digits
