"""Held-out JAX functions for the sweep (round 6, scientific computing by topic): an RK4 integrator under
lax.scan, a Newton solve under lax.while_loop with a fixed trip count, a linear recurrence by
lax.associative_scan (Mamba / S4's parallel scan), custom_jvp / custom_vjp rules users write (a safe norm,
a straight-through estimator), reduce_window pooling with padding, cumulative ops, sort / top_k
selection, Gaussian-process regression (Cholesky, cho_solve, triangular solve), linear solves, and the gamma
distribution's cdf (the engine's igamma). Same contract as jax_zoo.py; float32 constants throughout."""
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case

_F = np.float32


@case("rk4_scan_lotka_volterra")
def _rk4():
    def fn(p, y0):  # y0 [2, 2]: predator-prey populations, 6 RK4 steps of 0.1
        def f(y):
            a, b = y[..., 0], y[..., 1]
            return jnp.stack([p["alpha"] * a - p["beta"] * a * b, p["delta"] * a * b - p["gamma"] * b], -1)

        def step(y, _):
            h = _F(0.1)
            k1 = f(y)
            k2 = f(y + h / 2 * k1)
            k3 = f(y + h / 2 * k2)
            k4 = f(y + h * k3)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            return y, y[..., 0]
        y, traj = lax.scan(step, y0, None, length=6)
        return y, traj
    ps = {k: np.asarray(v, _F) for k, v in (("alpha", 1.1), ("beta", 0.4), ("delta", 0.3), ("gamma", 0.9))}
    return fn, ps, (np.abs(_r(0, 2, 2)) + _F(0.5),)


@case("newton_while_loop_fixed_trips")
def _newton():
    def fn(p, c):  # solve x^3 + p.k x = c elementwise: 5 Newton steps under while_loop (i < 5)
        def cond(s):
            return s[0] < 5

        def body(s):
            i, x = s
            return i + 1, x - (x ** 3 + p["k"] * x - c) / (3 * x ** 2 + p["k"])
        return lax.while_loop(cond, body, (0, c))[1]

    def ref(p, c):  # the same steps under fori_loop: JAX has no reverse mode for while_loop
        return lax.fori_loop(0, 5, lambda i, x: x - (x ** 3 + p["k"] * x - c) / (3 * x ** 2 + p["k"]), c)
    return fn, {"k": np.asarray(1.5, _F)}, (_r(0, 3, 4),), ref


@case("associative_scan_linear_recurrence")
def _assoc():
    def fn(p, x):  # h_t = a_t h_{t-1} + b_t over 6 steps, a_t = sigmoid(x w), b_t = tanh(x u)
        a = jax.nn.sigmoid(x @ p["w"])
        b = jnp.tanh(x @ p["u"])

        def combine(l, r):
            return l[0] * r[0], r[0] * l[1] + r[1]
        _, h = lax.associative_scan(combine, (a, b), axis=0)
        return h, lax.associative_scan(jnp.add, x, reverse=True)
    return fn, {"w": _r(1, 3, 4, scale=0.5), "u": _r(2, 3, 4, scale=0.5)}, (_r(0, 6, 3),)


@jax.custom_jvp
def _safe_norm(x):
    return jnp.sqrt(jnp.sum(x * x, -1))


@_safe_norm.defjvp
def _safe_norm_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    n = _safe_norm(x)
    return n, jnp.sum(x * t, -1) / jnp.maximum(n, _F(1e-6))


@jax.custom_vjp
def _round_ste(x):
    return jnp.round(x)


_round_ste.defvjp(lambda x: (jnp.round(x), None), lambda _, g: (g,))


@case("custom_rules_safe_norm_straight_through")
def _custom():
    def fn(p, x):  # [3, 4]
        h = x @ p["w"]
        return _safe_norm(h) * 2, _round_ste(h * 3) * h
    return fn, {"w": _r(1, 4, 4)}, (_r(0, 3, 4),)


