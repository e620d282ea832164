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
