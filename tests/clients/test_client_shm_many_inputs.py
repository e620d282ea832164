"""A job whose large inputs fill more of a worker's kept input mappings than it keeps (service.worker.InputMaps:
32 mappings, 256 MiB) against a real server and worker: the worker drops the oldest of them to map the last
ones while the job's first inputs still view them. Such a drop used to unmap memory those inputs read
(np.ndarray(buffer=mmap) holds no buffer export, so mmap.close() succeeded): the worker died with SIGSEGV or,
when the allocator had put the job's temporaries there, answered with other bytes (h-msfid30's (a - b) / c of
3 x 25M floats: SIGSEGV, or a max error of 0.85). Here 40 inputs of 128 KiB each (5 MiB in all) from a region
of the client's own (each copied by the server into a buffer of its own: 40 mappings in the worker)."""
from __future__ import annotations

import httpx
import numpy as np

from engine import GraphBuilder
from engine.serialize import graph_to_json
from gradserve import _shm

F32 = np.float32
COUNT, N = 40, 32768  # > InputMaps.max_count mappings, each >= the server's client-shm buffer size (64 KiB)


def _restarts(url: str) -> float:
    lines = httpx.get(url + "/metrics", timeout=30).text.splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("gradserve_worker_restarts_total"))


def test_more_large_inputs_than_the_worker_keeps_mapped_answer_right_and_no_worker_dies(real_server):
    gb = GraphBuilder("many")
    xs = [gb.input((N,), name=f"x{i}") for i in range(COUNT)]
    total = xs[0]
    for x in xs[1:]:
        total = gb.add(total, x)
    g = graph_to_json(gb.build(total))
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(N).astype(F32) for _ in range(COUNT)]
    want = values[0].copy()
    for v in values[1:]:
        want += v  # float32, in the graph's order: the same roundings
    region = _shm.Region(COUNT * N * 4)
    for i, v in enumerate(values):
        region.mm[i * N * 4:(i + 1) * N * 4] = v.tobytes()
    url = real_server.url
    before = _restarts(url)
    name = f"many_{region.name}"
    assert httpx.post(f"{url}/v2/systemsharedmemory/region/{name}/register",
                      json={"key": "/" + region.name, "byte_size": region.size}, timeout=30).status_code == 200
    try:
        body = {"graph": g, "inputs": [{"shape": [N], "datatype": "FP32", "parameters": {
            "shared_memory_region": name, "shared_memory_offset": i * N * 4}} for i in range(COUNT)]}
        for _ in range(3):  # the second and third find the first one's mappings kept, and drop them in turn
            r = httpx.post(f"{url}/v1/eval", json=body, timeout=120)
            assert r.status_code == 200, r.text[:500]
            got = np.asarray(r.json()["outputs"][0]["data"], F32)
            np.testing.assert_array_equal(got, want)
        assert _restarts(url) == before
    finally:
        httpx.post(f"{url}/v2/systemsharedmemory/region/{name}/unregister", timeout=30)
        region.close()
