"""A binary job header met before keeps what the core's prepare found for it (service.core.Core._prepared):
the next jobs of that header skip the checks and the derivation lookup, yet get this request's own arrays,
the same derived graph, and every error they got before (a graph no longer registered, a first job that
failed its checks, a graph registered again)."""
from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service import core as core_module
from service import head_memo, http_app
from service.core import Core
from service.errors import InvalidRequest, NotFound
from service.settings import Settings


def _graph() -> dict:
    gb = GraphBuilder("r")
    x, w = gb.input((2, 3), name="x"), gb.param("w", shape=(3,))
    return graph_to_json(gb.build(gb.sum(gb.mul(x, w))))


def _body(gid: str, x: np.ndarray, w: np.ndarray) -> tuple[bytes, str]:
    def env(a):
        return {"shape": list(a.shape), "datatype": "FP32", "parameters": {"binary_data_size": a.nbytes}}

    head = json.dumps({"graph_id": gid, "inputs": [env(x)], "params": {"w": env(w)}, "binary_output": True}).encode()
    return head + x.tobytes() + w.tobytes(), str(len(head))


@pytest.fixture
def setup(monkeypatch):
    core, s, memo = Core(Settings()), Settings(), head_memo.HeadMemo()
    gid = core.register_graph(_graph())["graph_id"]
    checks = []
    real = core_module.check_inputs
    monkeypatch.setattr(core_module, "check_inputs", lambda c, req: checks.append(1) or real(c, req))

    def prepare(kind, x, w, graph_id=gid):
        req, _ = http_app.decode_job(kind, *_body(graph_id, x, w), s, None, memo)
        return asyncio.run(core.prepare(req)), req

    return core, gid, checks, prepare


def test_a_repeated_header_is_prepared_once_and_each_job_gets_its_own_arrays(setup):
    core, gid, checks, prepare = setup
    firsts = {}
    for k in range(4):
        x, w = np.full((2, 3), k, np.float32), np.arange(3, dtype=np.float32) + k
        for kind in ("eval", "grad"):
            (got_gid, d, inputs, params), req = prepare(kind, x, w)
            assert req.recipe is not None and req.recipe.prepared is not None
            assert got_gid == gid and d is firsts.setdefault(kind, d)  # the same derived graph every time
            assert [a.tolist() for a in inputs] == [x.tolist()] and params["w"].tolist() == w.tolist()
    assert len(checks) == 2  # the first job of each header; the six after it came from the recipe


def test_a_graph_that_left_the_registry_is_not_found_even_from_a_recipe(setup):
    core, gid, checks, prepare = setup
    x, w = np.ones((2, 3), np.float32), np.ones(3, np.float32)
    prepare("eval", x, w)
    core.registry.graphs.d.clear()  # evicted
    with pytest.raises(NotFound):
        prepare("eval", x, w)
    assert core.register_graph(_graph())["graph_id"] == gid  # registered again: a new Graph object
    (_, _, inputs, _), _ = prepare("eval", x, w)
    assert len(checks) == 2  # checked again in full against the graph now registered
    prepare("eval", x, w)
    assert len(checks) == 2


def test_a_derived_graph_evicted_from_the_derivers_cache_is_prepared_in_full(setup):
    core, _, checks, prepare = setup
    x, w = np.ones((2, 3), np.float32), np.ones(3, np.float32)
    prepare("grad", x, w)
    core.deriver.cache.d.clear()
    prepare("grad", x, w)
    assert len(checks) == 2


def test_a_header_whose_first_job_failed_fails_every_time(setup):
    _, _, checks, prepare = setup
    x, w = np.ones((3, 2), np.float32), np.ones(3, np.float32)  # the graph takes x as float32[2,3]
    for _ in range(3):
        with pytest.raises(InvalidRequest, match=r"inputs\[0\]: expected float32\[2,3\], got float32\[3,2\]"):
            prepare("eval", x, w)
    assert len(checks) == 3
