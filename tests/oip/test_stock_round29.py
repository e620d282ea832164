"""Stock clients, round 29, on the OIP suite's real server (tests/oip/conftest.py), with tritonclient 2.41 (`http`,
`http.aio`, `grpc`), httpx, and Triton requests in their wire form (its own `service_pb2` stub).

- Input / output tensor parameters this server does not read: Triton's frontends look up only the names they read
  (server src/http_server.cc CheckBinaryInputData / CheckSharedMemoryData / CheckBinaryOutputData /
  CheckClassificationOutput, src/grpc/grpc_utils.h, grpc_utils.cc ParseClassificationParams) and skip the rest.
  Before: 400 / INVALID_ARGUMENT `unsupported input parameters [...]`.
- Response compression: Triton compresses an inference's answer with the coding of the highest q among gzip,
  deflate and identity in Accept-Encoding (http_server.cc CompressionTypeUsed, GetResponseCompressionType);
  tritonclient asks it with `response_compression_algorithm=`, httpx and aiohttp (tritonclient.http.aio) by
  default. Before: never compressed.
- Statistics after failures: Triton's TRITONSERVER_ServerInferAsync returns PrepareForInference's error (a wrong
  shape, a missing input) before InferAsync starts the request's statistics; a failure is counted by
  InferenceRequest::RespondIfError, in a scheduler or backend (a queue timeout: REJECTED). Before: every refusal
  of a known model counted as a failure.
- The index's `ready`: not a boolean, HandleRepositoryIndex's 400 `Invalid value for 'ready': expected a boolean`.
  Before: `$.ready must be true or false`, and null taken as false.

Expected values: the cited sources' texts and codes; NumPy on the inputs (x**3 + y); zlib for the compressed bytes.
"""
from __future__ import annotations

import asyncio
import json
import zlib

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from e2e.helpers import busy_worker, slow_input, wait_for_idle_pool

from .test_stock_round20 import CEILING, N, occupy, slow_in

X = np.array([[1, 2], [3, 4]], np.float32)
Y = np.array([[0.5, -1], [2, 0.25]], np.float32)
CUBE = X ** 3 + Y  # seed_cube_eval
INFER = "/v2/models/seed_cube_eval/infer"


def cube_body(x_params=None, out_params=None) -> dict:
    body = {"inputs": [{"name": n, "shape": [2, 2], "datatype": "FP32", "data": a.ravel().tolist()}
                       for n, a in (("x", X), ("y", Y))]}
    if x_params is not None:
        body["inputs"][0]["parameters"] = x_params
    if out_params is not None:
        body["outputs"] = [{"name": "out", "parameters": out_params}]
    return body


def cube_inputs(mod) -> list:
    ins = [mod.InferInput("x", [2, 2], "FP32"), mod.InferInput("y", [2, 2], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    return ins


@pytest.fixture(scope="module")
def stub(server):
    with grpc.insecure_channel(server.grpc_target) as ch:
        yield service_pb2_grpc.GRPCInferenceServiceStub(ch)


@pytest.fixture(scope="module")
def web(server):
    with httpx.Client(base_url=server.url, timeout=CEILING) as c:
        yield c


# -- tensor parameters not read here: skipped, as Triton's frontends ------------------------------------------------

def test_unknown_tensor_parameters_are_skipped_over_http(web):
    r = web.post(INFER, json=cube_body({"colour": "np", "my_tag": [1, {"a": 2}]},
                                       {"colour": 2, "binary_data": False, "content_type": "np"}))
    assert r.status_code == 200, r.text
    out = r.json()["outputs"]
    assert [o["name"] for o in out] == ["out"] and "data" in out[0]  # (binary_data still read: false)
    np.testing.assert_allclose(np.reshape(out[0]["data"], out[0]["shape"]), CUBE, rtol=1e-6)
    # what is read is still checked: a region named by a number
    r = web.post(INFER, json={"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "parameters": {
        "shared_memory_region": 5, "shared_memory_byte_size": 16}}, cube_body()["inputs"][1]]})
    assert r.status_code == 400 and "shared_memory_region must be a string" in r.json()["error"], r.text


