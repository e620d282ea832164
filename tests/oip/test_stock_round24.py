"""Stock clients, round 24: the newest releases users install (tritonclient 2.73.0, kserve 0.21.0's
InferenceRESTClient V1 / V2 and InferenceGRPCClient), on the OIP suite's real server (tests/oip/conftest.py).

kserve cannot be a test dependency (it pins protobuf<7; gradserve needs protobuf>=7.35.1: SERVICE_REPORT.md,
round 24), so its requests are sent here in their exact wire form, as kserve 0.21.0 writes them (python/kserve/kserve
inference_client.py, protocol/infer_type.py to_rest / to_grpc, protocol/grpc/grpc_predict_v2.proto), by httpx and
raw gRPC calls. What these found (before the fixes):

- InferenceRESTClient(protocol="v1").is_server_live: GET <base>/ was 404; KServe's model server answers
  {"status": "alive"} there (its DataPlane.live, the client reads status == "alive").
- KServe's RepositoryModelLoad / Unload requests carry `string model_name = 1`, which is Triton's repository_name
  (Triton's model_name is field 2): KServe's unload answered OK and unloaded nothing, its load was refused naming
  the model ''. Now served as KServe's, answering its {model_name = 1, isLoaded / isUnloaded = 2}; Triton's own
  form with a repository_name is refused with Triton's text and code (UNSUPPORTED: UNIMPLEMENTED).

Expected values: KServe's and Triton's source as cited, the protobuf wire format, NumPy (x**3 + y).
"""
from __future__ import annotations

import grpc
import httpx
import numpy as np
import orjson
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc

CEILING = 120  # s
LOAD = "/inference.GRPCInferenceService/RepositoryModelLoad"
UNLOAD = "/inference.GRPCInferenceService/RepositoryModelUnload"


def kserve_field1(name: str) -> bytes:
    """KServe's RepositoryModel(Un)LoadRequest(model_name=name): field 1, wire type 2 (names here are < 128 bytes)."""
    return b"\x0a" + bytes([len(name)]) + name.encode()


@pytest.fixture()
def raw(server):
    """gRPC calls of raw bytes (no message classes: the exact wire form)."""
    with grpc.insecure_channel(server.grpc_target) as ch:
        yield lambda path, body: ch.unary_unary(path)(body, timeout=CEILING)


@pytest.fixture()
def triton(server):
    c = grpcclient.InferenceServerClient(server.grpc_target)
    yield c
    c.load_model("seed_jvp")  # whatever a test did, the shared server's model is back
    c.close()


def xy():
    rng = np.random.default_rng(24)
    return rng.normal(size=(2, 2)).astype(np.float32), rng.normal(size=(2, 2)).astype(np.float32)


# -- KServe V1 liveness ----------------------------------------------------------------------------------------------

def test_kserve_v1_liveness_at_the_root(server):
    """InferenceRESTClient(RESTConfig(protocol="v1")).is_server_live(base): GET base + "/", 2xx, JSON status "alive"."""
    r = httpx.get(server.url + "/", timeout=CEILING)
    assert r.status_code == 200, r.text
    assert r.json()["status"].lower() == "alive"


# -- KServe's repository messages over gRPC --------------------------------------------------------------------------

def test_kserve_grpc_unload_and_load_act_on_the_model(raw, triton):
    """KServe's servicer answers RepositoryModelUnloadResponse(model_name=m, isUnloaded=True): field 1 the name,
    field 2 varint 1. Before: the answer was empty and the model stayed loaded."""
    assert triton.is_model_ready("seed_jvp")
    assert raw(UNLOAD, kserve_field1("seed_jvp")) == b"\x0a\x08seed_jvp\x10\x01"
    assert not triton.is_model_ready("seed_jvp")
    assert raw(LOAD, kserve_field1("seed_jvp")) == b"\x0a\x08seed_jvp\x10\x01"  # isLoaded = true
    assert triton.is_model_ready("seed_jvp")


