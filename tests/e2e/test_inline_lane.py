"""The inline lane (service/inline.py) on a real server: a small job that ran in a worker runs in the
server's own process afterwards (its timing's `lane`, its `device` the pool, the lane counter), with
results bit for bit the worker's and errors exactly the worker's; a graph with a run-time loop never does;
with every worker busy, or past the lane's budget, jobs go to workers.

Which lane ran a job is read from the answer and the metrics, never from timings. The lane's limit is
raised to 50 ms here so that a loaded CI box (where a tiny job can take a millisecond) still qualifies;
the decision is the same at any limit."""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import F32, call, decode, error_of, in_thread, metric, pool_of, slow_input, slow_net, wait_for_pool
from .server import module_server, server_in

CEILING = 120  # seconds: a loaded 2-core box is slow, never this slow
LANES = "gradserve_job_lanes_total"


srv = module_server("inline", env={"GRADSERVE_INLINE_MAX_MS": "50"}, devices="cpu")


@pytest.fixture
def c(srv):
    with srv.client() as client:
        yield client


def mlp_net(name: str) -> dict:
    """A small tanh layer and a sum (matmul, a reduction, elementwise ops): `name` makes the graph distinct."""
    gb = GraphBuilder(name)
    x, w = gb.input((4, 8), name="x"), gb.input((8, 3), name="w")
    return graph_to_json(gb.build(gb.sum(gb.tanh(gb.matmul(x, w)))))


def take_net() -> dict:
    """x[idx] * 2: an index out of range is an error of the run (a runtime-checked op)."""
    gb = GraphBuilder("take")
    x, i = gb.input((4,), name="x"), gb.input((2,), "int32", name="i")
    return graph_to_json(gb.build(gb.mul(gb.take_along_axis(x, i, axis=0), gb.scalar(2.0, "float32"))))


def while_net() -> dict:
    """while sum(x) < 10: x = 1.5 x + sin(x); then sum(x * x): as many trips as the values ask."""
    def fn(make, name):
        g = GraphBuilder(name)
        return g.build(make(g, g.input((2,), name="a")))

    gb = GraphBuilder("grow")
    x = gb.input((2,), name="x")
    cond = gb.function(fn(lambda g, a: g.less(g.sum(a), g.scalar(10.0, "float32")), "cond"))
    body = gb.function(fn(lambda g, a: g.add(g.mul(a, g.scalar(1.5, "float32")), g.sin(a)), "body"))
    (y,) = gb.emit("while", [x], {"cond": cond, "body": body, "max_trips": 1000})
    return graph_to_json(gb.build(gb.sum(gb.mul(y, y))))


def run(c, kind: str, body: dict, enc: str = "binary") -> dict:
    return decode(call(c, kind, body, enc))


def until_inline(c, kind: str, body: dict, enc: str = "binary") -> tuple[list, dict]:
    """Call until a job runs inline: (the lanes of the calls before, the inline answer)."""
    lanes = []
    for _ in range(CEILING * 10):
        out = run(c, kind, body, enc)
        if out["timing"]["lane"] == "inline":
            return lanes, out
        lanes.append(out["timing"]["lane"])
    raise AssertionError(f"never inline: {lanes[-20:]}")


def arrays(out: dict) -> list:
    return [o["array"] for o in out["outputs"]]


@pytest.mark.parametrize("enc", ["binary", "json"])
def test_a_repeated_small_job_goes_inline_after_its_worker_runs(c, enc):
    rng = np.random.default_rng(1)
    body = {"graph": mlp_net(f"mlp_{enc}"), "inputs": [rng.normal(size=(4, 8)).astype(F32),
                                                        rng.normal(size=(8, 3)).astype(F32)], "get_all": True}
    first = run(c, "grad", body, enc)
    assert first["timing"]["lane"] == "worker" and first["device"].startswith("cpu:")
    before = metric(c, LANES, device="cpu", lane="inline")
    lanes, out = until_inline(c, "grad", body, enc)
    assert set(lanes) <= {"worker"}  # (a call that came while the lane compiled it went to a worker)
    assert out["device"] == "cpu" and metric(c, LANES, device="cpu", lane="inline") == before + 1
    assert out["structure"] == first["structure"] and [o["name"] for o in out["outputs"]] == \
        [o["name"] for o in first["outputs"]]
    for a, b in zip(arrays(out), arrays(first)):  # the same plan on the same inputs: the same bits
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    assert pool_of(c)["inline"]["plans"] >= 1


