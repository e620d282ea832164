"""Round 18's graph attacks (one real server, two CPU workers).

Fixed: functions that each use the next one twice (f_i(x) = f_{i+1}(x) + f_{i+1}(f_{i+1}(x)), a chain of 20 in
~5 KB of JSON) inline 2**20 copies; lowering charged each to max_work and refused the graph only once it had spent
it: ~7 s of one idle core (14-30 s at load 18), in a worker for /v1/eval (504 at the 30 s deadline) or in the
server's deriving threads for /v1/grad, per request; two such requests kept another client's small job waiting up
to 30 s. Now the loaded graph's expansion is counted first (engine.serialize.check_expansion: one pass over the
functions in their order) and such a graph is a 413 max_work naming the node, at load, for jobs and registration
alike. A chain just under the limit still runs, and right (its value from NumPy).

Held (see the round's SERVICE_REPORT entry): a function calling itself, two calling each other, a cond whose
branch is its own function (functions use only those defined before them: 400 unknown function); reshape /
broadcast_to / tile / expand_dims sizes past 2^62 (400 / 413 naming the node)."""
from __future__ import annotations

import numpy as np
import pytest

from .helpers import call, canary, decode, error_of
from .server import module_server

srv = module_server("attacks_round18_graphs", devices="cpu", env={"GRADSERVE_CPU_WORKERS": "2"})
IN = [{"name": "x", "shape": [2], "dtype": "float32"}]
X = np.array([0.5, 1.0], np.float32)


def doubling(depth: int) -> dict:
    """sum(f0(x)): f_i(x) = f_{i+1}(x) + f_{i+1}(f_{i+1}(x)), f_{depth-1} = sin; deepest defined first."""
    fns = {f"f{depth - 1}": {"inputs": IN, "nodes": [{"op": "sin", "inputs": ["x"], "outputs": ["y"]}], "outputs": "y"}}
    for i in reversed(range(depth - 1)):
        nxt = f"f{i + 1}"
        fns[f"f{i}"] = {"inputs": IN, "outputs": "y", "nodes": [
            {"op": "call", "inputs": ["x"], "outputs": ["a"], "attrs": {"fn": nxt}},
            {"op": "call", "inputs": ["a"], "outputs": ["b"], "attrs": {"fn": nxt}},
            {"op": "add", "inputs": ["a", "b"], "outputs": ["y"]}]}
    return {"format": "gradserve.graph/1", "inputs": IN, "functions": fns, "outputs": "z",
            "nodes": [{"op": "call", "inputs": ["x"], "outputs": ["y"], "attrs": {"fn": "f0"}},
                      {"op": "sum", "inputs": ["y"], "outputs": ["z"]}]}


def doubling_value(depth: int, x: np.ndarray) -> float:
    def f(i, v):
        if i == depth - 1:
            return np.sin(v)
        a = f(i + 1, v)
        return a + f(i + 1, a)
    return float(np.sum(f(0, x.astype(np.float64))))


@pytest.fixture(scope="module")
def c(srv):
    with srv.client() as c:
        yield c


@pytest.mark.parametrize("kind", ["eval", "grad", "register"])
def test_functions_that_double_per_level_are_refused_at_load(c, kind):
    g = doubling(20)  # 2**20 copies of sin: ~2 M units of max_work (200 000)
    if kind == "register":
        r = c.post("/v1/graphs", json={"graph": g})
    else:
        r = call(c, kind, {"graph": g, "inputs": [X]})
    assert r.status_code == 413, r.text[:500]
    err = error_of(r)
    # counted before any lowering: the count names the whole expansion (lowering stops at max_work + 1)
    assert err["detail"]["limit"] == "max_work" and err["detail"]["got"] > 2_000_000, err
    assert err["detail"]["path"] == "$.nodes[0]" and "inline" in err["message"], err
    canary(c, no_restarts=True)


def test_a_doubling_chain_under_the_limit_still_runs_right(c):
    # 2**4 copies (deeper chains of sin amplify float32 rounding: at 8 levels float32 and float64 part ways)
    r = call(c, "eval", {"graph": doubling(5), "inputs": [X]})
    assert r.status_code == 200, r.text[:500]
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], doubling_value(5, X), rtol=1e-5)
