"""Pool specs from settings: pinning, BLAS threads, missing runtimes named at start."""
from __future__ import annotations

import importlib.util
import os

import pytest

from service.pools import BLAS_THREAD_VARS, PoolStartError, build_specs
from service.settings import Settings


def test_cpu_workers_pinned_to_distinct_cores_with_matching_blas_threads():
    cores = sorted(os.sched_getaffinity(0))
    s = Settings(cpu_workers=len(cores))
    specs = build_specs("cpu", s)
    assert [sp.label for sp in specs] == [f"cpu:{i}" for i in range(len(cores))]
    assert sorted(c for sp in specs for c in sp.cores) == cores
    for sp in specs:
        assert sp.backend == "numpy" and all(sp.env[v] == str(len(sp.cores)) for v in BLAS_THREAD_VARS)


def test_unpinned_and_torch_backend():
    specs = build_specs("cpu", Settings(cpu_workers=1, pin_cpus=False, cpu_backend="torch"))
    assert specs[0].cores == [] and specs[0].backend == "torch"
    assert build_specs("torchcpu", Settings())[0].backend == "torch"


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_gpu_pool_without_cupy_names_the_install():
    with pytest.raises(PoolStartError, match=r"pip install 'gradserve\[gpu\]'"):
        build_specs("gpu", Settings(devices="gpu"))


@pytest.mark.skipif(importlib.util.find_spec("torch_npu") is not None, reason="torch_npu is installed")
def test_ascend_pool_without_torch_npu_names_the_install():
    with pytest.raises(PoolStartError, match=r"gradserve\[ascend\]"):
        build_specs("ascend", Settings(devices="ascend"))


def test_accelerator_specs_pin_one_device_per_worker(monkeypatch):
    """The gpu/ascend spec builder (no device here: the device count is given directly)."""
    from dataclasses import replace

    from service.pools import ACCELERATOR_POOLS, PoolStartError, _accelerator_specs

    gpu = replace(ACCELERATOR_POOLS["gpu"], modules=(), count=lambda: 2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    specs = _accelerator_specs("gpu", gpu, None)
    assert [s.label for s in specs] == ["gpu:0", "gpu:1"] and {s.device for s in specs} == {"cuda:0"}
    assert [s.env["CUDA_VISIBLE_DEVICES"] for s in specs] == ["3", "5"]  # physical ids behind logical ones
    assert {s.backend for s in specs} == {"cupy"}
    with pytest.raises(PoolStartError, match="no CUDA device is visible"):
        _accelerator_specs("gpu", replace(gpu, count=lambda: 0), None)


# -- scheduling state, without processes: readiness, cancel, routing ------------------------------------
class _Loop:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def _pool(states: list, deadlines: list, now: float = 100.0):
    from service.metrics import Metrics
    from service.pools import Job, Pool, Worker

    s = Settings(cpu_workers=len(states))
    p = Pool("cpu", build_specs("cpu", s), s, Metrics())
    p.loop = _Loop(now)
    for spec, st, dl in zip(p.specs, states, deadlines):
        w = Worker(p, spec)
        w.state = st
        if dl is not None:
            w.job = Job("k", "{}", [], {}, dl)
        p.workers.append(w)
    return p


def test_readiness_counts_only_workers_able_to_take_work():
    assert _pool(["idle", "busy"], [None, 50.0]).ready  # one idle worker
    assert _pool(["busy", "busy"], [150.0, 150.0]).ready  # busy within their deadlines: work will flow
    wedged = _pool(["busy", "busy"], [50.0, 60.0])  # both past their deadlines, waiting to be recycled
    assert not wedged.ready and wedged.describe()["state"] == "unavailable"
    assert not _pool(["starting", "dead"], [None, None]).ready


def test_routing():
    from service.errors import InvalidRequest, Unavailable
    from service.routing import device_names, route

    pools = {"cpu": _pool(["idle", "idle"], [None, None])}
    assert route(pools, "auto")[0] is pools["cpu"] and route(pools, "cpu:1") == (pools["cpu"], 1)
    assert device_names(pools) == ["cpu", "cpu:0", "cpu:1"]
    with pytest.raises(InvalidRequest):
        route(pools, "tpu")
    with pytest.raises(Unavailable):
        route(pools, "gpu")
    with pytest.raises(Unavailable):
        route(pools, "cpu:7")


def test_lending_takes_only_new_cores_and_threads_within_the_quota():
    """Four workers on two cores (two share each core): a lone job borrows one idle worker per other core,
    never a worker on its own core, and runs one thread per distinct core."""
    from service.pools import Job, WorkerSpec

    p = _pool(["busy", "idle", "idle", "idle"], [None] * 4)
    p.settings = p.settings.model_copy(update={"lend_min_ms": 0})
    for w, cores in zip(p.workers, ([0], [1], [0], [1])):
        w.spec = WorkerSpec(w.spec.index, w.spec.label, "numpy", cores=cores, threads=1)
    job = Job("k", "{}", [], {}, 200.0)
    p._lend(p.workers[0], job)
    assert job.lend == ([0, 1], 2) and p.workers[0].borrowed == [p.workers[1]]
    assert [w.lent_to for w in p.workers[1:]] == [p.workers[0], None, None]
    p.settings = p.settings.model_copy(update={"lend_cores": False})
    other = Job("k", "{}", [], {}, 200.0)
    p._lend(p.workers[2], other)
    assert other.lend is None and p.workers[2].borrowed == []


def test_pool_gauges_are_read_when_scraped():
    """queue_depth, workers_busy and workers_live say the pool's state at scrape time (not set per job)."""
    from collections import deque

    from prometheus_client import generate_latest

    from service.pools import Job

    p = _pool(["idle", "busy", "dead"], [None, 150.0, None])

    def gauges() -> dict:
        text = generate_latest(p.metrics.registry).decode()
        return {name: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                for name in ("gradserve_queue_depth", "gradserve_workers_busy", "gradserve_workers_live")
                if line.startswith(name + '{device="cpu"}')}

    assert gauges() == {"gradserve_queue_depth": 0, "gradserve_workers_busy": 1, "gradserve_workers_live": 2}
    p.workers[0].state = "busy"
    p.queue = deque([Job("k", "{}", [], {}, 200.0)])
    assert gauges() == {"gradserve_queue_depth": 1, "gradserve_workers_busy": 2, "gradserve_workers_live": 2}
