"""Round 30's attacks: round 29's open items, then a fresh pass (real servers).

Fixed:
- one key's distinct small graphs evicted every other key's plans from the inline lane (service.inline): its plan
  cache (PLAN_CACHE, 64) was one LRU while the workers' caches kept each client to half (round 29,
  engine.cache_share). Key k1's 72 distinct tiny grads, each run until the lane ran it, made key k2's next small
  grad go to a worker again (and the lane compile it again). Now the lane's plans carry the job's client too.
- a job that kills its worker (the kernel's OOM killer picks the process holding the most memory: the worker of the
  largest job), sent again and again, restarted the pool's worker each time, unbounded (base57: 10 of 10, another
  key's grad waiting up to 3 s behind each restart): the death was charged to nobody. Now its client owes the restart
  as for a cancelled job's recycle (service.refusals.RefusedWork.recycle): its burst halves, and its next job of
  unknown cost is 429 naming refused_work_share within a few deaths. (The test kills the worker as the OOM killer
  would: SIGKILL while the job runs.)
- a graph named with a NUL never ran: its name went into the NumPy plan's code object's file name, which compile()
  refuses (a 400 naming "ValueError: embedded null character"); now escaped there.

Expected values: the small grad's NumPy value (helpers.DX); the tiny graphs' gradients by hand; cos for d/dx sum(sin x);
NumPy's evaluation of the tanh chain.
"""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.inline import PLAN_CACHE

from .helpers import DX, X, Y, call, decode, matmul_net, metric, slow_input, slow_net
from .server import server_in
from .test_attacks_round11_grpc_peers import CEILING
from .test_attacks_round28 import _worker_states


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    # (the inline lane at its defaults: inline_max_ms 4, inline_share 0.5; refused_work_burst_s 10 worker-seconds, not
    # 120: a client whose jobs kill the worker is refused after 2-3 deaths, not 6-7)
    with server_in(tmp_path_factory, "attacks_round30", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_API_KEYS": "k1,k2,k3,k4",
                        "GRADSERVE_REFUSED_WORK_BURST_S": "10"}) as s:
        yield s


# -- one key's distinct graphs, another key's plans in the inline lane --------------------------------------------------
def _tiny(i: int) -> dict:
    gb = GraphBuilder(f"t{i}")
    x = gb.input((2,), name="x")
    return graph_to_json(gb.build(gb.sum(gb.mul(x, gb.input((2,), name=f"c{i}")))))


def _inline_until(c: httpx.Client, body: dict, expected) -> None:
    """`body`'s grad sent until the inline lane answers it (its plan compiled in the lane), each answer checked."""
    end = time.monotonic() + CEILING
    while True:
        got = decode(call(c, "grad", body))
        np.testing.assert_allclose(got["outputs"][0]["array"], expected, rtol=1e-6)
        if got["timing"].get("lane") == "inline":
            return
        assert time.monotonic() < end, "the inline lane never took the job"
        time.sleep(0.02)


def test_one_keys_distinct_graphs_leave_another_keys_inline_plan(one_worker):
    """Key k2's small grad until the lane runs it; key k1's PLAN_CACHE + 8 distinct tiny grads, each until the lane
    runs it (more than the lane holds); then k2's grad again: base57 sent it to a worker (its plan evicted), now the
    lane answers it at once. The lane holds k1's half of its plans and k2's."""
    k1 = httpx.Client(base_url=one_worker.url, timeout=CEILING, headers={"authorization": "Bearer k1"})
    k2 = httpx.Client(base_url=one_worker.url, timeout=CEILING, headers={"authorization": "Bearer k2"})
    with k1, k2:
        body = {"graph": matmul_net(), "inputs": [X, Y]}
        _inline_until(k2, body, DX)
        for i in range(PLAN_CACHE + 8):
            _inline_until(k1, {"graph": _tiny(i), "inputs": [np.float32([0.1, 0.2]), np.float32([3.0, float(i)])]},
                          [3.0, float(i)])  # d/dx sum(x * c) = c
        time.sleep(0.3)  # (the lane's budget refills: inline_share of a 200 ms window)
        got = decode(call(k2, "grad", body))
        np.testing.assert_allclose(got["outputs"][0]["array"], DX, rtol=1e-6)
        lane = one_worker.client().get("/v1/devices", headers={"authorization": "Bearer k2"}).json()
        assert got["timing"].get("lane") == "inline", (got["timing"], lane["pools"][0]["inline"])
        assert lane["pools"][0]["inline"]["plans"] == PLAN_CACHE // 2 + 1, lane["pools"][0]["inline"]


