"""The stock tritonclient calls beyond a plain inference, as their users make them, against a real server:
the asyncio clients (HTTP and gRPC), gRPC's repository extension and inference stream, every V2 datatype
(those the engine has, binary and JSON; those it has not, refused by name), and the extensions it has not
refused in errors the client can print (classification and trace / log settings: test_stock_round21.py), CUDA shared memory
answered as a Triton without GPUs answers it, and
Triton's model configuration (get_model_config), which client code reads before inferring (statistics:
tests/oip/test_statistics.py).
Expected values: NumPy on the inputs (x + x, not x) and the seed's hand-derived gradients."""
from __future__ import annotations

import asyncio
import queue

import httpx
import numpy as np
import pytest

from e2e.helpers import X, Y

import tritonclient.grpc as grpcclient  # the test extra: fail, never skip
import tritonclient.grpc.aio as grpcaio
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
from tritonclient.grpc import model_config_pb2 as mc
from tritonclient.utils import InferenceServerException

from .models import DTYPES

DX = [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]
CEILING = 60  # s: a stream's answer, on a loaded machine
V2 = {"int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64", "uint8": "UINT8", "uint16": "UINT16",
      "uint32": "UINT32", "uint64": "UINT64", "float16": "FP16", "bool": "BOOL"}
A = np.array([[1, -2, 3], [4, 5, -6]])
DTYPE_INPUTS = {dt: (A > 0) if dt == "bool" else (np.abs(A) if dt.startswith("uint") else A).astype(dt) for dt in DTYPES}


def seed_inputs(mod) -> list:
    ins = [mod.InferInput("x", [2, 3], "FP32"), mod.InferInput("y", [3, 3], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    return ins


# -- every datatype ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("client, binary", [("http", True), ("http", False), ("grpc", True)],
                         ids=["http-binary", "http-json", "grpc"])
def test_every_engine_datatype_round_trips(http, grpc_, client, binary):
    c, mod = (http, httpclient) if client == "http" else (grpc_, grpcclient)
    ins = []
    for dt, a in DTYPE_INPUTS.items():
        i = mod.InferInput(dt, [2, 3], V2[dt])
        i.set_data_from_numpy(a, **({"binary_data": binary} if client == "http" else {}))
        ins.append(i)
    outs = [httpclient.InferRequestedOutput(f"out{k}", binary_data=binary) for k in range(len(DTYPES))] \
        if client == "http" else None
    r = c.infer("dtypes", ins, outputs=outs)
    for k, (dt, a) in enumerate(DTYPE_INPUTS.items()):
        got = r.as_numpy(f"out{k}")
        want = ~a if dt == "bool" else a + a
        assert got.dtype == want.dtype, (dt, got.dtype)
        np.testing.assert_array_equal(got, want, err_msg=dt)


@pytest.mark.parametrize("datatype, numpy_dtype, says", [
    ("BYTES", np.object_, "BYTES tensors are not supported"),
])
@pytest.mark.parametrize("client", ["http", "grpc"])
def test_datatypes_the_engine_has_not_are_refused_by_name(http, grpc_, client, datatype, numpy_dtype, says):
    c, mod = (http, httpclient) if client == "http" else (grpc_, grpcclient)
    i = mod.InferInput("x", [2, 3], datatype)
    i.set_data_from_numpy(np.arange(6).reshape(2, 3).astype(numpy_dtype))
    with pytest.raises(InferenceServerException) as e:
        c.infer("seed_grad", [i, seed_inputs(mod)[1]])
    assert says in e.value.message() and e.value.status() in ("400", "StatusCode.INVALID_ARGUMENT")


# BF16: tritonclient sends float32 arrays as their upper 2 bytes (binary / raw only) and reads them back as float32
BF16_X = np.array([[1.1015625, -2.5, 0.0078125], [3.0, -0.3359375, 7.5]], np.float32)  # bfloat16 values


def _bf16_want():
    torch = pytest.importorskip("torch")
    x = torch.tensor(BF16_X).to(torch.bfloat16)
    return [t.to(torch.float32).numpy() for t in (x * x, torch.exp(x))]


@pytest.mark.parametrize("client", ["http", "grpc"])
def test_bf16_round_trips_with_the_stock_client(http, grpc_, client):
    c, mod = (http, httpclient) if client == "http" else (grpc_, grpcclient)
    i = mod.InferInput("x", [2, 3], "BF16")
    i.set_data_from_numpy(BF16_X, **({"binary_data": True} if client == "http" else {}))
    outs = [httpclient.InferRequestedOutput(f"out{k}", binary_data=True) for k in range(2)] if client == "http" \
        else None
    r = c.infer("bf16", [i], outputs=outs)
    for k, want in enumerate(_bf16_want()):
        assert r.get_output(f"out{k}")["datatype"] == "BF16" if client == "http" else True
        np.testing.assert_array_equal(r.as_numpy(f"out{k}").reshape(2, 3), want)
    meta = http.get_model_metadata("bf16")
    assert [t["datatype"] for t in meta["inputs"] + meta["outputs"]] == ["BF16"] * 3
    for cfg in (http.get_model_config("bf16"), grpc_.get_model_config("bf16", as_json=True)["config"]):
        assert [t["data_type"] for t in cfg["input"] + cfg["output"]] == ["TYPE_BF16"] * 3


def test_bf16_json_data_round_trips(server):
    """JSON data (which tritonclient will not send for BF16): numbers in, the nearest bfloat16s; out, exact."""
    body = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "BF16", "data": BF16_X.ravel().tolist()}]}
    r = httpx.post(server.url + "/v2/models/bf16/infer", json=body, timeout=60)
    assert r.status_code == 200, r.text
    for o, want in zip(r.json()["outputs"], _bf16_want()):
        assert o["datatype"] == "BF16"
        np.testing.assert_array_equal(np.array(o["data"], np.float32).reshape(2, 3), want)