def test_unknown_tensor_parameters_are_skipped_over_grpc(stub):
    req = service_pb2.ModelInferRequest(model_name="seed_cube_eval")
    for name, a in (("x", X), ("y", Y)):
        t = req.inputs.add(name=name, datatype="FP32", shape=[2, 2])
        t.parameters["colour"].string_param = "np"
        t.parameters["my_count"].int64_param = 3
        req.raw_input_contents.append(a.tobytes())
    o = req.outputs.add(name="out")
    o.parameters["colour"].bool_param = True
    o.parameters["no_type"].SetInParent()  # (an InferParameter of no type: skipped too)
    resp = stub.ModelInfer(req, timeout=CEILING)
    assert [t.name for t in resp.outputs] == ["out"]
    np.testing.assert_allclose(np.frombuffer(resp.raw_output_contents[0], np.float32).reshape(2, 2), CUBE,
                               rtol=1e-6)


# -- answers compressed as Accept-Encoding asks ---------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", [None, "gzip", "deflate"])
def test_tritonclient_reads_its_compressed_answers(http, algorithm):
    for binary in (True, False):
        r = http.infer("seed_cube_eval", cube_inputs(httpclient), response_compression_algorithm=algorithm,
                       outputs=[httpclient.InferRequestedOutput("out", binary_data=binary)])
        np.testing.assert_allclose(r.as_numpy("out"), CUBE, rtol=1e-6)


# (Accept-Encoding, the coding of the answer: Triton's CompressionTypeUsed)
CODINGS = [("gzip", "gzip"), ("deflate", "deflate"), ("gzip, deflate", "gzip"),
           ("deflate;q=0.9, gzip;q=0.5", "deflate"), ("gzip;q=0.5, identity", None), ("identity", None),
           ("br", None), ("gzip;q=abc, deflate;q=0.2", "deflate"), ("", None)]


@pytest.mark.parametrize("accept,coding", CODINGS)
def test_the_answer_is_compressed_with_tritons_choice(server, accept, coding):
    # (a raw request: httpx would ask `gzip, deflate` itself and inflate the answer)
    with httpx.Client(base_url=server.url, timeout=CEILING, headers={"Accept-Encoding": accept}) as c, \
            c.stream("POST", INFER, json=cube_body()) as r:
        raw = b"".join(r.iter_raw())
    assert r.status_code == 200 and r.headers.get("content-encoding") == coding, (r.headers, raw[:200])
    if coding is not None:
        raw = zlib.decompress(raw, {"gzip": 31, "deflate": 15}[coding])  # (deflate: zlib's format, as Triton's)
    out = json.loads(raw)["outputs"][0]
    np.testing.assert_allclose(np.reshape(out["data"], out["shape"]), CUBE, rtol=1e-6)


def test_a_binary_answer_compressed_keeps_its_header_length(server):
    with httpx.Client(base_url=server.url, timeout=CEILING, headers={"Accept-Encoding": "gzip"}) as c, \
            c.stream("POST", INFER, json=dict(cube_body(), parameters={"binary_data_output": True})) as r:
        raw = zlib.decompress(b"".join(r.iter_raw()), 31)
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip", r.headers
    n = int(r.headers["inference-header-content-length"])  # (of the inflated body, as tritonclient reads it)
    assert json.loads(raw[:n])["outputs"][0]["parameters"] == {"binary_data_size": 16}
    np.testing.assert_allclose(np.frombuffer(raw[n:], np.float32).reshape(2, 2), CUBE, rtol=1e-6)


