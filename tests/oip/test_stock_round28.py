"""Stock clients, round 28, on the OIP suite's real server (tests/oip/conftest.py), with tritonclient 2.41 (`http`,
`grpc` and their asyncio clients) and Triton requests in their wire form (its own `service_pb2` stub).

- Triton's sequence parameters on a model without a sequence batcher: Triton's frontends read `sequence_id` (HTTP an
  unsigned integer, else a string; gRPC an int64_param or a string_param) and `sequence_start` / `sequence_end`
  (bools) with those types checked (server src/http_server.cc ParseJsonTritonParams, src/grpc/infer_handler.cc
  SetInferenceRequestMetadata), and core checks a correlation ID only under `sequence_batching` (core
  src/infer_request.cc): the request runs as any other. Before: 400 / INVALID_ARGUMENT naming them.
- Custom request parameters: Triton sets a string / int / bool / double as the request's parameter for the backend
  (HTTP: another JSON type `parameter 'k' has invalid type. It should be either 'int', 'bool', or 'string'.`; gRPC:
  `invalid value type for 'k' parameter, expected int64_param, bool_param, or string_param.`), and refuses keys
  starting with `triton_` (gRPC: but `triton_enable_empty_final_response`). Before: 400 / INVALID_ARGUMENT naming
  any of them.
- Registering a system shared memory region whose key does not exist: Triton's OpenSharedMemoryRegion text
  `Unable to open shared memory region: '<key>'` (its INTERNAL, a 500: a 400 here, the fault is the request's, as
  the lead chose in round 26). Before: our words only.
- Held (checked, unchanged): tritonclient's asyncio clients, every call; a gRPC stream with many requests in flight
  and one failing; requested outputs by name in another order, a subset, class_count on a jvp's output.

Expected values: the cited sources' texts and codes; NumPy on the inputs (x**3 + y; sin(x) + cos(y) and its jvp
cos(x) t0 - sin(y) t1).
"""
from __future__ import annotations

import asyncio
import os
import queue

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as grpcaio
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from .test_stock_round24 import CEILING

X = np.array([[1, 2], [3, 4]], np.float32)
Y = np.array([[0.5, -1], [2, 0.25]], np.float32)
CUBE = X ** 3 + Y  # seed_cube_eval
JX, JY = np.array([0.1, 1.0, -2.0], np.float32), np.array([0.3, -0.7, 2.5], np.float32)
T0, T1 = np.array([1.0, 0.5, -1.0], np.float32), np.array([2.0, 0.0, 1.5], np.float32)
JOUT = np.sin(JX) + np.cos(JY)  # seed_jvp: F = sin(x) + cos(y), inputs x, y, t0, t1
JVP = np.cos(JX) * T0 - np.sin(JY) * T1
PROTOS = {"http": httpclient, "grpc": grpcclient}
INVALID = {"http": "400", "grpc": "StatusCode.INVALID_ARGUMENT"}


@pytest.fixture(scope="module")
def stub(server):
    with grpc.insecure_channel(server.grpc_target) as ch:
        yield service_pb2_grpc.GRPCInferenceServiceStub(ch)


