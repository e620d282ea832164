"""Each simplification rule: it fires (the lowered graph changes as the rule says) and the
simplified graph computes what the unsimplified one computes.

The reference is the graph built with `simplify=False` and compiled as is (no lowering,
so no rule runs); the candidate is the same graph through `lower` (every rule runs).
"""
import numpy as np
import pytest

from engine import GraphBuilder, grad_operation
from engine.executor import compile_graph, run_numpy
from engine.ir import tree_flatten
from engine.lower import lower
from engine.optimize import absorb_neg, canonical

F32 = np.float32
RNG = np.random.default_rng(7)


def rand(*shape, dtype=F32):
    return RNG.standard_normal(shape).astype(dtype)


def raw_and_lowered(build, *inputs, dtype="float32"):
    """build(gb, *input_vars) -> output; returns (reference values, lowered values, lowered graph)."""
    gb = GraphBuilder("t", simplify=False, cse=False)
    xs = [gb.input(a.shape, dtype=str(a.dtype)) for a in inputs]
    g = gb.build(build(gb, *xs))
    ref = run_numpy(compile_graph(g), list(inputs))
    low = lower(g)
    got = run_numpy(compile_graph(low), list(inputs))
    return ref, got, low


def ops(g):
    return [e.op for e in g.eqns]


def check(ref, got, exact=True):
    for r, o in zip(tree_flatten(ref) if isinstance(ref, tuple) else [ref],
                    tree_flatten(got) if isinstance(got, tuple) else [got]):
        r, o = np.asarray(r), np.asarray(o)
        assert r.shape == o.shape and r.dtype == o.dtype, (r.shape, o.shape, r.dtype, o.dtype)
        if exact:
            np.testing.assert_array_equal(o, r)
        else:  # a sum in another order
            np.testing.assert_allclose(o, r, rtol=1e-5, atol=1e-6 * max(1.0, float(np.abs(r).max())))


# -- matmul with a uniform operand ---------------------------------------------------------------
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("c", [1.0, -2.5])
def test_matmul_uniform_left_k1_is_a_broadcast_row(tb, c):
    w = rand(1, 6) if not tb else rand(6, 1)
    ref, got, low = raw_and_lowered(
        lambda gb, y: gb.matmul(gb.full((5, 1), c, "float32"), y, transpose_b=tb), w)
    assert "matmul" not in ops(low), ops(low)
    check(ref, got)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("c", [1.0, 3.0])
def test_matmul_uniform_right_k1_is_a_broadcast_column(ta, c):
    a = rand(5, 1) if not ta else rand(1, 5)
    ref, got, low = raw_and_lowered(
        lambda gb, x: gb.matmul(x, gb.full((1, 4), c, "float32"), transpose_a=ta), a)
    assert "matmul" not in ops(low), ops(low)
    check(ref, got)


@pytest.mark.parametrize("tb", [False, True])
def test_matmul_ones_left_is_column_sums(tb):
    w = rand(7, 6) if not tb else rand(6, 7)
    ref, got, low = raw_and_lowered(lambda gb, y: gb.matmul(gb.full((5, 7), 1.0, "float32"), y, transpose_b=tb), w)
    assert "matmul" not in ops(low) and "sum" in ops(low), ops(low)
    check(ref, got, exact=False)


@pytest.mark.parametrize("ta", [False, True])
def test_matmul_ones_right_is_row_sums(ta):
    a = rand(5, 300) if not ta else rand(300, 5)
    ref, got, low = raw_and_lowered(lambda gb, x: gb.matmul(x, gb.full((300, 1), 1.0, "float32"), transpose_a=ta), a)
    mm = [e for e in low.eqns if e.op == "matmul"]
    # a sum; over the first axis (ta) contract.py then runs it as ones(1, 300) @ x, one GEMV
    assert ("sum" in ops(low) and not mm) or (ta and [e.inputs[0].shape for e in mm] == [(1, 300)]), ops(low)
    check(ref, got, exact=False)


def test_matmul_uniform_other_value_k_gt_1_is_kept():
    ref, got, low = raw_and_lowered(lambda gb, y: gb.matmul(gb.full((5, 7), 2.0, "float32"), y), rand(7, 3))
    assert "matmul" in ops(low)
    check(ref, got)


