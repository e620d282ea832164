"""service.timeline: the debug stamps are off unless GRADSERVE_TIMELINE names a directory; on, each process
writes "<pid> <name> <ns>" lines (CLOCK_MONOTONIC) to its own file. Against a real server: one large job's
stamps from the server and its worker lie in the order the job went (one clock across processes)."""
from __future__ import annotations

import os
import time
from collections import defaultdict

import numpy as np

import gradserve as gs
from engine import GraphBuilder
from engine.serialize import graph_to_json
from service import timeline
from tests.e2e.server import server_in


def _read(d) -> list[tuple[int, str, int]]:
    out = []
    for p in d.glob("*.tl"):
        for line in p.read_text().splitlines():
            pid, name, ns = line.split()
            out.append((int(pid), name, int(ns)))
    return out


def test_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(timeline, "DIR", None)
    monkeypatch.setattr(timeline, "_lines", [])
    timeline.stamp("a")
    timeline.flush()
    assert timeline._lines == [] and list(tmp_path.iterdir()) == []


def test_on_writes_stamps_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(timeline, "DIR", str(tmp_path))
    monkeypatch.setattr(timeline, "_lines", [])
    monkeypatch.setattr(timeline, "FLUSH", 3)
    t0 = time.monotonic_ns()
    for name in ("a", "b", "c", "d"):
        timeline.stamp(name)
    assert len(_read(tmp_path)) == 3  # the first FLUSH went out by themselves
    timeline.flush()
    got = _read(tmp_path)
    assert [n for _, n, _ in got] == ["a", "b", "c", "d"]
    assert {p for p, _, _ in got} == {os.getpid()}
    ns = [t for _, _, t in got]
    assert t0 <= ns[0] and ns == sorted(ns) and ns[-1] <= time.monotonic_ns()
    assert (tmp_path / f"{os.getpid()}.tl").exists()


def test_a_worker_job_laid_out_across_processes(tmp_path, tmp_path_factory):
    d = tmp_path / "tl"
    d.mkdir()
    with server_in(tmp_path_factory, "timeline", env={"GRADSERVE_TIMELINE": str(d)}, devices="cpu") as srv:
        client = gs.Client(srv.url)
        x = np.random.default_rng(0).standard_normal((256, 512)).astype(np.float32)  # 0.5 MB: shared memory
        gb = GraphBuilder("tl")
        a = gb.input((256, 512), name="x")
        graph = graph_to_json(gb.build(gb.sum(gb.mul(gb.tanh(a), a))))
        r = client.grad(graph, [x])  # a graph's first run goes to a worker (the inline lane has not measured it)
        np.testing.assert_allclose(r.value, np.tanh(x) + x * (1 - np.tanh(x) ** 2), rtol=1e-5, atol=1e-6)
        assert r.timing["lane"] == "worker"
        workers = set(srv.worker_pids())
        client.close()
    # (stopped: the server writes its stamps at exit; a worker after each job)
    by_pid = defaultdict(dict)
    for pid, name, ns in _read(d):
        by_pid[pid][name] = ns  # the last of each: the job (a worker may have run a warm-up before)
    server = by_pid[srv.proc.pid]
    ran = [v for p, v in by_pid.items() if p in workers and "wk.c0" in v]
    assert len(ran) == 1  # the one job ran on one worker
    worker = ran[0]
    order = [server["srv.read"], server["srv.decoded"], server["srv.submit"], server["srv.to_worker"],
             worker["wk.recv"], worker["wk.c0"], worker["wk.c1"], worker["wk.out"], server["srv.from_worker"],
             server["srv.result"]]
    assert order == sorted(order)
