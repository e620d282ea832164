"""Stock clients, round 23: round 22's leftovers (KServe V1 instances one job each; Triton's log settings applied
one at a time; trace_mode) and more real third-party clients end to end, on the OIP suite's real server
(tests/oip/conftest.py). What these found (before the fixes):

- KServe V1: each instance of a predict request was its own job, run one after another (n executions); now the
  instances run as one job of vmap(the model's derived graph) (Triton's statistics: n inferences, 1 execution),
  the answers the same bytes as one instance alone, in order; a missing input named no instance.
- Triton's log settings: a request refused at one setting changed nothing here; Triton's HandleLogging (HTTP) and
  LogSettings (gRPC) apply each setting before reading the next, so those before the refused one stay applied.
  gRPC's texts differ from HTTP's: "invalid argument for log_format, got: xml" is INVALID_ARG there (was
  UNAVAILABLE with HTTP's "--log_format"), a value of the wrong kind "expect boolean for 'log_info'"; HTTP's is
  TritonJson's "attempt to access JSON non-boolean as boolean".
- trace_mode: refused with a text made up to look like Triton's; Triton reads no trace_mode from a request (it
  skips the name, whatever its value). The mode in use ('triton') is now taken; another is refused, saying so.

Expected values: Triton 2.41's source (server src/http_server.cc HandleLogging / HandleTrace, src/grpc/grpc_server.cc
LogSettings / TraceSetting; common's triton_json.h texts), KServe's V1 protocol (instances in, predictions out in
order), and the math of each model written here (NumPy); UM-Bridge's values derived by hand.
"""
from __future__ import annotations

import asyncio
import queue

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as grpcaio
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
import umbridge
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from e2e.helpers import DX, X, Y

CEILING = 120  # s
LOG_DEFAULT = {"log_file": "", "log_info": True, "log_warning": True, "log_error": True, "log_verbose_level": 0,
               "log_format": "default"}  # Triton's defaults


def stats(server, model: str) -> tuple[int, int]:
    s = httpx.get(f"{server.url}/v2/models/{model}/stats", timeout=CEILING).json()["model_stats"][0]
    return s["inference_count"], s["execution_count"]


def predict(server, model: str, instances) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/models/{model}:predict", json={"instances": instances}, timeout=CEILING)


# -- KServe V1: the instances as one job -----------------------------------------------------------------------------

def test_v1_instances_run_as_one_job_with_the_same_answers(server):
    """counted: x**3 + y of (2, 2) float32 inputs. Five instances: five inferences in ONE execution (Triton's
    statistics of a batch), each prediction NumPy's and byte for byte what the instance alone answers."""
    rng = np.random.default_rng(23)
    xs = [(rng.normal(size=(2, 2)).astype(np.float32), rng.normal(size=(2, 2)).astype(np.float32)) for _ in range(5)]
    rows = [{"x": x.tolist(), "y": y.tolist()} for x, y in xs]
    before = stats(server, "counted")
    r = predict(server, "counted", rows)
    assert r.status_code == 200, r.text
    assert stats(server, "counted") == (before[0] + 5, before[1] + 1)
    got = r.json()["predictions"]
    for (x, y), p in zip(xs, got):
        np.testing.assert_allclose(np.array(p, np.float32), x ** 3 + y, rtol=1e-6)
    alone = [predict(server, "counted", [row]).json()["predictions"][0] for row in rows]
    assert got == alone


def test_v1_more_instances_than_max_batch_run_in_batches(server):
    """logpost (grad of -0.5 |theta - mu|^2: mu - theta): 70 instances, max_batch 64: two executions, in order."""
    thetas = np.linspace(-3, 3, 140).reshape(70, 2)
    before = stats(server, "logpost")
    r = predict(server, "logpost", thetas.tolist())
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(np.array(r.json()["predictions"]), np.array([1.0, -2.0]) - thetas, rtol=1e-12)
    assert stats(server, "logpost") == (before[0] + 70, before[1] + 2)


def test_v1_seed_grad_batch_and_a_bad_instance_names_its_index(server):
    rows = [{"x": X.tolist(), "y": Y.tolist()}] * 3
    r = predict(server, "seed_grad", rows)
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(np.array(r.json()["predictions"]), np.stack([DX] * 3), rtol=1e-6)
    before = stats(server, "seed_grad")
    r = predict(server, "seed_grad", rows[:2] + [{"x": X.tolist()}])  # instance 2 lacks y: nothing runs
    assert r.status_code == 400 and "missing input(s) ['y']" in r.json()["error"], r.text
    assert r.json()["error"].endswith("(at $.instances[2])"), r.text
    assert stats(server, "seed_grad")[0] == before[0]