def test_asyncio_client_with_aiohttps_default_accept_encoding(server):
    async def go():
        c = httpaio.InferenceServerClient(server.url.removeprefix("http://"))
        try:
            outs = [httpaio.InferRequestedOutput("out", binary_data=False)]
            for algorithm in (None, "deflate"):
                r = await c.infer("seed_cube_eval", cube_inputs(httpaio), outputs=outs,
                                  response_compression_algorithm=algorithm)
                np.testing.assert_allclose(r.as_numpy("out"), CUBE, rtol=1e-6)
        finally:
            await c.close()
    asyncio.run(go())


# -- statistics: a failure is one that ran --------------------------------------------------------------------------

def _fails(http) -> tuple[int, int]:
    s = http.get_inference_statistics("slow")["model_stats"][0]
    return int(s["inference_stats"]["fail"]["count"]), int(s["inference_stats"]["success"]["count"])


def test_statistics_count_a_queue_timeout_not_a_refusal(server, http):
    with httpx.Client(base_url=server.url, timeout=CEILING) as pool:
        wait_for_idle_pool(pool)
        before = _fails(http)
        bad = httpclient.InferInput("x", [N], "FP32")  # a wrong shape: refused before it runs, no failure
        bad.set_data_from_numpy(np.zeros(N, np.float32))
        with pytest.raises(InferenceServerException, match="expected FP32"):
            http.infer("slow", [bad])
        assert _fails(http) == before
        blocker = occupy(server)
        try:
            busy_worker(pool)  # premise: the one worker runs a slow job, another queued behind it
            with pytest.raises(InferenceServerException, match="Request timeout expired"):
                http.infer("slow", slow_in(httpclient, slow_input(N)), timeout=1000)
        finally:
            blocker.join(CEILING)
        fails, ok = _fails(http)
        assert fails == before[0] + 1 and ok >= before[1] + 2, (before, fails, ok)  # (+ the blocker's two)


# -- the repository index's ready flag ------------------------------------------------------------------------------

def test_index_ready_flag_not_a_boolean_in_tritons_words(web):
    for value in (1, "true", None):
        r = web.post("/v2/repository/index", json={"ready": value})
        assert r.status_code == 400 and r.json()["error"].startswith(
            "Invalid value for 'ready': expected a boolean"), r.text
    ready = web.post("/v2/repository/index", json={"ready": True}).json()
    assert ready and all(m["state"] == "READY" for m in ready)


# -- an output in shared memory that also asks classification or binary_data: Triton's refusal ----------------------

@pytest.mark.parametrize("other,value", [("classification", 2), ("binary_data", True)])
def test_an_output_region_with_classification_or_binary_data_over_http(web, other, value):
    region = {"shared_memory_region": "r29", "shared_memory_byte_size": 16}  # (not registered: refused before)
    r = web.post(INFER, json=cube_body(out_params={**region, other: value}))
    assert r.status_code == 400 and r.json()["error"].startswith(
        f"Output can't set both 'shared_memory_region' and '{other}'"), r.text  # (ValidateOutputParameter's)
    r = web.post(INFER, json=cube_body(out_params={**region, "binary_data": False}))  # (false: no conflict)
    assert r.status_code == 404 and "Unable to find shared memory region: 'r29'" in r.json()["error"], r.text


def test_an_output_region_with_classification_over_grpc(stub):
    req = service_pb2.ModelInferRequest(model_name="seed_cube_eval")
    for name, a in (("x", X), ("y", Y)):
        req.inputs.add(name=name, datatype="FP32", shape=[2, 2])
        req.raw_input_contents.append(a.tobytes())
    o = req.outputs.add(name="out")
    o.parameters["shared_memory_region"].string_param = "r29"
    o.parameters["shared_memory_byte_size"].int64_param = 16
    o.parameters["classification"].int64_param = 2
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(req, timeout=CEILING)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and e.value.details().startswith(
        "output can't set both 'shared_memory_region' and 'classification'"), e.value.details()  # (infer_handler.h)
