"""The plan-shrinking rules of engine/simplify.py (reshape chains, broadcast_to bypass) on small
graphs and on second-order graphs like issue #13's workloads (L1: forces by a nested grad inside
a weight gradient; L2: vmap(grad)).

Each rule: what it removes (plan steps before/after), and values unchanged, bit for bit against
the graph compiled as built (no rule runs), and against JAX on the derived graphs. "Without the
rules" means with the builder's emit-time simplification switched off (CSE and DCE still run).
"""
import numpy as np
import pytest

import engine.builder
from engine import GraphBuilder, transforms
from engine.api import evaluate
from engine.executor import compile_graph, run_numpy
from engine.ir import tree_flatten
from engine.lower import lower
from engine.vmap import vmap_graph

jax = pytest.importorskip("jax")
jnp = jax.numpy
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
RNG = np.random.default_rng(13)


def built_and_lowered(build, *inputs):
    """(values of the graph as built, values lowered, the raw plan, the lowered plan)."""
    gb = GraphBuilder("t", simplify=False, cse=False)
    xs = [gb.input(a.shape, dtype=str(a.dtype)) for a in inputs]
    g = gb.build(build(gb, *xs))
    raw, low = compile_graph(g), compile_graph(lower(g))
    return run_numpy(raw, list(inputs)), run_numpy(low, list(inputs)), raw, low


def same_bits(a, b):
    for x, y in zip(tree_flatten(a), tree_flatten(b)):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape and x.dtype == y.dtype, (x.shape, y.shape, x.dtype, y.dtype)
        assert x.tobytes() == y.tobytes()


def ops(plan):
    return [e.op for e in plan.graph.eqns]


# -- reshape chains -------------------------------------------------------------------------------
def test_reshape_chain_back_to_the_source_shape_is_no_step():
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    ref, got, raw, low = built_and_lowered(lambda gb, x: gb.exp(gb.reshape(gb.squeeze(gb.expand_dims(
        gb.reshape(x, shape=(6, 4)), axis=0), axis=(0,)), shape=(2, 3, 4))), x)
    assert len(raw.steps) == 5 and ops(low) == ["exp"], ops(low)
    same_bits(ref, got)


def test_reshape_chain_to_another_shape_is_one_reshape():
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    ref, got, raw, low = built_and_lowered(
        lambda gb, x: gb.exp(gb.expand_dims(gb.reshape(gb.reshape(x, shape=(6, 4)), shape=(24,)), axis=-1)), x)
    assert len(raw.steps) == 4 and ops(low) == ["reshape", "exp"], ops(low)
    assert low.graph.eqns[0].attrs["shape"] == (24, 1)
    same_bits(ref, got)


# -- second-order graphs -------------------------------------------------------------------------
N, NF, H = 6, 4, 5


def _energy(gb, R, ws, consts):
    w1, b1, w2, b2 = ws
    eye, scales, mask = consts
    d = gb.sub(gb.expand_dims(R, axis=1), gb.expand_dims(R, axis=0))
    r2 = gb.add(gb.sum(gb.mul(d, d), axis=(-1,)), eye)
    g = gb.sum(gb.mul(gb.exp(gb.neg(gb.mul(gb.expand_dims(r2, axis=-1), scales))), mask), axis=(1,))
    h = gb.tanh(gb.add(gb.matmul(g, w1, transpose_b=True), b1))
    return gb.sum(gb.add(gb.matmul(h, w2, transpose_b=True), b2))


def _weights(dtype, nf=NF, h=H):
    return [(RNG.standard_normal(s) * 0.5).astype(dtype) for s in ((h, nf), (h,), (1, h), (1,))]


def _consts(dtype, n=N, nf=NF):
    eye = np.eye(n, dtype=dtype)
    return eye, np.linspace(0.2, 2.0, nf).astype(dtype), (1 - eye)[:, :, None]


def deep_potential_step(dtype, n=N, nf=NF, h=H):
    """value_and_grad w.r.t. the weights of mse(E) + mse(forces), forces = -dE/dR by a grad node
    (n atoms, nf features, h hidden units; L1's sizes are 32, 16, 32)."""
    vals, cs = _weights(dtype, nf, h), _consts(dtype, n, nf)
    eb = GraphBuilder("energy")
    R = eb.input((n, 3), dtype, "R")
    ws = [eb.param(n, v) for n, v in zip(("w1", "b1", "w2", "b2"), vals)]
    energy = eb.build(_energy(eb, R, ws, [eb.const(c) for c in cs]))
    gb = GraphBuilder("loss")
    fname = gb.function(energy)
    R, E, F = gb.input((n, 3), dtype, "R"), gb.input((), dtype, "E"), gb.input((n, 3), dtype, "F")
    (e,) = gb.emit("call", [R], {"fn": fname})
    (dr,) = gb.emit("grad", [R], {"fn": fname, "positions": (0,)})
    loss = gb.add(gb.mean(gb.square(gb.sub(e, E))), gb.mean(gb.square(gb.sub(gb.neg(dr), F))))
    return transforms.value_and_grad(gb.build(loss), None, weights=["w1", "b1", "w2", "b2"]), vals, cs


