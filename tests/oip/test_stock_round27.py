"""Stock clients, round 27, on the OIP suite's real server (tests/oip/conftest.py), with tritonclient 2.41 (the
project's test extra: `http`, `grpc`) and Triton requests in their wire form (its own `service_pb2` stub).

- An inference naming a system shared memory region not registered (an input's or a requested output's): Triton's
  SharedMemoryManager::GetMemoryInfo (server src/shared_memory_manager.cc) answers NOT_FOUND "Unable to find shared
  memory region: 'r'", which its HTTP server sends as 404 (http_server.cc HttpCodeFromError). Before: 400 /
  INVALID_ARGUMENT "unknown shared memory region 'r'".
- Registering a region by a name already registered: Triton's RegisterSystemSharedMemory answers ALREADY_EXISTS
  "shared memory region 'r' already in manager" (HTTP 400, gRPC ALREADY_EXISTS). Before: INVALID_ARGUMENT over gRPC,
  so a client registering idempotently could not tell it from a bad request.
- Unload parameters other than `unload_dependents`: Triton's HandleRepositoryControl (HTTP) and RepositoryModelUnload
  (gRPC) read `unload_dependents` alone and skip the rest. Before: 400 / INVALID_ARGUMENT naming them.
- A model unloaded (or whose load failed): Triton's ModelLifeCycle::GetModel keeps its version, not READY, so
  core's "Request for unknown model: " is followed by "'m' has no available versions" (NOT_FOUND) for no version,
  "'m' version 1 is not at ready state" (UNAVAILABLE: HTTP 503) for its version, "'m' version 2 is not found" for
  another; a name never served stays "'m' is not found". Before: "'m' is not found" for all.
- A gRPC stream's error answer: Triton's ModelStreamInferHandler sets the failed request's id on it ("repopulate the
  id so that client knows which request failed"). Before: the error alone.
- Held (checked, unchanged): HTTP's statistics parse strictly as Triton's ModelStatisticsResponse (protobuf's
  json_format, tritonclient's own proto) and equal gRPC's, after one inference: counts 1, one batch of size 1.

Expected values: the cited sources' texts and codes; NumPy on the inputs (x**3 + y); protobuf's own parser.
"""
from __future__ import annotations

import os
import queue
import shutil

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
import tritonclient.utils.shared_memory as shm
from google.protobuf import json_format
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from e2e.helpers import cube_net

from .models import write_model
from .test_stock_round24 import CEILING

X = np.array([[1, 2], [3, 4]], np.float32)
Y = np.array([[0.5, -1], [2, 0.25]], np.float32)
CUBE = X ** 3 + Y
MODEL = "r27_cube"  # this module's own model: unloaded and loaded here, never another module's
P = service_pb2.ModelRepositoryParameter


@pytest.fixture(scope="module")
def model(server, repo_dir, http):
    write_model(repo_dir, MODEL, cube_net(), {"kind": "eval"})
    http.load_model(MODEL)
    yield MODEL
    http.unload_model(MODEL)
    shutil.rmtree(repo_dir / MODEL)


@pytest.fixture(scope="module")
def stub(server):
    with grpc.insecure_channel(server.grpc_target) as ch:
        yield service_pb2_grpc.GRPCInferenceServiceStub(ch)


