"""Attacks on the registered-graph cache (graphs by content id, bounded in bytes and entries, shared by all):
one client registering distinct graphs without end evicted every other client's, whose jobs by graph_id then
got 404 graph_not_found. Now one client's entries hold at most half the cache (bytes and entries,
service.registry.LRU's per-owner share): past it, that client's own oldest go first. Round 16: two clients, each
within its half, filled the cache between them and the oldest entry of all went, a third client's graph; now past
the whole cache the client holding the most gives way.

A graph id names its content (the server hashes what it got: an upload cannot claim another's id: 400).
Against a real server (API keys k1 / k2 / k3 as three clients, a 2 MB / 16-entry cache). Expected values by hand."""
from __future__ import annotations

import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import call, decode, error_of
from .server import Server, module_server

F32 = np.float32
ENV = {"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_API_KEYS": "k1,k2,k3",
       "GRADSERVE_GRAPH_CACHE_BYTES": str(2 << 20), "GRADSERVE_GRAPH_CACHE_SIZE": "16"}


srv = module_server("attacks_graph_cache", devices="cpu", env=ENV)


def client(srv: Server, key: str) -> httpx.Client:
    return httpx.Client(base_url=srv.url, timeout=120, headers={"Authorization": f"Bearer {key}"})


def scaled_net(seed: float, size: int) -> dict:
    """x * w with w (`size` floats) all `seed`: distinct seeds, distinct graphs."""
    gb = GraphBuilder("scaled")
    x = gb.input((size,), name="x")
    w = gb.param("w", np.arange(size, dtype=F32) * 0 + F32(seed))
    return graph_to_json(gb.build(gb.mul(x, w)))


def register(c: httpx.Client, graph: dict) -> str:
    r = c.post("/v1/graphs", json={"graph": graph})
    assert r.status_code == 201, r.text[:300]
    return r.json()["graph_id"]


def eval_by_id(c: httpx.Client, gid: str, size: int) -> httpx.Response:
    return call(c, "eval", {"graph_id": gid, "inputs": [np.full(size, 2.0, F32)]})


@pytest.mark.parametrize("size, count", [(10_000, 40), (4, 100)], ids=["bytes", "entries"])
def test_one_client_registering_without_end_keeps_another_clients_graph(srv, size, count):
    with client(srv, "k2") as victim, client(srv, "k1") as attacker:
        mine = register(victim, scaled_net(-1.5, size))
        for i in range(count):  # 40 x ~360 KB (7x the cache: a JSON float counts 32 bytes), or 100 tiny (6x)
            register(attacker, scaled_net(float(i + size), size))
        r = eval_by_id(victim, mine, size)
        assert r.status_code == 200, r.text[:300]
        np.testing.assert_allclose(decode(r)["outputs"][0]["array"], np.full(size, -3.0, F32))
        last = register(attacker, scaled_net(float(count - 1 + size), size))  # the attacker's newest are kept
        np.testing.assert_allclose(decode(eval_by_id(attacker, last, size))["outputs"][0]["array"],
                                   np.full(size, 2.0 * (count - 1 + size), F32))


def test_an_upload_cannot_claim_another_graphs_id(srv):
    with client(srv, "k2") as victim, client(srv, "k1") as attacker:
        mine = register(victim, scaled_net(7.0, 4))
        r = call(attacker, "eval", {"graph": scaled_net(8.0, 4), "graph_id": mine, "inputs": [np.ones(4, F32)]})
        assert r.status_code == 400 and error_of(r)["detail"]["path"] == "$.graph_id", r.text[:300]
        np.testing.assert_allclose(decode(eval_by_id(victim, mine, 4))["outputs"][0]["array"], np.full(4, 14.0))


@pytest.mark.parametrize("size, count", [(4_000, 40), (4, 100)], ids=["bytes", "entries"])
def test_two_clients_filling_the_cache_between_them_keep_a_third_clients_graph(srv, size, count):
    """k1 and k2 each register distinct graphs without end, each within its half: before round 16 the cache then
    dropped its oldest entry of all, k3's graph (its jobs by id got 404). bytes: ~145 KB graphs (registry.json_bytes
    + graph_bytes), 7 to a half: 2 x 7 and k3's one are past 2 MB, under 16 entries; entries: tiny ones, 8 a half."""
    with client(srv, "k3") as victim, client(srv, "k1") as one, client(srv, "k2") as other:
        mine = register(victim, scaled_net(-2.5, size))
        for i in range(count // 2):
            register(one, scaled_net(float(1000 + i + size), size))
            register(other, scaled_net(float(2000 + i + size), size))
        r = eval_by_id(victim, mine, size)
        assert r.status_code == 200, r.text[:300]
        np.testing.assert_allclose(decode(r)["outputs"][0]["array"], np.full(size, -5.0, F32))
