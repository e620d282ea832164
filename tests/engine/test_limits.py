"""Budgets and typed input errors (issue #10, engine side).

Limit errors carry their setting as data; derivation and lowering stop at a node / work budget
counted while the graph is built; a plan's bytes are estimated from its avals and refused past
the job's memory budget before anything is allocated; the plan cache is bounded in bytes; the
caller's mistakes are typed errors (never a crash) that name the caller's own nodes.
"""
from __future__ import annotations

import gc
import time
import tracemalloc
import weakref

import numpy as np
import pytest

from engine import (Engine, GraphBuilder, LimitExceeded, ShapeError, grad, hessian, jacobian, lower, nth_grad)
from engine.builder import Budget
from engine.executor import compile_graph, estimate_bytes, output_bytes
from engine.ir import MAX_ELEMENTS
from engine.serialize import Limits, graph_from_json, graph_to_json


def _doubling(levels: int):
    """f_0(x) = sin(x); f_k(x) = f_{k-1}(x) + f_{k-1}(x): 2**levels inlined copies, 2 nodes after CSE per level."""
    gb = GraphBuilder("main")
    x = gb.input((3,), name="x")
    f = GraphBuilder("f_0")
    fx = f.input((3,), name="x")
    name = gb.function(f.build(f.sin(fx)), "f_0")
    for k in range(1, levels + 1):
        f = GraphBuilder(f"f_{k}", functions=dict(gb.functions))
        fx = f.input((3,), name="x")
        a = f.emit("call", [fx], {"fn": name})[0]
        b = f.emit("call", [fx], {"fn": name})[0]
        name = gb.function(f.build(f.add(a, b)), f"f_{k}")
    return gb.build(gb.emit("call", [x], {"fn": name})[0])


# -- the setting as data -----------------------------------------------------------------------
def test_limit_errors_carry_their_setting():
    gb = GraphBuilder()
    x = gb.input((2,))
    y = x
    for _ in range(5):
        y = gb.sin(y)
    with pytest.raises(LimitExceeded) as ei:
        lower(gb.build(y), max_nodes=3)
    e = ei.value
    assert (e.setting, e.limit, e.value) == ("max_nodes", 3, 4)
    assert e.to_dict()["detail"] == {"setting": "max_nodes", "limit": 3, "value": 4, "node": e.node}

    d = graph_to_json(gb.build(y))
    with pytest.raises(LimitExceeded) as ei:
        graph_from_json(d, Limits(max_nodes=2))
    assert ei.value.detail["setting"] == "max_nodes" and ei.value.path == "$.nodes[2]"

    gb = GraphBuilder()
    big = gb.input((5000,))
    with pytest.raises(LimitExceeded) as ei:
        jacobian(gb.build(gb.sin(big)))
    assert ei.value.setting == "max_jacobian_basis" and ei.value.value == 5000


# -- node budget while a derived graph is built -------------------------------------------------
def test_hessian_is_built_batched_and_its_lowering_stops_at_the_node_budget():
    gb = GraphBuilder()
    x = gb.input((64,), name="x")
    g = gb.build(gb.sin(x))
    h = hessian(g, max_nodes=100)  # one vmap node per block row / column, not one derivative node per basis vector
    assert h.output_names == ["d2/dxdx"]
    assert len(lower(h, max_nodes=100).eqns) <= 10  # 64 x 64 second derivatives, each equation once, batched
    v = np.linspace(-2, 2, 64).astype(np.float32)
    want = np.zeros((64, 64, 64), np.float32)  # d2 sin(x_k) / dx_i dx_j: -sin(x_k) where i = j = k
    want[np.arange(64), np.arange(64), np.arange(64)] = -np.sin(v)
    np.testing.assert_allclose(Engine().run(h, [v]), want, rtol=1e-6, atol=1e-7)
    with pytest.raises(LimitExceeded) as ei:
        lower(h, max_nodes=3)
    assert ei.value.setting == "max_nodes" and ei.value.value == 4


