"""Round 29's attacks: round 28's open items, then a fresh pass (real servers).

Fixed:
- cancel, then send a new program again, at the default refused_work_burst_s (120 worker-seconds): round 28 charged
  a cancelled job's recycled worker to its client's account of refused work, but the burst let such a loop restart
  the pool's worker for about two minutes before any bound. Now each worker recycled for a client's cancelled job
  halves that client's burst (one recycle forgotten a minute) and the replacement's start is charged at the recycle,
  as long as the last start took (not once it is ready, when the client's next new program was already in): the loop
  is refused within its first recycles, while a client that cancels once keeps its burst. A client with workers
  recycled for it is checked for its known long programs too (they are recycled at once when cancelled): a loop
  cancelling a program it had run once went unchecked.
- one key's distinct graphs evicted every other key's compiled plans: a worker's plan cache (plan_cache_size, 256)
  was one LRU, so 300 distinct tiny graphs from key k1 (a few seconds) made key k2's next grad compile again (a
  40-layer order-2 grad: 1.6 s in place of 50 ms). Now a client's plans and loaded graphs hold at most half of a
  worker's caches (engine.cache_share, the job's client sent with it): past it the client's own oldest go first.

Expected values: NumPy's evaluation of the same chain; the tiny graphs' sums by hand.
"""
from __future__ import annotations

import time

import grpc
import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.proto import gradserve_pb2_grpc as pb_grpc

from . import grpc_wire as gw
from .helpers import DX, X, Y, call, decode, matmul_net, metric, slow_input, slow_net
from .server import server_in
from .test_attacks_round11_grpc_peers import CEILING
from .test_attacks_round28 import _worker_states

# -- cancel, then send a new program again, at the default burst ---------------------------------------------------------
RECYCLES = 10  # base56: none of them refused (the burst, 120 worker-seconds, holds ~2 minutes of restarts)


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    # (refused_work_share and refused_work_burst_s are the defaults: 0.5 and 120)
    with server_in(tmp_path_factory, "attacks_round29_cancel", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_API_KEYS": "k1,k2,k3,k4",
                        # a run past 5 ms is long (a cancel recycles its worker at once): k4's program is, anywhere
                        "GRADSERVE_DEADLINE_GRACE_S": "0.05"}) as s:
        yield s


def _run_then_cancel(stub, v: httpx.Client, key: str, program: int, n: int = 512) -> grpc.RpcError | None:
    """A new program's grad from `key`, cancelled once the worker runs it, then waited on until the worker is
    replaced; the error it met before it ran (a 429), if any."""
    restarts = metric(v, "gradserve_worker_restarts_total", reason="cancelled")
    fut = stub.Grad.future(gw.request("grad", {"graph": slow_net(n, program), "inputs": [slow_input(n)]}),
                           metadata=(("authorization", f"Bearer {key}"),), timeout=CEILING)
    end = time.monotonic() + CEILING
    while _worker_states(v) != ["busy"]:
        if fut.done():
            return fut.exception()
        assert time.monotonic() < end, "the job never ran"
        time.sleep(0.05)
    fut.cancel()
    while _worker_states(v) != ["idle"] or metric(v, "gradserve_worker_restarts_total", reason="cancelled") == restarts:
        assert time.monotonic() < end, "the cancelled job's worker was never recycled and replaced"
        time.sleep(0.1)
    return None


def test_a_cancel_loop_is_refused_within_its_first_recycles(one_worker):
    """Key k1 cancels a new program's grad once it runs, again and again: base56 ran all 10 (each a worker killed and
    started again); now its new program is 429 naming refused_work_share within them (measured: the 6th-7th). Key k3,
    which cancels once, runs its next new program; key k2's small grad is answered."""
    v = httpx.Client(base_url=one_worker.url, timeout=CEILING, headers={"authorization": "Bearer k2"})
    with v, grpc.insecure_channel(one_worker.grpc_target) as ch:
        stub = pb_grpc.GradserveStub(ch)
        assert _run_then_cancel(stub, v, "k3", 40) is None
        refused = None
        for i in range(RECYCLES):
            refused = _run_then_cancel(stub, v, "k1", 41 + i)
            if refused is not None:
                break
        assert refused is not None, f"{RECYCLES} recycles for cancelled jobs and no refusal"
        assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused
        assert "refused_work_share" in refused.details() and "halved" in refused.details(), refused.details()
        np.testing.assert_allclose(decode(call(v, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))["outputs"][0]
                                   ["array"], DX, rtol=1e-6)
        x = slow_input(64).astype(np.float64)
        y = x
        for _ in range(5):
            y = np.tanh(y @ x)
        k3 = httpx.Client(base_url=one_worker.url, timeout=CEILING, headers={"authorization": "Bearer k3"})
        with k3:
            r = call(k3, "eval", {"graph": slow_net(64, 5), "inputs": [slow_input(64)]})
        np.testing.assert_allclose(decode(r)["outputs"][0]["array"], y.sum(), rtol=1e-4)


