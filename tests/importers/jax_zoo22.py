"""Round 22's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 22): a reverse lax.scan, a normalizing flow's
log-density with its log-determinant, and an einsum-heavy layer. Each entry: (fn(params, x), params, x, from_jax
keyword arguments); test_zoo22.py checks value, gradients, a jvp and a Hessian-vector product against JAX."""
import jax
import jax.numpy as jnp
import numpy as np


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def gae_reverse_scan(p, x):
    """Generalized advantage estimation (Schulman et al. 2016) over a 6-step trajectory of 2 environments: a value
    network's estimates, TD residuals with fixed rewards and episode ends, then lax.scan(reverse=True) accumulating
    gamma * lambda * (1 - done) discounted residuals; returns the advantages and the value targets."""
    v = jnp.tanh(x @ p["w1"]) @ p["w2"]                                  # (7, 2, 1): steps 0..6 (6: bootstrap)
    v = v[..., 0]
    rewards = jnp.asarray(np.linspace(-0.5, 1.0, 12, dtype=np.float32).reshape(6, 2))
    done = jnp.asarray(np.array([[0, 0], [0, 1], [0, 0], [1, 0], [0, 0], [0, 0]], np.float32))
    delta = rewards + 0.97 * v[1:] * (1 - done) - v[:-1]

    def step(acc, inp):
        d, nd = inp
        acc = d + 0.97 * 0.9 * nd * acc
        return acc, acc

    _, adv = jax.lax.scan(step, jnp.zeros(2, jnp.float32), (delta, 1 - done), reverse=True)
    return jnp.concatenate([adv, adv + v[:-1]], 1)


def radial_flow_logprob(p, x):
    """log p(x) under a standard normal pushed through 3 radial flows (Rezende & Mohamed 2015), each
    z' = z + beta h(r) (z - z0), h = 1 / (alpha + r), log|det| = (d - 1) log(1 + beta h) + log(1 + beta h + beta h' r),
    alpha = softplus, beta = -alpha + softplus (invertibility); x is z, the log-density the base's plus the log-dets'
    negatives (the density of the flow's output at f(z), as a flow's training objective reads it)."""
    z, logdet = x, 0.0
    for i in range(3):
        alpha = jax.nn.softplus(p["a"][i])
        beta = -alpha + jax.nn.softplus(p["b"][i])
        diff = z - p["z0"][i]
        r = jnp.sqrt((diff * diff).sum(-1, keepdims=True) + 1e-6)
        h = 1.0 / (alpha + r)
        bh = beta * h
        logdet = logdet + (z.shape[-1] - 1) * jnp.log1p(bh) + jnp.log1p(bh - beta * h * h * r)
        z = z + bh * diff
    base = -0.5 * (x * x).sum(-1, keepdims=True) - 0.5 * x.shape[-1] * np.log(2 * np.pi).astype(np.float32)
    return jnp.concatenate([base - logdet, z], -1)


def einsum_tensor_ring(p, x):
    """A tensor-ring layer (Zhao et al. 2016): the 16-dim input as a 4 x 4 tensor contracted with a ring of three
    cores by jnp.einsum (two of them three-operand, with optimize paths) and a trace closing the ring."""
    t = x.reshape(x.shape[0], 4, 4)
    a = jnp.einsum("bij,rim,mjs->brs", t, p["g1"], p["g2"], optimize="optimal")
    out = jnp.einsum("brs,sor->bo", jnp.tanh(a), p["g3"])
    return out + jnp.einsum("bij,ij->b", t, p["w"])[:, None]


MODELS = {
    "jax_gae_reverse_scan": (gae_reverse_scan, {"w1": _r(1, 3, 5, scale=0.6), "w2": _r(2, 5, 1, scale=0.6)},
                             _r(3, 7, 2, 3), {}),
    "jax_radial_flow_logprob": (radial_flow_logprob, {"a": _r(4, 3), "b": _r(5, 3), "z0": _r(6, 3, 2, scale=0.5)},
                                _r(7, 5, 2), {}),
    "jax_einsum_tensor_ring": (einsum_tensor_ring, {"g1": _r(8, 2, 4, 3, scale=0.5), "g2": _r(9, 3, 4, 2, scale=0.5),
                                                    "g3": _r(10, 2, 3, 2, scale=0.5), "w": _r(11, 4, 4, scale=0.3)},
                               _r(12, 3, 16), {}),
}
