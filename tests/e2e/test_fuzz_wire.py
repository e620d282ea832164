"""A slice of the op fuzz (tests/engine/_fuzz.py, swept in full in-process by tests/engine/test_fuzz_ops.py)
over the wire, HTTP and gRPC, against the session server: every case answers what the in-process sweep
predicts (status and code), a refusal is a 4xx naming the node, field or limit, no worker dies, and the
server serves a canary afterwards. Plus a work bomb with no input data: cut by its deadline, the worker
replaced, everyone else served."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from .helpers import metric, wait_for_pool

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))  # the fuzz's cases live there
from _fuzz import (FuzzCase, Outcome, _pick, derivative_of, mutations, op_sweep, outcome, request_of,  # noqa: E402
                   seed_cases, verdict)

SEEDS = seed_cases()
# the ops whose findings were fixed (tests/engine/test_fuzz_findings.py), and every 7th op of the catalog
FOUND = ("sort", "top_k", "neg", "sub", "softmax", "logsumexp", "sigmoid", "rsqrt", "mean", "gather", "lu",
         "svd", "index", "index_scatter", "vmap", "cumprod", "real")
WIRE_OPS = sorted(set(FOUND) | set(sorted(SEEDS)[::7]))


def wire_cases() -> list[FuzzCase]:
    """Per op: the seed under eval and under one derivative kind, and one mutation of each class (arity,
    attribute, shape, dtype), chosen per op so the slice differs from op to op and stays the same run to run."""
    out = []
    for op in WIRE_OPS:
        sweep = op_sweep(op, SEEDS[op])
        by_id = {c.id: c for c in sweep}
        out.append(by_id[f"{op}/seed:eval"])
        out.append(derivative_of(by_id[f"{op}/seed:eval"]))
        names = [n for n, _ in mutations(op)]
        for cls in ("arity:", "attr:", "shape:", "dtype:"):
            picks = [c for n in names if n.startswith(cls) and (c := by_id.get(f"{op}/{n}")) is not None]
            if picks:
                out.append(_pick(op + cls, picks))
    return out


CASES = wire_cases()
TENSOR_PATHS = ("$.inputs[", "$.sens", "$.tangents", "$.v")


def _answer(proto, case: FuzzCase) -> Outcome:
    inputs, options = request_of(case)
    enc = "b64" if case.fill == "nan" else _pick(case.id, ("json", "b64", "binary"))
    t0 = time.monotonic()
    a = proto.call(case.kind, case.graph, inputs, enc=enc, timeout=60, **options)
    return Outcome(a.status, a.code, (a.error or {}).get("message", ""), dict((a.error or {}).get("detail") or {}),
                   time.monotonic() - t0)


def test_the_wire_slice_spans_the_mutation_classes():
    ids = [c.id for c in CASES]
    for cls in ("/seed:eval", "/arity:", "/attr:", "/shape:", "/dtype:"):
        assert sum(cls in i for i in ids) >= 10, cls
    assert len(WIRE_OPS) >= 30


def test_hostile_graphs_over_the_wire_answer_as_in_process(proto, server):
    with server.client() as c:
        restarts = metric(c, "gradserve_worker_restarts_total")
        pids = sorted(server.worker_pids())
    problems = []
    for case in CASES:
        want = outcome(case)
        got = _answer(proto, case)
        bad = verdict(case, got)
        # the codec refuses some tensors before the graph is read (rank past 32 at $.inputs[i].shape): the
        # same status, another code; everything else answers exactly as predicted
        early = str(got.detail.get("path", "")).startswith(TENSOR_PATHS) and got.status == want.status
        if bad or ((got.status, got.code) != (want.status, want.code) and not early):
            problems.append(f"{case.id}: wire {got.status} {got.code} {got.message[:200]} {got.detail}; "
                            f"in-process {want.status} {want.code}" + (f"; {bad}" if bad else ""))
    assert not problems, "\n".join(problems)
    assert proto.live()
    with server.client() as c:
        assert metric(c, "gradserve_worker_restarts_total") == restarts, "a worker died or was recycled"
    assert sorted(server.worker_pids()) == pids
    # a canary: the seed of matmul still runs, with the right answer
    case = next(c for c in CASES if c.id.endswith("/seed:eval"))
    assert _answer(proto, case).status == 200


def _matmul_bomb(n: int = 1024, k: int = 400) -> dict:
    """k chained n x n matmuls of fills: ~2 k n^3 flops (minutes on one core) from a body of a few KB."""
    nodes = [{"op": "fill", "inputs": [], "outputs": ["m0"], "attrs": {"shape": [n, n], "value": 1e-3,
                                                                     "dtype": "float64"}},
             {"op": "add", "inputs": ["m0", "x"], "outputs": ["a0"], "attrs": {}}]
    for i in range(k):
        nodes.append({"op": "matmul", "inputs": [f"a{i}", "m0"], "outputs": [f"a{i + 1}"], "attrs": {}})
    nodes.append({"op": "sum", "inputs": [f"a{k}"], "outputs": ["s"], "attrs": {}})
    return {"format": "gradserve.graph/1", "name": "bomb", "params": [], "nodes": nodes, "outputs": "s",
            "inputs": [{"name": "x", "shape": [1], "dtype": "float64"}]}


@pytest.mark.parametrize("proto", ["http"], indirect=True)
def test_a_work_bomb_from_a_tiny_request_is_cut_by_its_deadline(proto, server):
    t0 = time.monotonic()
    a = proto.call("eval", _matmul_bomb(), [np.ones(1)], deadline_ms=1500, timeout=120)
    took = time.monotonic() - t0
    assert (a.status, a.code) == (504, "deadline_exceeded"), a.error
    assert took < 30, took  # generous: the deadline is 1.5 s, the worker is killed after the grace
    with server.client() as c:
        wait_for_pool(c, "the pool did not come back after the bomb's worker was replaced",
                      lambda p: p["state"] == "ready" and all(w["state"] in ("idle", "busy") for w in p["workers"]),
                      timeout=120)
    seed = next(c for c in CASES if c.id.endswith("/seed:eval"))
    assert _answer(proto, seed).status == 200


def _with_param() -> dict:
    """The add seed times a parameter w [3], summed: a graph with a weight to name."""
    g = json.loads(json.dumps(SEEDS["add"].graph))
    g["inputs"] = g["inputs"][:1] + [{"name": "x1", "shape": [2, 3], "dtype": "float64"}]
    g["params"] = [{"name": "w", "shape": [3], "dtype": "float64",
                    "value": {"shape": [3], "dtype": "float64", "data": [1.0, 2.0, 3.0]}}]
    out = g["nodes"][-1]["outputs"][0]
    g["nodes"] += [{"op": "mul", "inputs": [out, "w"], "outputs": ["pw"], "attrs": {}},
                   {"op": "sum", "inputs": ["pw"], "outputs": ["ps"], "attrs": {}}]
    g["outputs"] = "ps"
    return g


X2 = [np.ones((2, 3)), np.full((2, 3), 2.0)]
# (kind, options, status, code, detail.path or detail.limit): the request's own options, each wrong once
OPTION_CASES = [
    ("grad", {"grad_position": 5}, 400, "differentiation_error", "$.grad_position"),
    ("grad", {"grad_position": [1, -1]}, 400, "differentiation_error", "$.grad_position"),
    ("jacobian", {"positions": [0, 0]}, 400, "differentiation_error", "$.positions"),
    ("hessian", {"positions": -3}, 400, "differentiation_error", "$.positions"),
    ("hvp", {"positions": [], "v": []}, 400, "differentiation_error", "$.positions"),
    ("grad", {"order": 4}, 413, "limit_exceeded", "max_order"),
    ("grad", {"sens": [np.ones(3)]}, 400, "shape_error", "$.sens[0]"),
    ("vjp", {"v": [np.ones((), np.float32)]}, 400, "shape_error", "$.v[0]"),
    ("jvp", {"tangents": [np.ones((2, 3))]}, 400, "shape_error", "$.tangents"),
    ("grad", {"params": {"w": np.ones(3, np.float32)}}, 400, "shape_error", "$.params.w"),
    ("grad", {"params": {"nope": np.ones(3)}}, 400, "shape_error", "$.params.nope"),
    ("grad", {"weights": ["nope"]}, 400, "differentiation_error", None),
    ("grad", {"deadline_ms": 1e12}, 400, "invalid_request", "$.deadline_ms"),
    ("jacobian", {"mode": "sideways"}, 400, "invalid_request", "$.mode"),
]


@pytest.mark.parametrize("kind,options,status,code,where", OPTION_CASES,
                         ids=[f"{k}-{next(iter(o))}-{i}" for i, (k, o, *_) in enumerate(OPTION_CASES)])
def test_a_wrong_request_option_is_a_4xx_naming_it(proto, kind, options, status, code, where):
    a = proto.call(kind, _with_param(), X2, timeout=60, **options)
    assert (a.status, a.code) == (status, code), a.error
    d = a.error["detail"]
    if where is None:  # (a weight name: the message names it)
        assert "nope" in a.error["message"]
    else:
        assert where in (d.get("path"), d.get("limit")), a.error