class _Admission:
    def __init__(self, log):
        self.core, self.log = object(), log

    def release(self):
        if self.core is not None:
            self.log.append("release")
        self.core = None


class _FailingBatchCore:
    """A stand-in for service.core.Core: its stacked job fails as a worker's would (a limit), its single jobs
    answer their instance's number, instance 2's refused."""

    def __init__(self):
        self.log: list = []

    def admit(self, client):
        self.log.append("admit")
        return _Admission(self.log)

    async def run_stacked(self, reqs, admission):
        from service.errors import LimitExceeded
        admission.release()  # (in a pool, then failed)
        raise LimitExceeded("the batch's plan is over max_work")

    async def run(self, req, admission):
        from service.errors import InvalidRequest
        admission.release()
        if req == 2:
            raise InvalidRequest("a value the model refuses", path="$.inputs[0]")
        return req


def test_v1_batch_failure_runs_each_instance_alone_and_names_the_failing_one():
    from service.errors import ServiceError
    from service.kserve_v1 import run_instances

    class Model:
        @staticmethod
        def job(arrays, core):
            class Req(int):
                client = ""
            return Req(arrays)

    async def never():
        await asyncio.Event().wait()

    async def go(values):
        core, results = _FailingBatchCore(), []
        adm = core.admit("c")
        try:
            await run_instances(core, Model, values, "c", adm, never, 64, results)
        except ServiceError as e:
            return e, results, core.log
        return None, results, core.log
    err, got, log = asyncio.run(go([0, 1, 3]))
    assert err is None and got == [0, 1, 3], (err, got)  # each alone, in order
    assert log.count("admit") == log.count("release"), log  # every place given back
    err, got, log = asyncio.run(go([0, 1, 2, 3]))
    assert isinstance(err, ServiceError) and err.located_message == "a value the model refuses (at $.instances[2])"
    assert got == [0, 1], got  # (the answers before it kept: the model's statistics count them)
    assert log.count("admit") == log.count("release"), log


# -- Triton's log settings: applied one at a time, in Triton's order ---------------------------------------------------

@pytest.fixture
def log_restored(http):
    yield
    http.update_log_settings(LOG_DEFAULT | {"log_file": None})


def test_http_log_settings_before_the_refused_one_stay_applied(server, http, log_restored):
    """HandleLogging reads log_info, log_warning, log_error, log_verbose_level, log_format in that order, applying each:
    a bad log_format (UNAVAILABLE, 503) leaves the four before it applied."""
    with pytest.raises(InferenceServerException) as e:
        http.update_log_settings({"log_format": "xml", "log_info": False, "log_verbose_level": 3})
    assert e.value.status() == "503" and "invalid argument for --log_format, got: xml" in e.value.message()
    assert http.get_log_settings() == LOG_DEFAULT | {"log_info": False, "log_verbose_level": 3}
    r = httpx.post(f"{server.url}/v2/logging", json={"log_error": False, "log_warning": "yes", "log_info": True},
                   timeout=CEILING)
    assert r.status_code == 400 and "attempt to access JSON non-boolean as boolean" in r.json()["error"], r.text
    assert "log_warning" in r.json()["error"], r.text  # (where: ours names it)
    got = http.get_log_settings()  # log_info read and applied before log_warning, log_error after it: not
    assert got == LOG_DEFAULT | {"log_verbose_level": 3}, got
    r = httpx.post(f"{server.url}/v2/logging", json={"log_verbose_level": -1}, timeout=CEILING)
    assert "attempt to access JSON non-unsigned-integer as unsigned-integer" in r.json()["error"], r.text