def test_high_order_derivation_stops_at_the_node_budget():
    gb = GraphBuilder()
    x = gb.input((3,), name="x")
    g = gb.build(gb.sum(gb.tanh(gb.mul(x, x))))
    with pytest.raises(LimitExceeded) as ei:
        nth_grad(g, 8, max_nodes=50)
    assert ei.value.setting == "max_nodes"
    with pytest.raises(LimitExceeded) as ei:
        nth_grad(g, 8, max_work=200)
    assert ei.value.setting == "max_work"
    nth_grad(g, 3, max_nodes=5000, max_work=100_000)  # fits


# -- work of expansion, which CSE hides from the node count -------------------------------------
def test_work_counts_inlined_copies_that_cse_merges():
    budget = Budget()
    flat = lower(_doubling(10), budget=budget)
    assert len(flat.eqns) <= 12  # CSE: sin(x) once, then one add per level
    assert budget.work >= 2 ** 10  # but 2**10 copies were inlined and emitted
    # so max_nodes never trips, and max_work does, early: 2**40 copies would run for hours
    t0 = time.perf_counter()
    with pytest.raises(LimitExceeded) as ei:
        lower(_doubling(40), max_nodes=1000, max_work=20_000)
    assert ei.value.setting == "max_work" and ei.value.limit == 20_000
    assert time.perf_counter() - t0 < 10



def _nesting(levels: int, op: str):
    """f_0(x) = sum(sin(x)); f_k(x) = sum(<op> of f_{k-1} at x) + f_{k-1}(x): each level inlines f_{k-1} twice,
    once through `op` (grad: its backward too; jvp: with tangents)."""
    gb = GraphBuilder("main")
    x = gb.input((3,), name="x")
    f = GraphBuilder("f_0")
    fx = f.input((3,), name="x")
    name = gb.function(f.build(f.sum(f.sin(fx))), "f_0")
    for k in range(1, levels + 1):
        f = GraphBuilder(f"f_{k}", functions=dict(gb.functions))
        fx = f.input((3,), name="x")
        d = (f.emit("grad", [fx], {"fn": name, "positions": [0]}) if op == "grad"
             else f.emit("jvp", [fx, fx], {"fn": name}))[-1]
        name = gb.function(f.build(f.add(f.sum(d), f.emit("call", [fx], {"fn": name})[0])), f"f_{k}")
    return gb.build(gb.emit("call", [x], {"fn": name})[0])


def _vmaps(body: list, count: int, batch: int, functions: dict | None = None):
    """`count` vmaps over x [batch, 3] of a function of a [3] whose nodes are `body` (a -> o), summed."""
    f = {"inputs": [{"name": "a", "shape": [3], "dtype": "float32"}], "nodes": body, "outputs": "o"}
    nodes = [{"op": "vmap", "inputs": ["x"], "outputs": [f"v{i}"], "attrs": {"fn": "f"}} for i in range(count)]
    nodes += [{"op": "add", "inputs": ["v0" if i == 0 else f"s{i - 1}", f"v{i + 1}"], "outputs": [f"s{i}"]}
              for i in range(count - 1)]
    nodes.append({"op": "sum", "inputs": [f"s{count - 2}" if count > 1 else "v0"], "outputs": ["z"]})
    return graph_from_json({"format": "gradserve.graph/1", "functions": {**(functions or {}), "f": f},
                            "inputs": [{"name": "x", "shape": [batch, 3], "dtype": "float32"}], "nodes": nodes,
                            "outputs": "z"})


def _sins(n: int) -> list:
    return [{"op": "sin", "inputs": ["a" if i == 0 else f"t{i - 1}"], "outputs": [f"t{i}" if i < n - 1 else "o"]}
            for i in range(n)]


_ROWS = {"inputs": [{"name": "a", "shape": [3], "dtype": "float32"}], "nodes": _sins(50), "outputs": "o"}
_EINSUM = [{"op": "einsum", "inputs": ["a"], "outputs": ["o"], "attrs": {"equation": "...i->...i"}}]