# -- refusals a client can print ------------------------------------------------------------------------------------
def test_http_calls_of_absent_extensions_fail_with_a_message_the_client_prints(server):
    """tritonclient builds its exception's text from {"error": "<message>"}: gradserve's own error object
    made str(exception) raise TypeError for every route the server does not have. (Trace and log settings are
    answered since round 21: tests/oip/test_stock_round21.py.)"""
    for path in ("generate", "generate_stream", "versions/1/generate"):  # Triton's generate extension (raw HTTP)
        r = httpx.post(f"{server.url}/v2/models/seed_grad/{path}", json={"text_input": "x"})
        assert r.status_code == 404 and "generate extension" in r.json()["error"] and "/infer" in r.json()["error"]
    r = httpx.get(server.url + "/v2/models/seed_grad/infer")  # a route's other method
    assert r.status_code == 405 and r.json() == {"error": "Method Not Allowed"}


# -- CUDA shared memory: as a Triton built without GPUs (its stock system-shm examples unregister CUDA regions) -----
def test_cuda_shared_memory_is_answered_as_by_a_triton_without_gpus(http, grpc_):
    """Triton without GPUs (TRITON_ENABLE_GPU off): registering is INVALID_ARG, unregistering all or a name
    succeeds (nothing is registered), the status of all is empty, a named region's is NOT_FOUND (round 26)."""
    for c in (http, grpc_):
        c.unregister_cuda_shared_memory()
        c.unregister_cuda_shared_memory("g")
    assert http.get_cuda_shared_memory_status() == []
    assert len(grpc_.get_cuda_shared_memory_status().regions) == 0
    for call, status in [(lambda: http.register_cuda_shared_memory("g", b"\0" * 64, 0, 16), "400"),
                         (lambda: http.get_cuda_shared_memory_status("g"), "404"),
                         (lambda: grpc_.register_cuda_shared_memory("g", b"\0" * 64, 0, 16),
                          "StatusCode.INVALID_ARGUMENT"),
                         (lambda: grpc_.get_cuda_shared_memory_status("g"), "StatusCode.NOT_FOUND")]:
        with pytest.raises(InferenceServerException) as e:
            call()
        assert e.value.status() == status and "use system shared memory" in str(e.value), str(e.value)


def test_an_unknown_model_is_named_in_tritons_words(http, grpc_):
    """Triton's examples (simple_http_infer_client.py, simple_*_health_metadata.py) look for its prefix."""
    for call, named in [(lambda: http.get_model_metadata("wrong_model_name"), "'wrong_model_name' is not found"),
                        (lambda: grpc_.get_model_metadata("wrong_model_name"), "'wrong_model_name' is not found"),
                        (lambda: http.infer("wrong_model_name", seed_inputs(httpclient)), "'wrong_model_name'"),
                        (lambda: grpc_.get_model_metadata("seed_grad", "2"), "'seed_grad' version 2 is not found")]:
        with pytest.raises(InferenceServerException) as e:
            call()
        m = e.value.message()
        assert m.startswith("Request for unknown model: ") and named in m, m


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_http_request_and_response_compression(http, algorithm):
    """tritonclient's request_compression_algorithm (Content-Encoding): the body was read as it came, and its
    compressed bytes fell outside the binary header's length (a 400 naming no compression)."""
    for asked in (None, algorithm):
        r = http.infer("seed_grad", seed_inputs(httpclient), request_compression_algorithm=algorithm,
                       response_compression_algorithm=asked)
        np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
    r = http.async_infer("seed_grad", seed_inputs(httpclient), request_compression_algorithm=algorithm)
    np.testing.assert_allclose(r.get_result().as_numpy("d/dx"), DX, rtol=1e-6)


