"""Bodies and graphs that make many Python containers, against a real server whose timeline (service.timeline:
GRADSERVE_TIMELINE) stamps each cyclic collection: they must not start the collector over and over while they are
parsed, unpickled and loaded (service.gc_pause). Before, 990 K `[]` (under max_json_containers) started hundreds of
collections between the body's read and its decode, ~0.8 s of the server's GIL in one unpickle, other clients'
health probes waiting up to 1.1 s; registering a 99 K-node chain started ~1500, ten of them full
(benchmarks/body_shape_attacks.py edge, benchmarks/graph_stall.py). Counted here, not timed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.graph_stall import chain
from service import gc_pause

from .helpers import error_of
from .server import server_in


@pytest.fixture(scope="module")
def timed(tmp_path_factory):
    """A server with a timeline directory; yields (server, a function reading its own stamps: [(name, ns)],
    flushed by stopping it)."""
    tl = tmp_path_factory.mktemp("collector_tl")
    with server_in(tmp_path_factory, "collector", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_TIMELINE": str(tl),
                        "GRADSERVE_MAX_JSON_CONTAINERS": "1000000", "GRADSERVE_MAX_NODES": "100000"}) as s:

        def stamps() -> list[tuple[str, int]]:
            s.stop()  # (stopping twice is harmless)
            lines = (tl / f"{s.proc.pid}.tl").read_text().split("\n")
            return [(f[1], int(f[2])) for f in (line.split() for line in lines) if len(f) == 3]

        yield s, stamps


def collections_between(stamps: list, k: int) -> list[str]:
    """The collections started between the k-th job's "srv.read" stamp and the next job's."""
    names = [n for n, _ in stamps]
    reads = [i for i, n in enumerate(names) if n == "srv.read"]
    return [n for n in names[reads[k]:reads[k + 1]] if n.startswith("gc.start.")]


def small_job(c) -> None:
    one = c.post("/v1/eval", json={"graph": chain(2), "inputs": [{"name": "x", "shape": [4], "datatype": "FP32",
                                                                  "data": [0.0, 0.5, 1.0, 2.0]}]})
    assert one.status_code == 200 and one.json()["outputs"][0]["data"] == pytest.approx(
        [0.0, 0.479425538604203, 0.8414709848078965, 0.9092974268256817], rel=1e-6), one.text[:300]


def test_a_body_of_containers_and_a_large_graph_start_no_collection_while_read(timed):
    s, stamps = timed
    with s.client(timeout=300) as c:
        # 990 K `[]` (2 MiB: parsed in the decoder process, unpickled here), an unknown field: its 400 names it
        body = b'{"graph_id":"g","x":[' + b",".join([b"[]"] * 990_000) + b"]}"
        r = c.post("/v1/eval", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400 and error_of(r)["detail"]["path"] == "$.x", r.text[:300]
        small_job(c)
        # a chain of 6 x gc_pause.NODES registered, then evaluated by id: its value is sin applied that often
        n = 6 * gc_pause.NODES
        reg = c.post("/v1/graphs", content=json.dumps({"graph": chain(n)}).encode(),
                     headers={"content-type": "application/json"})
        assert reg.status_code == 201, reg.text[:300]
        got = c.get(f"/v1/graphs/{reg.json()['graph_id']}")
        assert got.status_code == 200 and got.json()["graph"] == chain(n)
        small_job(c)
    seen = stamps()
    # the body: at most one collection from its read to the next job's (before: hundreds): the full one that
    # settles the unpickled value as the pause ends (gc_pause._settle), or a young one
    body_s = collections_between(seen, 0)
    assert len(body_s) <= 1, body_s
    # the registration (~120 K tracked objects loaded, past gc_settle_objects; before: ~350 collections, full ones
    # among them): the one full collection that walks the new graph once and freezes it, a few young ones from the
    # small job and the GET
    graph_s = collections_between(seen, 1)
    assert len(graph_s) <= 12 and graph_s.count("gc.start.2") <= 1, graph_s
