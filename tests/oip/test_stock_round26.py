"""Stock clients, round 26, on the OIP suite's real server (tests/oip/conftest.py), with tritonclient 2.41 (the
project's test extra: `http`, `http.aio`, `grpc`, `grpc.aio`) and KServe V2 / Triton requests in their wire form.

- An unknown load parameter: Triton's HTTP HandleRepositoryControl (server src/http_server.cc) reads each member
  of `parameters` in order with MemberAsString (a value not a string: TritonJson's "attempt to access JSON
  non-string as string"), then makes a parameter of `config` and `file:<path>` only: any other name is INTERNAL
  "unexpected error on creating Triton parameter" (HTTP 500; 400 here with its text: the fault is the request's, and
  a 5xx would tell clients' retry policies the server failed). Its gRPC RepositoryModelLoad (src/grpc/grpc_server.cc)
  answers INVALID_ARG "unrecognized load parameter 'x'.". Before: 400 / INVALID_ARGUMENT in our words for both.
- Unloading a model not loaded on the route KServe and Triton share: Triton's success (round 22), KServe's server
  ModelNotFound 404 "Model with name m does not exist." (its v2_endpoints.unload reads no body). tritonclient's
  http / http.aio unload_model always sends {"parameters": {"unload_dependents": ...}}: such a request is answered
  as Triton, one without `parameters` (no body: what KServe's server reads) as KServe. Before: 200 for both.
- HTTP's model configuration carried the config.json's own fields (kind, device, options) beside Triton's
  ModelConfig: protobuf's json_format refused it as a ModelConfig, and tritonclient's get_model_config ->
  load_model(config=json.dumps(...)) round trip was refused (`['device', 'get_all', 'kind'] cannot be applied`).
  Now Triton's ModelConfig alone (the config.json is in its `parameters`), for every model kind and imported
  ONNX models.
- Shared memory: the status of a region not registered (system or CUDA) was 400 / INVALID_ARGUMENT; Triton's
  GetStatus answers NOT_FOUND (404) "Unable to find system shared memory region: 'r'"; a CUDA register now begins
  with Triton's "failed to register CUDA shared memory region: 'r', GPUs not supported" (INVALID_ARG as before).

Expected values: the cited sources' texts and codes; NumPy on the inputs (x**3 + y, the ONNX model's gradient
(1 - tanh(xW)^2) W^T, x + x, not x); ml_dtypes' bfloat16 rounding of float32 x * x; protobuf's own parser
(json_format, strict) for the model configuration; the ONNX model's declared names and shapes.
"""
from __future__ import annotations

import asyncio
import json
import queue
import shutil
import struct

import grpc
import httpx
import ml_dtypes
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as grpcaio
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
from google.protobuf import json_format
from onnx import TensorProto, helper, numpy_helper
from tritonclient.grpc import model_config_pb2, service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from e2e.helpers import cube_net, sin_cos_net
from engine.importers import onnx_to_graph
from engine.serialize import tensor_to_json

from .models import DTYPES, write_model
from .test_stock_round24 import CEILING, triton  # noqa: F401 (fixture)

W = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], np.float32)
X = np.array([[1, 2], [3, 4]], np.float32)
Y = np.array([[0.5, -1], [2, 0.25]], np.float32)
UNEXPECTED = "unexpected error on creating Triton parameter"  # Triton's http_server.cc, INTERNAL