def test_a_cancel_loop_of_a_known_long_program_is_refused_too(one_worker):
    """Key k4 runs a long program once (its cost known), then cancels it once it runs, again and again: a known
    program's jobs were never checked against the account (only those of unknown cost), so base56 ran all 10 (each a
    worker killed, started again and the program compiled again); now a client with workers recycled for it is
    checked for its known long programs too, and is refused within them."""
    v = httpx.Client(base_url=one_worker.url, timeout=CEILING, headers={"authorization": "Bearer k2"})
    with v, grpc.insecure_channel(one_worker.grpc_target) as ch:
        stub = pb_grpc.GradserveStub(ch)
        # (~2 GFLOP: ~1 s at load 20, past a tenth of deadline_grace_s on any box, so a cancel recycles at once)
        gw.call(stub, "grad", {"graph": slow_net(256, 20), "inputs": [slow_input(256)]}, timeout=CEILING,
                metadata=(("authorization", "Bearer k4"),))
        refused = None
        for _ in range(RECYCLES):
            refused = _run_then_cancel(stub, v, "k4", 20, 256)
            if refused is not None:
                break
        assert refused is not None, f"{RECYCLES} recycles for cancelled jobs of a known program and no refusal"
        assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "refused_work_share" in refused.details()
        np.testing.assert_allclose(decode(call(v, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))["outputs"][0]
                                   ["array"], DX, rtol=1e-6)

# -- one key's distinct graphs, another key's plans ---------------------------------------------------------------------
PLANS = 16  # plan_cache_size: a client's share is 8


@pytest.fixture(scope="module")
def small_cache(tmp_path_factory):
    # (inline lane off: every job on the one worker, whose cache is the one looked at)
    with server_in(tmp_path_factory, "attacks_round29_plans", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_API_KEYS": "k1,k2",
                        "GRADSERVE_PLAN_CACHE_SIZE": str(PLANS), "GRADSERVE_INLINE_MAX_MS": "0"}) as s:
        yield s


def _tiny(i: int) -> dict:
    gb = GraphBuilder(f"t{i}")
    x = gb.input((2,), name="x")
    return graph_to_json(gb.build(gb.sum(gb.mul(x, gb.input((2,), name=f"c{i}")))))


def test_one_keys_distinct_graphs_leave_another_keys_plans_cached(small_cache):
    """Key k2's grad, run once (compiled) and again (a hit); then key k1's 3 x plan_cache_size distinct graphs;
    then k2's grad again: base56 compiled it again (compile_cache "miss"), now it is a hit."""
    k1 = httpx.Client(base_url=small_cache.url, timeout=CEILING, headers={"authorization": "Bearer k1"})
    k2 = httpx.Client(base_url=small_cache.url, timeout=CEILING, headers={"authorization": "Bearer k2"})
    with k1, k2:
        body = {"graph": matmul_net(), "inputs": [X, Y]}
        caches = []
        for _ in range(2):
            got = decode(call(k2, "grad", body))
            np.testing.assert_allclose(got["outputs"][0]["array"], DX, rtol=1e-6)
            caches.append(got["timing"]["compile_cache"])
        assert caches == ["miss", "hit"], caches
        for i in range(3 * PLANS):
            got = decode(call(k1, "grad", {"graph": _tiny(i), "inputs": [np.float32([0.1, 0.2]),
                                                                       np.float32([3.0, 4.0])]}))
            np.testing.assert_allclose(got["outputs"][0]["array"], [3.0, 4.0])  # d/dx sum(x * c) = c
        got = decode(call(k2, "grad", body))
        np.testing.assert_allclose(got["outputs"][0]["array"], DX, rtol=1e-6)
        assert got["timing"]["compile_cache"] == "hit", got["timing"]
