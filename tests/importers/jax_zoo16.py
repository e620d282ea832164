"""Round 16's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 16). Each entry: (fn(params, x), params, x,
from_jax keyword arguments); test_zoo16.py checks value, gradients, a jvp and a Hessian-vector product against JAX."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def newton_custom_root(p, x):
    """lax.custom_root: y^3 + 2y = tanh(x W) by 2 Newton steps (short of the root, so JAX's implicit rule and the
    iterations' derivative differ), y's gradient by the implicit function theorem at the point found."""
    b = jnp.tanh(x @ p["w"])

    def solve(g, y0):
        return lax.fori_loop(0, 2, lambda _, y: y - g(y) / (3 * y ** 2 + 2.0), y0)
    y = lax.custom_root(lambda y: y ** 3 + 2.0 * y - b, jnp.zeros_like(b), solve, lambda g, t: t / 2.0)
    return jnp.sin(y) * b


def cg_short(p, x):
    """jax.scipy.sparse.linalg.cg (lax.custom_linear_solve around a counted while loop) stopped at maxiter=3 on a
    4 x 4 SPD system M M^T + I: JAX's gradient is the transposed solve (cg again), not the loop's derivative."""
    a = p["m"] @ p["m"].T + jnp.eye(4, dtype=p["m"].dtype)  # (the parameters' dtype in either jax_enable_x64 mode)
    sol, _ = jax.scipy.sparse.linalg.cg(lambda v: a @ v, x @ p["w"], maxiter=3, tol=0.0)
    return jnp.tanh(sol)


def switching_lds_scan(p, x):
    """A switching linear dynamical system: lax.scan over 6 steps, lax.cond on the sign of the state's first entry
    choosing one of two transition matrices (data-dependent branch inside the loop)."""
    def step(h, u):
        h = lax.cond(h[0] > 0, lambda z: jnp.tanh(p["a1"] @ z), lambda z: jnp.sin(p["a2"] @ z), h) + u @ p["b"]
        return h, h @ p["c"]
    _, ys = lax.scan(step, jnp.zeros(3, x.dtype), x)
    return ys


@jax.custom_jvp
def _quantile_root(z, q):
    """Per row of z: the q-quantile of a logistic mixture located at the row's entries (unit scales), by 30
    bisection steps of a lax.while_loop bounded by its counter."""
    def body(s):
        lo, hi, k = s
        mid = (lo + hi) / 2
        below = jnp.mean(jax.nn.sigmoid(mid[:, None] - z), -1) < q
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid), k + 1
    lo, hi, _ = lax.while_loop(lambda s: s[2] < 30, body, (jnp.min(z, -1) - 10.0, jnp.max(z, -1) + 10.0, 0))
    return (lo + hi) / 2


@_quantile_root.defjvp
def _quantile_root_jvp(primals, tangents):
    z, q = primals
    dz, _ = tangents
    t = _quantile_root(z, q)
    s = jax.nn.sigmoid(t[:, None] - z)
    dens = s * (1 - s)
    return t, jnp.sum(dens * dz, -1) / jnp.sum(dens, -1)  # implicit: d t / d z_ij = dens_ij / sum_j dens_ij


def mixture_quantile(p, x):
    """A user's custom_jvp (implicit gradient) around a counted bisection while loop: the 0.7 quantile of each row's
    logistic mixture, its locations from a network."""
    z = jnp.tanh(x @ p["w"]) * 3.0
    t = _quantile_root(z, 0.7)
    return t + 0.5 * t ** 2


def selective_scan_s6(p, x):
    """Mamba-1's selective scan (S6) by lax.scan: input-dependent step size (softplus), B and C; A diagonal and
    negative; the discretisation exp(delta A) and delta B x per step."""
    a = -jnp.exp(p["log_a"])                                            # (d, n)
    delta = jax.nn.softplus(x @ p["wd"])                                # (t, d)
    bs, cs = x @ p["wb"], x @ p["wc"]                                   # (t, n)

    def step(h, inp):
        xt, dt, bt, ct = inp
        h = jnp.exp(dt[:, None] * a) * h + (dt * xt)[:, None] * bt[None, :]
        return h, h @ ct
    _, ys = lax.scan(step, jnp.zeros_like(a), (x, delta, bs, cs))
    return ys * jax.nn.silu(x)


MODELS = {
    "jax_newton_custom_root": (newton_custom_root, {"w": _r(1, 3, 4)}, _r(2, 3), {}),
    "jax_cg_custom_linear_solve": (cg_short, {"m": _r(3, 4, 4, scale=0.6), "w": _r(4, 3, 4)}, _r(5, 3), {}),
    "jax_switching_lds_scan_cond": (switching_lds_scan, {"a1": _r(6, 3, 3, scale=0.7), "a2": _r(7, 3, 3, scale=0.7),
                                                         "b": _r(8, 2, 3), "c": _r(9, 3, 2)}, _r(10, 6, 2), {}),
    "jax_bisection_quantile_custom_jvp": (mixture_quantile, {"w": _r(11, 3, 5)}, _r(12, 2, 3), {}),
    "jax_selective_scan_s6": (selective_scan_s6, {"log_a": _r(13, 4, 3, scale=0.3), "wd": _r(14, 4, 4, scale=0.5),
                                                  "wb": _r(15, 4, 3), "wc": _r(16, 4, 3)}, _r(17, 5, 4), {}),
}
