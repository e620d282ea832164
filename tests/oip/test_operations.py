"""Operations: JSON logs with an access log line per request, worker tracebacks in the log, and the CPU
count from the container's quota (cgroup v2 / v1) and affinity."""
from __future__ import annotations

import json
import multiprocessing
import os
import time

import httpx
import pytest

from e2e.helpers import X, Y
from e2e.server import Server
from engine.api import GraphBuilder
from engine.serialize import graph_to_json
from service import cpu_quota
from service.settings import Settings


@pytest.fixture(scope="module")
def json_server(tmp_path_factory, repo_dir):
    s = Server(tmp_path_factory.mktemp("json_logs") / "server.log", devices="cpu",
               env={"GRADSERVE_MODEL_REPOSITORY": str(repo_dir), "GRADSERVE_CPU_WORKERS": "1"},
               args=["--log-format", "json", "--access-log"])
    yield s
    s.stop()


def log_records(server) -> list[dict]:
    server.output()  # flushes; the whole file is read, not output()'s last 20 kB (which may cut a line)
    lines = [ln for ln in server.log_path.read_text(errors="replace").splitlines() if ln.strip()]
    bad = [ln for ln in lines if not ln.startswith("{")]
    assert not bad, f"non-JSON log lines: {bad[:5]}"
    return [json.loads(ln) for ln in lines]


def test_json_logs_and_an_access_line_per_request(json_server):
    body = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist()},
                       {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.ravel().tolist()}]}
    ok = httpx.post(json_server.url + "/v2/models/seed_grad/infer", json=body, headers={"X-Request-ID": "rid-ok"})
    assert ok.status_code == 200
    bad = httpx.post(json_server.url + "/v2/models/seed_grad/infer", json={"inputs": []},
                     headers={"X-Request-ID": "rid-bad"})
    assert bad.status_code == 400
    access: dict = {}
    deadline = time.monotonic() + 30  # the line is written once the response is sent: wait for it, generously
    while time.monotonic() < deadline:
        access = {r.get("request_id"): r for r in log_records(json_server) if r["logger"] == "gradserve.access"}
        if "rid-ok" in access and "rid-bad" in access:
            break
        time.sleep(0.05)
    assert access["rid-ok"]["status"] == 200 and access["rid-bad"]["status"] == 400
    assert access["rid-ok"]["path"] == "/v2/models/seed_grad/infer" and access["rid-ok"]["ms"] > 0
    levels = {r["level"] for r in log_records(json_server)}
    assert "info" in levels and all({"ts", "logger", "message"} <= set(r) for r in log_records(json_server))


def _identity_graph():
    gb = GraphBuilder("g")
    return gb.build(gb.identity(gb.input((2,), "float32", "x")))


def test_a_failing_job_logs_the_workers_traceback(monkeypatch, capfd):
    """A job that fails inside the worker with an unexpected exception (here: an input in a shared-memory
    segment that does not exist, which the server never sends) fails only itself, and its traceback goes
    to the log as JSON."""
    from service.worker import worker_main

    monkeypatch.setenv("GRADSERVE_LOG_FORMAT", "json")
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=True)
    spec = {"backend": "numpy", "device": None, "cores": [], "threads": 1, "cache_size": 4, "max_nodes": 100,
            "shm_threshold": 1 << 20, "owner": os.getpid()}
    p = ctx.Process(target=worker_main, args=(child, spec), daemon=True)
    p.start()
    try:
        assert parent.poll(60) and parent.recv()[0] == "ready"
        graph = json.dumps(graph_to_json(_identity_graph()))
        parent.send(("job", 7, "k", graph, [("shm", "gs_no_such_segment", [2], "<f4")], {}, []))
        assert parent.poll(60)
        kind, job_id, err = parent.recv()
        assert (kind, job_id, err["code"]) == ("error", 7, "execution_error")
        parent.send(("stop",))
        p.join(30)
    finally:
        if p.is_alive():
            p.kill()
    recs = [json.loads(ln) for ln in capfd.readouterr().err.splitlines() if ln.startswith("{")]
    failed = [r for r in recs if r["logger"] == "gradserve.worker"]
    assert failed and failed[0]["message"] == "job 7 failed" and "FileNotFoundError" in failed[0]["exc"]
    assert "Traceback" in failed[0]["exc"]


# -- CPU quota --------------------------------------------------------------------------------------
def _v2(tmp_path, cpu_max: dict, own: str = "/"):
    root = tmp_path / "cg"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpu memory\n")
    for rel, value in cpu_max.items():
        d = root / rel.strip("/") if rel.strip("/") else root
        d.mkdir(parents=True, exist_ok=True)
        (d / "cpu.max").write_text(value + "\n")
    proc = tmp_path / "proc_cgroup"
    proc.write_text(f"0::{own}\n")
    return root, proc


def test_cgroup_v2_quota(tmp_path):
    root, proc = _v2(tmp_path, {"/": "200000 100000"})
    assert cpu_quota.quota_cpus(root, proc) == 2.0


def test_cgroup_v2_nested_path_takes_the_lowest_limit(tmp_path):
    root, proc = _v2(tmp_path, {"/": "max 100000", "kubepods": "800000 100000", "kubepods/pod1/c1": "150000 100000"},
                     own="/kubepods/pod1/c1")
    assert cpu_quota.quota_cpus(root, proc) == 1.5


def test_cgroup_v2_without_limit(tmp_path):
    root, proc = _v2(tmp_path, {"/": "max 100000"})
    assert cpu_quota.quota_cpus(root, proc) is None


def test_cgroup_v1_quota(tmp_path):
    root = tmp_path / "cg"
    d = root / "cpu,cpuacct" / "docker" / "abc"
    d.mkdir(parents=True)
    (d / "cpu.cfs_quota_us").write_text("50000\n")
    (d / "cpu.cfs_period_us").write_text("100000\n")
    (root / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("-1\n")
    (root / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n")
    proc = tmp_path / "proc_cgroup"
    proc.write_text("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n")
    assert cpu_quota.quota_cpus(root, proc) == 0.5


@pytest.mark.parametrize("quota, affinity, want", [("200000 100000", 64, 2), ("150000 100000", 64, 2),
                                                   ("50000 100000", 64, 1), ("max 100000", 6, 6),
                                                   ("800000 100000", 3, 3)])
def test_usable_cpus_is_affinity_capped_by_quota(tmp_path, monkeypatch, quota, affinity, want):
    root, proc = _v2(tmp_path, {"/": quota})
    monkeypatch.setattr(cpu_quota, "affinity_cpus", lambda: affinity)
    assert cpu_quota.usable_cpus(root, proc) == want


def test_worker_count_and_blas_threads_follow_the_quota(tmp_path, monkeypatch):
    """A 2-CPU quota on a host whose affinity mask shows 64 cores: 2 workers of 1 BLAS thread, not 64 x 32."""
    from service import pools

    root, proc = _v2(tmp_path, {"/": "200000 100000"})
    monkeypatch.setattr(cpu_quota, "CGROUP", root)
    monkeypatch.setattr(cpu_quota, "PROC_CGROUP", proc)
    monkeypatch.setattr(cpu_quota, "affinity_cpus", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    monkeypatch.delenv("GRADSERVE_CPU_WORKERS", raising=False)
    s = Settings()
    assert s.cpu_workers == 2
    specs = pools._cpu_specs("cpu", s.cpu_workers, "numpy", s)
    assert [sp.threads for sp in specs] == [1, 1]
    assert all(sp.env["OMP_NUM_THREADS"] == "1" for sp in specs)
