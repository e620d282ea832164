"""engine/contract.py: sums of broadcast products become matrix products.

Each case: where the rewrite fires (the lowered plan has a matmul and no mul over the broadcast
shape) and where it must not, and the values against NumPy's einsum in float64 (the rewrite
reassociates float32 sums, so to float32 precision, not bit for bit). The issue #13 L1 graph, whose
second-order chains it was written for, is checked against JAX in tests/engine/test_plan_passes.py.
"""
import numpy as np
import pytest

from engine import GraphBuilder
from engine.executor import compile_graph
from engine.ir import tree_flatten
from engine.lower import lower

from _plans import lowered

RNG = np.random.default_rng(21)




def product(gb, xs):
    cur = xs[0]
    for x in xs[1:]:
        cur = gb.mul(cur, x)
    return cur


def full_muls(flat, size):
    """mul equations whose output is at least `size` elements (the broadcast shape)."""
    return [e for e in flat.eqns if e.op == "mul" and e.outputs[0].aval.size >= size]


# (factor shapes, how the sum is written)
CASES = [
    # L1's three chains: a row times the table times a mask, summed over the feature axis (A is (B, M, K))
    ([(32, 1, 16), (32, 32, 1), (32, 32, 16), (16,)], ("reduce_to", (32, 32, 1))),
    # ... summed over the neighbour axis (A is (B, K, M): the product runs as P @ A)
    ([(32, 32, 1), (16,), (32, 32, 16), (32, 32, 1)], ("reduce_to", (32, 1, 16))),
    ([(32, 32, 16), (32, 32, 1)], ("sum", (1,), False)),
    # no batch axis: a plain matrix-vector product
    ([(24, 40), (40,)], ("sum", (1,), False)),
    ([(6, 24, 40), (6, 1, 40)], ("sum", (-1,), True)),
    # free axes on both sides: P has one A lacks (N), A one P lacks (M), for each orientation
    ([(8, 32, 16, 1), (8, 32, 1, 5)], ("sum", (1,), False)),
    ([(8, 16, 32, 1), (8, 1, 32, 5)], ("sum", (2,), False)),
    # A's axes in neither order: A is transposed once
    ([(8, 20, 12), (8, 20, 1)], ("sum", (0,), False)),
    # P summed alone over an axis where A has size 1: P is summed first
    ([(8, 1, 20, 30), (8, 3, 20, 1)], ("reduce_to", (8, 1, 1, 30))),
    # leading axes summed by reduce_to, and factors outside the sum (a scalar, a vector)
    ([(5, 16, 8), (5, 1, 8), (), (8,)], ("reduce_to", (16, 8))),
]


def _reduce(gb, x, how):
    if how[0] == "reduce_to":
        return gb.reduce_to(x, shape=how[1])
    return gb.sum(x, axis=how[1], keepdims=how[2])


def _reference(arrays, how):
    """The plain NumPy value in float64: the broadcast product, then the sum."""
    x = np.prod(np.broadcast_arrays(*arrays), axis=0) if len(arrays) > 1 else arrays[0]
    if how[0] == "sum":
        return x.sum(axis=how[1], keepdims=how[2])
    shape = how[1]
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1)
    return x.sum(axis=axes, keepdims=True).reshape(shape)