def test_a_small_graph_is_compiled_after_its_first_worker_run(c):
    """The lane lowers a graph while its first job runs in a worker and compiles it once that run came
    back clean (service.inline_ahead): with no second job, the plan appears, and the next job runs inline."""
    rng = np.random.default_rng(4)
    body = {"graph": mlp_net("mlp_ahead"), "inputs": [rng.normal(size=(4, 8)).astype(F32),
                                                     rng.normal(size=(8, 3)).astype(F32)], "get_all": True}
    plans = pool_of(c)["inline"]["plans"]
    first = run(c, "grad", body)
    assert first["timing"]["lane"] == "worker"
    wait_for_pool(c, "the lane did not compile the graph", lambda p: p["inline"]["plans"] == plans + 1,
                  timeout=CEILING)
    out = run(c, "grad", body)
    assert out["timing"]["lane"] == "inline"
    for a, b in zip(arrays(out), arrays(first)):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_a_graph_with_a_run_time_loop_never_goes_inline(c):
    """The lane looks at the plan once it lowered it (while the first job runs in a worker,
    service.inline_ahead) and refuses it: the calls before and after all ran in workers, and the gradient
    is right."""
    x = np.array([0.3, 0.5], F32)
    body = {"graph": while_net(), "inputs": [x]}
    refused = pool_of(c)["inline"]["refused"]
    outs = []
    end = time.monotonic() + CEILING
    while pool_of(c)["inline"]["refused"] == refused:
        assert time.monotonic() < end, "the lane never looked at the while graph"
        outs.append(run(c, "grad", body))
    outs += [run(c, "grad", body) for _ in range(5)]
    assert len(outs) >= 6 and {o["timing"]["lane"] for o in outs} == {"worker"}
    y, dy = x.astype(np.float64), np.ones(2)
    while y.sum() < 10:  # the loop by hand: d/dx sum(y*y) = 2 y dy/dx, dy/dx a product over the trips
        y, dy = 1.5 * y + np.sin(y), dy * (1.5 + np.cos(y))
    for o in outs:
        np.testing.assert_allclose(arrays(o)[0], 2 * y * dy, rtol=1e-5)


def test_inline_errors_are_the_workers_errors(c):
    x = np.arange(4, dtype=F32)
    good = {"graph": take_net(), "inputs": [x, np.array([1, 3], np.int32)]}
    bad = {"graph": take_net(), "inputs": [x, np.array([1, 7], np.int32)]}
    before = metric(c, LANES, device="cpu", lane="inline")
    r = call(c, "eval", bad, "binary")  # a graph never run before: a worker
    assert metric(c, LANES, device="cpu", lane="inline") == before
    worker_err = (r.status_code, error_of(r))
    _, out = until_inline(c, "eval", good)
    np.testing.assert_array_equal(arrays(out)[0], np.array([2.0, 6.0], F32))
    before = metric(c, LANES, device="cpu", lane="inline")
    r = call(c, "eval", bad, "binary")
    assert metric(c, LANES, device="cpu", lane="inline") == before + 1  # this one ran inline
    inline_err = (r.status_code, error_of(r))
    for e in (worker_err[1], inline_err[1]):
        e["detail"].pop("request_id")
    assert inline_err == worker_err and worker_err[0] == 400 and worker_err[1]["code"] == "shape_error"
    assert "index 7 out of range" in worker_err[1]["message"]


def test_with_every_worker_busy_a_small_job_waits_for_a_worker(c):
    rng = np.random.default_rng(2)
    body = {"graph": mlp_net("mlp_busy"), "inputs": [rng.normal(size=(4, 8)).astype(F32),
                                                    rng.normal(size=(8, 3)).astype(F32)]}
    until_inline(c, "eval", body)
    # seconds on one core; a deadline past a loaded box's slowdown (the default, 30 s, is not)
    slow = {"graph": slow_net(512, 300), "inputs": [slow_input(512)], "deadline_ms": 300_000}
    # its plan built first: a client's second job of unknown cost waits for its first rather than take the last
    # idle worker (Pool._first_build_waits), and this test needs both running
    run(c, "eval", slow)
    busy = [in_thread(run, c, "eval", slow) for _ in range(2)]
    wait_for_pool(c, "the workers did not become busy", lambda p: p["busy"] == 2, timeout=CEILING)
    # no idle worker: it is queued as ever, never run ahead of the queue (behind a slow job: the same deadline)
    out = run(c, "eval", dict(body, deadline_ms=300_000))
    assert out["timing"]["lane"] == "worker" and out["timing"]["queue_ms"] > 0
    for th, box in busy:
        th.join(CEILING)
        assert box["result"]["timing"]["lane"] == "worker", box


