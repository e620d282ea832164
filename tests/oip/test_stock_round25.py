"""Stock clients, round 25: round 24's leftovers on the OIP suite's real server (tests/oip/conftest.py).

- KServe's gRPC unload of a model not loaded: KServe 0.21.0's ModelRepositoryExtension.unload turns its registry's
  KeyError into ModelNotFound, which its gRPC interceptor (protocol/grpc/interceptors.py) aborts with NOT_FOUND and
  the text "Model with name <m> does not exist." (errors.py); a failed load is ModelNotReady, UNAVAILABLE "Model with
  name <m> is not ready." plus the reason. Before: the unload answered isUnloaded = true, the load NOT_FOUND in our
  words. Triton's form keeps Triton's answer (success: round 22). KServe's REST load / unload answers its
  {"name", "load" / "unload"} on success (its failures there stay Triton's: the same route).
- Triton's load with file overrides (tritonclient's load_model(name, config, files={"file:<v>/<f>": bytes})): Triton
  (server src/http_server.cc HandleRepositoryControl, src/grpc/grpc_server.cc RepositoryModelLoad, core
  model_repository_manager.cc) loads the model from a directory of those files and the config. A model here is its
  repository folder: refused as Triton refuses what it does not support (UNSUPPORTED: HTTP 501, gRPC UNIMPLEMENTED),
  after Triton's own checks, with Triton's texts: no config is INVALID_ARG "Load parameter 'config' must be specified
  for model file override"; a file's value of another type is TritonJson's "attempt to access JSON non-string as
  string" (HTTP) or "invalid value type for load parameter '<k>', expected bytes_param." (gRPC). Before: 400 for all.
  The config and unload_dependents values likewise (a JSON null config was a load without override, a string
  unload_dependents was taken).
- Triton's routes naming a repository (HTTP /v2/repository/<r>/models/<m>/load|unload: 501 UNSUPPORTED
  "'repository_name' specification is not supported"; /v2/repository/<r>/index: the whole index; gRPC RepositoryIndex
  with a repository_name: UNIMPLEMENTED, the same text). Before: HTTP 404, gRPC's name ignored.
- UM-Bridge (umbridge 1.2.10, the reference server umbridge.serve_models): each of its InvalidInput checks answers
  its error form, status 400, through the client's message.

Expected values: the cited sources' texts and codes; the hand-derived derivatives of `um` (tests/oip/models.py).
"""
from __future__ import annotations

import base64

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.http as httpclient
import umbridge
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from .test_stock_round24 import CEILING, LOAD, UNLOAD, kserve_field1, raw, triton  # noqa: F401 (fixtures)

NO_CONFIG = "Load parameter 'config' must be specified for model file override"  # Triton core's text
FILES = {"file:1/model.onnx": b"\x08\x07"}  # (any bytes: the load is refused before they are read)


def rpc_error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as e:
        call()
    return e.value


# -- KServe's repository failures over gRPC --------------------------------------------------------------------------

def test_kserve_unload_of_a_model_not_loaded_is_model_not_found(raw, triton):
    e = rpc_error(lambda: raw(UNLOAD, kserve_field1("nope")))
    assert (e.code(), e.details()) == (grpc.StatusCode.NOT_FOUND, "Model with name nope does not exist.")
    assert raw(UNLOAD, kserve_field1("seed_jvp")) == b"\x0a\x08seed_jvp\x10\x01"  # isUnloaded = true
    e = rpc_error(lambda: raw(UNLOAD, kserve_field1("seed_jvp")))  # (KServe's registry no longer holds it)
    assert (e.code(), e.details()) == (grpc.StatusCode.NOT_FOUND, "Model with name seed_jvp does not exist.")
    assert raw(UNLOAD, b"\x12\x04nope") == b""  # Triton's form: Triton's success (round 22), unchanged


def test_kserve_load_failure_is_model_not_ready(raw, triton):
    e = rpc_error(lambda: raw(LOAD, kserve_field1("nope")))
    assert e.code() == grpc.StatusCode.UNAVAILABLE
    assert e.details().startswith("Model with name nope is not ready. ")  # (then the reason: ours)
    assert "'nope' is not in the repository" in e.details()
    assert triton.is_model_ready("seed_jvp")