# -- a graph's name with a NUL ------------------------------------------------------------------------------------------
def test_a_graph_named_with_a_nul_runs(one_worker):
    """A graph's name is a client's string; the NumPy plan's code object was named after it, and compile() refuses a
    NUL there: base57 answered every job of a graph named "a\\x00b" 400 "ValueError: embedded null character"."""
    gb = GraphBuilder("a\x00b\u202e\n")
    x = gb.input((3,), name="x")
    graph = graph_to_json(gb.build(gb.sum(gb.sin(x))))
    xs = np.float32([0.5, 1.0, 2.0])
    with one_worker.client(headers={"authorization": "Bearer k2"}) as c:
        got = decode(call(c, "grad", {"graph": graph, "inputs": [xs]}))
    np.testing.assert_allclose(got["outputs"][0]["array"], np.cos(xs), rtol=1e-6)  # d/dx sum(sin x) = cos x


# -- a job that kills its worker, sent again and again ------------------------------------------------------------------
DEATHS = 8  # base57: none refused


def _killed_while_running(c: httpx.Client, v: httpx.Client) -> httpx.Response:
    """k3's big grad, its worker SIGKILLed (as by the OOM killer) once it runs, then waited on until replaced; the
    answer (a 500 worker_died, or a 429 before it ran)."""
    died = metric(v, "gradserve_worker_restarts_total", reason="died")
    with ThreadPoolExecutor(1) as ex:
        fut = ex.submit(call, c, "grad", {"graph": slow_net(512, 40), "inputs": [slow_input(512)]})
        end = time.monotonic() + CEILING
        while not fut.done():
            workers = v.get("/v1/devices").json()["pools"][0]["workers"]
            if workers[0]["state"] == "busy":
                os.kill(workers[0]["pid"], signal.SIGKILL)
                break
            assert time.monotonic() < end, "the job never ran"
            time.sleep(0.02)
        r = fut.result()
    if r.status_code == 500:
        assert r.json()["error"]["code"] == "worker_died", r.text[:2000]
        while _worker_states(v) != ["idle"] or metric(v, "gradserve_worker_restarts_total", reason="died") == died:
            assert time.monotonic() < end, "the dead worker was never replaced"
            time.sleep(0.1)
    return r


def test_a_client_whose_jobs_kill_the_worker_is_refused_within_a_few_deaths(one_worker):
    """Key k3's big grad kills its worker each time it runs (the test kills it, as the OOM killer would): base57 ran it
    DEATHS times (each a worker killed and started again); now its job is 429 naming refused_work_share within them.
    Key k4's small grad, and its new program, are answered."""
    k3 = one_worker.client(timeout=CEILING, headers={"authorization": "Bearer k3"})
    k4 = one_worker.client(timeout=CEILING, headers={"authorization": "Bearer k4"})
    with k3, k4:
        answers = []
        for _ in range(DEATHS):
            r = _killed_while_running(k3, k4)
            answers.append(r.status_code)
            if r.status_code == 429:
                break
        assert answers[-1] == 429 and set(answers[:-1]) == {500}, answers
        assert "refused_work_share" in r.json()["error"]["message"] and "dead under its jobs" in r.text, r.text[:2000]
        np.testing.assert_allclose(decode(call(k4, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))["outputs"][0]
                                   ["array"], DX, rtol=1e-6)
        x = slow_input(64).astype(np.float64)
        y = x
        for _ in range(3):
            y = np.tanh(y @ x)
        got = decode(call(k4, "eval", {"graph": slow_net(64, 3), "inputs": [slow_input(64)]}))
        np.testing.assert_allclose(got["outputs"][0]["array"], y.sum(), rtol=1e-4)
