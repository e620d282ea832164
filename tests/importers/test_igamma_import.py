"""The incomplete gamma family through from_jax: lax.igamma / igammac and jax.scipy.special.gammainc /
gammaincc import as the engine's igamma / igammac ops (not JAX's inlined while loops); their values and
derivatives w.r.t. x (to second order, both modes) and w.r.t. a (first order; JAX's igamma_grad_a imports as
the engine's igamma_da) equal JAX's; random_gamma_grad is refused naming the op and why.

Independent references: JAX itself (float32 values and jax.grad / jax.jvp), mpmath's regularized
gammainc at 40 digits for the engine op's float64 values (mpmath is a test-only dependency: skipped
without it), and central finite differences of mpmath's P for the derivative w.r.t. x."""
import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
import pytest
from jax import lax

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

from .sweep import close

_F = np.float32
# a from 0.05 to 300 and x on both sides of a + 1 (the series and the continued fraction), x = 0 included
A = _F([0.05, 0.5, 1.0, 2.5, 7.0, 30.0, 300.0, 0.8, 4.0, 12.0, 60.0, 250.0])
X = _F([0.01, 1.7, 0.0, 0.3, 9.0, 25.0, 320.0, 5.0, 4.5, 10.0, 75.0, 230.0])


def _fn(a, x):
    return (lax.igamma(a, x) * _F(2.0), lax.igammac(a, x), jsp.gammainc(a, x * x + _F(0.5)),
            jsp.gammaincc(a + _F(1.0), x) * x)


def test_values_and_x_derivatives_match_jax(fake):
    net = gs.from_jax(_fn, A, X)
    ops_used = {n["op"] for n in net.to_graph()["nodes"]}
    assert {"igamma", "igammac"} <= ops_used and "while" not in ops_used, ops_used
    got = net(Tensor(A), Tensor(X))
    for i, (g, w) in enumerate(zip(got, _fn(A, X))):
        close(g.asnumpy(), np.asarray(w), f"value {i}")

    c = np.random.default_rng(3).uniform(0.5, 1.5, (4, A.size)).astype(_F)

    def loss(a, x):
        return sum(jnp.sum(ci * o) for ci, o in zip(c, _fn(a, x)))

    class Loss(gs.nn.Cell):
        def construct(self, a, x):
            return sum((Tensor(ci) * o).sum() for ci, o in zip(c, net(a, x)))

    xs = X + _F(0.05)  # away from x = 0, where d/dx P(a < 1, x) is infinite
    gx = ops.grad(Loss(), grad_position=1)(Tensor(A), Tensor(xs))
    close(gx.asnumpy(), np.asarray(jax.grad(loss, argnums=1)(A, xs)), "grad x")

    # second order, reverse over reverse: d/dx of <grad_x loss, v>
    v = np.random.default_rng(4).uniform(-1, 1, A.size).astype(_F)

    class GradDot(gs.nn.Cell):
        def construct(self, a, x):
            return (ops.grad(Loss(), grad_position=1)(a, x) * Tensor(v)).sum()

    hv = ops.grad(GradDot(), grad_position=1)(Tensor(A), Tensor(xs))
    want_hv = jax.grad(lambda x: jnp.sum(jax.grad(loss, argnums=1)(A, x) * v))(xs)
    close(hv.asnumpy(), np.asarray(want_hv), "hessian-vector product")

    # forward mode
    out, tan = ops.jvp(lambda x: net(Tensor(A), x)[0], Tensor(xs), Tensor(v))
    wout, wtan = jax.jvp(lambda x: _fn(A, x)[0], (xs,), (v,))
    close(out.asnumpy(), np.asarray(wout), "jvp value")
    close(tan.asnumpy(), np.asarray(wtan), "jvp tangent")


