"""Round 16's attack replays against the session server: odd sizes and numbers that were a 500, a stall or a
different answer by the path they took.

Fixed this round:
- an empty tensor whose other dimensions NumPy cannot index ([0, 2^63], [0, 2^63 - 1], [0, 2^40, 2^40]) was a 500
  ("Maximum allowed dimension exceeded" / "array is too big") on every wire, /v1 and /v2 alike, and the 500
  closed the client's keep-alive connection; now the max_elements 413 naming the tensor (codec._elements, the
  engine's check_size: engine.ir.extent);
- a JSON body with a NaN (or Infinity) token read an integer past 64 bits in FP32 data as a 400 ("an integer
  past int64"), the same body without the token as its float value; both read it as orjson does now
  (codec.json_int), and a 5000-digit integer is inf on both paths, no longer int()'s digit-limit message;
- a grad job's `inner` list of 100 000 `{}` specs (400 KB) was a model and a dict each before max_order refused
  it: the event loop was held 3.8 s (health probes waited that long); now refused before any spec is read
  (derivation.check_order, from service.jobs.validate and the gRPC head).

Held (not repeated here, see the round's SERVICE_REPORT entry): OIP shapes past max_elements, negative / float /
boolean / 2^64 sizes, 38 dimensions, unknown or mismatched datatypes; binary_data_size that lies (too small,
2^62, negative, a float, a string, a short or long body), Inference-Header-Content-Length past the body / -1 /
1e3 / 2^70 / inside the JSON; jvp / vjp / hvp / sens tensors of the wrong dtype or shape; order 50 and 2^63;
grad_position 2^40 and 100 000 repeats; deadlines 1e-300 ms (504) and 2^70 ms (400)."""
from __future__ import annotations

import json
import threading
import time

import grpc
import httpx
import numpy as np
import pytest

from service.jobs import BIG
from service.proto import gradserve_pb2_grpc as pb_grpc

from .grpc_wire import open_channel, request, rpc_error
from .helpers import error_of, within

SIN = {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [2], "dtype": "float32"}],
       "nodes": [{"op": "sin", "inputs": ["x"], "outputs": ["y"]}], "outputs": "y"}
SIN_SUM = {**SIN, "nodes": SIN["nodes"] + [{"op": "sum", "inputs": ["y"], "outputs": ["z"]}], "outputs": "z"}
FLOODS = 4  # concurrent bodies of inner specs (each was decoded on the event loop in turn)
BIG_INT = "9" * 23  # past uint64: orjson reads it as the float 1e23


def post(c: httpx.Client, kind: str, body: str | bytes, headers: dict | None = None) -> httpx.Response:
    """The body as written (NaN tokens are not JSON; Python's reader takes them, orjson does not)."""
    return c.post(f"/v1/{kind}", content=body, headers=headers or {"content-type": "application/json"})


def sin_of(shape: list) -> dict:
    return {**SIN, "inputs": [{"name": "x", "shape": shape, "dtype": "float32"}]}


SPANS = [[0, 2 ** 63], [0, 2 ** 63 - 1], [2 ** 63 - 1, 0], [0, 2 ** 40, 2 ** 40]]


def assert_span_refused(r: httpx.Response, shape: list) -> None:
    assert r.status_code == 413, r.text[:300]
    err = error_of(r)
    assert err["detail"]["limit"] == "max_elements" and err["detail"]["path"] == "$.inputs[0]", err
    assert f"shape {shape} is empty" in err["message"], err


@pytest.mark.parametrize("shape", SPANS, ids=["2^63", "2^63-1", "2^63-1_first", "2^40x2^40"])
@pytest.mark.parametrize("enc", ["data", "b64", "binary"])
def test_an_empty_tensor_whose_span_numpy_cannot_index_is_the_max_elements_413(client, shape, enc):
    """One connection for the bad request and the next: a 500 here closed it (uvicorn drops the connection after
    an unhandled error), so a client's following job failed too."""
    if enc == "binary":
        head = json.dumps({"graph": sin_of(shape), "inputs": [
            {"shape": shape, "datatype": "FP32", "parameters": {"binary_data_size": 0}}]}).encode()
        r = post(client, "eval", head, {"content-type": "application/octet-stream",
                                        "inference-header-content-length": str(len(head))})
    else:
        x = {"shape": shape, "datatype": "FP32", **({"data": []} if enc == "data" else {"b64": ""})}
        r = post(client, "eval", json.dumps({"graph": sin_of(shape), "inputs": [x]}))
    assert_span_refused(r, shape)
    ok = post(client, "eval", json.dumps({"graph": SIN, "inputs": [{"shape": [2], "datatype": "FP32",
                                                                   "data": [0.5, 1]}]}))
    assert ok.status_code == 200, ok.text[:300]


def test_an_empty_tensor_with_a_huge_span_over_grpc_is_resource_exhausted(server):
    ch = open_channel(server.grpc_target)
    try:
        m = request("eval", {"graph": sin_of([0, 2 ** 62]), "inputs": [np.zeros(0, np.float32)]})
        del m.inputs[0].shape[:]
        m.inputs[0].shape.extend([0, 2 ** 62])
        e = rpc_error(pb_grpc.GradserveStub(ch).Eval, m, timeout=60)
        assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (e.code(), e.details())
        assert "max_elements" in e.details() and "is empty" in e.details(), e.details()
    finally:
        ch.close()


