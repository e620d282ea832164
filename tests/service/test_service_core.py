"""The graph registry's ids: an inline graph sent again is recognised without re-hashing its canonical form."""
from __future__ import annotations

import json
import re

import pytest

from engine import GraphBuilder
from engine.serialize import graph_hash, graph_to_json
from service import codec
from service import registry as registry_module
from service.core import Core
from service.errors import InvalidRequest
from service.settings import Settings


def _graph_text() -> str:
    gb = GraphBuilder("s")
    x = gb.input((2, 3), name="x")
    text = json.dumps(graph_to_json(gb.build(gb.sum(gb.mul(x, x)))))
    assert "null" in text  # sum over all axes: "axis": null
    return text


def test_an_inline_graph_sent_again_is_hashed_once(monkeypatch):
    calls = []
    monkeypatch.setattr(registry_module, "graph_hash", lambda d, **kw: calls.append(1) or graph_hash(d, **kw))
    core = Core(Settings())
    text = _graph_text()
    ids = [core.registry._hash(*codec.loads(text.encode()))[0] for _ in range(3)]
    assert ids == [graph_hash(json.loads(text))] * 3  # the id the SDK computes
    assert len(calls) == 1  # the canonical form once; after that the orjson form's hash finds it
    # the same graph, keys in another order and other spacing: the same graph, found the same way
    shuffled = json.dumps(dict(reversed(list(json.loads(text).items()))), indent=2)
    assert core.registry._hash(*codec.loads(shuffled.encode()))[0] == ids[0] and len(calls) == 1


def test_a_graph_with_nan_never_passes_for_its_null_twin(monkeypatch):
    """orjson writes NaN as null: a graph holding NaN must not find the id of the one holding null."""
    core = Core(Settings())
    text = _graph_text()
    core.registry._hash(*codec.loads(text.encode()))  # the null version is known
    graph, strict = codec.loads(text.replace("null", "NaN", 1).encode())
    assert not strict
    with pytest.raises(InvalidRequest, match=r"graph holds NaN at \$\.graph\.nodes\[1\]\.attrs\.axis"):
        core.registry._hash(graph, strict)


def test_the_checks_kept_per_graph_still_refuse_every_mismatch():
    """check_inputs / check_extra compare with what Core.checks keeps per graph id and derived key: after a
    job has passed (and the checks are kept), each kind of mismatch is still refused, named as before."""
    import asyncio

    import numpy as np

    from service.core import JobRequest

    gb = GraphBuilder("c")
    x, w = gb.input((2, 3), name="x"), gb.param("w", shape=(3,))
    graph = graph_to_json(gb.build(gb.sum(gb.mul(x, w))))
    core = Core(Settings())
    ok = {"inputs": [np.ones((2, 3), np.float32)], "params": {"w": np.ones(3, np.float32)}}

    def prepare(kind="eval", **over):
        return asyncio.run(core.prepare(JobRequest(kind=kind, graph=graph, **{**ok, **over})))

    for kind in ("eval", "grad", "eval"):
        assert len(prepare(kind)[2]) == 1
    assert len(core.checks) == 3  # the graph, its eval and its grad
    bad = {
        "inputs[0]: expected float32[2,3], got float32[3,2]": {"inputs": [np.ones((3, 2), np.float32)]},
        "inputs[0]: expected float32[2,3], got float64[2,3]": {"inputs": [np.ones((2, 3))]},
        "the graph takes 1 input(s), got 2": {"inputs": [np.ones((2, 3), np.float32)] * 2},
        "unknown parameter 'v'; the graph has ['w']": {"params": {"w": ok["params"]["w"], "v": ok["params"]["w"]}},
        "params.w: expected float32[3], got float32[4]": {"params": {"w": np.ones(4, np.float32)}},
        "parameter 'w' has no value in the graph": {"params": {}},
    }
    for msg, over in bad.items():
        with pytest.raises(InvalidRequest, match=re.escape(msg)) as e:
            prepare(**over)
        assert e.value.code == "shape_error"
    assert len(prepare("grad", options={"sens": [np.ones((), np.float32)]})[2]) == 2  # the derived graph's checks
    with pytest.raises(InvalidRequest, match=re.escape("expected float32[], got float32[2]")):
        prepare("grad", options={"sens": [np.ones(2, np.float32)]})
    with pytest.raises(InvalidRequest, match=re.escape("sens: expected 1 tensor(s), got 2")):
        prepare("grad", options={"sens": [np.ones((), np.float32)] * 2})