@case("reduce_window_padded_pools_nhwc")
def _pools():
    def fn(p, x):  # [2, 5, 6, 3] NHWC
        y = x * p["s"]
        mx = lax.reduce_window(y, -jnp.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1), ((0, 0), (1, 1), (1, 1), (0, 0)))
        av = lax.reduce_window(y, 0.0, lax.add, (1, 2, 3, 1), (1, 1, 2, 1), "SAME") / 6
        return mx, av, lax.reduce_window(y, jnp.inf, lax.min, (1, 2, 2, 3), (1, 1, 1, 1), "VALID")
    return fn, {"s": _r(1, 3) + _F(1.0)}, (_r(0, 2, 5, 6, 3),)


@case("cumulative_prefix_ops_model")
def _cumulative():
    def fn(p, x):  # [3, 6]: a prefix-normalised attention and running extremes
        y = x @ p["w"]
        e = jnp.exp(y - jnp.max(y, -1, keepdims=True))
        causal = jnp.cumsum(e * y, -1) / jnp.cumsum(e, -1)
        return causal, lax.cummax(y, 1), lax.cummin(y, 0, reverse=True), jnp.cumprod(jnp.tanh(y), 1)
    return fn, {"w": _r(1, 6, 6, scale=0.5)}, (_r(0, 3, 6),)


@case("sort_topk_sparse_attention")
def _sparse_attn():
    def fn(p, q, k):  # q [4, 5], k [6, 5]: each query keeps its top-3 keys
        s = (q @ p["wq"]) @ (k @ p["wk"]).T
        vals, idx = lax.top_k(s, 3)
        a = jax.nn.softmax(vals, -1)
        v = k @ p["wv"]
        srt = jnp.sort(s, axis=1)
        return jnp.einsum("qk,qkd->qd", a, v[idx]), srt[:, -2:] - srt[:, :2], jnp.take_along_axis(s, jnp.argsort(s, 0), 0)
    return fn, {"wq": _r(1, 5, 5), "wk": _r(2, 5, 5), "wv": _r(3, 5, 2)}, (_r(0, 4, 5), _r(4, 6, 5))


@case("gaussian_process_cholesky_nll")
def _gp():
    def fn(p, x, y):  # x [6, 2] inputs, y [6] targets: the GP's negative log marginal likelihood and mean
        d2 = jnp.sum((x[:, None] - x[None]) ** 2, -1)
        kern = p["amp"] ** 2 * jnp.exp(-0.5 * d2 / p["ls"] ** 2) + (p["noise"] ** 2 + _F(1e-3)) * jnp.eye(6, dtype=_F)
        chol = jnp.linalg.cholesky(kern)
        alpha = jsl.cho_solve((chol, True), y)
        nll = 0.5 * y @ alpha + jnp.sum(jnp.log(jnp.diag(chol)))
        v = jsl.solve_triangular(chol, kern[:, :2], lower=True)
        return nll, kern[:, :2].T @ alpha, jnp.sum(v * v, 0)
    ps = {"amp": np.asarray(1.2, _F), "ls": np.asarray(0.8, _F), "noise": np.asarray(0.3, _F)}
    return fn, ps, (_r(0, 6, 2), _r(1, 6))


@case("linear_solve_implicit_layer")
def _solve():
    def fn(p, b):  # (I + W W^T / 4) z = b: an implicit layer's fixed point, solved directly
        a = jnp.eye(4, dtype=_F) + p["w"] @ p["w"].T / 4
        z = jnp.linalg.solve(a, b)
        return jnp.tanh(z @ p["out"]["w"] + p["out"]["b"]), jnp.linalg.solve(a, b[:, :1])
    return fn, {"w": _r(1, 4, 4), "out": _dense(2, 3, 2)}, (_r(0, 4, 3),)


@case("gamma_cdf_survival_likelihood")
def _gamma_cdf():
    def fn(p, t):  # t [2, 5] > 0 event times; shape k constant, rate from the weights
        rate = jax.nn.softplus(t @ p["w"] + p["b"])
        k = jnp.asarray([[0.7, 1.5, 3.0, 4.5, 9.0]], _F)
        cdf = jsp.gammainc(k, rate * t)
        return jnp.log(cdf + _F(1e-6)), jsp.gammaincc(k, rate * t * _F(0.5))
    return fn, {"w": _r(1, 5, 5, scale=0.3), "b": _r(2, 5, scale=0.1)}, (np.abs(_r(0, 2, 5)) + _F(0.3),)