@pytest.mark.parametrize("shape", [[0, 2 ** 62], [2 ** 62, 0], [0, 2 ** 40, 2 ** 40]])
def test_a_node_that_makes_an_empty_tensor_with_a_huge_span_is_refused_where_it_is_made(client, shape):
    g = {**SIN, "inputs": [{"name": "x", "shape": [0], "dtype": "float32"}],
         "nodes": [{"op": "reshape", "inputs": ["x"], "outputs": ["y"], "attrs": {"shape": shape}}]}
    r = post(client, "eval", json.dumps({"graph": g, "inputs": [{"shape": [0], "datatype": "FP32", "data": []}]}))
    assert r.status_code == 413, r.text[:300]
    err = error_of(r)
    assert err["detail"]["path"] == "$.nodes[0]" and "but for its 0" in err["message"], err


@pytest.mark.parametrize("value", [BIG_INT, "1" + "0" * 5000], ids=["1e23", "5000_digits"])
def test_an_integer_past_64_bits_reads_the_same_with_or_without_a_nan_token(client, value):
    """sin over [NaN, 0.5, v]: the NaN token sends the body through Python's reader. Both answers hold the same
    values: NaN, sin(0.5), and sin(float32(v)) (1e23: a finite float32; 10^5000: inf, whose sine is NaN)."""
    def answer(first: str) -> list:
        x = f'{{"shape": [3], "datatype": "FP32", "data": [{first}, 0.5, {value}]}}'
        r = post(client, "eval", f'{{"graph": {json.dumps(sin_of([3]))}, "inputs": [{x}]}}')
        assert r.status_code == 200, r.text[:300]
        return r.json()["outputs"][0]["data"]

    with_nan, without = answer("NaN"), answer("0")
    with np.errstate(invalid="ignore"):
        want = np.sin(np.float32(float(value)))
    np.testing.assert_allclose(np.asarray(with_nan[1:], np.float32), np.asarray(without[1:], np.float32),
                               rtol=1e-6)
    assert with_nan[0] != with_nan[0]  # (NaN)
    if np.isfinite(want):
        np.testing.assert_allclose(without[2], want, rtol=1e-6)
    else:
        assert without[2] != without[2] and with_nan[2] != with_nan[2]  # sin(inf): NaN on both paths


def test_inner_specs_past_max_order_are_refused_before_any_is_read(client, server):
    """255 000 `{}` inner specs, a body just under jobs.BIG (1 MiB: decoded on the event loop): a model and a dict
    were made of each before max_order refused them, the event loop held ~4 s a body (health probes waited ~16 s
    behind FLOODS of them at once on an idle 2-core box); now refused before any spec is read."""
    n = 255_000
    body = f'{{"graph": {json.dumps(SIN_SUM)}, "inputs": [{{"shape": [2], "datatype": "FP32", "data": [0.5, 1]}}], ' \
           f'"inner": [{", ".join(["{}"] * n)}]}}'
    assert len(body) < BIG  # (a larger body is decoded in a thread: the stall is then shared, not whole)
    answers: list = []

    def flood():
        with httpx.Client(base_url=server.url, timeout=300) as f:
            answers.append(post(f, "grad", body))

    floods = [threading.Thread(target=flood) for _ in range(FLOODS)]
    [th.start() for th in floods]
    worst = 0.0
    with httpx.Client(base_url=server.url, timeout=300) as probe:
        while any(th.is_alive() for th in floods):
            t0 = time.monotonic()
            assert probe.get("/v2/health/ready").status_code == 200
            worst = max(worst, time.monotonic() - t0)
            time.sleep(0.02)
    [th.join() for th in floods]
    assert len(answers) == FLOODS
    for r in answers:
        assert r.status_code == 413, r.text[:300]
        err = error_of(r)
        assert err["detail"] == {**err["detail"], "path": "$.order", "limit": "max_order"}, err
        assert f"derivative order {n + 1} " in err["message"], err
    within(time.monotonic() - worst, 8.0, f"the slowest health probe during {FLOODS} x 255 000 inner specs")
    ok = post(client, "grad", json.dumps({"graph": SIN_SUM, "inputs": [{"shape": [2], "datatype": "FP32",
                                                                       "data": [0.5, 1]}], "inner": [{}]}))
    assert ok.status_code == 200, ok.text[:300]  # (one inner spec: order 2, under the e2e max_order=3)


def test_inner_specs_past_max_order_over_grpc_are_refused_before_any_is_read(server):
    """The gRPC head read each inner spec into a dict, then the model read it again: 200 000 empty specs are
    refused by their count (RESOURCE_EXHAUSTED naming max_order), and the next call on the channel is answered."""
    ch = open_channel(server.grpc_target)
    try:
        stub = pb_grpc.GradserveStub(ch)
        x = np.array([0.5, 1.0], np.float32)
        m = request("grad", {"graph": SIN_SUM, "inputs": [x]})
        for _ in range(200_000):
            m.inner.add()
        e = rpc_error(stub.Grad, m, timeout=120)
        assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (e.code(), e.details())
        assert "derivative order 200001 is above the limit max_order" in e.details(), e.details()
        ok = request("grad", {"graph": SIN_SUM, "inputs": [x]})
        ok.inner.add()
        assert len(stub.Grad(ok, timeout=120).outputs) == 1
    finally:
        ch.close()
