"""Stock clients, round 20: tritonclient (HTTP and gRPC) on the OIP suite's real server (tests/oip/conftest.py,
one cpu worker). What these found (before the fixes):

- The request's `timeout` parameter (tritonclient's infer(timeout=µs)) bounded the whole job: a request still
  queued when it passed answered 504 / DEADLINE_EXCEEDED ("the deadline passed while the job was queued"), one
  running past it was stopped (504). Triton's timeout is its queue policy's: a request still queued then is
  rejected UNAVAILABLE "Request timeout expired" (triton-inference-server/core's dynamic batcher; HTTP 503,
  tritonclient.http raises it with status "503"), and a running request is never stopped by it. `timeout: 0` (Triton:
  no timeout) was refused 400.

Expected values: NumPy on the inputs (the slow model: 100 chained tanh(y @ x), summed, in float64)."""
from __future__ import annotations

import json
import threading
import time

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from e2e.helpers import X, Y, busy_worker, slow_input, wait_for_idle_pool

CEILING = 120  # s: an answer on a loaded machine
N = 256


def slow_expected(x: np.ndarray) -> float:
    """tests/e2e/helpers.slow_net(256, 100) in NumPy (float64)."""
    x = x.astype(np.float64)
    y = x
    for _ in range(100):
        y = np.tanh(y @ x)
    return float(y.sum())


def contracting_input() -> np.ndarray:
    """An input whose 100 tanh(y @ x) steps neither vanish (slow_input's do, to 2e-175) nor amplify float32's
    rounding: 0.97 I plus small noise."""
    noise = np.random.default_rng(1).standard_normal((N, N)) / (20 * np.sqrt(N))
    return (0.97 * np.eye(N) + noise).astype(np.float32)


def client(server, protocol: str):
    """tritonclient's client and module of `protocol`."""
    if protocol == "http":
        return httpclient.InferenceServerClient(server.url.removeprefix("http://"), network_timeout=CEILING), httpclient
    return grpcclient.InferenceServerClient(server.grpc_target), grpcclient


def slow_in(mod, x):
    i = mod.InferInput("x", [N, N], "FP32")
    i.set_data_from_numpy(x)
    return [i]


