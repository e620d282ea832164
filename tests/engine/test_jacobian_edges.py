"""jacobian / hessian built as one vmap node per block row / column, on the edges the block layout meets:
outputs of other shapes and dtypes, 0-d and 0-size inputs, outputs independent of an input (zero blocks), an
output that is an input, stop_gradient, and hessians through cond / while: against JAX (float64)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder, hessian, jacobian

jax = pytest.importorskip("jax")
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
jnp, lax = jax.numpy, jax.lax
F64 = "float64"
RNG = np.random.default_rng(1)
X, Y = RNG.normal(size=3), RNG.normal(size=(2, 3))


def fn(make, avals, name):
    g = GraphBuilder(name)
    ins = [g.input(s, dt, name=f"a{i}") for i, (s, dt) in enumerate(avals)]
    return g.build(make(g, *ins))


def assert_trees_close(got, want, rtol=1e-10):
    gl, wl = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(gl) == len(wl)
    for a, b in zip(gl, wl):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=rtol, atol=1e-12)


def run_jacobian(g, args, positions, mode):
    return Engine().run(jacobian(g, positions, mode=mode), list(args))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_outputs_of_other_shapes_and_dtypes(mode):
    def make(g, a, b):
        return (g.sum(g.mul(g.sin(a), b), axis=(1,)), g.cast(g.exp(a), dtype="float32"), g.mul(b, b), g.sum(a))

    def ref(a, b):
        return jnp.sum(jnp.sin(a) * b, axis=1), jnp.exp(a).astype(jnp.float32), b * b, jnp.sum(a)

    g = fn(make, [((3,), F64), ((2, 3), F64)], "m")
    want = (jax.jacrev if mode == "rev" else jax.jacfwd)(ref, (0, 1))(X, Y)
    assert_trees_close(run_jacobian(g, (X, Y), (0, 1), mode), want, rtol=1e-6)  # (one output is float32)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_scalar_and_empty_inputs_independent_outputs_and_an_input_as_output(mode):
    s, e = np.array(0.7), np.zeros((0, 3))

    def make(g, a, z, b):  # the second output ignores a; the third is b itself; the first reads the empty z
        return (g.add(g.mul(a, g.sum(b)), g.sum(z)), g.sin(b), b)

    def ref(a, z, b):
        return a * jnp.sum(b) + jnp.sum(z), jnp.sin(b), b

    g = fn(make, [((), F64), ((0, 3), F64), ((3,), F64)], "edges")
    want = (jax.jacrev if mode == "rev" else jax.jacfwd)(ref, (0, 1, 2))(s, e, X)
    got = run_jacobian(g, (s, e, X), (0, 1, 2), mode)
    assert_trees_close(got, want)
    assert not np.any(got[1][0])  # d sin(b) / d a: a zero block, not a copy of another row


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_stop_gradient(mode):
    g = fn(lambda g, a, b: g.mul(g.stop_gradient(g.sin(a)), g.mul(a, g.sum(b))), [((3,), F64), ((2, 3), F64)], "sg")
    want = (jax.jacrev if mode == "rev" else jax.jacfwd)(
        lambda a, b: lax.stop_gradient(jnp.sin(a)) * a * jnp.sum(b), (0, 1))(X, Y)
    assert_trees_close(run_jacobian(g, (X, Y), (0, 1), mode), want)


def cube(h, v):
    return h.mul(h.mul(v, v), v)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_hessian_through_cond(sign):
    def make(g, a):
        t = g.function(fn(cube, [((3,), F64)], "t"))
        f = g.function(fn(lambda h, v: h.sin(v), [((3,), F64)], "f"))
        (r,) = g.emit("cond", [g.greater(g.sum(a), g.scalar(0.0, F64)), a], {"true_fn": t, "false_fn": f})
        return g.sum(g.mul(r, a))

    x = sign * np.abs(X)
    want = jax.hessian(lambda a: jnp.sum(lax.cond(jnp.sum(a) > 0, lambda v: v ** 3, jnp.sin, a) * a))(x)
    assert_trees_close(Engine().run(hessian(fn(make, [((3,), F64)], "c"), 0), [x]), want)


def test_hessian_of_two_outputs_through_while():
    def make(g, a):
        c = g.function(fn(lambda h, v: h.less(h.sum(h.abs(v)), h.scalar(10.0, F64)), [((3,), F64)], "cw"))
        b = g.function(fn(lambda h, v: h.add(h.mul(v, h.scalar(1.5, F64)), h.mul(h.sin(v), h.scalar(0.1, F64))),
                          [((3,), F64)], "bw"))
        (r,) = g.emit("while", [a], {"cond": c, "body": b, "max_trips": 20})
        return g.sum(g.mul(r, r)), g.mul(g.sin(r), a)

    x = np.array([0.3, 0.5, -0.2])
    trips, v = 0, x
    while np.sum(np.abs(v)) < 10:  # lax.while_loop has no reverse mode: the trips written out for JAX
        v, trips = v * 1.5 + np.sin(v) * 0.1, trips + 1

    def ref(a):
        v = a
        for _ in range(trips):
            v = v * 1.5 + jnp.sin(v) * 0.1
        return jnp.sum(v * v), jnp.sin(v) * a

    assert 2 < trips < 20
    assert_trees_close(Engine().run(hessian(fn(make, [((3,), F64)], "w"), 0), [x]), jax.hessian(ref)(x), rtol=1e-9)