@pytest.mark.parametrize("build", [lambda: _doubling(10), lambda: _nesting(5, "grad"), lambda: _nesting(6, "jvp"),
                                   # vmap (round 23): its function lowered, then batched; an einsum with "..."
                                   # has no batching rule of its own (once per example)
                                   lambda: _vmaps(_sins(100), 1, 4), lambda: _vmaps(_sins(100), 10, 4),
                                   lambda: _vmaps(_EINSUM, 1, 500), lambda: _vmaps([{**_EINSUM[0], "outputs": ["e"]}, {"op": "cos", "inputs": ["e"], "outputs": ["o"]}],
                                                  3, 50),
                                   lambda: _vmaps([{"op": "call", "inputs": ["a"], "outputs": ["o"],
                                                    "attrs": {"fn": "g"}}], 5, 4, {"g": _ROWS})])
def test_the_load_time_expansion_count_is_at_most_the_lowerings_work(build):
    """check_expansion refuses a graph before lowering only if lowering would: its count is at most the work
    lowering charges (so it never refuses what max_work lets through)."""
    g = graph_from_json(graph_to_json(build()))
    budget = Budget()
    lower(g, budget=budget)
    with pytest.raises(LimitExceeded) as ei:
        graph_from_json(graph_to_json(build()), Limits(max_work=1))
    assert ei.value.setting == "max_work" and 1 < ei.value.detail["value"] <= budget.work
    graph_from_json(graph_to_json(build()), Limits(max_work=budget.work))  # (what lowering spends: loads)


def test_a_doubling_past_the_work_budget_is_refused_at_load():
    t0 = time.process_time()
    with pytest.raises(LimitExceeded) as ei:
        graph_from_json(graph_to_json(_doubling(40)), Limits(max_work=200_000))
    assert ei.value.setting == "max_work" and ei.value.detail["value"] > 2 ** 40
    assert time.process_time() - t0 < 5  # (CPU, not wall: counted, never expanded)

def test_engine_applies_its_work_budget():
    g = _doubling(30)
    with pytest.raises(LimitExceeded) as ei:
        Engine(max_work=5000).run(g, [np.ones(3, np.float32)])
    assert ei.value.setting == "max_work"
    out = Engine(max_work=5000).run(_doubling(5), [np.ones(3, np.float32)])
    np.testing.assert_allclose(out, 32 * np.sin(np.ones(3, np.float32)), rtol=1e-6)


# -- memory estimate and the per-job budget ------------------------------------------------------
def _huge_intermediates():
    """6 nodes: broadcast_to and tile to huge shapes, an exp, then a matmul and a sum: tiny in, tiny out."""
    gb = GraphBuilder()
    x = gb.input((1, 4), name="x")
    y = gb.input((1, 2048), name="y")
    big = gb.tile(gb.broadcast_to(x, shape=(4096, 4)), reps=(1, 4096))  # 4096 x 16384 float32: 256 MiB
    wide = gb.broadcast_to(y, shape=(16384, 2048))  # 128 MiB (a view on NumPy, counted as a copy)
    # exp: a product with the broadcast itself would be computed on y (engine/unbroadcast.py)
    return gb.build(gb.sum(gb.matmul(big, gb.exp(wide))))