def test_engine_op_float64_against_mpmath(fake):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    a, x = A.astype(np.float64), X.astype(np.float64)
    p = ops.igamma(Tensor(a), Tensor(x)).asnumpy()
    q = ops.igammac(Tensor(a), Tensor(x)).asnumpy()
    want_p = np.array([float(mpmath.gammainc(mpmath.mpf(ai), 0, mpmath.mpf(xi), regularized=True))
                       for ai, xi in zip(a, x)])
    np.testing.assert_allclose(p, want_p, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(q, 1 - want_p, rtol=1e-12, atol=1e-15)  # Q's small values: by 1 - P, to 1e-15
    big = want_p > 0.5
    want_q = np.array([float(mpmath.gammainc(mpmath.mpf(ai), mpmath.mpf(xi), mpmath.inf, regularized=True))
                       for ai, xi in zip(a[big], x[big])])
    np.testing.assert_allclose(q[big], want_q, rtol=1e-11)
    # d/dx P against central differences of mpmath's P (h = 1e-6 relative, 40 digits: no cancellation)
    xs = x + 0.05
    g = ops.grad(lambda t: ops.igamma(Tensor(a), t).sum())(Tensor(xs)).asnumpy()
    h = [mpmath.mpf(xi) * mpmath.mpf("1e-6") for xi in xs]
    fd = [float((mpmath.gammainc(ai, 0, xi + hi, regularized=True) - mpmath.gammainc(ai, 0, xi - hi, regularized=True))
                / (2 * hi)) for ai, xi, hi in zip(map(mpmath.mpf, a), map(mpmath.mpf, xs), h)]
    np.testing.assert_allclose(g, fd, rtol=1e-9, atol=1e-300)


def test_domain_edges_as_jax(fake):
    # (not a = x = 1e4: there JAX's float32 loop gives 0.50197, mpmath 0.50133, the engine 0.50133)
    a = _F([1.0, 2.0, 1.0, 3.0, 0.5, 1e3])
    x = _F([0.0, 1e30, 1e-30, 0.0, 1e-30, 1.1e3])
    got = ops.igamma(Tensor(a), Tensor(x)).asnumpy()
    close(got, np.asarray(lax.igamma(a, x)), "igamma at the edges")  # JAX: 0, 1, 1e-30, 0, ~1e-15, ~0.999
    close(ops.igammac(Tensor(a), Tensor(x)).asnumpy(), np.asarray(lax.igammac(a, x)), "igammac at the edges")
    # outside the domain (NaN, which the JSON transport cannot carry): the engine kernel itself
    from engine.ops.special_gamma import _regularized

    a, x = _F([0.0, -1.0, 1.0, 2.0, np.nan, 2.0, 0.0]), _F([1.0, 1.0, -1.0, np.inf, 1.0, np.nan, 0.0])
    for upper, want in ((False, lax.igamma(a, x)), (True, lax.igammac(a, x))):
        np.testing.assert_array_equal(_regularized(np, a, x, upper), np.asarray(want))  # P: 1 nan nan 1 nan nan nan


def test_derivative_wrt_a_matches_jax(fake):
    a, x = A[1:], X[1:]  # (x = 0: JAX's igamma_grad_a is NaN there; P is flat in a, the engine gives 0)
    net = gs.from_jax(lambda a, x: lax.igamma(a, x), a, x)
    want = np.asarray(jax.grad(lambda a: jnp.sum(lax.igamma(a, x)))(a))
    got = ops.grad(lambda a, x: net(a, x).sum(), grad_position=0)(Tensor(a), Tensor(x))
    close(got.asnumpy(), want, "d/da igamma")
    _, tan = ops.jvp(lambda a: net(a, Tensor(x)), Tensor(a), Tensor(np.ones_like(a)))
    close(tan.asnumpy(), want, "d/da igamma, forward mode")


def test_igamma_grad_a_imports_as_the_engine_op(fake):
    a, x = A[1:], X[1:]
    net = gs.from_jax(lambda a, x: jax.grad(lambda a: jnp.sum(lax.igamma(a, x)))(a), a, x)
    assert "igamma_da" in {n["op"] for n in net.to_graph()["nodes"]}
    close(net(Tensor(a), Tensor(x)).asnumpy(), np.asarray(jax.grad(lambda a: jnp.sum(lax.igamma(a, x)))(a)),
          "igamma_grad_a")


def test_random_gamma_grad_is_refused_as_its_data_dependent_loop():
    """lax.random_gamma_grad is a Python function in this JAX (no primitive to keep whole): its series
    arrives as while loops with a data-dependent trip count, refused as every such loop is."""
    with pytest.raises(UnsupportedModel, match=r"op stablehlo\.while .*no static trip count") as e:
        gs.from_jax(lambda a, x: lax.random_gamma_grad(a, x), A, X)
    assert e.value.op == "stablehlo.while"


def test_jax_lowers_igamma_as_before_after_an_import():
    """The lowering override lasts one export: JAX's own lowering afterwards has no composite."""
    gs.from_jax(lambda a, x: lax.igamma(a, x), A, X)
    text = jax.jit(lambda a, x: lax.igamma(a, x) * _F(3.0)).lower(A, X).as_text()
    assert "gradserve.igamma" not in text and "stablehlo.while" in text
