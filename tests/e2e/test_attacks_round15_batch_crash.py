"""A worker killed while a dynamic batch of one client's jobs runs on it (round 15), against a real server (one cpu
worker, a 1 s batch window, API keys k1 / k2): no member is lost. The batch fails, service.batching runs its
members again one by one on the replacement worker, and each caller gets its own answer; another client's job
sent while the batch runs is answered too, and agrees with the member that sent the same input.

Held (no fix needed): the batcher's fallback (a failed batch is run job by job) covers a crash as it covers a
batch that cannot be built."""
from __future__ import annotations

import os
import signal
import threading

import numpy as np

from .helpers import busy_worker, call, decode, metric, slow_input, slow_net
from .limited_server import CEILING, auth
from .server import module_server

MEMBERS = 4
GRAPH = slow_net(256, 60)  # (a batch of 4: seconds on one core, so the kill lands while it runs)

srv = module_server("round15_batch_crash", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": "16",
                         "GRADSERVE_BATCH_DELAY_MS": "1000", "GRADSERVE_API_KEYS": "k1,k2"})


def test_a_worker_killed_mid_batch_loses_no_member(srv, c):
    # (scaled to a spectral radius of about 1-2: slow_input's own vanishes through 60 tanh layers, a zero gradient)
    xs = [slow_input(256) * (64 * (1 + 0.25 * i)) for i in range(MEMBERS)]
    got: dict = {}

    def grad(name, key: str, x) -> None:
        with srv.client(timeout=CEILING * 6, headers=auth(key)) as cl:
            r = call(cl, "grad", {"graph": GRAPH, "inputs": [x], "deadline_ms": int(CEILING * 5e3)}, "binary")
            got[name] = r

    threads = [threading.Thread(target=grad, args=(i, "k1", x)) for i, x in enumerate(xs)]
    for t in threads:
        t.start()
    worker = busy_worker(c, timeout=CEILING)  # (the batch: the window closes 1 s after the first member)
    other = threading.Thread(target=grad, args=("k2", "k2", xs[0]))  # another client's (never in k1's batch)
    other.start()
    os.kill(worker["pid"], signal.SIGKILL)
    for t in threads + [other]:
        t.join(CEILING * 7)
        assert not t.is_alive(), "a caller still waits"
    assert sorted(got, key=str) == sorted([*range(MEMBERS), "k2"], key=str), got
    for name, r in got.items():
        assert r.status_code == 200, (name, r.text[:300])
    outs = {name: decode(r) for name, r in got.items()}
    # each member run again alone (a batch's answer says batch=n), each its own gradient
    timings = [outs[i]["timing"] for i in range(MEMBERS)]
    assert all(t.get("batch") is None for t in timings), timings
    arrays = [np.asarray(outs[i]["outputs"][0]["array"]) for i in range(MEMBERS)]
    assert all(np.isfinite(a).all() and np.abs(a).max() > 0 for a in arrays)
    assert all(not np.array_equal(arrays[0], a) for a in arrays[1:]), "members were given one another's answers"
    np.testing.assert_allclose(arrays[0], np.asarray(outs["k2"]["outputs"][0]["array"]), rtol=1e-6)
    assert metric(c, "gradserve_worker_restarts_total", device="cpu") == 1