def inputs(mod) -> list:
    ins = [mod.InferInput("x", [2, 2], "FP32"), mod.InferInput("y", [2, 2], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    return ins


def refused(call) -> InferenceServerException:
    with pytest.raises(InferenceServerException) as e:
        call()
    return e.value


NOT_FOUND = {"http": "404", "grpc": "StatusCode.NOT_FOUND"}


# -- shared memory: Triton's codes -------------------------------------------------------------------------------

@pytest.mark.parametrize("proto", ["http", "grpc"])
def test_infer_naming_a_region_not_registered_is_not_found(http, grpc_, model, proto):
    c, mod = (http, httpclient) if proto == "http" else (grpc_, grpcclient)
    ins = inputs(mod)
    ins[0].set_shared_memory("r27_never", X.nbytes)
    e = refused(lambda: c.infer(model, ins))
    assert e.status() == NOT_FOUND[proto] and "Unable to find shared memory region: 'r27_never'" in e.message()
    out = mod.InferRequestedOutput("out")
    out.set_shared_memory("r27_never", CUBE.nbytes)
    e = refused(lambda: c.infer(model, inputs(mod), outputs=[out]))
    assert e.status() == NOT_FOUND[proto] and "Unable to find shared memory region: 'r27_never'" in e.message()
    np.testing.assert_array_equal(c.infer(model, inputs(mod)).as_numpy("out"), CUBE)  # (nothing else changed)


def test_registering_a_name_twice_is_already_exists(http, grpc_):
    key = f"/r27_twice_{os.getpid()}"
    h = shm.create_shared_memory_region("r27_twice", key, 64)
    try:
        for c, status in ((http, "400"), (grpc_, "StatusCode.ALREADY_EXISTS")):
            c.register_system_shared_memory("r27_twice", key, 64)
            e = refused(lambda: c.register_system_shared_memory("r27_twice", key, 64))
            assert e.status() == status and "shared memory region 'r27_twice' already in manager" in e.message()
            c.unregister_system_shared_memory("r27_twice")
    finally:
        shm.destroy_shared_memory_region(h)
    assert http.get_system_shared_memory_status() == []


# -- repository: unload parameters skipped, an unloaded model in Triton's words -----------------------------------

def test_unknown_unload_parameters_are_skipped_as_triton(server, http, stub, model):
    try:
        r = httpx.post(f"{server.url}/v2/repository/models/{model}/unload", timeout=CEILING,
                       json={"parameters": {"unload_dependents": False, "x": 1, "config": 5}})
        assert r.status_code == 200 and not http.is_model_ready(model), r.text
        http.load_model(model)
        stub.RepositoryModelUnload(service_pb2.RepositoryModelUnloadRequest(
            model_name=model, parameters={"x": P(string_param="y"), "config": P(int64_param=1)}), timeout=CEILING)
        assert not http.is_model_ready(model)
        http.load_model(model)
        # the one parameter Triton reads is still read as it reads it
        r = httpx.post(f"{server.url}/v2/repository/models/{model}/unload", timeout=CEILING,
                       json={"parameters": {"unload_dependents": "no", "x": 1}})
        assert r.status_code == 400 and "attempt to access JSON non-boolean as boolean" in r.json()["error"], r.text
        with pytest.raises(grpc.RpcError) as e:
            stub.RepositoryModelUnload(service_pb2.RepositoryModelUnloadRequest(
                model_name=model, parameters={"unload_dependents": P(int64_param=1), "x": P(string_param="y")}),
                timeout=CEILING)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "invalid value type for 'unload_dependents' parameter, expected bool_param." in e.value.details()
        assert http.is_model_ready(model)
    finally:
        http.load_model(model)


@pytest.mark.parametrize("proto", ["http", "grpc"])
def test_an_unloaded_model_answers_in_tritons_words(http, grpc_, model, proto):
    c, mod = (http, httpclient) if proto == "http" else (grpc_, grpcclient)
    unavailable = "503" if proto == "http" else "StatusCode.UNAVAILABLE"
    c.unload_model(model)
    try:
        for version, status, says in (("", NOT_FOUND[proto], f"'{model}' has no available versions"),
                                      ("1", unavailable, f"'{model}' version 1 is not at ready state"),
                                      ("2", NOT_FOUND[proto], f"'{model}' version 2 is not found")):
            for call in (lambda: c.get_model_metadata(model, version),
                         lambda: c.infer(model, inputs(mod), model_version=version),
                         lambda: c.get_inference_statistics(model, version)):
                e = refused(call)
                assert (e.status(), e.message()) == (status, "Request for unknown model: " + says)
            assert not c.is_model_ready(model, version)
        e = refused(lambda: c.get_model_metadata("r27_never_served"))  # (a name Triton never served)
        assert (e.status(), e.message()) == (NOT_FOUND[proto], "Request for unknown model: 'r27_never_served' is "
                                                              "not found")
    finally:
        c.load_model(model)
    np.testing.assert_array_equal(c.infer(model, inputs(mod), model_version="1").as_numpy("out"), CUBE)


# -- gRPC stream: an error carries its request's id -----------------------------------------------------------------

def test_stream_errors_carry_their_request_ids(grpc_, stub, model):
    def requests():
        yield service_pb2.ModelInferRequest(model_name="r27_never_served", id="e1")
        yield service_pb2.ModelInferRequest(model_name=model, id="e2")  # (no inputs)
        ok = service_pb2.ModelInferRequest(model_name=model, id="ok")
        for name, a in (("x", X), ("y", Y)):
            ok.inputs.add(name=name, datatype="FP32", shape=[2, 2])
            ok.raw_input_contents.append(a.tobytes())
        yield ok
    got = [(r.infer_response.id, r.error_message) for r in stub.ModelStreamInfer(requests(), timeout=CEILING)]
    assert [i for i, _ in got] == ["e1", "e2", "ok"], got
    assert "Request for unknown model: 'r27_never_served' is not found" in got[0][1] and "missing input" in got[1][1]
    assert got[2][1] == ""
    # tritonclient's stream: the errors reach the callback in order, the stream goes on
    answers: queue.Queue = queue.Queue()
    grpc_.start_stream(callback=lambda result, error: answers.put((result, error)))
    try:
        grpc_.async_stream_infer("r27_never_served", inputs(grpcclient), request_id="s1")
        grpc_.async_stream_infer(model, inputs(grpcclient), request_id="s2")
        (r1, e1), (r2, e2) = answers.get(timeout=CEILING), answers.get(timeout=CEILING)
    finally:
        grpc_.stop_stream()
    assert r1 is None and "'r27_never_served' is not found" in e1.message()
    assert e2 is None and r2.get_response().id == "s2"
    np.testing.assert_array_equal(r2.as_numpy("out"), CUBE)


# -- statistics: Triton's schema, both protocols ---------------------------------------------------------------------

def test_http_statistics_parse_as_tritons_proto_and_equal_grpcs(http, grpc_, model):
    http.unload_model(model)  # (a reload starts its statistics again)
    http.load_model(model)
    np.testing.assert_array_equal(http.infer(model, inputs(httpclient)).as_numpy("out"), CUBE)
    h = json_format.ParseDict(http.get_inference_statistics(model, "1"), service_pb2.ModelStatisticsResponse())
    g = grpc_.get_inference_statistics(model, "1")
    assert h == g, (h, g)
    (s,) = h.model_stats
    assert (s.name, s.version, s.inference_count, s.execution_count) == (model, "1", 1, 1)
    assert s.inference_stats.success.count == 1 and s.inference_stats.fail.count == 0 and s.last_inference > 0
    assert [b.batch_size for b in s.batch_stats] == [1] and s.batch_stats[0].compute_infer.count == 1
    assert list(s.memory_usage) == []