def test_past_the_budget_jobs_go_to_workers(tmp_path_factory):
    """A share so small that the first inline job spends the budget for hours: the jobs after it go to
    workers."""
    env = {"GRADSERVE_INLINE_MAX_MS": "50", "GRADSERVE_INLINE_SHARE": "1e-9"}
    with server_in(tmp_path_factory, "inline_budget", env=env, devices="cpu") as s:
        with s.client() as c:
            rng = np.random.default_rng(3)
            body = {"graph": mlp_net("mlp_budget"), "inputs": [rng.normal(size=(4, 8)).astype(F32),
                                                              rng.normal(size=(8, 3)).astype(F32)]}
            until_inline(c, "eval", body)
            after = [run(c, "eval", body)["timing"]["lane"] for _ in range(5)]
            assert after == ["worker"] * 5
            assert metric(c, LANES, device="cpu", lane="inline") == 1


def test_a_job_answered_before_any_wait_keeps_its_deadline_place_and_count(c):
    """A repeated small job by graph id (a binary header met before: the SDK's loop) is answered by Core.run_now,
    with no watcher, coroutine or job built: it still frees its admission place, is counted under its outcome,
    and a deadline already past once it is prepared is the 504 of a job that waits (the same header twice: the
    second one's check is run_now's)."""
    rng = np.random.default_rng(7)
    gid = c.post("/v1/graphs", json={"graph": mlp_net("mlp_nowait")}).json()["graph_id"]
    body = {"graph_id": gid, "inputs": [rng.normal(size=(4, 8)).astype(F32), rng.normal(size=(8, 3)).astype(F32)]}
    _, out = until_inline(c, "grad", body)
    ok = metric(c, "gradserve_requests_total", endpoint="grad", code="ok")
    again = run(c, "grad", body)
    assert again["timing"]["lane"] == "inline"
    for a, b in zip(arrays(again), arrays(out)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert metric(c, "gradserve_requests_total", endpoint="grad", code="ok") == ok + 1
    assert c.get("/v1/devices").json()["admitting"] == 0
    late = dict(body, deadline_ms=1e-6)  # (a nanosecond: past by the time any check runs)
    late_count = metric(c, "gradserve_requests_total", endpoint="grad", code="deadline_exceeded")
    for _ in range(2):
        r = call(c, "grad", late, "binary")
        assert r.status_code == 504 and error_of(r)["code"] == "deadline_exceeded"
    assert metric(c, "gradserve_requests_total", endpoint="grad", code="deadline_exceeded") == late_count + 2
    assert c.get("/v1/devices").json()["admitting"] == 0


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="lending needs two cores")
def test_a_small_job_run_inline_takes_lent_cores_back(srv, c):
    """A worker lending its cores counts as idle, so a small job runs inline while another client's job holds
    them: before, it ran in the server's process on a core the borrower's helper thread held too (on a
    2-core box every core: another client's small calls had p90 10-13 ms against 4.6 with lending off,
    benchmarks/lend_share_attack.py). Lending yields to it as to a job sent to a worker: the lent job is
    reported reclaimed and the reclaim counted. Read from the answers and the metrics, never timings."""
    rng = np.random.default_rng(3)
    small = {"graph": mlp_net("mlp_lent"), "inputs": [rng.normal(size=(4, 8)).astype(F32),
                                                    rng.normal(size=(8, 3)).astype(F32)]}
    until_inline(c, "eval", small)
    for k in (60, 150, 400):  # a longer slow job if the last one ended before the small one was sent
        slow = {"graph": slow_net(512, k), "inputs": [slow_input(512)], "deadline_ms": 300_000}
        for _ in range(3):  # its first run compiles: a run on its worker's own cores that hit is measured
            if run(c, "eval", slow)["timing"]["compile_cache"] == "hit":
                break
        reclaims = metric(c, "gradserve_lend_reclaims_total", device="cpu")
        with srv.client(timeout=CEILING * 3) as other:
            th, box = in_thread(run, other, "eval", slow)
            while th.is_alive() and not any(w["borrowed"] for w in pool_of(c)["workers"]):
                time.sleep(0.01)
            if not th.is_alive():
                continue
            out = run(c, "eval", small)
            th.join(CEILING * 3)
        assert "result" in box, box.get("error")
        # (it ended before the small one came, or the small one went to a worker: a longer one)
        if out["timing"]["lane"] != "inline" or not box["result"]["timing"]["reclaimed"]:
            continue
        assert metric(c, "gradserve_lend_reclaims_total", device="cpu") == reclaims + 1
        return
    raise AssertionError("no slow request was reclaimed by a small job run inline while it held lent cores")