def test_matmul_uniform_float64_and_gradient():
    """The PINN pattern: grad of sum(h @ W) seeds ones @ W^T; derivatives through the rewrite."""
    x, w = rand(6, 4, dtype=np.float64), rand(4, 1, dtype=np.float64)
    gb = GraphBuilder("f")
    xv = gb.input((6, 4), dtype="float64")
    wv = gb.param("W", w)
    g = gb.build(gb.sum(gb.matmul(gb.tanh(xv), wv)))
    d2 = grad_operation(grad_operation(g))  # d/dx sum(d/dx sum(tanh(x) @ W))
    low = lower(d2)
    assert all(not (e.op == "matmul" and 1 in e.inputs[0].shape + e.inputs[1].shape) for e in low.eqns), ops(low)
    t = np.tanh(x)
    dt = 1 - t * t
    expect = -2 * t * dt * w[:, 0] * 1.0  # d/dx of (dt * w), summed over outputs = diag
    got = run_numpy(compile_graph(low), [x])
    np.testing.assert_allclose(got, expect, rtol=1e-12)


# -- operands that only broadcast ------------------------------------------------------------------
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum", "pow"])
def test_nonscalar_fill_operand_becomes_scalar(op):
    x = np.abs(rand(4, 5)) + F32(0.5)
    ref, got, low = raw_and_lowered(lambda gb, x: getattr(gb, op)(gb.full((4, 5), 1.75, "float32"), x), x)
    fills = [e for e in low.eqns if e.op == "fill"]
    assert fills and all(e.attrs["shape"] == () for e in fills), [e.attrs for e in fills]
    check(ref, got)
    ref, got, low = raw_and_lowered(lambda gb, x: getattr(gb, op)(x, gb.full((5,), 1.75, "float32")), x)
    assert all(e.attrs["shape"] == () for e in low.eqns if e.op == "fill")
    check(ref, got)


@pytest.mark.parametrize("op", ["add", "mul", "sub", "div"])
def test_broadcast_to_operand_is_bypassed(op):
    r, x = rand(1, 5), rand(4, 5)
    ref, got, low = raw_and_lowered(lambda gb, r, x: getattr(gb, op)(x, gb.broadcast_to(r, shape=(4, 5))), r, x)
    assert "broadcast_to" not in ops(low), ops(low)
    check(ref, got)
    ref, got, low = raw_and_lowered(lambda gb, r, x: getattr(gb, op)(gb.broadcast_to(r, shape=(4, 5)), x), r, x)
    assert "broadcast_to" not in ops(low), ops(low)
    check(ref, got)


def test_broadcast_operand_bypassed_when_both_operands_broadcast():
    # (1, 5) against (4, 1) still broadcasts to (4, 5): the broadcast_to adds nothing
    r, c = rand(1, 5), rand(4, 1)
    ref, got, low = raw_and_lowered(lambda gb, r, c: gb.mul(gb.broadcast_to(r, shape=(4, 5)), c), r, c)
    assert ops(low) == ["mul"], ops(low)
    check(ref, got)


def test_broadcast_operand_kept_when_it_sets_the_output_shape():
    # (1, 5) against (4, 1) gives (4, 5), not the (3, 4, 5) the broadcast_to asks for
    r, c = rand(1, 5), rand(4, 1)
    ref, got, low = raw_and_lowered(lambda gb, r, c: gb.mul(gb.broadcast_to(r, shape=(3, 4, 5)), c), r, c)
    assert "broadcast_to" in ops(low)
    check(ref, got)


# -- transposes ----------------------------------------------------------------------------------
def test_transposes_that_cancel():
    x = rand(2, 3, 4)
    ref, got, low = raw_and_lowered(lambda gb, x: gb.exp(gb.transpose(gb.transpose(x, perm=(2, 0, 1)), perm=(1, 2, 0))), x)
    assert ops(low) == ["exp"], ops(low)
    check(ref, got)
    ref, got, low = raw_and_lowered(lambda gb, x: gb.exp(gb.transpose(gb.transpose(x))), x)
    assert ops(low) == ["exp"], ops(low)
    check(ref, got)


def test_transposes_compose():
    x = rand(2, 3, 4)
    ref, got, low = raw_and_lowered(lambda gb, x: gb.exp(gb.transpose(gb.transpose(x, perm=(1, 0, 2)), perm=(0, 2, 1))), x)
    assert ops(low).count("transpose") == 1, ops(low)
    check(ref, got)
    ref, got, low = raw_and_lowered(lambda gb, x: gb.exp(gb.transpose(x, perm=(0, 1, 2))), x)
    assert ops(low) == ["exp"], ops(low)
    check(ref, got)