# -- Triton's model configuration, as client code reads it before inferring -----------------------------------------
def test_get_model_config_describes_the_model_truthfully(http, grpc_):
    """HTTP and gRPC: Triton's fields (no batch dimension: max_batch_size 0 and the whole shapes as dims; Triton's
    data types) from the model's signature, which inference then accepts; its config.json as parameters."""
    want_in = [{"name": "x", "data_type": "TYPE_FP32", "dims": [2, 3]},
               {"name": "y", "data_type": "TYPE_FP32", "dims": [3, 3]}]  # seed_grad_all: (x: f32[2,3], y: f32[3,3])
    want_out = [{"name": "d/dx", "data_type": "TYPE_FP32", "dims": [2, 3]},
                {"name": "d/dy", "data_type": "TYPE_FP32", "dims": [3, 3]}]
    h = http.get_model_config("seed_grad_all")
    g = grpc_.get_model_config("seed_grad_all", as_json=True)["config"]
    for cfg, dims in ((h, lambda d: d), (g, lambda d: [int(v) for v in d])):  # (protobuf's JSON: int64 as strings)
        assert cfg["name"] == "seed_grad_all" and cfg["platform"] == "gradserve_grad" and cfg["backend"] == "gradserve"
        assert cfg.get("max_batch_size", 0) == 0  # (protobuf's JSON leaves a zero out)
        assert [dict(t, dims=dims(t["dims"])) for t in cfg["input"]] == want_in
        assert [dict(t, dims=dims(t["dims"])) for t in cfg["output"]] == want_out
        assert {k: v["string_value"] for k, v in cfg["parameters"].items()} == {"kind": "grad", "device": "cpu",
                                                                               "get_all": "true"}
    assert "kind" not in h and "get_all" not in h  # (Triton's ModelConfig alone: test_stock_round26)
    typed = grpc_.get_model_config("dtypes").config  # the message, as tritonclient.grpc users read it
    assert [(t.name, t.data_type, list(t.dims)) for t in typed.input] == [
        (dt, mc.DataType.Value("TYPE_" + V2[dt]), [2, 3]) for dt in DTYPES]
    ins = []  # a client that builds its inputs from the config is answered
    for t in g["input"]:
        ins.append(grpcclient.InferInput(t["name"], dims(t["dims"]), t["data_type"].removeprefix("TYPE_")))
        ins[-1].set_data_from_numpy(X if t["name"] == "x" else Y)
    r = grpc_.infer("seed_grad_all", ins)
    np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
    for call in (lambda: grpc_.get_model_config("nope"), lambda: http.get_model_config("seed_grad", "2")):
        with pytest.raises(InferenceServerException) as e:
            call()
        assert e.value.status() in ("StatusCode.NOT_FOUND", "404"), str(e.value)


# -- gRPC: repository extension, stream ------------------------------------------------------------------------------
def test_grpc_repository_index_unload_load(grpc_):
    index = {m.name: m.state for m in grpc_.get_model_repository_index().models}
    assert index["seed_grad"] == "READY" and "seed_cube_eval" in index
    grpc_.unload_model("seed_cube_eval")
    try:
        assert not grpc_.is_model_ready("seed_cube_eval")
        index = {m.name: (m.state, m.reason) for m in grpc_.get_model_repository_index().models}
        assert index["seed_cube_eval"] == ("UNAVAILABLE", "unloaded")
        grpc_.unload_model("seed_cube_eval")  # unloaded already: success, as Triton (test_stock_round22.py)
        assert not grpc_.is_model_ready("seed_cube_eval")
        # (a config override is applied where it maps: test_stock_round21.py; a key it cannot apply is refused)
        with pytest.raises(InferenceServerException, match=r"Invalid config override: \['kind'\] cannot be applied"):
            grpc_.load_model("seed_cube_eval", config='{"kind": "eval"}')
    finally:
        grpc_.load_model("seed_cube_eval")
    assert grpc_.is_model_ready("seed_cube_eval")
    with pytest.raises(InferenceServerException) as e:
        grpc_.load_model("nope")
    assert e.value.status() == "StatusCode.NOT_FOUND"


