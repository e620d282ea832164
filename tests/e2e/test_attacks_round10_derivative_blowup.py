"""A derivative that explodes in size: a 4th-order gradient of a deep elementwise graph (reliab10, stop 41).

A request of a few KB (100 layers of sin(y) * tanh(y), 300 nodes) asks for order 4 (max_order's default): the
server derives it at once (nested grads, nothing expanded), and the worker lowers it to 17 K nodes. Before stop 41
that took 24 s of one core on a loaded box while charging 83.5 K units of max_work: a literal 4th-order nesting was
built and dropped, and the rebuilds and passes were not counted. Now the literal try stops at order 3 and every
rebuild and pass is charged (engine.optimize): 111 K units, ~6 s. This module's server has max_work 100 K (between
the two), so the request is refused with 413 naming max_work (before: computed after ~10-24 s), its worker kept;
a deadline under the lowering's time still answers 504 and replaces the worker. Meanwhile another client's jobs run
on the other worker, and afterwards the pool is whole. Each step waits on an answer or a metric with a generous
ceiling; the 2nd-order answer of a short chain is checked against central finite differences of the 1st-order
gradient computed with NumPy."""
from __future__ import annotations

import numpy as np

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import call, canary, decode, error_of, in_thread, metric, wait_for_idle_pool, wait_for_metric
from .server import module_server

KEYS = ("k1", "k2")
ENV = {"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_QUEUE_SIZE": "4", "GRADSERVE_API_KEYS": ",".join(KEYS),
       "GRADSERVE_MAX_NODES": "100000", "GRADSERVE_MAX_ORDER": "4", "GRADSERVE_DEADLINE_GRACE_S": "0.5",
       "GRADSERVE_MAX_WORK": "100000"}
CEILING = 240.0
DEADLINE_MS = 500  # the attacker's own deadline (+ 0.5 s grace): well under the ~5 s its lowering takes to max_work


srv = module_server("blowup", env=ENV, devices="cpu")


def client(srv, key: str):
    return srv.client(timeout=CEILING, headers={"Authorization": f"Bearer {key}"})


def deep(layers: int) -> dict:
    gb = GraphBuilder("deep")
    y = gb.input((8,), "float64", name="x")
    for _ in range(layers):
        y = gb.mul(gb.sin(y), gb.tanh(y))
    return graph_to_json(gb.build(gb.sum(y)))


def numpy_grad(x: np.ndarray, layers: int) -> np.ndarray:
    """d/dx sum(f(x)), f = (sin * tanh) applied `layers` times, by the chain rule in NumPy."""
    y, d = x.copy(), np.ones_like(x)
    for _ in range(layers):
        d = d * (np.cos(y) * np.tanh(y) + np.sin(y) / np.cosh(y) ** 2)
        y = np.sin(y) * np.tanh(y)
    return d


def test_a_short_chains_second_order_gradient_is_numpys(srv):
    """(The graph is what it says: order 2 of 3 layers, the diagonal Hessian, against finite differences.)"""
    x, h = np.linspace(0.3, 1.1, 8), 1e-5
    with client(srv, KEYS[1]) as c:
        got = decode(call(c, "grad", {"graph": deep(3), "inputs": [x], "order": 2}))["outputs"][0]["array"]
    want = (numpy_grad(x + h, 3) - numpy_grad(x - h, 3)) / (2 * h)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def test_a_fourth_order_blowup_is_bounded_by_its_deadline_and_others_are_served(srv):
    with client(srv, KEYS[0]) as bad, client(srv, KEYS[1]) as good:
        restarts = metric(good, "gradserve_worker_restarts_total")
        thread, box = in_thread(call, bad, "grad", {"graph": deep(100), "inputs": [np.ones(8)], "order": 4,
                                                    "deadline_ms": DEADLINE_MS})
        canary(good, CEILING)  # the other worker answers another client meanwhile
        thread.join(CEILING)
        assert not thread.is_alive(), "no answer to the blow-up within the ceiling"
        r = box["result"]
        assert r.status_code == 504 and error_of(r)["code"] == "deadline_exceeded", r.text[:300]
        # the worker that ran it is replaced (its lowering does not stop at the deadline), and the pool is whole
        wait_for_metric(good, "gradserve_worker_restarts_total", restarts + 1, "the worker past its deadline stayed",
                        timeout=CEILING)
        wait_for_idle_pool(good, timeout=CEILING)
        assert metric(good, "gradserve_workers_live", device="cpu") == 2
        canary(good, CEILING)


def test_a_fourth_order_blowup_past_max_work_is_refused_naming_it_and_others_are_served(srv):
    with client(srv, KEYS[0]) as bad, client(srv, KEYS[1]) as good:
        restarts = metric(good, "gradserve_worker_restarts_total")
        thread, box = in_thread(call, bad, "grad", {"graph": deep(100), "inputs": [np.ones(8)], "order": 4})
        canary(good, CEILING)  # the other worker answers another client meanwhile
        thread.join(CEILING)
        assert not thread.is_alive(), "no answer to the blow-up within the ceiling"
        r = box["result"]
        assert r.status_code == 413, r.text[:300]
        err = error_of(r)
        assert err["code"] == "limit_exceeded" and err["detail"]["limit"] == "max_work", err
        assert err["detail"]["value"] == 100_000 and "derivative order" in err["message"], err
        wait_for_idle_pool(good, timeout=CEILING)
        assert metric(good, "gradserve_worker_restarts_total") == restarts  # a refusal, not a crash
        canary(good, CEILING)