def deep_potential_jax(vals, cs, R, E, F):
    eye, scales, mask = cs

    def energy(ws, R):
        w1, b1, w2, b2 = ws
        d = R[:, None, :] - R[None, :, :]
        g = jnp.sum(jnp.exp(-(jnp.sum(d * d, -1) + eye)[:, :, None] * scales) * mask, 1)
        return jnp.sum(jnp.tanh(g @ w1.T + b1) @ w2.T + b2)

    def loss(ws, R, E, F):
        return jnp.mean((energy(ws, R) - E) ** 2) + jnp.mean((-jax.grad(energy, 1)(ws, R) - F) ** 2)

    return jax.jit(jax.value_and_grad(loss))(list(vals), R, E, F)  # jit: one compile, not one per primitive


def chained_reshapes(plan) -> int:
    """Reshape-like steps (reshape, expand_dims, squeeze) that reshape another one's output."""
    made = {o.id: e.op for e in plan.graph.eqns for o in e.outputs}
    like = {"reshape", "expand_dims", "squeeze"}
    return sum(e.op in like and made.get(e.inputs[0].id) in like for e in plan.graph.eqns)


def without_rules(monkeypatch, graph):
    """The plan of `graph` lowered with no emit-time simplification (only CSE and DCE), nor its
    reshape-chain rule run late (optimize.collapse_reshapes)."""
    import engine.optimize

    with monkeypatch.context() as m:
        m.setattr(engine.builder, "simplify_emit", lambda *a: None)
        m.setattr(engine.optimize, "collapse_reshapes", lambda g: g)
        return compile_graph(lower(graph))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_deep_potential_step_fewer_steps_same_values_as_jax(dtype, monkeypatch):
    g, vals, cs = deep_potential_step(dtype)
    R, F = RNG.standard_normal((N, 3)).astype(dtype), RNG.standard_normal((N, 3)).astype(dtype) * 0.1
    E = np.asarray(RNG.standard_normal(), dtype)
    plan, bare = compile_graph(lower(g)), without_rules(monkeypatch, g)
    # L1's graph has the same shape: 86 -> 79 steps, all reshape chains and broadcast_to's gone (without
    # the rules, absorb_neg still skips the one broadcast_to a negation hid from them, and contract runs)
    assert len(plan.steps) <= len(bare.steps) - 6, (len(plan.steps), len(bare.steps))
    assert chained_reshapes(bare) and not chained_reshapes(plan)
    got, ref = plan.run_host([R, E, F]), bare.run_host([R, E, F])
    (value, grads), (jv, jg) = got, deep_potential_jax(vals, cs, R, E, F)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=1e-6)
    for a, b in zip(tree_flatten(got), tree_flatten(ref)):
        assert a.dtype == b.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, **tol)  # the rules off: other roundings (matmul by ones -> sum)
    np.testing.assert_allclose(value, jv, **tol)
    for a, b in zip(grads, jg):
        np.testing.assert_allclose(a, np.asarray(b), **tol)


def test_vmap_of_grad_has_no_reshape_left(monkeypatch):
    """L2's shape: per-example gradients of a logistic-regression log-density; vmap's batching
    wraps every op in reshapes that cancel."""
    X = RNG.standard_normal((20, 4))
    y = (RNG.random(20) < 0.5).astype(np.float64)
    gb = GraphBuilder("logp")
    w = gb.input((4,), "float64", "w")
    z = gb.reshape(gb.matmul(gb.const(X), gb.reshape(w, shape=(-1, 1))), shape=(-1,))
    logp = gb.sub(gb.sum(gb.sub(gb.mul(gb.const(y), z), gb.softplus(z))),
                  gb.mul(gb.full((), 0.5, "float64"), gb.sum(gb.mul(w, w))))
    vg = vmap_graph(transforms.grad(gb.build(logp)), 7)
    plan, bare = compile_graph(lower(vg)), without_rules(monkeypatch, vg)
    assert "reshape" not in ops(plan) and ops(bare).count("reshape") >= 8, (ops(plan), ops(bare))
    W = RNG.standard_normal((7, 4))
    def logp_jax(w):
        return jnp.sum(y * (X @ w) - jax.nn.softplus(X @ w)) - 0.5 * jnp.sum(w * w)

    want = jax.jit(jax.vmap(jax.grad(logp_jax)))(W)
    np.testing.assert_allclose(plan.run_host([W]), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(evaluate(vg, W), bare.run_host([W]), rtol=1e-12, atol=1e-12)


def test_reshape_chains_the_late_passes_make_are_one_reshape():
    """collapse_reshapes (after contract and unbroadcast, which emit reshapes of reshapes): a chain is
    one reshape of its source, or the source where the chain ends in its shape; an output stays its own."""
    from engine.optimize import collapse_reshapes, dce

    x = RNG.standard_normal((4, 6)).astype(np.float32)
    gb = GraphBuilder("t", simplify=False, cse=False)
    xv = gb.input((4, 6))
    back = gb.reshape(gb.expand_dims(xv, axis=-1), shape=(4, 6))
    g = gb.build((gb.exp(gb.reshape(gb.expand_dims(gb.tanh(xv), axis=0), shape=(24, 1))), gb.exp(back),
                  gb.reshape(gb.squeeze(gb.expand_dims(xv, axis=0), axis=(0,)), shape=(4, 6))))
    out = dce(collapse_reshapes(g))
    assert [e.op for e in out.eqns] == ["tanh", "reshape", "exp", "exp", "reshape"], \
        [e.op for e in out.eqns]
    same_bits(run_numpy(compile_graph(g), [x]), run_numpy(compile_graph(out), [x]))
