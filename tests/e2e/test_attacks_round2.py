"""Attack replays, round 2: what round 1 (test_attacks*.py, test_fuzz_wire.py) left over, each against a real
server (2 cpu workers, API keys k1 / k2 as two clients, 2 s head and body timeouts, a compute budget of
1e9 operations a job, 8 shared-memory region places).

- compute bombs: a few hundred bytes asking for billions of operations (a matmul chain, one big matmul, a
  convolution, a broadcast chain, a derivative order) are refused before they run, 413 naming max_job_flops
  and the costliest node, over HTTP and gRPC; a job under the budget still runs, and right;
- a NaN / Infinity in the graph JSON: 400 naming its path; gRPC `order: 0`: refused, not read as unset; a
  repeated weight name: refused as a repeated position is;
- made shared-memory regions (POST /v2/systemsharedmemory/region/<name>/create): bad bodies, floods with
  lying pids (they once took every region place), and `shared_memory_generation` reused by another client
  over the same bytes: each client reads its own;
- the Unix socket: slow-loris heads, a half-closed client, a huge head; deeply nested JSON on every surface.

After each attack a canary job is answered right and no worker restarted (an attack refused before it runs
costs no worker). Waits are on answers with generous ceilings, never on tight sleeps."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import grpc
import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.proto import gradserve_pb2_grpc as pb_grpc

from . import grpc_wire as gw
from .helpers import X, Y, call, decode, error_of, matmul_net, metric
from .server import Server

F32 = np.float32
KEYS = ("k1", "k2")
FLOPS = 10 ** 9
ENV = {"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_QUEUE_SIZE": "2", "GRADSERVE_API_KEYS": ",".join(KEYS),
       "GRADSERVE_HEADER_TIMEOUT_S": "2", "GRADSERVE_BODY_TIMEOUT_S": "2", "GRADSERVE_IDLE_TIMEOUT_S": "3",
       "GRADSERVE_MAX_HEADER_BYTES": "8192", "GRADSERVE_MAX_JOB_FLOPS": str(FLOPS),
       "GRADSERVE_CLIENT_SHM_MAX_REGIONS": "8"}
DX = np.array([[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]], F32)
CEILING = 30.0  # seconds any one answer may take on a loaded 2-core box


def auth(key: str = "k1") -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("attacks_round2") / "server.log", env=ENV, devices="cpu")
    yield s
    s.stop()


@pytest.fixture
def c(srv):
    with httpx.Client(base_url=srv.url, timeout=CEILING, headers=auth(),
                      limits=httpx.Limits(max_keepalive_connections=0)) as cl:
        yield cl


@pytest.fixture(scope="module")
def stub(srv):
    ch = gw.open_channel(srv.grpc_target)
    yield pb_grpc.GradserveStub(ch)
    ch.close()


def canary(c: httpx.Client) -> None:
    """A small job answered right, and no worker restarted by any attack so far."""
    r = call(c, "grad", {"graph": matmul_net(), "inputs": [X, Y]})
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], DX, rtol=1e-6)
    assert metric(c, "gradserve_worker_restarts_total", device="cpu") == 0


# -- compute bombs ---------------------------------------------------------------------------------------------
def _chain(n: int, k: int) -> dict:
    gb = GraphBuilder("chain")
    x = gb.input((n, n), name="x")
    y = x
    for _ in range(k):
        y = gb.matmul(y, x)
    return graph_to_json(gb.build(gb.sum(y)))


def _conv() -> dict:
    gb = GraphBuilder("conv")  # out [1, 64, 128, 128] x 2*64*9 = 1.2e9 operations, from a 1M-element input
    x, w = gb.input((1, 64, 128, 128), name="x"), gb.input((64, 64, 3, 3), name="w")
    return graph_to_json(gb.build(gb.emit1("conv", x, w, padding=((1, 1), (1, 1)))))


def _broadcasts() -> dict:
    gb = GraphBuilder("bcast")  # one float in; 600 adds to a 2^20-element broadcast: 1.3e9 element operations
    x = gb.input((1,), name="x")
    y = gb.broadcast_to(x, shape=(1 << 20,))
    for _ in range(600):
        y = gb.add(y, x)
    return graph_to_json(gb.build(gb.sum(y)))


def _mlp(n: int) -> dict:
    gb = GraphBuilder("mlp")
    x = gb.input((n, n), name="x")
    w = gb.param("w", np.full((n, n), 0.01, F32))
    return graph_to_json(gb.build(gb.sum(gb.tanh(gb.matmul(gb.tanh(gb.matmul(x, w)), w)))))


ONES = {n: np.full((n, n), 0.001, F32) for n in (448, 512, 1024)}
BOMBS = {  # name -> (kind, body, op named)
    "matmul_chain": ("eval", lambda: {"graph": _chain(512, 8), "inputs": [ONES[512]]}, "matmul"),
    "one_matmul": ("eval", lambda: {"graph": _chain(1024, 1), "inputs": [ONES[1024]]}, "matmul"),
    "conv": ("eval", lambda: {"graph": _conv(), "inputs": [np.zeros((1, 64, 128, 128), F32),
                                                          np.zeros((64, 64, 3, 3), F32)]}, "conv"),
    "broadcast_chain": ("eval", lambda: {"graph": _broadcasts(), "inputs": [np.ones(1, F32)]}, None),
    # under the budget at order 1 (test_a_job_under_the_budget_runs), past it at order 3
    "derivative_order": ("grad", lambda: {"graph": _mlp(448), "inputs": [ONES[448]], "order": 3}, "matmul"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_compute_bomb_is_refused_before_it_runs(c, name):
    kind, body, op = BOMBS[name]
    t0 = time.monotonic()
    r = call(c, kind, body(), enc="b64")
    assert r.status_code == 413, r.text[:500]
    err = error_of(r)
    assert err["code"] == "limit_exceeded" and err["detail"]["limit"] == "max_job_flops", err
    assert err["detail"]["value"] == FLOPS and err["detail"]["got"] > FLOPS, err
    assert err["detail"]["node"] and "max_job_flops" in err["message"], err
    if op:
        assert f"a {op}, takes" in err["message"] and err["detail"]["node"].endswith(f":{op}"), err
    assert time.monotonic() - t0 < CEILING
    canary(c)


def test_a_compute_bomb_over_grpc_is_resource_exhausted(c, stub):
    e = gw.rpc_error(gw.call, stub, "eval", {"graph": _chain(512, 8), "inputs": [ONES[512]]},
                     metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e
    body = gw.error_body(e)
    assert body["detail"]["limit"] == "max_job_flops" and body["detail"]["node"].endswith(":matmul"), body
    canary(c)


def test_a_job_under_the_budget_runs(c):
    """The order-3 bomb's graph at order 1 (~7e8 operations) runs, checked against NumPy float64."""
    x = np.linspace(-1, 1, 448 * 448, dtype=F32).reshape(448, 448)
    r = call(c, "grad", {"graph": _mlp(448), "inputs": [x]}, enc="b64")
    got = decode(r)["outputs"][0]["array"]
    w = np.full((448, 448), 0.01)
    h = np.tanh(x.astype(np.float64) @ w)
    dz = 1 - np.tanh(h @ w) ** 2  # d sum(tanh(h w)) / d(h w)
    want = ((dz @ w.T) * (1 - h ** 2)) @ w.T
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


