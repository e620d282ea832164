"""Attacks with wide nodes: one node with thousands of inputs (concat / stack / add_n of many).

max_work bounds the work of building (lowering, deriving) a graph: it was counted one unit per node emitted,
whatever the node's arity, while emitting a node costs time in its inputs (shape inference, the CSE key, the
optimizer's passes each walk them): a 4000-input concat cost ~350 times a unary node. A function holding one
called 60 times chained was 240 units of max_work and 10-20 s of a worker's CPU (the test box), hours within
the budget. Now a node costs a unit more per 8 inputs (engine.builder.node_work): that graph is refused 413
naming max_work, while one such node alone, well within the budget, is still answered right.

Against a real server (2 cpu workers, max_work 20000). Expected values by hand: the sum of N copies of x is N*x."""
from __future__ import annotations

import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import call, canary, decode, error_of
from .server import module_server

F32 = np.float32
MAX_WORK = 20_000
WIDE = 4000  # inputs of the wide node: 500 units of work each time it is emitted (engine.builder.node_work)
CALLS = 60  # 60 wide emissions: ~30 000 units, past max_work (240 when a node was one unit whatever its arity)
ENV = {"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_MAX_WORK": str(MAX_WORK)}


srv = module_server("attacks_wide", devices="cpu", env=ENV)


@pytest.fixture
def c(srv):
    with httpx.Client(base_url=srv.url, timeout=120) as cl:
        yield cl


def wide_calls(calls: int, wide: int = WIDE, op: str = "concat") -> dict:
    """f(x) = sum(op(x, x, ..., x)) with `wide` inputs, called `calls` times chained: a few KB of JSON."""
    fb = GraphBuilder("wide")
    x = fb.input((1,), name="x")
    joined = fb.emit1(op, *([x] * wide), **({} if op == "add_n" else {"axis": 0}))
    f = fb.build(fb.sum(joined, axis=tuple(range(len(joined.shape))), keepdims=False))
    gb = GraphBuilder("main")
    name = gb.function(f)
    y = gb.input((1,), name="y")
    for _ in range(calls):
        y = gb.reshape(gb.emit1("call", y, fn=name), shape=(1,))
    return graph_to_json(gb.build(y))


@pytest.mark.parametrize("op", ["concat", "stack"])
def test_many_wide_nodes_count_their_inputs_against_max_work(c, op):
    r = call(c, "eval", {"graph": wide_calls(CALLS, op=op), "inputs": [np.full(1, 0.5, F32)]})
    assert r.status_code == 413, r.text[:500]
    assert error_of(r)["detail"]["limit"] == "max_work", r.text[:500]
    canary(c, no_restarts=True)


@pytest.mark.parametrize("op", ["concat", "stack"])
def test_one_wide_node_within_max_work_is_answered_right(c, op):
    r = call(c, "eval", {"graph": wide_calls(1, op=op), "inputs": [np.full(1, 0.5, F32)]})
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], [0.5 * WIDE], rtol=1e-6)
