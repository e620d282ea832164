"""Round 5 of the sweep's JAX functions: loop- and branch-heavy code (lax.scan recurrences, fori_loop
solvers, cond / switch on data), custom_jvp / custom_vjp rules, vmap inside the function, and
x.at[...].multiply / max / min (StableHLO scatter with mul / max / min bodies). Same contract as
jax_zoo.py; float32 constants throughout (other tests turn x64 on globally)."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case
from . import jax_zoo_families  # _clip_gradient, a custom_vjp clipping the cotangent to [-0.5, 0.5]; read at call
# time: importing jax_zoo_families first imports jax_zoo, which imports this module before _clip_gradient exists

_F = np.float32


@case("scan_gru_sequence_model")
def _scan_gru():
    def fn(p, xs, h0):  # xs [5, 2, 3] time-major; h0 [2, 4]
        def step(h, x):
            z = jax.nn.sigmoid(x @ p["wz"] + h @ p["uz"])
            r = jax.nn.sigmoid(x @ p["wr"] + h @ p["ur"])
            n = jnp.tanh(x @ p["wn"] + (r * h) @ p["un"])
            h = (1 - z) * n + z * h
            return h, h @ p["out"]
        h, ys = lax.scan(step, h0, xs)
        return ys, h
    names = ("wz", "uz", "wr", "ur", "wn", "un")
    ws = {k: _r(i + 1, 3 if k[0] == "w" else 4, 4, scale=0.5) for i, k in enumerate(names)}
    return fn, dict(ws, out=_r(9, 4, 2)), (_r(0, 5, 2, 3), _r(10, 2, 4))


@case("scan_reverse_lstm_carry_tuple")
def _scan_lstm():
    def fn(p, xs):  # [4, 3] one sequence, scanned backwards with an (h, c) carry
        def step(carry, x):
            h, c = carry
            g = x @ p["wx"] + h @ p["wh"] + p["b"]
            i, f, o, u = jnp.split(g, 4)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(u)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h
        (h, c), hs = lax.scan(step, (jnp.zeros(2, _F), jnp.zeros(2, _F)), xs, reverse=True)
        return hs, h * c
    return fn, {"wx": _r(1, 3, 8, scale=0.5), "wh": _r(2, 2, 8, scale=0.5), "b": _r(3, 8, scale=0.1)}, (_r(0, 4, 3),)


@case("fori_loop_gradient_descent_solver")
def _fori_solver():
    def fn(p, a, b):  # unrolled optimiser: x <- x - lr * grad(0.5 |A x - b|^2 + mu |x|^2)
        def body(i, x):
            g = a.T @ (a @ x - b) + p["mu"] * x
            return x - _F(0.1) / (1 + i) ** _F(0.5) * g
        return lax.fori_loop(0, 6, body, jnp.zeros(3, _F))
    return fn, {"mu": np.asarray(0.3, _F)}, (_r(0, 4, 3), _r(1, 4))


@case("cond_switch_on_data")
def _cond_switch():
    def fn(p, x):  # [3, 4]
        y = x @ p["w"]
        a = lax.cond(jnp.sum(y) > 0, lambda v: jnp.tanh(v) * 2, lambda v: jnp.sin(v) - v, y)
        k = jnp.argmax(jnp.sum(x, axis=0))
        b = lax.switch(jnp.clip(k, 0, 2), [lambda v: v ** 2, lambda v: jnp.exp(-v), lambda v: jnp.cos(v) * v], y)
        return a + b, jnp.where(y > 0, y, _F(0.1) * y)
    return fn, {"w": _r(1, 4, 4)}, (_r(0, 3, 4),)


@jax.custom_jvp
def _softplus_safe(x):
    return jnp.logaddexp(x, _F(0.0))


@_softplus_safe.defjvp
def _softplus_safe_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _softplus_safe(x), jax.nn.sigmoid(x) * t


@case("custom_jvp_vjp_rules")
def _custom():
    def fn(p, x):  # [3, 4]: the imported gradient must follow the rules, not the primal code
        h = _softplus_safe(x @ p["w"])
        return jax_zoo_families._clip_gradient(h * 3.0) ** 2
    return fn, {"w": _r(1, 4, 4)}, (_r(0, 3, 4, scale=2.0),)


@case("vmap_per_example_mlp_and_jacobian")
def _vmap():
    def fn(p, xs):  # [5, 3]
        def net(x):
            return jnp.tanh(x @ p["l1"]["w"] + p["l1"]["b"]) @ p["l2"]["w"]
        ys = jax.vmap(net)(xs)
        jac = jax.vmap(jax.jacfwd(net))(xs)  # [5, 2, 3] per-example Jacobians
        gram = jax.vmap(lambda j: j @ j.T)(jac)
        return ys, jnp.linalg.slogdet(gram + jnp.eye(2, dtype=_F))[1]
    return fn, {"l1": _dense(1, 3, 4), "l2": {"w": _r(3, 4, 2)}}, (_r(0, 5, 3),)


@case("scatter_multiply_max_min")
def _scatter_combine():
    def fn(p, x, u):  # x [6, 3]; u [4, 3] (distinct values: no ties for max / min)
        y = jnp.asarray(x) * p["s"]
        idx = jnp.array([4, 1, 4, 0])
        a = y.at[idx].max(u)
        b = y.at[jnp.array([2, 5, 2, 3])].min(u * 2)
        c = y.at[jnp.array([1, 3, 5, 0])].multiply(u + 2, unique_indices=True)  # as JAX differentiates it
        d = y.at[2:4, 1].max(u[:2, 0])
        return a, b, c, d
    return fn, {"s": _r(1, 6, 3) + 1.5}, (_r(0, 6, 3), _r(2, 4, 3))


@case("segment_sum_graph_net")
def _segments():
    def fn(p, x):  # [5, 3] node features; edges fixed
        snd, rcv = jnp.array([0, 1, 1, 2, 3, 4]), jnp.array([1, 0, 2, 3, 3, 0])
        msg = jax.nn.relu(jnp.concatenate([x[snd], x[rcv]], -1) @ p["w"])
        agg = jax.ops.segment_sum(msg, rcv, num_segments=5)
        mx = jax.ops.segment_max(msg, rcv, num_segments=5)
        return jnp.tanh(agg + jnp.where(jnp.isfinite(mx), mx, _F(0.0)) + x @ p["self"])
    return fn, {"w": _r(1, 6, 3, scale=0.5), "self": _r(2, 3, 3)}, (_r(0, 5, 3),)


@case("hamiltonian_leapfrog_einsum")
def _leapfrog():
    def fn(p, q, v):  # q, v [4, 2]: particles with a learned pair potential, 4 leapfrog steps
        def energy(q):
            d = q[:, None, :] - q[None, :, :]
            r2 = jnp.einsum("ijk,ijk->ij", d, d) + jnp.eye(4, dtype=_F)
            return jnp.sum(p["k"] * (1 - jnp.eye(4, dtype=_F)) / r2) * _F(0.5)

        def step(c, _):
            q, v = c
            v = v - _F(0.05) * jax.grad(energy)(q)
            q = q + _F(0.1) * v
            v = v - _F(0.05) * jax.grad(energy)(q)
            return (q, v), energy(q)
        (q, v), es = lax.scan(step, (q, v), None, length=4)
        return q, v, es
    return fn, {"k": np.abs(_r(1, 4, 4)) * _F(0.1) + _F(0.05)}, (_r(0, 4, 2) * 2, _r(2, 4, 2) * _F(0.1))


@case("masked_attention_padding")
def _attn():
    def fn(p, x, keep):  # x [2, 4, 6]; keep [2, 4] float 1 / 0
        q, k, v = (x @ p[n] for n in ("q", "k", "v"))
        s = jnp.einsum("bqd,bkd->bqk", q, k) / jnp.sqrt(_F(6.0))
        s = jnp.where(keep[:, None, :] > 0, s, _F(-1e9))
        return jax.nn.softmax(s, axis=-1) @ v
    return fn, {n: _r(i, 6, 6, scale=0.4) for i, n in enumerate(("q", "k", "v"))}, \
        (_r(0, 2, 4, 6), np.array([[1, 1, 1, 0], [1, 1, 0, 0]], _F))
