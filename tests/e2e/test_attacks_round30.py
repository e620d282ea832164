"""Round 30's attacks: round 29's open items, then a fresh pass (real servers).

Fixed:
- one key's distinct small graphs evicted every other key's plans from the inline lane (service.inline): its plan
  cache (PLAN_CACHE, 64) was one LRU while the workers' caches kept each client to half (round 29,
  engine.cache_share). Key k1's 72 distinct tiny grads, each run until the lane ran it, made key k2's next small
  grad go to a worker again (and the lane compile it again). Now the lane's plans carry the job's client too.
- a graph named with a NUL never ran: its name went into the NumPy plan's code object's file name, which compile()
  refuses (a 400 naming "ValueError: embedded null character"); now escaped there.

Expected values: the small grad's NumPy value (helpers.DX); the tiny graphs' gradients by hand.
"""
from __future__ import annotations

import time

import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.inline import PLAN_CACHE

from .helpers import DX, X, Y, call, decode, matmul_net
from .server import server_in
from .test_attacks_round11_grpc_peers import CEILING


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    # (the inline lane at its defaults: inline_max_ms 4, inline_share 0.5)
    with server_in(tmp_path_factory, "attacks_round30", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_API_KEYS": "k1,k2"}) as s:
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
