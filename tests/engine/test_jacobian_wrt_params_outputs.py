"""Jacobians / Hessians by parameter name (engine.wrt_params) over several outputs of different shapes, vs JAX
(jax.jacrev / jax.hessian over the parameters, float64), and a node-count ceiling linear in the output count.

The ceiling failed before wrt_params shared transforms' jacrev: each output's pullback carried a zero cotangent
for every other output, each differentiated, so the build grew with the square of the output count (benchmarks/jacobian_outputs.py, 300 outputs:
182 106 built equations and ~1 min; now 2 701 and 0.5 s; benchmarks/NOTES.md)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import wrt_params as W
from engine.api import GraphBuilder, evaluate
from engine.lower import lower

jax = pytest.importorskip("jax")
jnp = jax.numpy
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
rng = np.random.default_rng(7)
WV, BV, X = rng.normal(size=(3, 2)), rng.normal(size=(2,)), rng.normal(size=3)


def shaped_net():
    """Outputs of shapes (), (2, 2), (3, 2) and (2,), each reading w and b differently."""
    gb = GraphBuilder("shaped")
    x = gb.input((3,), "float64", "x")
    w, b = gb.param("w", WV), gb.param("b", BV)
    h = gb.add(gb.reshape(gb.matmul(gb.reshape(x, shape=(1, 3)), w), shape=(2,)), b)  # x @ w + b
    t = gb.tanh(h)
    outer = gb.mul(gb.reshape(t, shape=(2, 1)), gb.reshape(gb.sin(b), shape=(1, 2)))
    return gb.build((gb.sum(gb.mul(t, t)), outer, gb.mul(w, w), gb.sin(b)))


def shaped_f(x, w, b):
    t = jnp.tanh(x @ w + b)
    return jnp.sum(t * t), t[:, None] * jnp.sin(b)[None, :], w * w, jnp.sin(b)


def close(got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-12)


def test_jacobian_by_weights_of_outputs_of_several_shapes():
    got = evaluate(W.jacobian(shaped_net(), [], ["w", "b"]), X)
    want = jax.jacrev(shaped_f, argnums=(1, 2))(X, WV, BV)
    assert len(got) == 4
    for k in range(4):
        for j in range(2):
            assert np.shape(got[k][j]) == np.shape(want[k][j]), (k, j)
            close(got[k][j], want[k][j])


def test_jacobian_by_an_input_and_a_weight_of_outputs_of_several_shapes():
    got = evaluate(W.jacobian(shaped_net(), [0], ["b"]), X)
    want = jax.jacrev(lambda x, b: shaped_f(x, WV, b), argnums=(0, 1))(X, BV)
    for k in range(4):
        for j in range(2):
            close(got[k][j], want[k][j])


def test_hessian_by_weights_of_several_outputs():
    got = evaluate(W.hessian(shaped_net(), [], ["w", "b"]), X)
    want = jax.hessian(shaped_f, argnums=(1, 2))(X, WV, BV)
    for k in range(4):
        for i in range(2):
            for j in range(2):
                close(got[k][i][j], want[k][i][j])


def wide_net(outputs: int):  # (float64, for JAX: benchmarks/jacobian_outputs.py's has float32 and no sin)
    """x * w through sin, then `outputs` outputs of 4 elements: the chain's end times a constant each."""
    gb = GraphBuilder(f"wide{outputs}")
    x = gb.input((1,), "float64", "x")
    y = gb.sin(gb.mul(x, gb.param("w", np.full(1, 0.7))))
    return gb.build(tuple(gb.broadcast_to(gb.mul(y, gb.scalar(float(i + 1), "float64")), shape=(4,))
                          for i in range(outputs)))


def test_a_jacobian_by_weights_grows_linearly_with_the_output_count():
    per_output = {}
    for n in (10, 300):
        per_output[n] = len(lower(W.jacobian(wide_net(n), [], ["w"]), opt=False).eqns) / n
    # measured: 12.1 and 12.0 built equations per output (before: 30.6 at 10, 130 at 60, 310 at 150 outputs)
    assert per_output[300] <= 15, per_output
    assert per_output[300] <= per_output[10] + 1, per_output
    got = evaluate(W.jacobian(wide_net(300), [], ["w"]), np.full(1, 0.3))
    want = jax.jacrev(lambda w: tuple(jnp.broadcast_to(jnp.sin(0.3 * w) * (i + 1), (4,)) for i in range(300)))(
        np.full(1, 0.7))
    assert len(got) == len(want) == 300
    for (g_k,), w_k in zip(got, want):  # (a tuple of blocks per output: positions and weights as lists)
        close(g_k, w_k)