# -- graph JSON and options that were read wrong ------------------------------------------------------------------
def _with(where: str, value: float) -> dict:
    g = matmul_net()
    if where == "param":
        g["params"][0]["value"]["data"] = [value]
    else:  # an attr of the matmul node
        g["nodes"][1]["attrs"]["alpha"] = [1.0, value]
    return g


@pytest.mark.parametrize("where, value, token, path", [
    ("param", float("nan"), "NaN", "$.graph.params[0].value.data[0]"),
    ("param", float("inf"), "Infinity", "$.graph.params[0].value.data[0]"),
    ("attr", float("-inf"), "-Infinity", "$.graph.nodes[1].attrs.alpha[1]"),
])
def test_a_non_finite_number_in_the_graph_names_its_path(c, stub, where, value, token, path):
    body = {"graph": _with(where, value), "inputs": [X, Y]}
    r = call(c, "grad", body)  # (Python's json writes NaN / Infinity tokens)
    assert r.status_code == 400, r.text
    err = error_of(r)
    assert err["code"] == "invalid_graph" and err["detail"]["path"] == path, err
    assert f"holds {token} at {path}" in err["message"], err
    e = gw.rpc_error(gw.call, stub, "grad", body, metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and gw.error_body(e)["detail"]["path"] == path
    canary(c)


def test_grpc_order_zero_is_refused_not_read_as_one(c, stub):
    md = [("authorization", "Bearer k1")]
    for order in (0, -2):
        e = gw.rpc_error(gw.call, stub, "grad", {"graph": matmul_net(), "inputs": [X, Y], "order": order},
                         metadata=md)
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, (order, e)
        assert gw.error_body(e)["detail"]["path"] == "$.order", order
    r = call(c, "grad", {"graph": matmul_net(), "inputs": [X, Y], "order": 0})  # as HTTP answers it
    assert r.status_code == 400 and error_of(r)["detail"]["path"] == "$.order", r.text
    out = gw.call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]}, metadata=md)  # unset: order 1
    np.testing.assert_allclose(gw.arrays(out)[0], DX, rtol=1e-6)


def test_a_repeated_weight_is_refused(c, stub):
    body = {"graph": matmul_net(), "inputs": [X, Y], "grad_position": None, "weights": ["z", "z"]}
    r = call(c, "grad", body)
    assert r.status_code == 400, r.text
    err = error_of(r)
    assert err["detail"]["path"] == "$.weights" and "'z' repeated" in err["message"], err
    e = gw.rpc_error(gw.call, stub, "grad", body, metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "'z' repeated" in e.details()
    # one z: d sum-free output / dz = sum over (x @ y)'s elements of the default ones sens, by NumPy
    one = decode(call(c, "grad", dict(body, weights=["z"])))["outputs"][0]["array"]
    np.testing.assert_allclose(one, [(X @ Y).sum()], rtol=1e-5)
