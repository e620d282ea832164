"""Per-call options of the SDK's job methods against a real server: `timeout=` (this call's, over the
client's) and the request id on every error raised from a server error, over HTTP and gRPC."""
from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from e2e.helpers import matmul_net

import gradserve as gs
from engine import GraphBuilder
from engine.serialize import graph_to_json
from gradserve import errors

from .conftest import RealServer

F32 = np.float32
N = 512  # the slow job: K chained (N x N) matmuls, K = 600 (160 GFLOP) or more, until it takes over 10 x TIMEOUT
TIMEOUT = 0.05  # far below the job: what a timed-out call must not outlast
MEASURE_S = 150  # what the measured run may take on a loaded box: its deadline and the client's wait


def _slow_graph(k: int) -> dict:
    """f(x, w) = sum(x * x) * sum(tanh(w @ w ... )): small x (so hessian and jacobian are small), heavy w."""
    gb = GraphBuilder("slow")
    x, w = gb.input((2,), name="x"), gb.input((N, N), name="w")
    y = w
    for _ in range(k):
        y = gb.tanh(gb.matmul(y, w))
    return graph_to_json(gb.build(gb.mul(gb.sum(gb.mul(x, x)), gb.sum(y))))


X2 = np.array([0.5, -1.5], F32)
W = ((np.random.default_rng(0).random((N, N), dtype=F32) - 0.5) / N).astype(F32)

# every job method, with what it needs beyond (graph, inputs)
JOBS = {
    "eval": ((), {}),
    "grad": ((), {"grad_position": 0}),
    "jvp": (([np.ones(2, F32)],), {"positions": 0}),
    "vjp": ((np.ones((), F32),), {}),
    "jacobian": ((), {"positions": 0}),
    "hessian": ((), {"positions": 0}),
    "hvp": (([np.ones(2, F32)],), {"positions": 0}),
}


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """Its own server: the timed-out jobs still run there, queued (a queue that holds them all)."""
    s = RealServer(tmp_path_factory.mktemp("timeout-server") / "server.log", env={"GRADSERVE_QUEUE_SIZE": "32"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def slow_graph_id(slow_server) -> str:
    """A graph whose eval (measured, without a per-call timeout) takes over 10 x TIMEOUT on this machine."""
    with gs.Client(slow_server.url, max_retries=0) as c:
        for k in (600, 2400, 9600):
            gid = c.register_graph(_slow_graph(k))
            t0 = time.monotonic()
            # (the server's default deadline, 30 s, and the client's 60 s: 600 products outlasted both at load ~20)
            out = c.eval(gid, [X2, W], device="cpu", deadline_ms=MEASURE_S * 1000, timeout=MEASURE_S)
            took = time.monotonic() - t0
            if took > 10 * TIMEOUT:
                break
    assert np.isfinite(np.asarray(out.value)).all()
    assert took > 10 * TIMEOUT, f"the slow job took only {took:.2f} s: not slow enough to test a timeout with"
    return gid


@pytest.mark.parametrize("method", sorted(JOBS))
def test_per_call_timeout_sync(method, slow_server, slow_graph_id):
    extra, kw = JOBS[method]
    with gs.Client(slow_server.url, max_retries=0, timeout=60.0) as c:
        t0 = time.monotonic()
        with pytest.raises(errors.APITimeoutError) as ei:
            getattr(c, method)(slow_graph_id, [X2, W], *extra, device="cpu", timeout=TIMEOUT, **kw)
        assert time.monotonic() - t0 < 30  # the client gave up: not the client's 60 s
    assert ei.value.request_id  # the id the call was sent with: the server's logs know the abandoned job by it


@pytest.mark.parametrize("method", sorted(JOBS))
def test_per_call_timeout_async(method, slow_server, slow_graph_id):
    extra, kw = JOBS[method]

    async def main():
        async with gs.AsyncClient(slow_server.url, max_retries=0, timeout=60.0) as c:
            with pytest.raises(errors.APITimeoutError):
                await getattr(c, method)(slow_graph_id, [X2, W], *extra, device="cpu", timeout=TIMEOUT, **kw)

    asyncio.run(main())


def test_per_call_timeout_grpc(slow_server, slow_graph_id):
    with gs.Client(f"grpc://{slow_server.grpc_target}", max_retries=0, timeout=60.0,
                   headers={"X-Request-ID": "typing-grpc-timeout"}) as c:
        with pytest.raises(errors.APITimeoutError) as ei:
            c.grad(slow_graph_id, [X2, W], grad_position=0, device="cpu", timeout=TIMEOUT)
    assert ei.value.request_id == "typing-grpc-timeout"


# -- the request id on every error ---------------------------------------------------------------------
X = np.ones((2, 3), F32)
Y = np.ones((3, 3), F32)


def _shape_error(c):
    c.eval(matmul_net(), [np.ones((2, 4), F32), Y])  # (2,4) @ (3,3)


def _unknown_op(c):
    g = matmul_net()
    g["nodes"][-1]["op"] = "no_such_op"
    c.eval(g, [X, Y])


def _graph_not_found(c):
    c.get_graph("sha256:" + "0" * 64)


def _bad_position(c):
    c.grad(matmul_net(), [X, Y], grad_position=7)


FAILURES = {"shape_error": (_shape_error, errors.InvalidRequest), "unknown_op": (_unknown_op, errors.InvalidRequest),
            "graph_not_found": (_graph_not_found, errors.NotFound),
            "bad_position": (_bad_position, errors.APIStatusError)}


def _url(server, proto: str) -> str:
    return server.url if proto == "http" else f"grpc://{server.grpc_target}"


@pytest.mark.parametrize("proto", ["http", "grpc"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_error_carries_the_request_id_it_was_sent(failure, proto, real_server):
    fn, cls = FAILURES[failure]
    rid = f"typing-{failure}-{proto}"
    with gs.Client(_url(real_server, proto), max_retries=0, headers={"X-Request-ID": rid}) as c:
        with pytest.raises(cls) as ei:
            fn(c)
    assert ei.value.request_id == rid, (ei.value, ei.value.detail)


@pytest.mark.parametrize("proto", ["http", "grpc"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_error_carries_the_request_id_of_the_call(failure, proto, real_server):
    """No id given: the one the SDK made up for the call, which the server used (its error body says so)."""
    fn, cls = FAILURES[failure]
    with gs.Client(_url(real_server, proto), max_retries=0) as c:
        with pytest.raises(cls) as ei:
            fn(c)
    rid = ei.value.request_id
    assert isinstance(rid, str) and rid, (ei.value, ei.value.detail)
    assert ei.value.detail.get("request_id") == rid, (ei.value, ei.value.detail)


def test_async_error_carries_the_request_id(real_server):
    async def main():
        async with gs.AsyncClient(real_server.url, max_retries=0, headers={"X-Request-ID": "typing-async"}) as c:
            with pytest.raises(errors.InvalidRequest) as ei:
                await c.eval(matmul_net(), [np.ones((2, 4), F32), Y])
        return ei.value

    assert asyncio.run(main()).request_id == "typing-async"
