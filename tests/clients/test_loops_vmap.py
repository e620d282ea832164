"""ops.vmap through the SDK (one `vmap` node, batched by the engine) against JAX: per-example
gradients, in_axes / out_axes, closures, vmap inside grad, and on a real server (L2's size)."""
from __future__ import annotations

import numpy as np
import pytest

import gradserve as gs
from gradserve import ops

jax = pytest.importorskip("jax")
jnp = jax.numpy
rng = np.random.default_rng(0)


def _logp():
    from benchmarks.loops_workloads import logp_jax, logp_sdk, logreg_data

    X, y = logreg_data(n_points=30, n_feat=4)
    return logp_sdk(gs, X, y), logp_jax(X, y)


def test_vmap_of_grad_is_per_example_gradients(fake):
    f, jf = _logp()
    W = rng.normal(size=(16, 4)).astype(np.float32)
    got = ops.vmap(ops.grad(f))(gs.Tensor(W)).asnumpy()
    np.testing.assert_allclose(got, jax.vmap(jax.grad(jf))(W), rtol=1e-5, atol=1e-5)
    node = next(n for p, h in fake.requests if p == "/v1/graphs" for n in h["graph"]["nodes"] if n["op"] == "vmap")
    assert node["attrs"]["in_axes"][0] == 0


def test_in_axes_out_axes_and_unmapped_arguments(fake):
    def f(x, y):
        return ops.sin(x) * y, ops.sum(x * x)

    X = rng.normal(size=(3, 5)).astype(np.float32)
    Y = rng.normal(size=(3,)).astype(np.float32)
    a, b = gs.vmap(f, in_axes=(1, None), out_axes=(1, 0))(gs.Tensor(X), gs.Tensor(Y))
    ja, jb = jax.vmap(lambda x, y: (jnp.sin(x) * y, jnp.sum(x * x)), in_axes=(1, None), out_axes=(1, 0))(X, Y)
    np.testing.assert_allclose(a.asnumpy(), ja, rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), jb, rtol=1e-6)
    assert a.shape == (3, 5) and b.shape == (5,)


def test_vmap_inside_a_grad_and_a_closure(fake):
    w = gs.Tensor(rng.normal(size=(4,)).astype(np.float32))
    X = rng.normal(size=(6, 4)).astype(np.float32)

    def loss(w, X):
        per = ops.vmap(lambda x: ops.tanh(ops.sum(x * w)))(X)  # w is a closure of the mapped function
        return ops.sum(per * per)

    got = ops.grad(loss)(w, gs.Tensor(X)).asnumpy()
    want = jax.grad(lambda w: jnp.sum(jnp.tanh(X @ w) ** 2))(np.asarray(w.asnumpy()))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_per_example_weight_gradients_of_a_cell(fake):
    net = gs.nn.Dense(3, 2, weight_init=rng.normal(size=(2, 3)).astype(np.float32),
                      bias_init=np.zeros(2, np.float32))
    X = rng.normal(size=(5, 3)).astype(np.float32)

    def loss(x):
        return ops.sum(ops.square(net(ops.expand_dims(x, 0))))

    gw = ops.vmap(ops.grad(loss, None, net.weight))(gs.Tensor(X)).asnumpy()
    W = net.weight.asnumpy()
    want = jax.vmap(jax.grad(lambda W, x: jnp.sum((x[None] @ W.T) ** 2)), in_axes=(None, 0))(W, X)
    np.testing.assert_allclose(gw, want, rtol=1e-5, atol=1e-6)


def test_bad_axes_are_named(fake):
    f, _ = _logp()
    with pytest.raises(gs.ShapeError, match="in_axes 2 is out of range"):
        ops.vmap(f, in_axes=2)(gs.Tensor(np.zeros((3, 4), np.float32)))
    with pytest.raises(gs.ShapeError, match="no argument is mapped"):
        ops.vmap(f, in_axes=None)(gs.Tensor(np.zeros(4, np.float32)))


def test_two_thousand_gradients_on_a_real_server(on_real_server):
    from benchmarks.loops_workloads import logp_jax, logp_sdk, logreg_data

    X, y = logreg_data()
    W = rng.normal(size=(2000, 10)).astype(np.float32)
    got = ops.vmap(ops.grad(logp_sdk(gs, X, y)))(gs.Tensor(W)).asnumpy()
    np.testing.assert_allclose(got, jax.jit(jax.vmap(jax.grad(logp_jax(X, y))))(W), rtol=1e-4, atol=1e-3)


def test_many_tangents_and_cotangents_in_one_request(fake):
    x = rng.normal(size=(4,)).astype(np.float32)
    T = rng.normal(size=(6, 4)).astype(np.float32)
    xt = gs.Tensor(x)

    def f(v):
        return ops.sin(v) * ops.sum(v * v)

    def jf(v):
        return jnp.sin(v) * jnp.sum(v * v)

    jv = ops.vmap(lambda t: ops.jvp(f, (xt,), (t,))[1])(gs.Tensor(T)).asnumpy()
    np.testing.assert_allclose(jv, jax.vmap(lambda t: jax.jvp(jf, (x,), (t,))[1])(T), rtol=1e-5, atol=1e-5)
    vj = ops.vmap(lambda c: ops.vjp(f, xt, c)[1])(gs.Tensor(T)).asnumpy()
    np.testing.assert_allclose(vj, jax.vmap(lambda c: jax.vjp(jf, x)[1](c)[0])(T), rtol=1e-5, atol=1e-5)


def test_repeated_calls_do_not_inspect_signatures_again(on_real_server, monkeypatch):
    """A derivative of a derivative (vmap(grad(f)): the outer's fn is a callable object, no function)
    has its argument names memoised like a function's: inspect.signature costs ~0.1 ms a call."""
    import inspect

    from gradserve import _trace

    f, jf = _logp()
    vg = ops.vmap(ops.grad(f))
    W = rng.normal(size=(8, 4)).astype(np.float32)
    vg(gs.Tensor(W))
    seen = []
    real = inspect.signature
    monkeypatch.setattr(_trace.inspect, "signature", lambda *a, **k: seen.append(a[0]) or real(*a, **k))
    for _ in range(3):
        got = vg(gs.Tensor(W)).asnumpy()
    assert seen == []
    np.testing.assert_allclose(got, jax.vmap(jax.grad(jf))(W), rtol=1e-5, atol=1e-5)
