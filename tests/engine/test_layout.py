"""engine/layout.py: pointwise steps on (..., k <= 4) arrays computed coordinate-major, as (k, ...).

Each case: where the rewrite fires (the lowered graph computes a (k, n, n) value) and where it must not,
values against NumPy in float64 (and JAX for derivatives, to any order), and the pointwise results bit
for bit against the same graph lowered without the pass (a pointwise op does not depend on the layout).
"""
import re

import numpy as np
import pytest

import engine.optimize
from engine import GraphBuilder, transforms
from engine.executor import compile_graph
from engine.ir import tree_flatten
from engine.lower import lower

RNG = np.random.default_rng(56)


def _plan_values(graph, arrays, layout=True, monkeypatch=None):
    if not layout:
        with monkeypatch.context() as m:
            m.setattr(engine.optimize, "tiny_axis_first", lambda g: g)
            flat = lower(graph)
    else:
        flat = lower(graph)
    out = compile_graph(flat).run_host(list(arrays))
    return flat, [np.asarray(o) for o in tree_flatten(out)]


def coordinate_major(flat, k, n) -> bool:
    """Some step of the lowered graph computes a (k, n, n) value (the pair arrays, tiny axis first)."""
    return any(tuple(o.shape) == (k, n, n) for e in flat.eqns for o in e.outputs)


def pair_graph(n, k, dtype, extra):
    """d = R_i - R_j (n, n, k), then `extra(gb, d, R)`'s outputs."""
    gb = GraphBuilder("pairs")
    R = gb.input((n, k), dtype, "R")
    d = gb.sub(gb.expand_dims(R, axis=1), gb.expand_dims(R, axis=0))
    return gb.build(extra(gb, d, R))


def _pairs_np(R):
    return R[:, None, :] - R[None, :, :]


# (name, the graph's outputs from d and R, the same in NumPy, whether every output is pointwise)
CASES = [
    ("weighted", lambda gb, d, R: [gb.mul(d, gb.const(c_w))], lambda d, R, c: [d * c["w"]], True),
    ("scaled per coordinate and by a scalar",
     lambda gb, d, R: [gb.mul(gb.add(d, gb.const(c_s)), gb.const(np.asarray(2.5, d.dtype)))],
     lambda d, R, c: [(d + c["s"]) * 2.5], True),
    ("a (n, 1, 1) operand", lambda gb, d, R: [gb.mul(gb.const(c_c), gb.neg(gb.mul(d, gb.const(c_w))))],
     lambda d, R, c: [c["c"] * -(d * c["w"])], True),
    ("squared distances", lambda gb, d, R: [gb.sum(gb.mul(d, d), axis=(-1,))], lambda d, R, c: [(d * d).sum(-1)],
     False),
    ("forces on i and on j", lambda gb, d, R: [gb.sum(gb.mul(d, gb.const(c_w)), axis=(1,)),
                                               gb.reduce_to(gb.mul(d, gb.const(c_w)), shape=(1, R.shape[0], R.shape[1]))],
     lambda d, R, c: [(d * c["w"]).sum(1), (d * c["w"]).sum(0, keepdims=True)], False),
    ("sum over all", lambda gb, d, R: [gb.sum(gb.square(gb.mul(d, gb.const(c_w))))],
     lambda d, R, c: [np.square(d * c["w"]).sum()], False),
]
c_w = c_s = c_c = None  # set per test (the graphs read these module names when built)


def _consts(n, k, dtype):
    global c_w, c_s, c_c
    c_w = RNG.standard_normal((n, n, 1)).astype(dtype)
    c_s = RNG.standard_normal((k,)).astype(dtype)
    c_c = RNG.standard_normal((n, 1, 1)).astype(dtype)
    return {"w": c_w.astype(np.float64), "s": c_s.astype(np.float64), "c": c_c.astype(np.float64)}