@pytest.mark.parametrize("shapes,how", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_sum_of_broadcast_factors_runs_as_one_matmul(shapes, how, dtype):
    arrays = [RNG.standard_normal(s) for s in shapes]
    flat, (got,) = lowered(lambda gb, *xs: _reduce(gb, product(gb, list(xs)), how), *arrays, dtype=dtype)
    ops = [e.op for e in flat.eqns]
    assert "matmul" in ops, ops
    assert not full_muls(flat, max(np.prod(s) for s in shapes)), ops
    want = _reference([a.astype(dtype).astype(np.float64) for a in arrays], how)
    assert got.dtype == np.dtype(dtype) and got.shape == want.shape
    # float32: sums of up to 32 terms of size ~1, reassociated
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


def test_factors_constant_along_the_summed_axes_multiply_the_result():
    """Only one factor varies along the summed axis: it is summed alone, then scaled."""
    x, w = RNG.standard_normal((16, 32)), RNG.standard_normal((16, 1))
    flat, (got,) = lowered(lambda gb, x, w: gb.sum(gb.mul(x, w), axis=(1,)), x, w)
    assert [e.op for e in flat.eqns if e.op in ("mul", "sum")] == ["sum", "mul"]
    assert flat.eqns[[e.op for e in flat.eqns].index("mul")].outputs[0].shape[-1] == 1
    np.testing.assert_allclose(got, (x * w).sum(1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", ["same_size", "mul_used_twice", "ints", "no_sum_axis_shared", "tiny_items"])
def test_left_as_it_is(case):
    a, b = RNG.standard_normal((16, 8)), RNG.standard_normal((16, 8))
    if case == "same_size":  # an elementwise product summed: no operand to share, nothing to gain
        flat, (got,) = lowered(lambda gb, a, b: gb.sum(gb.mul(a, b), axis=(1,)), a, b)
        want = [(a * b).sum(1)]
    elif case == "mul_used_twice":  # the product is needed anyway
        flat, outs = lowered(lambda gb, a, b: (gb.sum(gb.mul(a, b), axis=(1,)), gb.mul(a, b)), a, b[:1])
        got, want = outs[0], [(a * b[:1]).sum(1)]
    elif case == "ints":
        gb = GraphBuilder("c")
        x, y = gb.input((16, 8), dtype="int32"), gb.input((8,), dtype="int32")
        flat = lower(gb.build(gb.sum(gb.mul(x, y), axis=(0,))))
        assert "matmul" not in [e.op for e in flat.eqns]
        return
    elif case == "tiny_items":  # 64 products of (16, 3) @ (3, 1): NumPy's loop per item costs more
        x, w = RNG.standard_normal((64, 16, 3)), RNG.standard_normal((64, 1, 3))
        flat, (got,) = lowered(lambda gb, x, w: gb.sum(gb.mul(x, w), axis=(2,)), x, w)
        want = [(x * w).sum(2)]
        # the product stays; only its sum over the last axis is one GEMV with ones (as any such sum)
        assert "mul" in [e.op for e in flat.eqns] and all(len(e.outputs[0].shape) == 2 for e in flat.eqns
                                                          if e.op == "matmul"), [e.op for e in flat.eqns]
        np.testing.assert_allclose(got, want[0].astype(np.float32), rtol=1e-5, atol=1e-5)
        return
    else:  # a (16, 1) column times a (1, 8) row summed over rows: an outer product, no contraction
        flat, (got,) = lowered(lambda gb, a, b: gb.sum(gb.mul(a, b), axis=(0,)), a[:, :1], b[:1])
        want = [(a[:, :1] * b[:1]).sum(0)]
    assert "matmul" not in [e.op for e in flat.eqns]
    np.testing.assert_allclose(got, want[0].astype(np.float32), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,axis,as_matmul", [
    ((32, 32, 3), 1, True),  # L1's force sum over the neighbours: short runs of 3
    ((4, 20, 2, 5), 1, True),  # the run inside the axis spans two axes
    ((32, 32, 3), 2, True),  # the last axis, short: (1024, 3) @ ones(3, 1), one GEMV (~1 us, NumPy ~4 us)
    ((32, 100), 1, False),  # the last axis, long: NumPy's contiguous sum is fast
    ((32, 32, 3), 0, True),  # the first: ones(1, 32) @ x viewed (32, 96), one GEMV (~2x NumPy's row adds)
    ((4, 32, 3), 0, False),  # the first, too short to pay
    ((8, 20, 100), 1, False),  # long runs: NumPy is fast there too
])
def test_a_sum_over_a_middle_axis_with_short_runs_is_a_product_with_ones(shape, axis, as_matmul):
    x = RNG.standard_normal(shape)
    flat, (got,) = lowered(lambda gb, x: gb.sum(gb.exp(x), axis=(axis,)), x)
    assert ("matmul" in [e.op for e in flat.eqns]) == as_matmul
    np.testing.assert_allclose(got, np.exp(x.astype(np.float32).astype(np.float64)).sum(axis), rtol=1e-5)


@pytest.mark.jax_x64  # JAX in float64 (it came from importing test_plan_passes, which switched it: tests/jax_mode.py)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_deep_potential_step_at_l1_sizes_matches_jax(dtype):
    """Issue #13's L1 graph at its own sizes (32 atoms, 16 features, 32 hidden), where the rewrite fires:
    of the (32, 32, 16) products only the exponent's argument is left (as a matrix product); the value and the weight
    gradients are JAX's."""
    pytest.importorskip("jax")
    from test_plan_passes import deep_potential_jax, deep_potential_step

    g, vals, cs = deep_potential_step(dtype, n=32, nf=16, h=32)
    flat = lower(g)
    assert not full_muls(flat, 32 * 32 * 16), [e.op for e in flat.eqns]
    # the exponent's argument, an outer product, is a (1024, 1) @ (1, 16) product
    assert [e.outputs[0].shape for e in flat.eqns if e.op == "matmul" and e.inputs[0].shape == (1024, 1)] == \
        [(1024, 16)]
    assert sum(e.op == "matmul" and e.outputs[0].shape[:1] == (32,) and len(e.outputs[0].shape) == 3
               for e in flat.eqns) >= 3  # the three batched products over the table
    R, F = RNG.standard_normal((32, 3)).astype(dtype) * 1.5, RNG.standard_normal((32, 3)).astype(dtype) * 0.1
    E = np.asarray(RNG.standard_normal(), dtype)
    got = tree_flatten(compile_graph(flat).run_host([R, E, F]))
    f64 = lambda xs: [np.asarray(x, np.float64) for x in xs]  # noqa: E731 - JAX in float64 on the same values
    jv, jg = deep_potential_jax(f64(vals), f64(cs), *f64([R, E, F]))
    # the gradients span 1e-3..4e3: each is held to the precision of the dtype at its own largest entry
    tol = 1e-12 if dtype == "float64" else 2e-6
    for a, b in zip(got, f64([jv, *jg])):
        assert a.dtype == np.dtype(dtype)
        assert np.max(np.abs(a - b)) <= tol * np.max(np.abs(b)), (np.max(np.abs(a - b)), np.max(np.abs(b)))


def test_a_contracted_sum_feeding_another():
    """The second sum's factors include the first sum's result, itself rewritten (L1's backward chains
    feed each other so)."""
    a, p = RNG.standard_normal((8, 16, 32)), RNG.standard_normal((8, 1, 32))
    b, q = RNG.standard_normal((8, 16, 32)), RNG.standard_normal((32,))

    def build(gb, a, p, b, q):
        r1 = gb.sum(gb.mul(a, p), axis=(2,), keepdims=True)
        return gb.sum(gb.mul(gb.mul(b, r1), q), axis=(1,))

    flat, (got,) = lowered(build, a, p, b, q)
    assert [e.op for e in flat.eqns].count("matmul") == 2, [e.op for e in flat.eqns]
    f = [x.astype(np.float32).astype(np.float64) for x in (a, p, b, q)]
    want = (f[2] * (f[0] * f[1]).sum(2, keepdims=True) * f[3]).sum(1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_random_sums_of_broadcast_products():
    """Random factor shapes and summed axes (sum with or without keepdims, reduce_to): the lowered plan
    against the float64 product summed by NumPy; enough of them are rewritten to a matmul to mean something."""
    rng = np.random.default_rng(2024)
    rewritten = 0
    for case in range(60):
        n = int(rng.integers(2, 5))
        full = tuple(int(d) for d in rng.choice([3, 8, 16], size=n))
        shapes = []
        for _ in range(int(rng.integers(2, 5))):
            s = tuple(d if rng.random() < 0.6 else 1 for d in full)
            drop = int(rng.integers(0, n))  # leading axes of size 1 may be left out (right-aligned broadcast)
            while drop and s[0] == 1:
                s, drop = s[1:], drop - 1
            shapes.append(s)
        shapes[0] = full if rng.random() < 0.5 else tuple(d if rng.random() < 0.7 else 1 for d in full)
        bshape = np.broadcast_shapes(*shapes)  # rank n: the first factor keeps all its axes
        axes = tuple(int(a) for a in np.flatnonzero(rng.random(n) < 0.5)) or (n - 1,)
        if rng.random() < 0.5:
            keep = tuple(1 if d in axes else s for d, s in enumerate(bshape))
            how = ("reduce_to", keep[1:] if axes[0] == 0 and rng.random() < 0.5 else keep)
        else:
            how = ("sum", axes, bool(rng.random() < 0.5))
        arrays = [rng.standard_normal(s) for s in shapes]
        order = rng.permutation(len(arrays))  # the mul tree in another order than the shapes were drawn
        flat, (got,) = lowered(lambda gb, *xs: _reduce(gb, product(gb, [xs[i] for i in order]), how), *arrays)
        rewritten += "matmul" in [e.op for e in flat.eqns]
        exact = [a.astype(np.float32).astype(np.float64) for a in arrays]
        want = _reference(exact, how)
        # float32 rounding bound: relative to the sum of the terms' magnitudes (sums may cancel)
        mag = _reference([np.abs(a) for a in exact], how)
        assert got.shape == want.shape, (case, shapes, how)
        assert np.all(np.abs(got - want) <= 1e-5 * mag + 1e-30), (case, shapes, how)
    assert rewritten >= 10, rewritten


@pytest.mark.parametrize("order", [(0, 0, 1), (0, 1, 0), (1, 0, 0), (0, 0, 0, 1)])
def test_a_factor_that_comes_twice_keeps_both_copies(order):
    """sum(x * x * w, axis=1) with x (32, 16) and w (16,): A is x and the rest is (x, w); the pass had dropped
    every copy of A from the rest (by identity), summing x * w instead ([8, 19, 30] for [14, 41, 90] at the
    small sizes MindSpore 2.10's vmap probe of round 18 used). Reference: NumPy in float64."""
    x, w = RNG.standard_normal((32, 16)), RNG.standard_normal((16,))
    flat, (got,) = lowered(lambda gb, x, w: gb.sum(product(gb, [(x, w)[i] for i in order]), axis=(1,)), x, w)
    f = [v.astype(np.float32).astype(np.float64) for v in (x, w)]
    want = (f[0] ** order.count(0) * f[1]).sum(1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize("sa,sb,rewritten", [
    ((32, 32, 1), (16,), True),  # L1's exponent argument
    ((16,), (32, 32, 1), True),  # the operands the other way round
    ((256, 1), (1, 8), True),
    ((4, 1), (1, 4), False),  # too small for a BLAS call to pay
    ((64, 1), (1, 128), False),  # a long trailing run: NumPy's loop is fast
    ((32, 1, 3), (1, 32, 3), False),  # both span the last axis: not an outer product
    ((32, 32, 3), (32, 32, 1), False)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_an_outer_product_mul_runs_as_a_matmul(sa, sb, rewritten, dtype):
    a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
    a.flat[::5] = 0.0  # zeros of both signs: BLAS gives +0.0 where NumPy's mul gives -0.0
    b.flat[1] = np.inf
    with np.errstate(invalid="ignore"):  # inf * 0
        flat, (got,) = lowered(lambda gb, a, b: gb.mul(a, b), a, b, dtype=dtype)
        ref = a.astype(dtype) * b.astype(dtype)
    assert ("matmul" in [e.op for e in flat.eqns]) == rewritten, [e.op for e in flat.eqns]
    np.testing.assert_array_equal(got, ref)  # equal values (-0.0 == 0.0), NaN where inf meets 0


@pytest.mark.parametrize("shape,gemv", [((3, 1024), True), ((2, 256), True), ((4, 32, 16), True), ((3, 64), False)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_sum_over_a_short_first_axis_with_long_runs_is_one_gemv(shape, gemv, dtype):
    """A (3, 1024) array summed over its first axis (layout.py's pair arrays over their coordinate): NumPy's
    fold is k + 1 calls, ones(1, 3) @ x one GEMV; runs under FIRST_MIN_RUN stay a NumPy sum."""
    x = RNG.standard_normal(shape)
    flat, (got,) = lowered(lambda gb, x: gb.sum(gb.exp(x), axis=(0,)), x, dtype=dtype)
    assert ("matmul" in [e.op for e in flat.eqns]) == gemv, [e.op for e in flat.eqns]
    want = np.exp(x.astype(dtype).astype(np.float64)).sum(0)
    tol = 2e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
