"""The graph registry's ids: an inline graph sent again is recognised without re-hashing its canonical form."""
from __future__ import annotations

import json

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
    monkeypatch.setattr(registry_module, "graph_hash", lambda d: calls.append(1) or graph_hash(d))
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
    with pytest.raises(InvalidRequest, match="canonical JSON"):
        core.registry._hash(graph, strict)