def test_kserve_rest_load_and_unload_answers(server, triton):
    """KServe 0.21.0's v2_endpoints.load / unload answer {"name": m, "load": true} / {"name": m, "unload": true} on the
    route Triton answers with an empty body (tritonclient reads none); before: {}."""
    r = httpx.post(f"{server.url}/v2/repository/models/seed_jvp/unload", timeout=CEILING)
    assert (r.status_code, r.json()) == (200, {"name": "seed_jvp", "unload": True})
    assert not triton.is_model_ready("seed_jvp")
    r = httpx.post(f"{server.url}/v2/repository/models/seed_jvp/load", timeout=CEILING)
    assert (r.status_code, r.json()) == (200, {"name": "seed_jvp", "load": True})
    assert triton.is_model_ready("seed_jvp")


# -- Triton's file overrides -----------------------------------------------------------------------------------------

def test_file_override_without_config_is_tritons_invalid_arg(server, triton):
    http = httpclient.InferenceServerClient(server.url.removeprefix("http://"))
    with pytest.raises(InferenceServerException) as e:
        http.load_model("seed_jvp", files=FILES)
    assert e.value.status() == "400" and NO_CONFIG in e.value.message()
    with pytest.raises(InferenceServerException) as e:
        triton.load_model("seed_jvp", files=FILES)
    assert e.value.status() == "StatusCode.INVALID_ARGUMENT" and NO_CONFIG in e.value.message()
    http.close()


def test_file_override_with_config_is_unsupported_and_the_model_kept(server, triton):
    """Both stock clients' load_model(config, files): HTTP 501 / gRPC UNIMPLEMENTED naming the file, the model still
    served (never loaded from its folder as if the files had been used)."""
    http = httpclient.InferenceServerClient(server.url.removeprefix("http://"))
    with pytest.raises(InferenceServerException) as e:
        http.load_model("seed_jvp", config="{}", files=FILES)
    assert e.value.status() == "501" and "model file override is not supported (file:1/model.onnx)" in str(e.value)
    with pytest.raises(InferenceServerException) as e:
        triton.load_model("seed_jvp", config="{}", files=FILES)
    assert e.value.status() == "StatusCode.UNIMPLEMENTED" and "file:1/model.onnx" in e.value.message()
    assert triton.is_model_ready("seed_jvp") and http.is_model_ready("seed_jvp")
    http.close()


def test_file_parameter_of_another_type_is_refused_in_tritons_words(server):
    r = httpx.post(f"{server.url}/v2/repository/models/seed_jvp/load", timeout=CEILING,
                   json={"parameters": {"config": "{}", "file:1/model.onnx": 5}})
    assert r.status_code == 400 and "attempt to access JSON non-string as string" in r.json()["error"], r.text
    r = httpx.post(f"{server.url}/v2/repository/models/seed_jvp/load", timeout=CEILING,  # (base64 text: taken)
                   json={"parameters": {"config": "{}", "file:1/model.onnx": base64.b64encode(b"x").decode()}})
    assert r.status_code == 501, r.text
    P = service_pb2.ModelRepositoryParameter
    with grpc.insecure_channel(server.grpc_target) as ch:
        e = rpc_error(lambda: service_pb2_grpc.GRPCInferenceServiceStub(ch).RepositoryModelLoad(
            service_pb2.RepositoryModelLoadRequest(model_name="seed_jvp", parameters={
                "config": P(string_param="{}"), "file:1/m": P(string_param="x")}), timeout=CEILING))
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid value type for load parameter 'file:1/m', expected bytes_param." in e.details()


@pytest.mark.parametrize("action, params, says", [
    ("load", {"config": None}, "attempt to access JSON non-string as string"),  # (was a load without override)
    ("load", {"config": 5}, "attempt to access JSON non-string as string"),
    ("unload", {"unload_dependents": "yes"},  # (was taken)
     "Unable to parse 'unload_dependents': attempt to access JSON non-boolean as boolean"),
])
def test_http_parameter_types_as_triton_reads_them(server, triton, action, params, says):
    """Triton's HandleRepositoryControl reads config with MemberAsString, unload_dependents with AsBool."""
    r = httpx.post(f"{server.url}/v2/repository/models/seed_jvp/{action}", json={"parameters": params},
                   timeout=CEILING)
    assert r.status_code == 400 and says in r.json()["error"], r.text
    assert triton.is_model_ready("seed_jvp")


def test_grpc_parameter_types_as_triton_reads_them(server, triton):
    """grpc_server.cc RepositoryModelLoad / Unload: INVALID_ARG naming the parameter and the type it expects."""
    P = service_pb2.ModelRepositoryParameter
    with grpc.insecure_channel(server.grpc_target) as ch:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(ch)
        for call, message, params, says in [
                (stub.RepositoryModelLoad, service_pb2.RepositoryModelLoadRequest, {"config": P(bytes_param=b"{}")},
                 "invalid value type for load parameter 'config', expected string_param."),
                (stub.RepositoryModelUnload, service_pb2.RepositoryModelUnloadRequest,
                 {"unload_dependents": P(int64_param=1)},
                 "invalid value type for 'unload_dependents' parameter, expected bool_param.")]:
            e = rpc_error(lambda: call(message(model_name="seed_jvp", parameters=params), timeout=CEILING))
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and says in e.details()
    assert triton.is_model_ready("seed_jvp")