def onnx_tanh_matmul() -> bytes:
    """y = tanh(x @ W), x: float32 [2, 3], W an initializer: an ONNX model as an exporter writes one."""
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Tanh", ["h"], ["y"])]
    g = helper.make_graph(nodes, "tanh_matmul", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
                          [numpy_helper.from_array(W, "W")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


# the kinds the shared repository lacks, and a graph.json imported from ONNX (python -m engine.importers)
EXTRA = {"r26_jacobian": (cube_net, {"kind": "jacobian"}), "r26_hvp": (sin_cos_net, {"kind": "hvp"}),
         "r26_onnx_grad": (None, {"kind": "grad"}), "r26_onnx_eval": (None, {"kind": "eval"})}


@pytest.fixture(scope="module")
def extra_models(server, repo_dir, http):
    onnx_graph = onnx_to_graph(onnx_tanh_matmul(), encode=lambda a: tensor_to_json(a, b64=True))
    for name, (net, cfg) in EXTRA.items():
        write_model(repo_dir, name, net() if net else onnx_graph, cfg)
        http.load_model(name)
    yield list(EXTRA)
    for name in EXTRA:  # (the shared repository as the other modules know it)
        http.unload_model(name)
        shutil.rmtree(repo_dir / name)


def post(server, path: str, **kw) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", timeout=CEILING, **kw)


def cube_inputs(mod) -> list:
    ins = [mod.InferInput("x", [2, 2], "FP32"), mod.InferInput("y", [2, 2], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    return ins


# -- (a) unknown load parameters, as Triton reads them ---------------------------------------------------------------

@pytest.mark.parametrize("params, status, says", [
    ({"x": "y"}, 400, UNEXPECTED + " (at $.parameters.x)"),
    ({"x": 1}, 400, "attempt to access JSON non-string as string (at $.parameters.x)"),  # (its type read first)
    ({"x": "y", "config": 5}, 400, UNEXPECTED),  # (in the order given: x is read before config)
    ({"config": 5, "x": "y"}, 400, "attempt to access JSON non-string as string (at $.parameters.config)"),
    ({"config": "{}", "x": "y"}, 400, UNEXPECTED)])
def test_http_unknown_load_parameter_as_triton(server, triton, params, status, says):
    r = post(server, "/v2/repository/models/seed_jvp/load", json={"parameters": params})
    assert (r.status_code, r.json()) == (status, {"error": says}) or (r.status_code == status and
                                                                    says in r.json()["error"]), r.text
    assert triton.is_model_ready("seed_jvp")


def test_grpc_unknown_load_parameter_as_triton(server, triton):
    P = service_pb2.ModelRepositoryParameter
    with grpc.insecure_channel(server.grpc_target) as ch:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(ch)
        for params in ({"x": P(string_param="y")}, {"x": P(int64_param=1)}, {"x": P(bool_param=True)}):
            with pytest.raises(grpc.RpcError) as e:
                stub.RepositoryModelLoad(service_pb2.RepositoryModelLoadRequest(model_name="seed_jvp",
                                                                                parameters=params), timeout=CEILING)
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert e.value.details().startswith("unrecognized load parameter 'x'."), e.value.details()
    assert triton.is_model_ready("seed_jvp")


# -- (b) the shared unload route: Triton's answer to tritonclient, KServe's to a request without parameters ----------

def test_unload_of_a_model_not_loaded_by_each_clients_form(server, http, triton):
    http.unload_model("nope")  # tritonclient: Triton's success (raises on any error status)
    r = post(server, "/v2/repository/models/nope/unload", json={"parameters": {"unload_dependents": False}})
    assert r.status_code == 200, r.text
    for kw in ({}, {"json": {}}):  # KServe's: no body (its server reads none), or an empty object
        r = post(server, "/v2/repository/models/nope/unload", **kw)
        assert (r.status_code, r.json()) == (404, {"error": "Model with name nope does not exist."})
    r = post(server, "/v2/repository/models/seed_jvp/unload")  # a loaded model: KServe's success
    assert (r.status_code, r.json()) == (200, {"name": "seed_jvp", "unload": True})
    assert not triton.is_model_ready("seed_jvp")


def test_http_aio_unload_of_a_model_not_loaded_succeeds(server):
    async def go():
        h = httpaio.InferenceServerClient(server.url.removeprefix("http://"))
        try:
            await h.unload_model("nope")
        finally:
            await h.close()
    asyncio.run(go())


# -- model configuration: Triton's ModelConfig, for every kind and imported ONNX models ------------------------------

def test_model_config_is_tritons_model_config_for_every_model(http, grpc_, extra_models):
    names = [m["name"] for m in http.get_model_repository_index() if m.get("state") == "READY"]
    assert set(extra_models) <= set(names)
    for name in names:
        cfg = http.get_model_config(name)
        parsed = json_format.ParseDict(cfg, model_config_pb2.ModelConfig())  # (strict: an unknown field raises)
        assert parsed == grpc_.get_model_config(name).config, name
        meta = http.get_model_metadata(name)
        sig = [(t.name, model_config_pb2.DataType.Name(t.data_type), list(t.dims)) for t in parsed.input]
        assert sig == [(t["name"], "TYPE_" + t["datatype"], t["shape"]) for t in meta["inputs"]], name
        assert [(t.name, list(t.dims)) for t in parsed.output] == [(t["name"], t["shape"]) for t in meta["outputs"]]
        assert parsed.parameters["kind"].string_value == parsed.platform.removeprefix("gradserve_")


def test_model_config_of_the_extra_kinds_and_onnx(http, extra_models):
    c = {n: json_format.ParseDict(http.get_model_config(n), model_config_pb2.ModelConfig()) for n in extra_models}
    sig = lambda ts: [(t.name, model_config_pb2.DataType.Name(t.data_type), list(t.dims)) for t in ts]  # noqa: E731
    # the ONNX model's declared input; grad: d/dx of x's shape; eval: its output's declared shape [2, 2]
    assert sig(c["r26_onnx_grad"].input) == sig(c["r26_onnx_eval"].input) == [("x", "TYPE_FP32", [2, 3])]
    assert sig(c["r26_onnx_grad"].output) == [("d/dx", "TYPE_FP32", [2, 3])]
    assert [list(t.dims) for t in c["r26_onnx_eval"].output] == [[2, 2]]
    # jacobian of x**3 + y (2x2 -> 2x2) wrt x: the output's shape then the input's; hvp: v of x's shape
    assert sig(c["r26_jacobian"].output) == [("d/dx", "TYPE_FP32", [2, 2, 2, 2])]
    assert sig(c["r26_hvp"].input)[2][1:] == ("TYPE_FP32", [3]) and len(c["r26_hvp"].input) == 3


@pytest.mark.parametrize("name", ["seed_grad_all", "seed_weights", "r26_onnx_grad"])
def test_model_config_round_trips_as_a_load_override(http, triton, extra_models, name):
    """get_model_config -> load_model(config=...): Triton's own answer is a ModelConfig, which it takes back."""
    http.load_model(name, config=json.dumps(http.get_model_config(name)))
    assert http.is_model_ready(name)
    triton.load_model(name, config=json.dumps(triton.get_model_config(name, as_json=True)["config"]))
    assert triton.is_model_ready(name)


def test_onnx_imported_model_answers_its_gradient(http, grpc_, extra_models):
    x = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2) / 5
    want = (1 - np.tanh(x @ W) ** 2) @ W.T  # d/dx sum(tanh(x W))
    for mod, c in ((httpclient, http), (grpcclient, grpc_)):
        i = mod.InferInput("x", [2, 3], "FP32")
        i.set_data_from_numpy(x)
        np.testing.assert_allclose(c.infer("r26_onnx_grad", [i]).as_numpy("d/dx"), want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(c.infer("r26_onnx_eval", [i]).as_numpy("y"), np.tanh(x @ W), rtol=1e-5)


# -- the asyncio clients and gRPC streams ----------------------------------------------------------------------------

def test_asyncio_clients_infer_and_stream(server):
    async def go():
        h = httpaio.InferenceServerClient(server.url.removeprefix("http://"))
        g = grpcaio.InferenceServerClient(server.grpc_target)
        try:
            got = [(await h.infer("seed_cube_eval", cube_inputs(httpaio))).as_numpy("out"),
                   (await g.infer("seed_cube_eval", cube_inputs(grpcaio))).as_numpy("out")]

            async def requests():
                for i in range(4):
                    yield {"model_name": "seed_cube_eval", "inputs": cube_inputs(grpcaio), "request_id": f"r{i}"}
            ids = []
            async for result, error in g.stream_infer(requests()):
                assert error is None, error
                ids.append(result.get_response().id)
                got.append(result.as_numpy("out"))
            return got, ids
        finally:
            await h.close()
            await g.close()
    got, ids = asyncio.run(go())
    assert ids == [f"r{i}" for i in range(4)]
    for a in got:
        np.testing.assert_allclose(a, X ** 3 + Y, rtol=1e-6)


def test_sync_stream_infer_decoupled_off_answers_each_request_once_in_order(grpc_):
    answers: queue.Queue = queue.Queue()
    grpc_.start_stream(callback=lambda result, error: answers.put((result, error)))
    try:
        for i in range(3):
            grpc_.async_stream_infer("seed_cube_eval", cube_inputs(grpcclient), request_id=str(i))
        got = [answers.get(timeout=CEILING) for _ in range(3)]
    finally:
        grpc_.stop_stream()
    assert [(r.get_response().id, e) for r, e in got] == [("0", None), ("1", None), ("2", None)]
    np.testing.assert_allclose(got[2][0].as_numpy("out"), X ** 3 + Y, rtol=1e-6)
    assert answers.empty()  # (decoupled off: no empty final answer after them)


# -- the binary tensor data extension both ways: FP16, BOOL, BF16, BYTES ---------------------------------------------

def dtype_values(dt: str) -> np.ndarray:
    if dt == "bool":
        return np.array([[True, False, True], [False, False, True]])
    return (np.arange(6).reshape(2, 3) * (0.25 if dt == "float16" else 1)).astype(dt)


def dtype_inputs(mod, binary: bool = True) -> list:
    ins = []
    for dt in DTYPES:
        ins.append(mod.InferInput(dt, [2, 3], "BOOL" if dt == "bool" else "FP16" if dt == "float16" else dt.upper()))
        if mod is httpclient:
            ins[-1].set_data_from_numpy(dtype_values(dt), binary_data=binary)
        else:  # (gRPC: raw contents, its binary form)
            ins[-1].set_data_from_numpy(dtype_values(dt))
    return ins


def test_binary_both_ways_fp16_and_bool(http, grpc_):
    outs = [httpclient.InferRequestedOutput(f"out{i}", binary_data=True) for i in range(len(DTYPES))]
    r = http.infer("dtypes", dtype_inputs(httpclient), outputs=outs)
    g = grpc_.infer("dtypes", dtype_inputs(grpcclient))
    for i, dt in enumerate(DTYPES):
        a = dtype_values(dt)
        for got in (r.as_numpy(f"out{i}"), g.as_numpy(f"out{i}")):
            assert got.dtype == a.dtype and np.array_equal(got, ~a if dt == "bool" else a + a), dt
        assert r.get_output(f"out{i}")["parameters"]["binary_data_size"] == a.nbytes


def split_binary(r: httpx.Response) -> tuple[dict, bytes]:
    n = int(r.headers["Inference-Header-Content-Length"])
    return json.loads(r.content[:n]), r.content[n:]


def test_kserve_v2_rest_binary_bf16_with_header_length(server):
    """KServe's V2 REST binary form (its InferRequest.to_rest / InferResponse.from_bytes): the JSON head, then the
    tensors' bytes, `Inference-Header-Content-Length` the head's length, both ways."""
    x = np.array([[1, 2, 3], [-1, 0.5, 0.3]], ml_dtypes.bfloat16)
    head = json.dumps({"id": "k1", "inputs": [{"name": "x", "shape": [2, 3], "datatype": "BF16",
                                               "parameters": {"binary_data_size": x.nbytes}}],
                       "outputs": [{"name": "out0", "parameters": {"binary_data": True}},
                                   {"name": "out1", "parameters": {"binary_data": False}}]}).encode()
    r = post(server, "/v2/models/bf16/infer", content=head + x.tobytes(),
             headers={"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))})
    assert r.status_code == 200, r.text
    meta, data = split_binary(r)
    assert meta["id"] == "k1" and [o["name"] for o in meta["outputs"]] == ["out0", "out1"]
    assert meta["outputs"][0]["parameters"] == {"binary_data_size": 12} and len(data) == 12
    x32 = x.astype(np.float32)  # each node computes in float32 and rounds once (tests/oip/models.py)
    assert np.array_equal(np.frombuffer(data, ml_dtypes.bfloat16).reshape(2, 3), (x32 * x32).astype(ml_dtypes.bfloat16))
    np.testing.assert_allclose(meta["outputs"][1]["data"], np.exp(x32).astype(ml_dtypes.bfloat16).astype(np.float32)
                               .ravel(), rtol=0)


def test_bytes_both_ways(server, http, grpc_):
    """BYTES out: the classification extension's "value:index" strings, binary (4-byte little-endian length, then
    the bytes) and JSON, top 3 of x**3 + y by NumPy's ranking; BYTES in: refused naming the type."""
    v = (X ** 3 + Y).ravel()
    want = [f"{v[i]:f}:{i}".encode() for i in np.argsort(-v, kind="stable")[:3]]
    for binary in (True, False):
        r = http.infer("seed_cube_eval", cube_inputs(httpclient),
                       outputs=[httpclient.InferRequestedOutput("out", binary_data=binary, class_count=3)])
        got = [s if binary else s.encode() for s in r.as_numpy("out")]  # (tritonclient: JSON strings as str)
        assert got == want and r.get_output("out")["datatype"] == "BYTES"
    r = grpc_.infer("seed_cube_eval", cube_inputs(grpcclient), outputs=[grpcclient.InferRequestedOutput(
        "out", class_count=3)])
    assert list(r.as_numpy("out")) == want
    raw = b"".join(struct.pack("<I", len(s)) + s for s in want)  # (binary BYTES as the extension lays them out)
    head = json.dumps({"inputs": [{"name": "x", "shape": [3], "datatype": "BYTES",
                                   "parameters": {"binary_data_size": len(raw)}}]}).encode()
    r = post(server, "/v2/models/seed_cube_eval/infer", content=head + raw,
             headers={"Inference-Header-Content-Length": str(len(head))})
    assert r.status_code == 400 and "BYTES tensors are not supported" in r.json()["error"], r.text


def test_classification_of_an_fp16_output_refused_in_tritons_words(http):
    i16 = DTYPES.index("float16")
    with pytest.raises(InferenceServerException) as e:
        http.infer("dtypes", dtype_inputs(httpclient, binary=False),
                   outputs=[httpclient.InferRequestedOutput(f"out{i16}", class_count=1)])
    assert e.value.status() == "400"
    assert "class result not available for output due to unsupported type 'FP16'" in e.value.message()


# -- parameters with unknown keys; CUDA shared memory ----------------------------------------------------------------

def test_custom_request_parameters_are_taken_and_not_echoed(http, grpc_):
    """Triton passes a custom request parameter to the backend (which reads only its own); since round 28 taken as
    Triton takes it (no model here reads any), HTTP and gRPC alike; the response's parameters are the protocol's."""
    for c in (http, grpc_):
        mod = httpclient if c is http else grpcclient
        r = c.infer("seed_cube_eval", cube_inputs(mod), parameters={"my_key": "v"})
        np.testing.assert_allclose(r.as_numpy("out"), X ** 3 + Y, rtol=1e-6)
    r = http.infer("seed_cube_eval", cube_inputs(httpclient),
                   outputs=[httpclient.InferRequestedOutput("out", binary_data=True)])
    assert r.get_output("out")["parameters"] == {"binary_data_size": 16}


def test_shared_memory_refusals_in_tritons_codes(http, grpc_):
    """Triton built without GPUs (http_server.cc / grpc_server.cc, the #else of TRITON_ENABLE_GPU): registering a CUDA
    region is INVALID_ARG (HTTP 400) "failed to register CUDA shared memory region: 'r', GPUs not supported"; the
    status of a name not registered is NOT_FOUND (shared_memory_manager.cc GetStatus: "Unable to find cuda / system
    shared memory region: 'r'"). Before: the status was 400 / INVALID_ARGUMENT, the texts ours."""
    says = "failed to register CUDA shared memory region: 'r26', GPUs not supported"
    for c, bad, missing in ((http, "400", "404"), (grpc_, "StatusCode.INVALID_ARGUMENT", "StatusCode.NOT_FOUND")):
        with pytest.raises(InferenceServerException) as e:
            c.register_cuda_shared_memory("r26", b"\0" * 64, 0, 64)
        assert (e.value.status(), e.value.message().startswith(says)) == (bad, True), e.value.message()
        for call, kind in ((c.get_cuda_shared_memory_status, "cuda"), (c.get_system_shared_memory_status, "system")):
            with pytest.raises(InferenceServerException) as e:
                call("r26")
            assert e.value.status() == missing
            assert e.value.message().startswith(f"Unable to find {kind} shared memory region: 'r26'")
    assert http.get_cuda_shared_memory_status() == [] and not grpc_.get_cuda_shared_memory_status().regions
