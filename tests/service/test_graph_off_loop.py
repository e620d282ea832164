"""A graph's JSON above core.GRAPH_OFF_LOOP (16 KiB) is registered, and a job's inline graph of more than
core.GRAPH_OFF_LOOP_NODES (256) nodes loaded, off the event loop.
Before, only bodies above 1 MiB were: an 8 K-node chain (566 KiB) was parsed, hashed, loaded and signed on the loop
(~0.3 s idle), and three clients registering such graphs back to back kept every other client's health probe waiting
up to 2.7 s (benchmarks/gc_stream.py). Checked by the thread the registry's load runs in: the loop's or another."""
from __future__ import annotations

import asyncio
import json
import threading

import httpx
import numpy as np

from benchmarks.graph_stall import chain
from fake_core import fake_app
from service.core import GRAPH_OFF_LOOP, GRAPH_OFF_LOOP_NODES, JobRequest


def load_threads(core) -> list[int]:
    """The thread of each registry load from now on (the real load runs)."""
    seen: list[int] = []
    real = core.registry.load

    def load(*a, **k):
        seen.append(threading.get_ident())
        return real(*a, **k)

    core.registry.load = load
    return seen


def body_of(nodes: int) -> bytes:
    return json.dumps({"graph": chain(nodes)}).encode()


def test_a_graph_above_16_kib_is_registered_off_the_event_loop_and_a_small_one_on_it():
    small, mid = body_of(20), body_of(1500)  # (~1.4 KiB; ~100 KiB, under the 1 MiB of the body budget's path)
    assert len(small) < GRAPH_OFF_LOOP < len(mid) < (1 << 20)
    _, app = fake_app(None)
    core = app.state.core
    seen = load_threads(core)

    async def main():
        loop = threading.get_ident()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            out = [await c.post("/v1/graphs", content=b, headers={"content-type": "application/json"})
                   for b in (small, mid)]
        return loop, out

    loop, (a, b) = asyncio.run(main())
    assert a.status_code == 201 and b.status_code == 201, (a.text[:200], b.text[:200])
    assert b.json()["signature"]["outputs"][0]["shape"] == [4]
    assert seen[0] == loop and seen[1] != loop and len(seen) == 2


def test_a_jobs_inline_graph_of_more_than_256_nodes_is_loaded_off_the_event_loop():
    _, app = fake_app(None)
    core = app.state.core
    seen = load_threads(core)
    x = {"inputs": [np.array([0.1, 0.2, 0.3, 0.4], np.float32)]}

    async def main():
        loop = threading.get_ident()
        for nodes in (20, GRAPH_OFF_LOOP_NODES + 2):  # (size hints under 1 MiB: a job's body, the graph within)
            await core.prepare(JobRequest(kind="eval", graph=chain(nodes), size_hint=100 << 10, **x))
        return loop

    loop = asyncio.run(main())
    assert len(seen) == 2 and seen[0] == loop and seen[1] != loop


def by_hash_graph(core) -> dict:
    """A 3-node graph (~0.7 KiB of JSON) whose weight, 4 floats, is named by the sha256 of its bytes (uploaded to
    core's tensor store here): loading it reads and copies its values' bytes, however small its JSON (a 200 MiB
    weight is 200 pieces, ~13 KiB)."""
    g = chain(3)
    w = np.array([0.5, -1.0, 2.0, 4.0], np.float32)
    for client in ("host:127.0.0.1", ""):  # (uploaded by both that name it: the ASGI client, a bare JobRequest)
        key, _ = core.tensors.put(w.tobytes(), client)
    g["params"] = [{"name": "w", "shape": [4], "dtype": "float32",
                    "value": {"shape": [4], "dtype": "float32", "sha256": [key]}}]
    g["nodes"].append({"op": "mul", "inputs": [g["outputs"], "w"], "outputs": ["scaled"], "attrs": {}})
    g["outputs"] = "scaled"
    return g


def test_a_graph_naming_values_by_hash_is_registered_and_loaded_off_the_event_loop():
    _, app = fake_app(None)
    core = app.state.core
    g = by_hash_graph(core)
    body = json.dumps({"graph": g}).encode()
    assert len(body) < GRAPH_OFF_LOOP
    seen = load_threads(core)

    async def main():
        loop = threading.get_ident()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.post("/v1/graphs", content=body, headers={"content-type": "application/json"})
        core.registry.graphs = type(core.registry.graphs)(1 << 30, 64)  # (the job's graph loaded again, not a hit)
        await core.prepare(JobRequest(kind="eval", graph=g, size_hint=1 << 10,
                                      inputs=[np.array([0.1, 0.2, 0.3, 0.4], np.float32)]))
        return loop, r

    loop, r = asyncio.run(main())
    assert r.status_code == 201, r.text[:300]
    assert len(seen) == 2 and seen[0] != loop and seen[1] != loop
