"""Round 26's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 26), written the way flax-like modules are
written in plain jax: a decoder block whose attention is jax.vmap'ed over heads and batch with a custom_jvp GELU; a
2-D Fourier neural operator (rfft2 / irfft2, vmap over the batch); a reversed two-axis lax.associative_scan (discounted
returns); a deep-equilibrium layer whose lax.while_loop stops at a tolerance or a bounded trip count. Each entry:
(fn(params, x), params, x, from_jax keyword arguments); test_zoo26.py checks value, gradients, a jvp and a
Hessian-vector product against JAX's (the while_loop's by forward mode: jax.grad cannot reverse it)."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


@jax.custom_jvp
def gelu_tanh(v):
    return 0.5 * v * (1.0 + jnp.tanh(0.7978845608 * (v + 0.044715 * v ** 3)))


@gelu_tanh.defjvp
def _gelu_tanh_jvp(primals, tangents):
    (v,), (dv,) = primals, tangents
    t = jnp.tanh(0.7978845608 * (v + 0.044715 * v ** 3))
    d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * 0.7978845608 * (1 + 3 * 0.044715 * v * v)
    return gelu_tanh(v), d * dv


def _rms(x, g):
    return x * lax.rsqrt(jnp.mean(x * x, -1, keepdims=True) + 1e-6) * g


def vmap_heads_block(p, x):
    """x: (B, T, 8). A pre-norm decoder block: per-head causal attention as a function of one head's (T, hd) arrays,
    jax.vmap'ed over heads (the weights' head axis) and then over the batch; a custom_jvp GELU MLP."""
    t = x.shape[1]
    causal = jnp.tril(jnp.ones((t, t), bool))

    def head(wq, wk, wv, h):                                            # (8, 4) each, h: (T, 8)
        s = jnp.where(causal, (h @ wq) @ (h @ wk).T / 2.0, -1e9)
        return jax.nn.softmax(s, -1) @ (h @ wv)                         # (T, 4)

    def one(xb):
        h = _rms(xb, p["g1"])
        a = jax.vmap(head, in_axes=(0, 0, 0, None), out_axes=1)(p["wq"], p["wk"], p["wv"], h)  # (T, 2, 4)
        xb = xb + a.reshape(t, -1) @ p["wo"]
        return xb + gelu_tanh(xb @ p["w1"]) @ p["w2"]

    return jax.vmap(one)(x)


def fno2d_rfft2(p, x):
    """x: (B, 8, 8). Lift to 3 channels, one spectral layer (rfft2, the lowest 3 x 2 modes of each frequency corner
    mixed by complex weights, irfft2), a pointwise skip, GELU, project: vmap'ed over the batch."""
    def one(u):
        h = u[..., None] * p["lift"] + p["lift_b"]                    # (8, 8, 3)
        hf = jnp.fft.rfft2(h, axes=(0, 1))                            # (8, 5, 3)
        w = p["wr"] + 1j * p["wi"]                                    # (2, 3, 2, 3, 3)
        out = jnp.zeros_like(hf)
        out = out.at[:3, :2].set(jnp.einsum("xyi,xyio->xyo", hf[:3, :2], w[0]))
        out = out.at[-3:, :2].set(jnp.einsum("xyi,xyio->xyo", hf[-3:, :2], w[1]))
        h = jax.nn.gelu(jnp.fft.irfft2(out, s=(8, 8), axes=(0, 1)) + h @ p["skip"])
        return h @ p["proj"]

    return jax.vmap(one)(x)[..., 0]


def discounted_returns_assoc_scan(p, x):
    """x: (B, T, 2) -> rewards r = x W and per-step discounts g = sigmoid(x V); returns G_t = r_t + g_t G_{t+1} by a
    reversed lax.associative_scan along axis 1 over (discount product, value) pairs, then a softplus head."""
    r = x @ p["w"]                                                     # (B, T)
    g = jax.nn.sigmoid(x @ p["v"] + 1.0)

    def combine(a, b):  # (g_a, r_a) then (g_b, r_b), b the later segment in a reversed scan
        return a[0] * b[0], a[1] + a[0] * b[1]

    _, ret = lax.associative_scan(lambda later, earlier: combine(earlier, later), (g, r), reverse=True, axis=1)
    return jax.nn.softplus(ret * p["s"])


def deq_while_tolerance(p, x):
    """x: (B, 4). z = tanh(W z + U x + b) iterated from 0 by lax.while_loop until the update is under 1e-3 or 12
    trips (both stop it somewhere in this batch: the loop carries a per-row done mask); an output read-out."""
    ux = x @ p["U"] + p["b"]

    def cond(s):
        i, _, done = s
        return (i < 12) & ~jnp.all(done)

    def body(s):
        i, z, done = s
        new = jnp.tanh(z @ p["W"] + ux)
        step = jnp.max(jnp.abs(new - z), -1)
        z = jnp.where(done[:, None], z, new)
        return i + 1, z, done | (step < 1e-3)

    _, z, _ = lax.while_loop(cond, body, (0, jnp.zeros_like(ux), jnp.zeros(x.shape[0], bool)))
    return z @ p["out"]


MODELS = {
    "jax_vmap_heads_custom_jvp_block": (
        vmap_heads_block, {"wq": _r(1, 2, 8, 4, scale=0.5), "wk": _r(2, 2, 8, 4, scale=0.5),
                           "wv": _r(3, 2, 8, 4, scale=0.5), "wo": _r(4, 8, 8, scale=0.3),
                           "g1": 1 + _r(5, 8, scale=0.1),
                           "w1": _r(7, 8, 12, scale=0.4), "w2": _r(8, 12, 8, scale=0.3)}, _r(9, 2, 5, 8), {}),
    "jax_fno2d_rfft2_vmap": (
        fno2d_rfft2, {"lift": _r(10, 3), "lift_b": _r(11, 3, scale=0.1), "wr": _r(12, 2, 3, 2, 3, 3, scale=0.3),
                      "wi": _r(13, 2, 3, 2, 3, 3, scale=0.3), "skip": _r(14, 3, 3, scale=0.5),
                      "proj": _r(15, 3, 1)}, _r(16, 2, 8, 8), {}),
    "jax_discounted_returns_reverse_associative_scan": (
        discounted_returns_assoc_scan, {"w": _r(17, 2), "v": _r(18, 2), "s": np.float32(0.7)}, _r(19, 3, 6, 2),
        {}),
}

# lax.while_loop: jax.grad cannot reverse it; test_zoo26.py compares with jax.jacfwd / jax.jvp instead
DEQ = (deq_while_tolerance, {"W": _r(20, 4, 4, scale=0.3), "U": _r(21, 4, 4), "b": _r(22, 4, scale=0.1),
                             "out": _r(23, 4, 2)}, _r(24, 3, 4))
