"""Round 19, first builds (one real server, two CPU workers, API keys k1 / k2, max_work 30 000,
max_nodes 100 000: the build, not the derivation, refuses wide(300)'s order-2 grad).

Found: a client sending two programs of unknown cost at once (each a first build, which may spend max_work in a
worker's lowering, 8-50 s) held both CPU workers, and another client's small job waited in the queue until its
deadline (504). Now a job of unknown cost does not take the pool's last idle worker while its client already has
one running (Pool._first_build_waits): it waits queued and starts when a worker frees; the other client's job
takes the idle worker. Waits on /v1/devices and metrics with generous ceilings; no timing asserts."""
from __future__ import annotations

import httpx
import numpy as np
import pytest

from .helpers import DX, X, Y, call, decode, in_thread, matmul_net, metric, slow_input, slow_net, wait_for_idle_pool, \
    wait_for_pool
from .server import server_in
from .test_attacks_round19 import wide

KEYS = ("k1", "k2")
CEILING = 120  # s: a loaded CI box
PATIENT = 300_000  # ms: the slow jobs' deadline, past any load's slowdown
WORKER_JOBS = "gradserve_job_lanes_total"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with server_in(tmp_path_factory, "attacks_round19_builds", devices="cpu",
                   env={"GRADSERVE_API_KEYS": ",".join(KEYS), "GRADSERVE_CPU_WORKERS": "2",
                        "GRADSERVE_MAX_WORK": "30000", "GRADSERVE_MAX_NODES": "100000"}) as s:
        yield s


def client(srv, key: str) -> httpx.Client:
    return srv.client(headers={"authorization": f"Bearer {key}"}, timeout=PATIENT / 1e3 + 30)


def test_a_clients_second_first_build_waits_and_another_client_is_served(srv):
    with client(srv, "k1") as k1, client(srv, "k2") as k2:
        wait_for_idle_pool(k1, timeout=CEILING)
        # two different programs of k1's, never seen: seconds each on one core
        sent = [in_thread(call, k1, "eval", {"graph": slow_net(512, k), "inputs": [slow_input(512)],
                                             "deadline_ms": PATIENT}, "binary") for k in (200, 201)]
        # one runs, the other waits queued though a worker is idle (without the rule: both run, nothing queued)
        p = wait_for_pool(k1, "k1's second first build did not wait", lambda p: p["busy"] == 1 and
                          p["queue_depth"] == 1 and sum(w["state"] == "idle" for w in p["workers"]) == 1,
                          timeout=CEILING)
        assert len(p["workers"]) == 2
        # k2's job takes the idle worker (a first build of k2's: k2 has none running) and is right
        r = call(k2, "grad", {"graph": matmul_net(), "inputs": [X, Y]})
        np.testing.assert_allclose(decode(r)["outputs"][0]["array"], DX, rtol=1e-6)
        assert r.json()["timing"]["lane"] == "worker"
        for th, box in sent:  # k1's both run in the end, the second once a worker freed
            th.join(PATIENT / 1e3 + 30)
            assert "result" in box, box
            assert box["result"].status_code == 200, box["result"].text[:300]
        # a known program is not held: the same two again (their plans built) run at once, nothing queued
        wait_for_idle_pool(k1, timeout=CEILING)
        again = [in_thread(call, k1, "eval", {"graph": slow_net(512, k), "inputs": [slow_input(512)],
                                              "deadline_ms": PATIENT}, "binary") for k in (200, 201)]
        wait_for_pool(k1, "k1's known programs did not run at once", lambda p: p["busy"] == 2, timeout=CEILING)
        for th, box in again:
            th.join(PATIENT / 1e3 + 30)
            assert box["result"].status_code == 200, box["result"].text[:300]


def test_the_same_program_twice_at_once_is_built_once(srv):
    """Its twin waits while the first builds; the first's 413 (max_work) is remembered (service.refusals) and the
    twin gets it from the queue without a worker: one worker job for two sends."""
    x = [0.1, 0.2, 0.3]
    body = {"graph": wide(300), "inputs": [{"shape": [3], "datatype": "FP32", "data": x}], "order": 2}
    with client(srv, "k1") as k1:
        wait_for_idle_pool(k1, timeout=CEILING)
        ran = metric(k1, WORKER_JOBS, device="cpu", lane="worker")
        sent = [in_thread(k1.post, "/v1/grad", json=body) for _ in range(2)]
        for th, box in sent:
            th.join(CEILING)
            r = box["result"]
            assert r.status_code == 413 and r.json()["error"]["detail"]["limit"] == "max_work", r.text[:300]
        assert metric(k1, WORKER_JOBS, device="cpu", lane="worker") == ran + 1