def test_http_load_with_a_config_is_refused_not_ignored_and_index_takes_ready(http, server):
    with pytest.raises(InferenceServerException, match=r"Invalid config override: \['kind'\] cannot be applied"):
        http.load_model("seed_cube_eval", config='{"kind": "eval"}')
    assert http.is_model_ready("seed_cube_eval")
    http.unload_model("seed_cube_eval")
    try:
        ready = httpx.post(server.url + "/v2/repository/index", json={"ready": True}).json()
        every = httpx.post(server.url + "/v2/repository/index").json()
        assert "seed_cube_eval" not in {m["name"] for m in ready} and {"name": "seed_cube_eval", "version": "1",
                                                                       "state": "UNAVAILABLE", "reason": "unloaded"} in every
    finally:
        http.load_model("seed_cube_eval")


def test_grpc_stream_answers_each_request_in_order_errors_included(grpc_):
    got: queue.Queue = queue.Queue()
    grpc_.start_stream(callback=lambda result, error: got.put((result, error)))
    try:
        grpc_.async_stream_infer("seed_grad", seed_inputs(grpcclient), request_id="s1")
        grpc_.async_stream_infer("nope", seed_inputs(grpcclient), request_id="s2")
        grpc_.async_stream_infer("seed_grad", seed_inputs(grpcclient), request_id="s3")
        answers = [got.get(timeout=CEILING) for _ in range(3)]
    finally:
        grpc_.stop_stream()
    (r1, e1), (r2, e2), (r3, e3) = answers
    assert e1 is None and r1.get_response().id == "s1"
    np.testing.assert_allclose(r1.as_numpy("d/dx"), DX, rtol=1e-6)
    assert r2 is None and "Request for unknown model: 'nope' is not found" == e2.message()
    assert e3 is None and r3.get_response().id == "s3"


def test_grpc_stream_marks_each_response_final_when_asked(grpc_):
    """async_stream_infer(enable_empty_final_response=True): each request here has one response, its last:
    it carries Triton's triton_final_response, which streaming clients wait for (it was refused as an unknown
    request parameter)."""
    got: queue.Queue = queue.Queue()
    grpc_.start_stream(callback=lambda result, error: got.put((result, error)))
    try:
        grpc_.async_stream_infer("seed_grad", seed_inputs(grpcclient), request_id="f1",
                                 enable_empty_final_response=True)
        grpc_.async_stream_infer("seed_grad", seed_inputs(grpcclient), request_id="f2")
        answers = [got.get(timeout=CEILING) for _ in range(2)]
    finally:
        grpc_.stop_stream()
    (r1, e1), (r2, e2) = answers
    assert e1 is None and e2 is None, (e1, e2)
    np.testing.assert_allclose(r1.as_numpy("d/dx"), DX, rtol=1e-6)
    p1, p2 = r1.get_response().parameters, r2.get_response().parameters
    assert p1["triton_final_response"].bool_param is True and "triton_final_response" not in p2
    # a unary call: taken and unused, as Triton's unary handler (it sets the flag; only its stream reads it)
    r = grpc_.infer("seed_grad", seed_inputs(grpcclient), parameters={"triton_enable_empty_final_response": True})
    np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
    assert "triton_final_response" not in r.get_response().parameters


# -- the asyncio clients ---------------------------------------------------------------------------------------------
def test_asyncio_clients(server):
    async def run():
        h = httpaio.InferenceServerClient(server.url.removeprefix("http://"))
        g = grpcaio.InferenceServerClient(server.grpc_target)
        try:
            assert await h.is_server_ready() and await g.is_server_ready()
            assert (await h.get_model_metadata("seed_grad"))["inputs"][0]["name"] == "x"
            assert (await g.get_model_metadata("seed_grad")).inputs[0].name == "x"
            assert "seed_grad" in {m["name"] for m in await h.get_model_repository_index()}
            assert "seed_grad" in {m.name for m in (await g.get_model_repository_index()).models}
            rh = await h.infer("seed_grad", seed_inputs(httpclient), request_id="a1")
            rg = await g.infer("seed_grad", seed_inputs(grpcclient), request_id="a2")
            assert rh.get_response()["id"] == "a1" and rg.get_response().id == "a2"

            async def requests():
                for rid in ("q1", "q2"):
                    yield {"model_name": "seed_grad", "inputs": seed_inputs(grpcclient), "request_id": rid}
            streamed = [(r.get_response().id, e) async for r, e in g.stream_infer(requests())]
            with pytest.raises(InferenceServerException, match="is not found"):
                await h.infer("nope", seed_inputs(httpclient))
            return rh.as_numpy("d/dx"), rg.as_numpy("d/dx"), streamed
        finally:
            await h.close()
            await g.close()

    a, b, streamed = asyncio.run(asyncio.wait_for(run(), CEILING))
    np.testing.assert_allclose(a, DX, rtol=1e-6)
    np.testing.assert_allclose(b, DX, rtol=1e-6)
    assert streamed == [("q1", None), ("q2", None)]