def test_grpc_log_settings_before_the_refused_one_stay_applied(server, http, grpc_, log_restored):
    """LogSettings: the same order; a bad log_format is INVALID_ARG "invalid argument for log_format, got: xml",
    a value of the wrong kind "expect boolean for 'log_warning'" (grpc_server.cc)."""
    with pytest.raises(InferenceServerException) as e:
        grpc_.update_log_settings({"log_format": "xml", "log_error": False})
    assert e.value.status() == "StatusCode.INVALID_ARGUMENT", str(e.value)
    assert "invalid argument for log_format, got: xml" in e.value.message(), str(e.value)
    assert http.get_log_settings() == LOG_DEFAULT | {"log_error": False}
    V = service_pb2.LogSettingsRequest.SettingValue
    with grpc.insecure_channel(server.grpc_target) as ch:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(ch)
        for settings, says in [({"log_info": V(bool_param=False), "log_warning": V(string_param="yes")},
                                "expect boolean for 'log_warning'"),
                               ({"log_verbose_level": V(bool_param=True)}, "expect int32 for 'log_verbose_level'"),
                               ({"log_format": V(uint32_param=1)}, "expect string for 'log_format'")]:
            with pytest.raises(grpc.RpcError) as e:
                stub.LogSettings(service_pb2.LogSettingsRequest(settings=settings), timeout=CEILING)
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and says in e.value.details(), e.value
    assert http.get_log_settings() == LOG_DEFAULT | {"log_error": False, "log_info": False}


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_trace_mode_in_use_is_taken_another_refused(http, grpc_, protocol):
    """Triton reads no trace_mode from a request. The mode in use ('triton') is taken with the rest; another is
    refused naming trace_mode (Triton would answer 200 and keep its mode), nothing changed."""
    c = http if protocol == "http" else grpc_
    try:
        c.update_trace_settings(settings={"trace_mode": "triton", "trace_rate": "5"})
        assert http.get_trace_settings()["trace_rate"] == "5"
        with pytest.raises(InferenceServerException) as e:
            c.update_trace_settings(settings={"trace_mode": "opentelemetry", "trace_rate": "7"})
        assert "trace_mode can not be updated through network protocol" in e.value.message(), str(e.value)
        assert http.get_trace_settings()["trace_rate"] == "5"
    finally:
        http.update_trace_settings(settings={"trace_rate": None})


# -- the umbridge package's own client, every call, with a config --------------------------------------------------------

def test_umbridge_client_every_call_with_config(server):
    """um: f(x, y) = (sin(x) y, x^2 y). Derived by hand: d out0/dx = cos(x) y, d out1/dy = x^2,
    d out1/dx = 2 x y; Hessian-vector of <s, out0> in x, x: -sin(x) y s v; of <s, out1> in y then x: 2 x s v."""
    m = umbridge.HTTPModel(server.url + "/umbridge", "um")
    cfg = {"device": "cpu"}
    x, y = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0])
    s, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, -0.25])
    p = [x.tolist(), y.tolist()]
    assert m.get_input_sizes(cfg) == [3, 3] and m.get_output_sizes(cfg) == [3, 3]
    assert m.supports_evaluate() and m.supports_gradient() and m.supports_apply_jacobian()
    assert m.supports_apply_hessian()
    out = m(p, cfg)
    np.testing.assert_allclose(out[0], np.sin(x) * y, rtol=1e-14)
    np.testing.assert_allclose(out[1], x * x * y, rtol=1e-14)
    np.testing.assert_allclose(m.gradient(0, 0, p, s.tolist(), cfg), s * np.cos(x) * y, rtol=1e-14)
    np.testing.assert_allclose(m.gradient(1, 1, p, s.tolist()), s * x * x, rtol=1e-14)
    np.testing.assert_allclose(m.apply_jacobian(1, 0, p, v.tolist(), cfg), 2 * x * y * v, rtol=1e-14)
    np.testing.assert_allclose(m.apply_hessian(0, 0, 0, p, s.tolist(), v.tolist(), cfg), -np.sin(x) * y * s * v,
                               rtol=1e-14)
    np.testing.assert_allclose(m.apply_hessian(1, 1, 0, p, s.tolist(), v.tolist()), 2 * x * s * v, rtol=1e-14)


# -- tritonclient: asyncio variants, streaming (decoupled off), class_count as binary data, system shm ----------------

def top(a: np.ndarray, k: int) -> list[str]:
    """Triton's classification text of the k largest of a flattened FP32 tensor: "%f:index", ties lower index first."""
    flat = a.ravel()
    return [f"{flat[i]:f}:{i}" for i in sorted(range(flat.size), key=lambda i: (-flat[i], i))[:k]]


def seed_inputs(mod) -> list:
    a, b = mod.InferInput("x", [2, 3], "FP32"), mod.InferInput("y", [3, 3], "FP32")
    a.set_data_from_numpy(X)
    b.set_data_from_numpy(Y)
    return [a, b]