# -- Triton's routes and messages naming a repository ----------------------------------------------------------------

def test_http_routes_naming_a_repository_as_triton(server, triton):
    """Triton's HTTP regex /v2/repository(?:/([^/]+))?/(index|models/([^/]+)/(load|unload)): load / unload with a
    repository name are UNSUPPORTED "'repository_name' specification is not supported" (501, nothing done); its
    index reads no name and answers the whole index. Before: 404 for all three."""
    for action in ("load", "unload"):
        r = httpx.post(f"{server.url}/v2/repository/models_repo/models/seed_jvp/{action}", timeout=CEILING)
        assert r.status_code == 501, r.text
        assert r.json() == {"error": "'repository_name' specification is not supported"}
    assert triton.is_model_ready("seed_jvp")
    named = httpx.post(f"{server.url}/v2/repository/models_repo/index", json={"ready": True}, timeout=CEILING)
    plain = httpx.post(f"{server.url}/v2/repository/index", json={"ready": True}, timeout=CEILING)
    assert named.status_code == 200 and named.json() == plain.json() and {"name": "seed_jvp", "version": "1",
                                                                          "state": "READY"} in named.json()


def test_grpc_index_naming_a_repository_is_unsupported(server):
    """Triton's grpc_server.cc RepositoryIndex: a repository_name is UNSUPPORTED (UNIMPLEMENTED); it was ignored."""
    with grpc.insecure_channel(server.grpc_target) as ch:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(ch)
        e = rpc_error(lambda: stub.RepositoryIndex(service_pb2.RepositoryIndexRequest(repository_name="models_repo"),
                                                   timeout=CEILING))
        assert (e.code(), e.details()) == (grpc.StatusCode.UNIMPLEMENTED,
                                           "'repository_name' specification is not supported")
        assert "seed_jvp" in [m.name for m in stub.RepositoryIndex(service_pb2.RepositoryIndexRequest(),
                                                                    timeout=CEILING).models]


# -- UM-Bridge's error forms (held) ----------------------------------------------------------------------------------

X, Y, SENS, VEC = [0.3, -1.2, 2.0], [1.5, 0.4, -0.7], [0.2, -1.0, 3.0], [1.0, 0.5, -2.0]


@pytest.mark.parametrize("call, says", [
    (lambda m: m([X]), "input must be a list of 2 vectors (one per model input)"),
    (lambda m: m([X, Y[:2]]), "input[1] has length 2; expected 3"),
    (lambda m: m.gradient(2, 0, [X, Y], SENS), "outWrt must be an integer in [0, 1], got 2"),
    (lambda m: m.apply_jacobian(0, 0, [X, Y], VEC[:1]), "vec has length 1; expected 3"),
    (lambda m: m.apply_jacobian(-1, 0, [X, Y], VEC), "outWrt must be an integer in [0, 1], got -1"),
    (lambda m: m.apply_hessian(0, 0, 3, [X, Y], SENS, VEC), "inWrt2 must be an integer in [0, 1], got 3"),
    (lambda m: m.apply_hessian(1, 0, 0, [X, Y], SENS[:2], VEC), "sens has length 2; expected 3"),
])
def test_umbridge_invalid_input_in_the_protocols_form(server, call, says):
    m = umbridge.HTTPModel(server.url + "/umbridge", "um")
    with pytest.raises(Exception) as e:
        call(m)
    assert str(e.value) == f"Model returned error of type InvalidInput: {says}"  # (the client's own wording)
    # the value beside it still right: d/dx of x * x * y against sens is 2 x y sens (hand-derived)
    g = m.gradient(1, 0, [X, Y], SENS)
    np.testing.assert_allclose(g, 2 * np.array(X) * np.array(Y) * np.array(SENS), rtol=1e-12)


def test_umbridge_index_error_status_and_body(server):
    """serve_models answers a bad index 400 {"error": {"type": "InvalidInput", "message": ...}}."""
    r = httpx.post(server.url + "/umbridge/Gradient", timeout=CEILING,
                   json={"name": "um", "input": [X, Y], "outWrt": 0, "inWrt": 2, "sens": SENS})
    assert r.status_code == 400 and r.json()["error"]["type"] == "InvalidInput", r.text
    assert sorted(r.json()["error"]) == ["message", "type"]
