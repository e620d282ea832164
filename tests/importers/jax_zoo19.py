"""Round 19's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 19). Each entry: (fn(params, x), params, x,
from_jax keyword arguments); test_zoo19.py checks value, gradients, a jvp and a Hessian-vector product against JAX."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def _soft_dtw_one(p, x, gamma=0.5):
    """Soft-DTW (Cuturi & Blondel 2017) of x W against a fixed target: a lax.scan over x's rows whose body is a
    lax.scan over the target's frames, the soft minimum of the three predecessors (a large finite border)."""
    d = ((x @ p["w"])[:, None] - p["target"][None]) ** 2
    cost = d.sum(-1)                                                    # (5, 4)
    big = jnp.float32(1e4)

    def softmin(a, b, c):
        return -gamma * jax.nn.logsumexp(-jnp.stack([a, b, c]) / gamma)

    def row(prev, c_row):                                               # prev: R[i-1, 0..m]
        def cell(left, j):
            r = c_row[j] + softmin(prev[j], prev[j + 1], left)
            return r, r
        _, cur = lax.scan(cell, big, jnp.arange(c_row.shape[0]))
        return jnp.concatenate([big[None], cur]), None
    first = jnp.concatenate([jnp.zeros(1), jnp.full(cost.shape[1], big)])
    last, _ = lax.scan(row, first, cost)
    return last[-1]


def soft_dtw(p, x):
    return jax.vmap(lambda z: _soft_dtw_one(p, z))(x)


def lru_associative_scan(p, x):
    """A linear recurrent unit (Orvieto et al. 2023): a complex diagonal recurrence h_t = lambda h_{t-1} + B x_t with
    lambda = exp(-exp(nu) + i theta), run by lax.associative_scan, read out as Re(C h_t) + D x_t."""
    lam = jnp.exp(-jnp.exp(p["nu"]) + 1j * p["theta"])                  # (4,)
    bx = x @ (p["b_re"] + 1j * p["b_im"]).T                             # (6, 4) complex
    a = jnp.broadcast_to(lam, bx.shape)

    def combine(l, r):
        return l[0] * r[0], r[0] * l[1] + r[1]
    _, h = lax.associative_scan(combine, (a, bx))
    return jnp.tanh(jnp.real(h @ (p["c_re"] + 1j * p["c_im"]).T)) + x * p["d"]


def _odd_even_pairs(n):
    return [[(i, i + 1) for i in range(r % 2, n - 1, 2)] for r in range(n)]


def soft_sorting_network(p, x, tau=0.3):
    """A differentiable sorting network (odd-even transposition, n rounds) whose comparators are soft: min and max as
    sigmoid-weighted mixtures of the pair, applied to a learned projection; the soft-sorted values weighted out."""
    v = jnp.tanh(x @ p["w"])                                            # (2, 8)
    for layer in _odd_even_pairs(v.shape[1]):
        cols = list(jnp.moveaxis(v, 1, 0))
        for i, j in layer:
            s = jax.nn.sigmoid((cols[j] - cols[i]) / tau)
            cols[i], cols[j] = s * cols[i] + (1 - s) * cols[j], (1 - s) * cols[i] + s * cols[j]
        v = jnp.stack(cols, 1)
    return v * p["out"]


def _t5_buckets(t, n_buckets=8, max_distance=16):
    """T5's bidirectional relative-position buckets (half per sign; exact below n/4, log-spaced above)."""
    rel = jnp.arange(t)[None, :] - jnp.arange(t)[:, None]
    half = n_buckets // 2
    base = (rel > 0).astype(jnp.int32) * half
    n = jnp.abs(rel)
    exact = half // 2
    far = exact + (jnp.log(jnp.maximum(n, 1).astype(jnp.float32) / exact) / np.log(max_distance / exact)
                   * (half - exact)).astype(jnp.int32)
    return base + jnp.where(n < exact, n, jnp.minimum(far, half - 1))


def t5_relative_bias_attention(p, x):
    """Self-attention (2 heads) with T5's learned relative-position bias: a bucket table gathered by jnp.take."""
    b, t, d = x.shape
    q, k, v = (jnp.einsum("btd,dhk->bhtk", x, p[n]) for n in ("wq", "wk", "wv"))
    bias = jnp.take(p["table"], _t5_buckets(t), axis=0)                # (t, t, heads)
    a = jax.nn.softmax(q @ jnp.swapaxes(k, -1, -2) / 2.0 + jnp.moveaxis(bias, -1, 0)[None], -1)
    return x + jnp.einsum("bhtk,hkd->btd", a @ v, p["wo"])


MODELS = {
    "jax_soft_dtw_nested_scan": (soft_dtw, {"w": _r(1, 3, 3), "target": _r(2, 4, 3)}, _r(3, 2, 5, 3), {}),
    "jax_lru_complex_associative_scan": (lru_associative_scan,
                                         {"nu": _r(4, 4, scale=0.5), "theta": _r(5, 4), "b_re": _r(6, 4, 3, scale=0.5),
                                          "b_im": _r(7, 4, 3, scale=0.5), "c_re": _r(8, 3, 4, scale=0.5),
                                          "c_im": _r(9, 3, 4, scale=0.5), "d": _r(10, 3)}, _r(11, 6, 3), {}),
    "jax_soft_sorting_network": (soft_sorting_network, {"w": _r(12, 8, 8, scale=0.5), "out": _r(13, 8)},
                                 _r(14, 2, 8), {}),
    "jax_t5_relative_bias_attention": (t5_relative_bias_attention,
                                       {"wq": _r(15, 8, 2, 4, scale=0.4), "wk": _r(16, 8, 2, 4, scale=0.4),
                                        "wv": _r(17, 8, 2, 4, scale=0.4), "wo": _r(18, 2, 4, 8, scale=0.4),
                                        "table": _r(19, 8, 2)}, _r(20, 2, 6, 8), {}),
}
