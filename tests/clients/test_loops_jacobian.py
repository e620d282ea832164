"""Compact ops.jacrev / jacfwd / hessian (one vmap over a basis) against JAX, and the graph's size
independent of n (it held n identities of n x n before)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import gradserve as gs
from gradserve import ops
from gradserve._trace import trace_program

jax = pytest.importorskip("jax")
jnp = jax.numpy
rng = np.random.default_rng(0)


def f_gs(x, y):
    return ops.sin(x) * ops.sum(y * y), ops.matmul(ops.reshape(x, (1, -1)), ops.reshape(ops.exp(x), (-1, 1)))


def f_jax(x, y):
    return jnp.sin(x) * jnp.sum(y * y), jnp.reshape(x, (1, -1)) @ jnp.reshape(jnp.exp(x), (-1, 1))


@pytest.mark.parametrize("mode", ["jacrev", "jacfwd"])
def test_jacobians_match_jax(fake, mode):
    x = rng.normal(size=(4,)).astype(np.float32)
    y = rng.normal(size=(3,)).astype(np.float32)
    got = getattr(ops, mode)(f_gs, grad_position=(0, 1))(gs.Tensor(x), gs.Tensor(y))
    want = jax.jit(getattr(jax, mode)(f_jax, argnums=(0, 1)))(x, y)  # jit: JAX eager compiles op by op
    for g_out, w_out in zip(got, want):
        for g, w in zip(g_out, w_out):
            assert g.shape == w.shape
            np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-5, atol=1e-6)
    single = getattr(ops, mode)(lambda x: ops.tanh(x) * 2)(gs.Tensor(x)).asnumpy()
    np.testing.assert_allclose(single, getattr(jax, mode)(lambda x: jnp.tanh(x) * 2)(x), rtol=1e-5, atol=1e-6)


def test_hessian_matches_jax(fake):
    x = rng.normal(size=(2, 3)).astype(np.float32)

    def e(x):
        return ops.sum(ops.sin(x) * x * x)

    got = ops.hessian(e)(gs.Tensor(x)).asnumpy()
    want = jax.jit(jax.hessian(lambda x: jnp.sum(jnp.sin(x) * x * x)))(x)
    assert got.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["jacrev", "jacfwd"])
def test_graph_size_does_not_grow_with_n(mode):
    def nodes(n):
        x = gs.Tensor(np.ones(n, np.float32))
        prog, _ = trace_program(lambda a: getattr(ops, mode)(lambda v: ops.tanh(v) * v)(a), [x])
        doc = prog.graph_doc()
        return sum(len(f["nodes"]) for f in doc.get("functions", {}).values()) + len(doc["nodes"]), \
            len(json.dumps(doc))

    (n10, _), (n200, size200) = nodes(10), nodes(200)
    assert n10 == n200
    assert size200 < 4 * 200 * 200 * 2  # one 200 x 200 identity (base64), not 200 of them


def test_a_large_jacobian_on_a_real_server(on_real_server):
    n = 300
    x = rng.normal(size=(n,)).astype(np.float32)
    A = (rng.normal(size=(n, n)) / np.sqrt(n)).astype(np.float32)
    At = gs.Tensor(A)
    got = ops.jacrev(lambda v: ops.tanh(ops.matmul(At, ops.reshape(v, (-1, 1)))))(gs.Tensor(x)).asnumpy()
    want = jax.jacrev(lambda v: jnp.tanh(A @ v.reshape(-1, 1)))(x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_jacobian_hessian_hvp_by_parameter_name_on_a_real_server(real_server):
    """/v1/jacobian, /v1/hessian, /v1/hvp with weights: Newton-CG on weights without rewriting the model."""
    from engine.api import GraphBuilder
    from engine.serialize import graph_to_json

    wv = rng.normal(size=(3, 2)).astype(np.float32)
    bv = rng.normal(size=(2,)).astype(np.float32)
    gb = GraphBuilder("net")
    x = gb.input((3,), "float32", "x")
    w, b = gb.param("w", wv), gb.param("b", bv)
    h = gb.tanh(gb.add(gb.reshape(gb.matmul(gb.reshape(x, shape=(1, 3)), w), shape=(2,)), b))
    doc = graph_to_json(gb.build(gb.sum(gb.mul(h, h))))
    X = rng.normal(size=(3,)).astype(np.float32)

    def f(x, w, b):
        return jnp.sum(jnp.tanh(x @ w + b) ** 2)

    with gs.Client(real_server.url) as c:
        J = c.jacobian(doc, [X], positions=[], weights=["w", "b"])
        for got, want in zip(J.value, jax.jacrev(f, argnums=(1, 2))(X, wv, bv)):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        assert J.names == ["d/dw", "d/db"]
        H = c.hessian(doc, [X], positions=0, weights=["w"])
        Hr = jax.hessian(f, argnums=(0, 1))(X, wv, bv)
        for i in range(2):
            for j in range(2):
                np.testing.assert_allclose(H.value[i][j], Hr[i][j], rtol=1e-4, atol=1e-5)
        V = rng.normal(size=(3, 2)).astype(np.float32)
        hv = c.hvp(doc, [X], [V], positions=[], weights=["w"])
        want = jax.jvp(lambda w: jax.grad(f, argnums=1)(X, w, bv), (wv,), (V,))[1]
        np.testing.assert_allclose(hv.value[0], want, rtol=1e-4, atol=1e-5)
        with pytest.raises(gs.DifferentiationError, match="unknown weight 'nope'"):
            c.jacobian(doc, [X], positions=[], weights=["nope"])


def test_weights_on_jacobian_over_grpc_say_so():
    from gradserve._transport.grpc import build_request

    with pytest.raises(ValueError, match="no gRPC form yet"):
        build_request("jacobian", {"graph_id": "g", "inputs": [], "positions": [], "weights": ["w"]})
