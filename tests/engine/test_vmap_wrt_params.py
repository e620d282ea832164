"""Jacobian / Hessian / HVP w.r.t. parameters by name (engine.wrt_params: a vmapped pullback) vs JAX."""
from __future__ import annotations

import numpy as np
import pytest

from engine import wrt_params as W
from engine.api import GraphBuilder, evaluate
from engine.errors import DifferentiationError

jax = pytest.importorskip("jax")
jnp = jax.numpy
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
rng = np.random.default_rng(0)
WV, BV, X = rng.normal(size=(3, 2)), rng.normal(size=(2,)), rng.normal(size=3)


def _net(two_outputs=False):
    gb = GraphBuilder("net")
    x = gb.input((3,), "float64", "x")
    w, b = gb.param("w", WV), gb.param("b", BV)
    h = gb.tanh(gb.add(gb.reshape(gb.matmul(gb.reshape(x, shape=(1, 3)), w), shape=(2,)), b))
    e = gb.sum(gb.mul(h, h))
    return gb.build((h, e) if two_outputs else e)


def f(x, w, b):
    return jnp.sum(jnp.tanh(x @ w + b) ** 2)


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)


def test_jacobian_by_name_and_mixed():
    for got, want in zip(evaluate(W.jacobian(_net(), [], ["w", "b"]), X), jax.jacrev(f, argnums=(1, 2))(X, WV, BV)):
        _close(got, want)
    got = evaluate(W.jacobian(_net(True), 0, ["w"]), X)
    want = jax.jacrev(lambda x, w: (jnp.tanh(x @ w + BV), f(x, w, BV)), argnums=(0, 1))(X, WV)
    for k in range(2):
        for j in range(2):
            _close(got[k][j], want[k][j])


def test_hessian_and_hvp_by_name():
    H = evaluate(W.hessian(_net(), [0], ["w"]), X)
    Hr = jax.hessian(f, argnums=(0, 1))(X, WV, BV)
    for i in range(2):
        for j in range(2):
            _close(H[i][j], Hr[i][j])
    V = [rng.normal(size=3), rng.normal(size=(3, 2))]
    got = evaluate(W.hvp(_net(), [0], ["w"]), X, *V)
    want = jax.jvp(lambda x, w: jax.grad(f, argnums=(0, 1))(x, w, BV), (X, WV), tuple(V))[1]
    for a, b in zip(got, want):
        _close(a, b)


def test_errors_name_the_problem():
    with pytest.raises(DifferentiationError, match="unknown weight 'z'"):
        W.jacobian(_net(), [], ["z"])
    with pytest.raises(DifferentiationError, match="nothing to differentiate"):
        W.jacobian(_net(), [], [])


def test_hvp_by_name_sums_the_outputs():
    """Like hvp w.r.t. positions (grad's implicit ones): a tensor output, or several, is summed first; it was
    refused ('one scalar output') for weights only."""
    V = [rng.normal(size=3), rng.normal(size=(3, 2))]
    got = evaluate(W.hvp(_net(True), [0], ["w"]), X, *V)

    def summed(x, w):
        h = jnp.tanh(x @ w + BV)
        return jnp.sum(h) + jnp.sum(h * h)
    want = jax.jvp(lambda x, w: jax.grad(summed, argnums=(0, 1))(x, w), (X, WV), tuple(V))[1]
    for a, b in zip(got, want):
        _close(a, b)
