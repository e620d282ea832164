"""Derivative-aware dynamic batching (service.batching) on a real server: concurrent jobs on the same
derived graph run as one vmapped job, each caller getting its own per-example result (never a
gradient summed across callers)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from .conftest import RealServer, _service_importable


@pytest.fixture(scope="module")
def batching_server(tmp_path_factory):
    why = _service_importable()
    if why is not None:
        pytest.skip(why)
    s = RealServer(tmp_path_factory.mktemp("batching") / "server.log",
                   env={"GRADSERVE_BATCH_DELAY_MS": "200", "GRADSERVE_QUEUE_SIZE": "64"})
    yield s
    s.stop()


GRAPH = {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [3], "dtype": "float32"}],
         "params": [{"name": "w", "shape": [3], "dtype": "float32",
                     "value": {"shape": [3], "dtype": "float32", "data": [1.0, 2.0, 3.0]}}],
         "nodes": [{"op": "mul", "inputs": ["x", "w"], "outputs": ["t"]},
                   {"op": "sin", "inputs": ["t"], "outputs": ["s"]},
                   {"op": "sum", "inputs": ["s"], "outputs": ["y"]}],
         "outputs": "y"}
W = np.array([1.0, 2.0, 3.0], np.float32)


def test_concurrent_jobs_are_batched_and_each_gets_its_own_gradient(batching_server):
    url = batching_server.url
    gid = httpx.post(url + "/v1/graphs", json={"graph": GRAPH}, timeout=30).json()["graph_id"]
    xs = [np.random.default_rng(i).normal(size=3).astype(np.float32) for i in range(12)]

    def call(x):
        body = {"graph_id": gid, "inputs": [{"shape": [3], "datatype": "FP32", "data": x.tolist()}],
                "grad_position": 0, "weights": ["w"]}
        r = httpx.post(url + "/v1/grad", json=body, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    with ThreadPoolExecutor(12) as ex:
        res = list(ex.map(call, xs))
    for x, r in zip(xs, res):
        dx, dw = (np.asarray(o["data"], np.float32) for o in r["outputs"])
        np.testing.assert_allclose(dx, np.cos(x * W) * W, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dw, np.cos(x * W) * x, rtol=1e-5, atol=1e-6)  # this caller's, not a sum
    assert max(r["timing"].get("batch", 1) for r in res) > 1  # some ran together


def test_a_lone_job_and_per_job_parameters_still_run(batching_server):
    url = batching_server.url
    x = {"shape": [3], "datatype": "FP32", "data": [0.1, 0.2, 0.3]}
    r = httpx.post(url + "/v1/eval", json={"graph": GRAPH, "inputs": [x]}, timeout=30)
    assert r.status_code == 200 and "batch" not in r.json()["timing"]
    w = {"shape": [3], "datatype": "FP32", "data": [0.0, 0.0, 0.0]}
    r = httpx.post(url + "/v1/eval", json={"graph": GRAPH, "inputs": [x], "params": {"w": w}}, timeout=30)
    assert r.status_code == 200 and r.json()["outputs"][0]["data"] == [0.0]
