"""Registered graphs between clients (round 16, service.registry.LRU): two clients (two loopback addresses, as two
hosts or two API keys are) each register distinct graphs without end, each within its half of graph_cache_size.

Fixed: together they filled the cache, and past it the oldest entry of all went: a third client's registered graph,
whose jobs by id then got 404. Now the owner holding the most gives way (its own oldest), so the third client's
graph stays registered."""
from __future__ import annotations

import httpx

from .server import module_server

CACHE = 16  # graph_cache_size: each flooding client may hold 8
srv = module_server("graph_share", devices="cpu", env={"GRADSERVE_GRAPH_CACHE_SIZE": str(CACHE)})


def graph(k: int) -> dict:
    """A distinct graph per k (its input's name is part of its id)."""
    return {"format": "gradserve.graph/1", "inputs": [{"name": f"x{k}", "shape": [2], "dtype": "float32"}],
            "nodes": [{"op": "sin", "inputs": [f"x{k}"], "outputs": ["y"]}], "outputs": "y"}


def client_at(srv, address: str) -> httpx.Client:
    return httpx.Client(base_url=srv.url, timeout=60, transport=httpx.HTTPTransport(local_address=address))


def test_two_clients_filling_the_graph_cache_leave_a_third_clients_graph_registered(srv):
    with client_at(srv, "127.0.0.1") as mine:
        r = mine.post("/v1/graphs", json={"graph": graph(-1)})
        assert r.status_code == 201, r.text[:300]
        gid = r.json()["graph_id"]
        for n, address in enumerate(("127.0.0.2", "127.0.0.3")):
            with client_at(srv, address) as flood:
                for k in range(3 * CACHE):
                    r = flood.post("/v1/graphs", json={"graph": graph(1000 * (n + 1) + k)})
                    assert r.status_code == 201, r.text[:300]
        r = mine.post("/v1/eval", json={"graph_id": gid, "inputs": [{"shape": [2], "datatype": "FP32",
                                                                     "data": [0.5, 1.0]}]})
        assert r.status_code == 200, r.text[:300]
        assert mine.get(f"/v1/graphs/{gid}").status_code == 200