# -- signs through linear ops ----------------------------------------------------------------------
def test_neg_moves_through_matmul_and_index_to_the_absorbing_add():
    a, w, v = rand(6, 4), rand(4, 3), rand(6)
    build = lambda gb, a, w, v: gb.add(v, gb.index(gb.matmul(gb.neg(gb.exp(a)), w), index=[[None, None, None], 1]))  # noqa: E731
    ref, got, low = raw_and_lowered(build, a, w, v)
    assert "neg" not in ops(low) and "sub" in ops(low), ops(low)
    check(ref, got)


def test_neg_through_sum_and_reshape():
    a = rand(6, 4)
    ref, got, low = raw_and_lowered(lambda gb, a: gb.sub(gb.reshape(gb.sum(gb.neg(gb.exp(a)), axis=(1,)), shape=(3, 2)),
                                                          gb.full((3, 2), 0.5, "float32")), a)
    # the sign reaches the sub on the small result: -(s) - 0.5 = -(s + 0.5)
    assert [e.op for e in low.eqns if e.op == "neg" and e.outputs[0].shape != (3, 2)] == [], ops(low)
    check(ref, got)


def test_neg_not_moved_onto_a_larger_result():
    """broadcast_to / an outer product would turn one small neg into a large one."""
    a, w = rand(6, 1), rand(1, 50)
    gb = GraphBuilder("t", simplify=False, cse=False)
    av, wv = gb.input((6, 1)), gb.input((1, 50))
    n = gb.neg(gb.exp(av))
    g = gb.build(gb.tanh(gb.matmul(n, wv)))
    out = absorb_neg(canonical(g))
    negs = [e for e in out.eqns if e.op == "neg"]
    assert len(negs) == 1 and negs[0].outputs[0].shape == (6, 1), [(e.op, e.outputs[0].shape) for e in out.eqns]
    check(run_numpy(compile_graph(g), [a, w]), run_numpy(compile_graph(out), [a, w]))


def test_neg_with_two_uses_is_materialised_once():
    a, w = rand(6, 4), rand(4, 4)
    build = lambda gb, a, w: gb.add(gb.matmul(gb.neg(gb.exp(a)), w), gb.tanh(gb.neg(gb.exp(a))))  # noqa: E731
    ref, got, low = raw_and_lowered(build, a, w)
    assert ops(low).count("neg") == 1, ops(low)
    check(ref, got)


def test_rewritten_output_is_a_fresh_writable_array():
    """ones @ y^T (the seed MatMul's gradient) becomes a broadcast: the caller still gets its own array."""
    from engine import Engine

    y = rand(3, 3)
    gb = GraphBuilder("net")
    xv, yv = gb.input((2, 3)), gb.input((3, 3))
    g = grad_operation(gb.build(gb.sum(gb.matmul(xv, yv))))
    for program in (True, False):
        eng = Engine()
        plan = eng.plan(g)
        assert "matmul" not in ops(plan.graph)
        if not program:
            plan.program = None
        out = plan.run_host([rand(2, 3), y])
        assert out.flags.writeable and out.flags.c_contiguous and out.shape == (2, 3)
        np.testing.assert_allclose(out, np.ones((2, 3), F32) @ y.T, rtol=1e-6)
        out[...] = 0  # never the plan's own memory
        np.testing.assert_allclose(plan.run_host([rand(2, 3), y]), np.ones((2, 3), F32) @ y.T, rtol=1e-6)


# -- square and abs take either sign; sums and means of one term ---------------------------------
@pytest.mark.parametrize("op", ["square", "abs"])
def test_neg_needed_only_by_an_even_op_vanishes(op):
    """square(-a) = square(a), |-a| = |a|: the other use (a product with a constant) absorbs the sign,
    as L1's force residual's does (its square and its 2 * (f - F))."""
    a, b = rand(5, 3), rand(5, 3)
    build = lambda gb, a, b: (gb.mean(getattr(gb, op)(gb.neg(gb.add(a, b)))),  # noqa: E731
                              gb.mul(gb.full((5, 3), 3.0, "float32"), gb.neg(gb.add(a, b))))
    ref, got, low = raw_and_lowered(build, a, b)
    # what is left is -3, which the plan folds
    assert "neg" not in [e.op for e in compile_graph(low).step_eqns], ops(low)
    check(ref, got)


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("shape,axis", [((), None), ((4, 1), (1,)), ((1, 1, 3), (0, 1))])
def test_a_reduction_over_one_term_is_a_reshape(op, shape, axis):
    a = rand(*shape)
    ref, got, low = raw_and_lowered(lambda gb, a: gb.exp(getattr(gb, op)(gb.tanh(a), axis=axis)), a)
    assert op not in ops(low), ops(low)
    check(ref, got)
