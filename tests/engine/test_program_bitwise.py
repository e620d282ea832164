"""The NumPy plan program (straight-line code, out-kernels into reused arena buffers) gives
bit for bit what the backend-generic step loop (each op's impl rule) gives, for every op case of
the table, its gradient, and the ops without a derivative. This holds each op's `np_out` /
`np_view` kernel to its impl rule. A third run computes the outputs into buffers the caller gives
(Plan.run_host's outs, filled with NaN first): the same bits, and every output an out-kernel makes is
its buffer."""
from __future__ import annotations

import numpy as np
import pytest
from _optable import CASES

from engine import GraphBuilder, grad_operation
from engine.executor import compile_graph
from engine.ir import NP_DTYPES, tree_flatten
from engine.lower import lower


def _both(g, xs):
    flat = lower(g)
    prog = compile_graph(flat)
    assert prog.program is not None
    loop = compile_graph(flat)
    loop.program = None
    # twice on the program: the second run reuses the arena the first one wrote
    first = tree_flatten(prog.run_host(list(xs)))
    again = tree_flatten(prog.run_host(list(xs)))
    ref = tree_flatten(loop.run_host(list(xs)))
    avals = [v.aval for v in tree_flatten(flat.outputs)]
    bufs = [np.full(av.shape, np.nan if av.dtype.startswith(("float", "complex")) else 7, NP_DTYPES[av.dtype])
            for av in avals]
    placed = tree_flatten(prog.run_host(list(xs), outs=bufs))
    assert [j for j, (a, b) in enumerate(zip(placed, bufs)) if a is b] == list(prog.program.placed.index)
    return first, again, ref, placed


def _assert_bitwise(got, ref, what):
    assert len(got) == len(ref), what
    for i, (a, r) in enumerate(zip(got, ref)):
        a, r = np.asarray(a), np.asarray(r)
        assert a.dtype == r.dtype and a.shape == r.shape, f"{what}: output {i}: {a.dtype}{a.shape} vs {r.dtype}{r.shape}"
        assert a.tobytes() == r.tobytes(), f"{what}: output {i} differs in its bits"


def _op_graph(case, dtype):
    gb = GraphBuilder(case.op)
    xs, outs = case.emit(gb, dtype)
    return gb.build(tuple(outs)), xs


def _sum_graph(case, dtype):
    gb = GraphBuilder(case.op)
    xs, outs = case.emit(gb, dtype)
    total = None
    for o in outs:
        if o.dtype.startswith("float"):
            s = gb.sum(gb.mul(o, gb.sin(o)))  # a nonlinear use, so every rule's result matters
            total = s if total is None else gb.add(total, s)
    return gb.build(total)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_program_equals_generic_loop_on_every_op_case(case, dtype):
    xs = case.draw(7, dtype)
    g, _ = _op_graph(case, dtype)
    first, again, ref, placed = _both(g, xs)
    _assert_bitwise(first, ref, f"{case.id} {dtype}")
    _assert_bitwise(again, ref, f"{case.id} {dtype} (second run)")
    _assert_bitwise(placed, ref, f"{case.id} {dtype} (into the caller's buffers)")
    dg = grad_operation(_sum_graph(case, dtype), get_all=True)
    first, again, ref, placed = _both(dg, xs)
    _assert_bitwise(first, ref, f"{case.id} {dtype} gradient")
    _assert_bitwise(again, ref, f"{case.id} {dtype} gradient (second run)")
    _assert_bitwise(placed, ref, f"{case.id} {dtype} gradient (into the caller's buffers)")


def _nondiff_graphs():
    """The ops the table exempts (no derivative): comparisons, logic, constants."""
    out = []
    for op in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
        gb = GraphBuilder(op)
        x, y = gb.input((3, 4), "float64", name="x"), gb.input((4,), "float64", name="y")
        out.append((op, gb.build(gb.emit1(op, x, y))))
    gb = GraphBuilder("logic")
    x, y = gb.input((3, 4), "float64", name="x"), gb.input((4,), "float64", name="y")
    a, c = gb.greater(x, y), gb.less(x, gb.scalar(0.25, "float64"))
    out.append(("logical", gb.build((gb.logical_and(a, c), gb.logical_or(a, c), gb.logical_not(a)))))
    gb = GraphBuilder("consts")
    x, y = gb.input((3, 4), "float64", name="x"), gb.input((4,), "float64", name="y")
    k = gb.const(np.arange(4.0))
    out.append(("consts", gb.build((gb.add(gb.mul(x, k), gb.emit1("fill", shape=(3, 4), value=2.5, dtype="float64")),
                                    gb.zeros_like(x), gb.ones_like(y), k))))
    return out


@pytest.mark.parametrize("name,g", _nondiff_graphs(), ids=[n for n, _ in _nondiff_graphs()])
def test_program_equals_generic_loop_on_ops_without_derivatives(name, g):
    rng = np.random.default_rng(3)
    xs = [rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (4,))]
    xs[1][0] = xs[0][0, 0]  # some ties for the comparisons
    first, again, ref, placed = _both(g, xs)
    _assert_bitwise(first, ref, name)
    _assert_bitwise(again, ref, name + " (second run)")
    _assert_bitwise(placed, ref, name + " (into the caller's buffers)")


def test_caller_buffers_that_do_not_fit_or_overlap_are_not_used():
    """A buffer of the wrong shape, dtype or layout, read-only, overlapping an input or another buffer is
    left alone (the output is a new array, the same bits); a fitting one is the output."""
    gb = GraphBuilder("two")
    x, w = gb.input((6, 5), "float32", name="x"), gb.input((5, 4), "float32", name="w")
    y = gb.matmul(x, w)
    flat = lower(gb.build((y, gb.tanh(y))))
    plan = compile_graph(flat)
    assert plan.program.placed.index == (0, 1)
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal((5, 4)).astype(np.float32)]
    ref = tree_flatten(plan.run_host(xs))
    read_only = np.empty((6, 4), np.float32)
    read_only.flags.writeable = False
    inside_x = np.empty((6 * 5 + 20,), np.float32)  # an input that is a view of the same memory
    shared = np.empty((2, 6, 4), np.float32)
    for bad in (np.empty((4, 6), np.float32), np.empty((6, 4), np.float64), np.empty((4, 6), np.float32).T,
                read_only, inside_x[26:].reshape(6, 4), [[0.0] * 4] * 6):
        inside_x[:30] = xs[0].ravel()
        got = tree_flatten(plan.run_host([inside_x[:30].reshape(6, 5), xs[1]], outs=[bad, None]))
        assert got[0] is not bad
        _assert_bitwise(got, ref, f"buffer {getattr(bad, 'shape', bad)}")
    got = tree_flatten(plan.run_host(xs, outs=[shared[0], shared[0]]))  # the same buffer twice: the first only
    assert got[0] is shared[0] or got[0].base is shared and got[1] is not shared[0]
    _assert_bitwise(got, ref, "one buffer given twice")
    got = tree_flatten(plan.run_host(xs, outs=[shared[0], shared[1]]))
    assert np.shares_memory(got[0], shared) and np.shares_memory(got[1], shared)
    _assert_bitwise(got, ref, "two buffers of one array")