def test_plan_bytes_are_estimated_and_refused_before_anything_is_allocated():
    g = _huge_intermediates()
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceeded) as ei:
            Engine(max_job_bytes=64 << 20).run(g, [np.ones((1, 4), np.float32), np.ones((1, 2048), np.float32)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    e = ei.value
    assert e.setting == "max_job_bytes" and e.limit == 64 << 20
    # the tile (256 MiB), the broadcast (128 MiB) and its exp (128 MiB), alive at once
    assert e.value >= (128 + 256 + 128) << 20
    assert peak < 16 << 20  # refused from the avals: no buffer of the job was allocated


def run_peak(flat, xs) -> int:
    """The bytes a fresh plan of `flat` allocates at its peak, compiling and running once on `xs`."""
    tracemalloc.start()
    try:
        compile_graph(flat).run_host(xs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_estimate_bounds_what_a_plan_allocates():
    gb = GraphBuilder()
    x = gb.input((256, 256), name="x")
    g = grad(gb.build(gb.sum(gb.tanh(gb.matmul(x, gb.exp(x))))), 0)
    flat = lower(g)
    est = estimate_bytes(flat)
    xs = [np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32)]
    peak = run_peak(flat, xs)
    assert output_bytes(g) == 256 * 256 * 4  # typed before lowering
    assert 256 * 256 * 4 * 2 <= est  # at least the input and the output
    assert peak <= est + (1 << 20)  # NumPy allocates no more than the estimate (1 MiB slack for Python)


def test_estimate_bounds_a_bfloat16_plan_with_its_float32_copies():
    """bfloat16 nodes compute on float32 copies of their operands (executor._widened): 2 bytes an element each
    way more than the avals say. The estimate counted the avals only: tanh(x * y) over 2^20 elements was
    estimated 8 MiB and allocated 14 MiB beyond its inputs, so max_job_bytes let a bfloat16 job hold ~2-3x."""
    import ml_dtypes

    n = 1 << 20
    gb = GraphBuilder()
    x, y = gb.input((n,), "bfloat16", name="x"), gb.input((n,), "bfloat16", name="y")
    flat = lower(gb.build(gb.sum(gb.tanh(gb.mul(gb.add(x, y), x)))))
    est = estimate_bytes(flat)
    xs = [np.full(n, 0.5, ml_dtypes.bfloat16), np.full(n, 0.25, ml_dtypes.bfloat16)]
    compile_graph(flat).run_host(xs)  # (what a first run imports is not the plan's)
    peak = run_peak(flat, xs)
    assert peak + 2 * n * 2 <= est + (1 << 20)  # its inputs (not allocated here) and what the run allocated


# -- plan cache bounded by bytes -----------------------------------------------------------------
def _const_graph(k: int):
    gb = GraphBuilder(f"g{k}")
    x = gb.input((256, 256), name="x")
    c = gb.const(np.arange(256 * 256, dtype=np.float32).reshape(256, 256) + k)  # 256 KiB kept by the plan
    return gb.build(gb.add(gb.mul(x, c), c))


def test_plan_cache_is_bounded_in_bytes_and_frees_evicted_plans():
    eng = Engine(cache_bytes=1 << 20)  # room for about 3 such plans (constant + arena)
    x = np.ones((256, 256), np.float32)
    refs = []
    for k in range(8):
        eng.run(_const_graph(k), [x], key=f"g{k}")
        refs.append(weakref.ref(eng.plan(_const_graph(k), key=f"g{k}")))
        info = eng.cache_info()
        assert info["bytes"] <= 1 << 20 and info["max_bytes"] == 1 << 20
    assert 1 <= eng.cache_info()["entries"] < 8
    gc.collect()
    assert refs[0]() is None  # the first plans, evicted: their constants and arenas are gone
    assert refs[-1]() is not None


# -- typed input errors --------------------------------------------------------------------------
def _gather_json():
    gb = GraphBuilder("net")
    x = gb.input((5, 2), name="x")
    i = gb.input((3,), "int64", name="i")
    return graph_to_json(gb.build(gb.sum(gb.gather(gb.sin(x), i, axis=0))))


def test_gather_index_out_of_range_is_a_typed_error_naming_the_node():
    g = graph_from_json(_gather_json())
    x = np.ones((5, 2), np.float32)
    np.testing.assert_allclose(Engine().run(g, [x, np.array([0, 4, -5])]), 6 * np.sin(1.0), rtol=1e-6)
    for bad in ([0, 5, 1], [-6, 0, 0]):
        with pytest.raises(ShapeError) as ei:
            Engine().run(g, [x, np.array(bad)])
        assert "out of range" in str(ei.value) and ei.value.detail["size"] == 5
        assert ei.value.node == "$.nodes[1]:gather"  # the caller's own node, by its JSON path
    # through a derivative: the scatter_add of the reverse pass names the caller's gather too
    with pytest.raises(ShapeError) as ei:
        Engine().run(grad(g, 0), [x, np.array([0, 9, 1])])
    assert ei.value.node.startswith("$.nodes[1]:gather") and "grad_" not in ei.value.node


def test_huge_shapes_are_shape_errors_not_crashes():
    gb = GraphBuilder()
    x = gb.input((2, 3), name="x")
    with pytest.raises(ShapeError) as ei:
        gb.tile(x, reps=(1 << 30, 1 << 30))
    assert ei.value.detail["max_elements"] == MAX_ELEMENTS and ei.value.node
    d = graph_to_json(gb.build(gb.sum(x)))
    d["nodes"].insert(0, {"op": "fill", "inputs": [], "outputs": ["f"],
                          "attrs": {"shape": [1 << 32, 1 << 32], "value": 1.0, "dtype": "float32"}})
    with pytest.raises(ShapeError) as ei:  # 2**64 elements: would wrap int64
        graph_from_json(d)
    assert ei.value.path == "$.nodes[0]"
    d2 = graph_to_json(gb.build(gb.sum(x)))
    d2["inputs"][0]["shape"] = [1 << 40, 1 << 40]
    with pytest.raises(ShapeError) as ei:
        graph_from_json(d2)
    assert ei.value.path == "$.inputs[0].shape"


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_and_hessian_of_an_empty_output_are_empty(mode):
    gb = GraphBuilder()
    x = gb.input((3,), name="x")
    g = gb.build(gb.index(x, index=[[0, 0, 1]]))  # shape (0,)
    jac = Engine().run(jacobian(g, 0, mode), [np.ones(3, np.float32)])
    assert jac.shape == (0, 3) and jac.dtype == np.float32
    hes = Engine().run(hessian(g, 0), [np.ones(3, np.float32)])
    assert hes.shape == (0, 3, 3)


def test_a_parameter_without_a_value_is_a_typed_error():
    f = GraphBuilder("f")
    x = f.input((2,), name="x")
    z = f.param("z", shape=(2,))
    g = f.build(f.mul(x, z))  # z declared, no value
    for params in (None, {}):
        with pytest.raises(ShapeError) as ei:
            Engine().run(g, [np.ones(2, np.float32)], params)
        assert "'z'" in str(ei.value) and ei.value.detail["missing"] == ["z"]
    out = Engine().run(g, [np.ones(2, np.float32)], {"z": np.full(2, 3, np.float32)})
    np.testing.assert_array_equal(out, [3, 3])


def test_a_derived_graph_sent_as_json_keeps_the_callers_node_names():
    """What the service does: derive, send the JSON form to a worker, load it there. With the
    source map beside it, a run-time error names the caller's node, not `grad_net_0/...`."""
    from engine.serialize import caller_path, source_map

    dg = grad(graph_from_json(_gather_json()), 0)
    sources = source_map(dg)
    assert set(sources.values()) == {"$"}
    loaded = graph_from_json(graph_to_json(dg), sources=sources)
    x, bad = np.ones((5, 2), np.float32), np.array([0, 9, 1])
    with pytest.raises(ShapeError) as ei:
        Engine().run(loaded, [x, bad])
    assert ei.value.node.startswith("$.nodes[1]:gather")
    # without it the derived names show; caller_path maps them back
    with pytest.raises(ShapeError) as ei:
        Engine().run(graph_from_json(graph_to_json(dg)), [x, bad])
    fname = next(iter(sources))
    assert ei.value.node.startswith(f"$.functions.{fname}.nodes[1]:gather")
    assert caller_path(sources, ei.value.node).startswith("$.nodes[1]:gather")
    assert caller_path(sources, f"{fname}/3:mul") == "$.nodes[3]:mul"
    assert caller_path(sources, "$.inputs[0]") == "$.inputs[0]"


def test_load_errors_of_a_derived_graph_name_the_callers_path():
    from engine.serialize import source_map

    dg = grad(graph_from_json(_gather_json()), 0)
    sources = source_map(dg)
    d = graph_to_json(dg)
    fname = next(iter(sources))
    d["functions"][fname]["nodes"][1]["attrs"]["axis"] = 5  # a bad attribute in the caller's own node
    with pytest.raises(ShapeError) as ei:
        graph_from_json(d, sources=sources)
    assert ei.value.path == "$.nodes[1]"
    with pytest.raises(ShapeError) as ei:
        graph_from_json(d)
    assert ei.value.path == f"$.functions.{fname}.nodes[1]"