@pytest.mark.parametrize("name,build,ref,pointwise", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("n,k", [(32, 3), (17, 2), (40, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pair_arrays_run_coordinate_major_same_values(name, build, ref, pointwise, n, k, dtype, monkeypatch):
    c = _consts(n, k, dtype)
    R = (RNG.standard_normal((n, k)) * 1.5).astype(dtype)
    g = pair_graph(n, k, dtype, build)
    flat, got = _plan_values(g, [R])
    assert coordinate_major(flat, k, n), [(e.op, tuple(e.outputs[0].shape)) for e in flat.eqns]
    want = ref(_pairs_np(R.astype(np.float64)), R, c)
    tol = 2e-6 if dtype == "float32" else 1e-13
    for x, y in zip(got, want):
        assert x.shape == y.shape and x.dtype == np.dtype(dtype)
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol * max(1.0, float(np.abs(y).max())))
    plain, base = _plan_values(g, [R], layout=False, monkeypatch=monkeypatch)
    assert not coordinate_major(plain, k, n)
    if pointwise:  # the same elements computed by the same ops: the same bits
        for x, y in zip(got, base):
            assert x.tobytes() == y.tobytes()


def test_the_differences_alone_keep_their_layout():
    """d's one short-loop step gains what transposing d back for the caller costs: not rewritten."""
    R = RNG.standard_normal((32, 3)).astype(np.float32)
    flat, (got,) = _plan_values(pair_graph(32, 3, "float32", lambda gb, d, R: [d]), [R])
    assert not coordinate_major(flat, 3, 32)
    assert got.tobytes() == _pairs_np(R).tobytes()


@pytest.mark.parametrize("n,k", [(8, 3), (32, 5), (32, 1)])
def test_small_or_wide_last_axes_keep_their_layout(n, k):
    """n * n < 256 rows: NumPy's short loops cost less than the transposes; k > 4 or k = 1: nothing to gain."""
    R = RNG.standard_normal((n, k)).astype(np.float32)
    flat, (got,) = _plan_values(pair_graph(n, k, "float32", lambda gb, d, R: [gb.sum(gb.mul(d, d), axis=(-1,))]), [R])
    assert not any(e.op == "transpose" for e in flat.eqns)
    np.testing.assert_allclose(got, (_pairs_np(R.astype(np.float64)) ** 2).sum(-1), rtol=2e-6, atol=1e-5)


def test_same_shape_steps_alone_keep_their_layout():
    """(n, n, 3) steps whose operands all have the output's shape already run as one long loop."""
    gb = GraphBuilder("same")
    a, b = gb.input((32, 32, 3), "float32"), gb.input((32, 32, 3), "float32")
    flat, (got,) = (lambda g: _plan_values(g, [A, B]))(gb.build(gb.mul(gb.add(a, b), b))) if (
        A := RNG.standard_normal((32, 32, 3)).astype(np.float32)) is not None and (
        B := RNG.standard_normal((32, 32, 3)).astype(np.float32)) is not None else None
    assert not any(e.op == "transpose" for e in flat.eqns)
    assert got.tobytes() == ((A + B) * B).tobytes()


def test_a_group_value_read_outside_is_transposed_back_exactly(monkeypatch):
    """d feeds both coordinate-major steps and a step the pass leaves alone (a matmul over the tiny axis)."""
    n, k = 32, 3
    M = RNG.standard_normal((k, 5)).astype(np.float32)
    R = RNG.standard_normal((n, k)).astype(np.float32)

    def extra(gb, d, R):
        w = gb.const(RNG.standard_normal((n, n, 1)).astype(np.float32))
        return [gb.sum(gb.mul(d, w), axis=(1,)), gb.mul(d, gb.const(np.float32(3.0))), gb.matmul(d, gb.const(M)),
                gb.exp(d)]
    g = pair_graph(n, k, "float32", extra)
    flat, got = _plan_values(g, [R])
    assert coordinate_major(flat, k, n)
    d = _pairs_np(R)
    assert got[1].tobytes() == (d * np.float32(3.0)).tobytes()
    np.testing.assert_allclose(got[2], d.astype(np.float64) @ M, rtol=1e-5, atol=1e-5)
    _, base = _plan_values(g, [R], layout=False, monkeypatch=monkeypatch)
    assert got[3].tobytes() == base[3].tobytes()
    np.testing.assert_allclose(got[0], base[0], rtol=2e-6, atol=1e-5)


# -- derivatives: a pair potential's gradient to third order, against JAX ------------------------------------
def _energy_graph(n, dtype, w, s):
    gb = GraphBuilder("energy")
    R = gb.input((n, 3), dtype, "R")
    d = gb.sub(gb.expand_dims(R, axis=1), gb.expand_dims(R, axis=0))
    d = gb.mul(d, gb.const(s))  # anisotropic: a (3,) scale per coordinate
    r2 = gb.sum(gb.mul(d, d), axis=(-1,))
    return gb.build(gb.sum(gb.mul(gb.exp(gb.neg(r2)), gb.const(w))))


def _energy_jax(R, w, s):
    import jax.numpy as jnp
    d = (R[:, None, :] - R[None, :, :]) * s
    return jnp.sum(jnp.exp(-jnp.sum(d * d, -1)) * w)


@pytest.mark.jax_x64
@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pair_potential_gradients_to_third_order_equal_jax(order, dtype):
    jax = pytest.importorskip("jax")
    n = 24
    w = (RNG.standard_normal((n, n)) * 0.1).astype(dtype)
    s = np.array([0.6, 0.8, 1.1], dtype)
    R = (RNG.standard_normal((n, 3)) * 0.7).astype(dtype)
    g = transforms.nth_grad(_energy_graph(n, dtype, w, s), order)
    flat = lower(g)
    assert coordinate_major(flat, 3, n)
    (got,) = [np.asarray(o) for o in tree_flatten(compile_graph(flat).run_host([R]))]
    f = lambda R: _energy_jax(R, w.astype(np.float64), s.astype(np.float64))  # noqa: E731
    for _ in range(order - 1):
        f = (lambda h: lambda R: jax.numpy.sum(jax.grad(h)(R)))(f)
    want = np.asarray(jax.grad(f)(R.astype(np.float64)))
    scale = float(np.abs(want).max())
    tol = 5e-5 if dtype == "float32" else 1e-11
    assert got.shape == want.shape and got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("perm", [(1, 0), None, (2, 0, 1), (1, 2, 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_transpose_is_a_view_step_with_numpys_values(perm, dtype):
    """transpose's NumPy view kernel (no call of the impl rule): of an input, of an arena value (bound once per
    arena), as an output and as an out-kernel's operand; the same bits as np.transpose."""
    shape = (6, 5) if perm in ((1, 0), None) else (4, 6, 5)
    x = RNG.standard_normal(shape).astype(dtype)
    gb = GraphBuilder("t")
    xi = gb.input(shape, dtype)
    t_in = gb.transpose(xi, perm=perm)
    t_arena = gb.transpose(gb.exp(xi), perm=perm)
    g = gb.build([t_in, gb.neg(t_arena), gb.mul(t_arena, t_in)])
    plan = compile_graph(lower(g))
    got = [np.asarray(o) for o in tree_flatten(plan.run_host([x]))]
    want_in, want_exp = np.transpose(x, perm), np.transpose(np.exp(x), perm)
    for a, b in zip(got, [want_in, -want_exp, want_exp * want_in]):
        assert a.shape == b.shape and a.tobytes() == np.ascontiguousarray(b).tobytes()
    # the arena value's transpose is a view made once per arena (in __make, not in each run)
    make = plan.program.source.split("def run(")[0]
    assert re.search(r"^\s+w\d+ = k\d+\(b\d+\)$", make, re.M), plan.program.source


def test_a_transposed_arena_value_as_output_survives_the_next_run():
    """An output viewing an arena buffer through transpose's view kernel: that buffer is fresh per run."""
    gb = GraphBuilder("t")
    x = gb.input((6, 5), "float32")
    e = gb.exp(x)
    plan = compile_graph(lower(gb.build([gb.transpose(e, perm=(1, 0)), gb.neg(e)])))
    a = RNG.standard_normal((6, 5)).astype(np.float32)
    first = tree_flatten(plan.run_host([a]))[0]
    second = tree_flatten(plan.run_host([a + 1]))[0]
    assert np.asarray(first).tobytes() == np.ascontiguousarray(np.exp(a).T).tobytes()
    assert np.asarray(second).tobytes() == np.ascontiguousarray(np.exp(a + 1).T).tobytes()
