"""Graphs as deep as they are long: a chain of thousands of ops (past Python's recursion limit) is built,
serialized, derived (grad, jvp, vjp) and lowered without a recursion per node (h-fuzz3: the jvp of such a
chain once hit RecursionError in engine.contract's mul-tree walk, a 500 on the server). Expected values by
the chain rule in NumPy float64."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from engine import transforms as T
from engine.serialize import graph_from_json, graph_to_json

N = 3 * sys.getrecursionlimit()  # (1000 by default: a walk recursing per node would fail well before)
X0 = np.array([0.1, 0.2, 0.3], np.float32)


@pytest.fixture(scope="module")
def chain():
    gb = GraphBuilder("deep")
    y = x = gb.input((3,), name="x")
    for _ in range(N):
        y = gb.sin(y)
    return graph_from_json(graph_to_json(gb.build(gb.sum(y))))


@pytest.fixture(scope="module")
def want():
    """(sum of the chain, its gradient) by NumPy: d sin^N(x) = prod of cos of the intermediate values."""
    y, d = X0.astype(np.float64), np.ones(3)
    for _ in range(N):
        d, y = d * np.cos(y), np.sin(y)
    return y.sum(), d


@pytest.fixture(scope="module")
def eng():
    return Engine("numpy", max_nodes=10 ** 6)


def test_eval_and_grad(chain, want, eng):
    np.testing.assert_allclose(eng.run(chain, [X0]), want[0], rtol=1e-4)
    np.testing.assert_allclose(eng.run(T.grad(chain), [X0]), want[1], rtol=1e-3)


def test_jvp_of_a_deep_chain(chain, want, eng):
    """The tangent is a mul chain as deep as the graph (what engine.contract walked recursively)."""
    t = np.array([1.0, 0.5, -2.0], np.float32)
    out, tan = eng.run(T.jvp(chain), [X0, t])
    np.testing.assert_allclose(out, want[0], rtol=1e-4)
    np.testing.assert_allclose(tan, (want[1] * t).sum(), rtol=1e-3)


def test_vjp_of_a_deep_chain(chain, want, eng):
    out, (g,) = eng.run(T.vjp(chain), [X0, np.float32(2.0)])
    np.testing.assert_allclose(g, 2 * want[1], rtol=1e-3)