def test_kserve_grpc_load_of_an_unknown_model_is_refused(raw):
    with pytest.raises(grpc.RpcError) as e:
        raw(LOAD, kserve_field1("nope"))
    # KServe's ModelNotReady (round 25: its extension's load refused, its interceptor's UNAVAILABLE)
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    assert e.value.details().startswith("Model with name nope is not ready.")


def test_triton_form_answers_triton_empty_message(raw, triton):
    """tritonclient's load_model / unload_model: model_name is field 2; Triton's answers are empty messages."""
    assert raw(UNLOAD, b"\x12\x08seed_jvp") == b""
    assert not triton.is_model_ready("seed_jvp")
    assert raw(LOAD, b"\x12\x08seed_jvp") == b""
    assert triton.is_model_ready("seed_jvp")


def test_triton_form_with_a_repository_name_is_refused_as_triton_does(server, triton):
    """Triton's grpc_server.cc: a non-empty repository_name is UNSUPPORTED "'repository_name' specification is not
    supported" (gRPC UNIMPLEMENTED); nothing is unloaded."""
    with grpc.insecure_channel(server.grpc_target) as ch:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(ch)
        with pytest.raises(grpc.RpcError) as e:
            stub.RepositoryModelUnload(service_pb2.RepositoryModelUnloadRequest(
                repository_name="models", model_name="seed_jvp"), timeout=CEILING)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "'repository_name' specification is not supported" in e.value.details()
    assert triton.is_model_ready("seed_jvp")


# -- KServe's inference requests, exactly as it writes them (held) ---------------------------------------------------

def test_kserve_rest_v2_binary_request_and_answer(server):
    """InferRequest.to_rest with binary inputs: compact JSON with id / model_name / binary_data_size, the raw bytes
    after it, Inference-Header-Content-Length and application/octet-stream; the answer read as
    InferResponse.from_bytes reads it (the JSON length from the same header, the output's bytes after it)."""
    x, y = xy()
    head = orjson.dumps({"id": "r24", "model_name": "counted", "inputs": [
        {"name": n, "shape": [2, 2], "datatype": "FP32", "parameters": {"binary_data_size": 16}} for n in ("x", "y")],
        "outputs": [{"name": "out", "parameters": {"binary_data": True}}]})
    r = httpx.post(f"{server.url}/v2/models/counted/infer", content=head + x.tobytes() + y.tobytes(), timeout=CEILING,
                   headers={"inference-header-content-length": str(len(head)),
                            "content-type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    n = int(r.headers.get("inference-header-content-length", len(r.content)))
    body = orjson.loads(r.content[:n])
    assert body["id"] == "r24" and body["model_name"] == "counted"
    (out,) = body["outputs"]
    assert (out["name"], out["datatype"], out["shape"]) == ("out", "FP32", [2, 2])
    got = np.frombuffer(r.content[n:n + out["parameters"]["binary_data_size"]], np.float32).reshape(2, 2)
    np.testing.assert_allclose(got, x ** 3 + y, rtol=1e-6)


def test_kserve_grpc_binary_request(server):
    """InferRequest.to_grpc with binary inputs: raw_input_contents plus a binary_data_size parameter on each input and
    a bool binary_data parameter on the requested output."""
    x, y = xy()
    T = service_pb2.ModelInferRequest.InferInputTensor
    req = service_pb2.ModelInferRequest(
        model_name="counted", id="r24", raw_input_contents=[x.tobytes(), y.tobytes()],
        inputs=[T(name=n, datatype="FP32", shape=[2, 2],
                  parameters={"binary_data_size": service_pb2.InferParameter(int64_param=16)}) for n in ("x", "y")],
        outputs=[service_pb2.ModelInferRequest.InferRequestedOutputTensor(
            name="out", parameters={"binary_data": service_pb2.InferParameter(bool_param=True)})])
    with grpc.insecure_channel(server.grpc_target) as ch:
        res = service_pb2_grpc.GRPCInferenceServiceStub(ch).ModelInfer(req, timeout=CEILING)
    assert res.id == "r24" and res.outputs[0].name == "out"
    got = np.frombuffer(res.raw_output_contents[0], np.float32).reshape(2, 2)
    np.testing.assert_allclose(got, x ** 3 + y, rtol=1e-6)