def test_asyncio_clients_class_count_and_stream(server):
    async def go():
        h = httpaio.InferenceServerClient(server.url.removeprefix("http://"))
        g = grpcaio.InferenceServerClient(server.grpc_target)
        try:
            r = await h.infer("seed_grad", seed_inputs(httpaio),
                              outputs=[httpaio.InferRequestedOutput("d/dx", binary_data=True, class_count=2)])
            assert r.get_output("d/dx")["parameters"]["binary_data_size"] > 0
            assert [t.decode() for t in r.as_numpy("d/dx")] == top(DX, 2)
            r = await g.infer("seed_grad", seed_inputs(grpcaio),
                              outputs=[grpcaio.InferRequestedOutput("d/dx", class_count=3)])
            assert [t.decode() for t in r.as_numpy("d/dx")] == top(DX, 3)

            async def requests():
                for i in range(3):
                    yield {"model_name": "seed_grad", "inputs": seed_inputs(grpcaio), "request_id": f"a{i}"}
            got = [(res.get_response().id, res.as_numpy("d/dx"), err) async for res, err in g.stream_infer(requests())]
            assert [i for i, _, _ in got] == ["a0", "a1", "a2"] and all(e is None for _, _, e in got), got
            for _, a, _ in got:
                np.testing.assert_allclose(a, DX, rtol=1e-6)
        finally:
            await h.close()
            await g.close()
    asyncio.run(go())


def test_grpc_stream_decoupled_off_one_answer_each_in_order(grpc_):
    answers: queue.Queue = queue.Queue()
    grpc_.start_stream(callback=lambda result, error: answers.put((result, error)))
    try:
        for i in range(3):
            grpc_.async_stream_infer("seed_grad", seed_inputs(grpcclient), request_id=f"s{i}",
                                     outputs=[grpcclient.InferRequestedOutput("d/dx", class_count=1)])
        got = [answers.get(timeout=CEILING) for _ in range(3)]
    finally:
        grpc_.stop_stream()
    assert [(r.get_response().id, e) for r, e in got] == [("s0", None), ("s1", None), ("s2", None)]
    assert all([t.decode() for t in r.as_numpy("d/dx")] == top(DX, 1) for r, _ in got)
    assert answers.empty()  # (decoupled off: no final empty response, nothing more)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_system_shared_memory_through_the_clients_utils(http, grpc_, protocol):
    import tritonclient.utils.shared_memory as shm

    c, mod = (http, httpclient) if protocol == "http" else (grpc_, grpcclient)
    key = f"/stock_round23_{protocol}"  # (not gs_: the server refuses its own prefixes)
    hin = shm.create_shared_memory_region(f"in23{protocol}", key + "_in", X.nbytes + Y.nbytes)
    hout = shm.create_shared_memory_region(f"out23{protocol}", key + "_out", DX.nbytes)
    try:
        shm.set_shared_memory_region(hin, [X, Y])
        c.register_system_shared_memory(f"in23{protocol}", key + "_in", X.nbytes + Y.nbytes)
        c.register_system_shared_memory(f"out23{protocol}", key + "_out", DX.nbytes)
        a, b = seed_inputs(mod)
        a.set_shared_memory(f"in23{protocol}", X.nbytes)
        b.set_shared_memory(f"in23{protocol}", Y.nbytes, offset=X.nbytes)
        o = mod.InferRequestedOutput("d/dx")
        o.set_shared_memory(f"out23{protocol}", DX.nbytes)
        c.infer("seed_grad", [a, b], outputs=[o])
        np.testing.assert_allclose(shm.get_contents_as_numpy(hout, np.float32, [2, 3]), DX, rtol=1e-6)
    finally:
        c.unregister_system_shared_memory(f"in23{protocol}")
        c.unregister_system_shared_memory(f"out23{protocol}")
        shm.destroy_shared_memory_region(hin)
        shm.destroy_shared_memory_region(hout)


# -- a KServe V2 request by plain httpx, as KServe's docs write it (nested "data", an "id") ----------------------------

def test_kserve_v2_request_as_kserves_docs_write_it(server):
    body = {"id": "42", "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.tolist()},
                                   {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.tolist()}]}
    r = httpx.post(f"{server.url}/v2/models/seed_grad/infer", json=body, timeout=CEILING)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["id"] == "42" and got["model_name"] == "seed_grad", got
    out = got["outputs"][0]
    assert out["name"] == "d/dx" and out["shape"] == [2, 3] and out["datatype"] == "FP32", out
    np.testing.assert_allclose(np.array(out["data"], np.float32).reshape(2, 3), DX, rtol=1e-6)
    assert httpx.get(f"{server.url}/v2/models/seed_grad/ready", timeout=CEILING).json() == {"name": "seed_grad",
                                                                                              "ready": True}