def occupy(server, jobs: int = 2) -> threading.Thread:
    """`jobs` slow requests from another client (their own connections) running and queued on the one worker."""
    def send():
        with httpx.Client(base_url=server.url, timeout=CEILING, headers={"authorization": "Bearer blocker"}) as c:
            threads = [threading.Thread(target=lambda: c.post(
                "/v2/models/slow/infer", content=head + x.tobytes(),
                headers={"Inference-Header-Content-Length": str(len(head))})) for _ in range(jobs)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    x = slow_input(N)
    head = json.dumps({"inputs": [{"name": "x", "shape": [N, N], "datatype": "FP32",
                                   "parameters": {"binary_data_size": x.nbytes}}]}).encode()
    t = threading.Thread(target=send, daemon=True)
    t.start()
    return t


@pytest.fixture
def pool(server):
    with httpx.Client(base_url=server.url, timeout=CEILING) as c:
        wait_for_idle_pool(c)
        yield c


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_a_timeout_passed_in_the_queue_is_tritons_unavailable(server, pool, protocol):
    """Queued behind another client's slow jobs past its 1 ms: Triton's rejection, on each protocol."""
    c, mod = client(server, protocol)
    blocker = occupy(server)
    try:
        busy_worker(pool)  # premise: the one worker runs a slow job, another queued behind it: the next one queues
        kw = {} if protocol == "http" else {"client_timeout": CEILING}
        with pytest.raises(InferenceServerException) as e:
            c.infer("slow", slow_in(mod, slow_input(N)), timeout=1000, **kw)
        assert e.value.message() == "Request timeout expired", str(e.value)
        assert e.value.status() == ("503" if protocol == "http" else "StatusCode.UNAVAILABLE"), str(e.value)
    finally:
        blocker.join(CEILING)
        c.close()


def test_a_timeout_passed_in_the_queue_over_plain_http_is_503(server, pool):
    """The v2 error body as Triton's: {"error": "Request timeout expired"} with 503."""
    x = slow_input(N)
    head = json.dumps({"inputs": [{"name": "x", "shape": [N, N], "datatype": "FP32",
                                   "parameters": {"binary_data_size": x.nbytes}}],
                       "parameters": {"timeout": 1000}}).encode()
    blocker = occupy(server)
    try:
        busy_worker(pool)
        r = pool.post("/v2/models/slow/infer", content=head + x.tobytes(),
                      headers={"Inference-Header-Content-Length": str(len(head))})
        assert (r.status_code, r.json()) == (503, {"error": "Request timeout expired"}), r.text
    finally:
        blocker.join(CEILING)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_a_timeout_never_stops_a_running_request(server, pool, protocol):
    """Idle server, 1 ms timeout, a job of ~100 matmuls: it runs at once and answers (it was 504: stopped)."""
    c, mod = client(server, protocol)
    x = contracting_input()
    try:
        kw = {} if protocol == "http" else {"client_timeout": CEILING}
        r = c.infer("slow", slow_in(mod, x), timeout=1000, **kw)
        np.testing.assert_allclose(r.as_numpy(r.get_response()["outputs"][0]["name"] if protocol == "http"
                                              else r.get_response().outputs[0].name), slow_expected(x), rtol=1e-3)
        r = c.infer("slow", slow_in(mod, x), timeout=0, **kw)  # Triton's "no timeout"
        assert r.get_response() is not None
    finally:
        c.close()


def test_the_grpc_call_deadline_still_bounds_the_job(server, pool):
    """client_timeout is the call's deadline (not Triton's queue timeout): DEADLINE_EXCEEDED, as before."""
    c = grpcclient.InferenceServerClient(server.grpc_target)
    try:
        with pytest.raises(InferenceServerException) as e:
            c.infer("slow", slow_in(grpcclient, slow_input(N)), client_timeout=0.001)
        assert e.value.status() == "StatusCode.DEADLINE_EXCEEDED", str(e.value)
    finally:
        c.close()


def test_the_grpc_health_check_names_the_inference_service(server):
    """grpc.health.v1 Check for `inference.GRPCInferenceService` (a probe naming the service it needs) was NOT_FOUND;
    Triton's Check answers its readiness whatever the name: SERVING once ready, as for the server ("") (an
    earlier test may leave the server briefly not ready: NOT_SERVING, then SERVING)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    with grpc.insecure_channel(server.grpc_target) as ch:
        check = health_pb2_grpc.HealthStub(ch).Check
        end = time.monotonic() + CEILING
        while True:
            got = [check(health_pb2.HealthCheckRequest(service=name), timeout=CEILING).status
                   for name in ("", "inference.GRPCInferenceService")]  # (NOT_FOUND raises)
            if got == [health_pb2.HealthCheckResponse.SERVING] * 2:
                break
            assert time.monotonic() < end, got
            time.sleep(0.1)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_a_priority_is_tritons_default_level_not_a_refusal(server, protocol):
    """infer(priority=) was refused 400 / INVALID_ARGUMENT; Triton takes a priority past the model's priority levels
    (none here) as the default level (core's InferenceRequest::SetPriority): answered, as any request."""
    c, mod = client(server, protocol)
    ins = [mod.InferInput("x", [2, 3], "FP32"), mod.InferInput("y", [3, 3], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    try:
        for p in (1, 7, 2 ** 40):
            r = c.infer("seed_grad", ins, priority=p)
            np.testing.assert_allclose(r.as_numpy("d/dx"), np.ones((2, 3)) @ Y.T, rtol=1e-6)  # d sum(x @ y) / dx
    finally:
        c.close()


# Triton's server reads a version string with C's stol (src/common.cc GetModelVersionFromString): its leading
# integer; none at all or a negative one is INVALID_ARG (400), a number the model has not NOT_FOUND (404)
@pytest.mark.parametrize("version, status, says", [
    ("01", 200, None), (" 1", 200, None), ("1.0", 200, None), ("1abc", 200, None),
    ("2", 404, "Request for unknown model: 'seed_grad' version 2 is not found"),
    ("0", 404, "Request for unknown model: 'seed_grad' version 0 is not found"),
    ("abc", 400, "failed to get model version from specified version string 'abc' (details: stol), version "
                 "should be an integral value > 0"),
    ("99999999999999999999", 400, "failed to get model version from specified version string"),
    ("9" * 5000, 400, "failed to get model version from specified version string"),  # (an int() of it raises)
    ("-1", 400, "invalid model version specified '-1' , version should be an integral value > 0"),
])
def test_model_versions_are_read_as_triton_reads_them(server, version, status, says):
    h = httpx.get(f"{server.url}/v2/models/seed_grad/versions/{version}", timeout=CEILING)
    assert h.status_code == status, h.text
    if says is None:
        assert h.json()["versions"] == ["1"]
    else:
        assert h.json()["error"].startswith(says), h.text
    g = grpcclient.InferenceServerClient(server.grpc_target)
    try:
        if says is None:
            assert g.get_model_metadata("seed_grad", version).versions == ["1"]
        else:
            with pytest.raises(InferenceServerException) as e:
                g.get_model_metadata("seed_grad", version)
            assert e.value.status() == ("StatusCode.NOT_FOUND" if status == 404 else "StatusCode.INVALID_ARGUMENT")
            assert e.value.message().startswith(says), str(e.value)
    finally:
        g.close()
