"""The NumPy plan program (straight-line code, out-kernels into reused arena buffers) gives
bit for bit what the backend-generic step loop (each op's impl rule) gives, for every op case of
the table, its gradient, and the ops without a derivative. This holds each op's `np_out` /
`np_view` kernel to its impl rule."""
from __future__ import annotations

import numpy as np
import pytest
from _optable import CASES

from engine import GraphBuilder, grad_operation
from engine.executor import compile_graph
from engine.ir import tree_flatten
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
    return first, again, ref


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
    first, again, ref = _both(g, xs)
    _assert_bitwise(first, ref, f"{case.id} {dtype}")
    _assert_bitwise(again, ref, f"{case.id} {dtype} (second run)")
    dg = grad_operation(_sum_graph(case, dtype), get_all=True)
    first, again, ref = _both(dg, xs)
    _assert_bitwise(first, ref, f"{case.id} {dtype} gradient")
    _assert_bitwise(again, ref, f"{case.id} {dtype} gradient (second run)")


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
    first, again, ref = _both(g, xs)
    _assert_bitwise(first, ref, name)
    _assert_bitwise(again, ref, name + " (second run)")