def cube_inputs(mod) -> list:
    ins = [mod.InferInput("x", [2, 2], "FP32"), mod.InferInput("y", [2, 2], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    return ins


def jvp_inputs(mod) -> list:
    ins = []
    for name, a in (("x", JX), ("y", JY), ("t0", T0), ("t1", T1)):
        ins.append(mod.InferInput(name, [3], "FP32"))
        ins[-1].set_data_from_numpy(a)
    return ins


def client(proto, http, grpc_):
    return (http if proto == "http" else grpc_), PROTOS[proto]


def refused(call) -> InferenceServerException:
    with pytest.raises(InferenceServerException) as e:
        call()
    return e.value


def cube_request(**params) -> service_pb2.ModelInferRequest:
    r = service_pb2.ModelInferRequest(model_name="seed_cube_eval")
    for name, a in (("x", X), ("y", Y)):
        r.inputs.add(name=name, datatype="FP32", shape=[2, 2])
        r.raw_input_contents.append(a.tobytes())
    for k, (kind, v) in params.items():
        setattr(r.parameters[k], kind, v)
    return r


def grpc_refusal(stub, **params) -> str:
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(cube_request(**params), timeout=CEILING)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value.details()
    return e.value.details()


def http_refusal(server, params: dict) -> str:
    body = {"inputs": [{"name": n, "shape": [2, 2], "datatype": "FP32", "data": a.ravel().tolist()}
                       for n, a in (("x", X), ("y", Y))], "parameters": params}
    r = httpx.post(f"{server.url}/v2/models/seed_cube_eval/infer", json=body, timeout=CEILING)
    assert r.status_code == 400, r.text
    return r.json()["error"]


# -- request parameters: Triton's for a model without a sequence batcher ----------------------------------------------

@pytest.mark.parametrize("proto", PROTOS)
def test_sequence_parameters_are_taken_as_for_a_model_without_a_sequence_batcher(http, grpc_, proto):
    c, mod = client(proto, http, grpc_)
    for kw in (dict(sequence_id=7, sequence_start=True), dict(sequence_id=7), dict(sequence_id=7, sequence_end=True),
               dict(sequence_id="a-string-id", sequence_start=True, sequence_end=True)):
        r = c.infer("seed_cube_eval", cube_inputs(mod), **kw)
        np.testing.assert_allclose(r.as_numpy("out"), CUBE, rtol=1e-6)  # (each stands alone: no state kept)


def test_sequence_parameters_of_the_wrong_type_in_tritons_words(server, stub):
    assert "Unable to parse 'sequence_start': attempt to access JSON non-boolean as boolean" in http_refusal(
        server, {"sequence_id": 7, "sequence_start": 1})
    assert "Unable to parse 'sequence_id'" in http_refusal(server, {"sequence_id": -1})
    assert "Unable to parse 'sequence_id'" in http_refusal(server, {"sequence_id": 1.5})
    assert ("invalid value type for 'sequence_id' parameter, expected int64_param or string_param."
            in grpc_refusal(stub, sequence_id=("double_param", 1.5)))
    assert ("invalid value type for 'sequence_end' parameter, expected bool_param."
            in grpc_refusal(stub, sequence_end=("int64_param", 1)))


@pytest.mark.parametrize("proto", PROTOS)
def test_custom_request_parameters_are_taken(http, grpc_, proto):
    c, mod = client(proto, http, grpc_)
    params = {"my_int": 3, "my_str": "s", "my_bool": True}
    if proto == "http":
        params["my_float"] = 0.5  # (tritonclient 2.41's gRPC refuses a float itself; its HTTP sends it)
    r = c.infer("seed_cube_eval", cube_inputs(mod), parameters=params)
    np.testing.assert_allclose(r.as_numpy("out"), CUBE, rtol=1e-6)
    e = refused(lambda: c.infer("seed_cube_eval", cube_inputs(mod), parameters={"triton_mine": 1}))
    assert e.status() == INVALID[proto] and "parameter keys starting with 'triton_' are reserved" in e.message()


def test_custom_request_parameters_of_a_type_triton_does_not_take(server, stub):
    assert ("parameter 'my_list' has invalid type. It should be either 'int', 'bool', or 'string'."
            in http_refusal(server, {"my_list": [1]}))
    assert "parameter 'my_obj' has invalid type" in http_refusal(server, {"my_obj": {"a": 1}})
    assert ("invalid value type for 'my_u64' parameter, expected int64_param, bool_param, or string_param."
            in grpc_refusal(stub, my_u64=("uint64_param", 1)))
    # gRPC takes a double_param (Triton's SetDoubleParameter) and the stream's flag on a unary call
    r = stub.ModelInfer(cube_request(my_double=("double_param", 0.5),
                                     triton_enable_empty_final_response=("bool_param", True)), timeout=CEILING)
    np.testing.assert_allclose(np.frombuffer(r.raw_output_contents[0], np.float32).reshape(2, 2), CUBE, rtol=1e-6)
    assert "triton_final_response" not in r.parameters  # (unary: one answer, Triton marks only a stream's)


# -- shared memory: a key that does not exist ------------------------------------------------------------------------

def test_registering_a_missing_key_names_it_in_tritons_words(http, grpc_):
    key = f"/r28_no_such_object_{os.getpid()}"
    for c, status in ((http, "400"), (grpc_, "StatusCode.INVALID_ARGUMENT")):
        e = refused(lambda: c.register_system_shared_memory("r28_missing", key, 64))
        assert e.status() == status and f"Unable to open shared memory region: '{key}'" in e.message()
    assert http.get_system_shared_memory_status() == []


# -- the clients' less-used paths ------------------------------------------------------------------------------------

@pytest.mark.parametrize("proto", PROTOS)
def test_requested_outputs_by_name_in_another_order_a_subset_and_classified(http, grpc_, proto):
    c, mod = client(proto, http, grpc_)
    r = c.infer("seed_jvp", jvp_inputs(mod), outputs=[mod.InferRequestedOutput("jvp"),
                                                      mod.InferRequestedOutput("out")])
    np.testing.assert_allclose(r.as_numpy("jvp"), JVP, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.as_numpy("out"), JOUT, rtol=1e-5, atol=1e-6)
    r = c.infer("seed_jvp", jvp_inputs(mod), outputs=[mod.InferRequestedOutput("jvp")])
    np.testing.assert_allclose(r.as_numpy("jvp"), JVP, rtol=1e-5, atol=1e-6)
    assert r.as_numpy("out") is None  # (not asked for: not sent)
    r = c.infer("seed_jvp", jvp_inputs(mod), outputs=[mod.InferRequestedOutput("jvp", class_count=2)])
    top = np.argsort(-JVP, kind="stable")[:2]
    got = [s.decode() if isinstance(s, bytes) else s for s in r.as_numpy("jvp")]
    assert [int(s.split(":")[1]) for s in got] == top.tolist(), got
    np.testing.assert_allclose([float(s.split(":")[0]) for s in got], JVP[top], rtol=1e-5)


def test_a_stream_with_many_requests_in_flight_and_one_failing(grpc_):
    answers: queue.Queue = queue.Queue()
    grpc_.start_stream(callback=lambda result, error: answers.put((result, error)))
    n, bad = 12, 5
    try:
        for i in range(n):  # all sent before the first answer is read
            grpc_.async_stream_infer("r28_never_served" if i == bad else "seed_jvp", jvp_inputs(grpcclient),
                                     request_id=f"s{i}")
        got = [answers.get(timeout=CEILING) for _ in range(n)]
    finally:
        grpc_.stop_stream()
    for i, (result, error) in enumerate(got):
        if i == bad:
            assert result is None and "Request for unknown model: 'r28_never_served' is not found" in error.message()
            continue
        assert error is None and result.get_response().id == f"s{i}"  # (in order)
        np.testing.assert_allclose(result.as_numpy("jvp"), JVP, rtol=1e-5, atol=1e-6)


def test_asyncio_clients_every_call(server):
    """tritonclient's http.aio and grpc.aio: each call a user makes, with the sync clients' answers."""
    async def calls(c, mod):
        assert await c.is_server_live() and await c.is_server_ready()
        assert await c.is_model_ready("seed_cube_eval") and not await c.is_model_ready("r28_never_served")
        md, cfg = await c.get_model_metadata("seed_cube_eval"), await c.get_model_config("seed_cube_eval")
        index, stats = await c.get_model_repository_index(), await c.get_inference_statistics("seed_cube_eval")
        await c.load_model("seed_cube_eval")  # (unchanged on disk: kept as it is)
        await c.update_trace_settings(model_name="seed_cube_eval", settings={"trace_rate": "7"})
        trace = await c.get_trace_settings(model_name="seed_cube_eval")
        await c.update_trace_settings(model_name="seed_cube_eval", settings={"trace_rate": None})
        await c.update_log_settings({"log_info": True})
        logs = await c.get_log_settings()
        shm_status = await c.get_system_shared_memory_status(), await c.get_cuda_shared_memory_status()
        await c.unregister_system_shared_memory()
        await c.unregister_cuda_shared_memory()
        r = await c.infer("seed_cube_eval", cube_inputs(mod), request_id="aio", sequence_id=3, sequence_start=True,
                          parameters={"k": "v"})
        e = None
        try:
            await c.infer("seed_cube_eval", cube_inputs(mod)[:1])
        except InferenceServerException as err:
            e = err
        return md, cfg, index, stats, trace, logs, shm_status, r, e

    async def run():
        h = httpaio.InferenceServerClient(server.url.removeprefix("http://"))
        g = grpcaio.InferenceServerClient(server.grpc_target)
        try:
            return await calls(h, httpclient), await calls(g, grpcclient)
        finally:
            await h.close()
            await g.close()

    (md, cfg, index, stats, trace, logs, shm_status, r, e), gr = asyncio.run(asyncio.wait_for(run(), CEILING))
    assert [t["name"] for t in md["inputs"]] == ["x", "y"] and cfg["max_batch_size"] == 0
    assert [t["dims"] for t in cfg["input"]] == [[2, 2], [2, 2]]
    assert "seed_cube_eval" in {m["name"] for m in index} and stats["model_stats"][0]["name"] == "seed_cube_eval"
    assert trace["trace_rate"] == "7" and logs["log_info"] is True and shm_status == ([], [])
    assert r.get_response()["id"] == "aio" and "missing input" in e.message() and e.status() == "400"
    np.testing.assert_allclose(r.as_numpy("out"), CUBE, rtol=1e-6)
    md, cfg, index, stats, trace, logs, shm_status, r, e = gr
    assert [t.name for t in md.inputs] == ["x", "y"] and cfg.config.max_batch_size == 0
    assert [list(t.dims) for t in cfg.config.input] == [[2, 2], [2, 2]]
    assert "seed_cube_eval" in {m.name for m in index.models} and stats.model_stats[0].name == "seed_cube_eval"
    assert trace.settings["trace_rate"].value == ["7"] and logs.settings["log_info"].bool_param is True
    assert list(shm_status[0].regions) == [] and list(shm_status[1].regions) == []
    assert r.get_response().id == "aio" and "missing input" in e.message()
    assert e.status() == "StatusCode.INVALID_ARGUMENT"
    np.testing.assert_allclose(r.as_numpy("out"), CUBE, rtol=1e-6)


def test_asyncio_stream_with_one_failing(server):
    """grpc.aio's stream_infer: every request yielded before an answer is read, the failing one answered in its
    place with its error (tritonclient turns the error_message into InferenceServerException), the rest go on."""
    names = ["seed_jvp"] * 3 + ["r28_never_served"] + ["seed_jvp"] * 3

    async def run():
        g = grpcaio.InferenceServerClient(server.grpc_target)
        try:
            async def requests():
                for i, name in enumerate(names):
                    yield {"model_name": name, "inputs": jvp_inputs(grpcclient), "request_id": f"a{i}"}
            got = []
            async for result, error in g.stream_infer(requests()):
                got.append((result, error))
                if len(got) == len(names):
                    break
            return got
        finally:
            await g.close()

    got = asyncio.run(asyncio.wait_for(run(), CEILING))
    for i, (result, error) in enumerate(got):
        if names[i] != "seed_jvp":
            assert result is None and "'r28_never_served' is not found" in error.message()
            continue
        assert error is None and result.get_response().id == f"a{i}"
        np.testing.assert_allclose(result.as_numpy("jvp"), JVP, rtol=1e-5, atol=1e-6)
