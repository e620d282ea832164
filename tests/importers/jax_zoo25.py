"""Round 25's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 25): a Legendre Memory Unit by lax.scan whose
cell is rematerialised (jax.checkpoint), branches by lax.cond and squashes by a custom_vjp; and a soft-histogram
earth mover's distance with jnp.trapezoid, jax.scipy.linalg.block_diag and jnp.triu_indices pairs. Each entry:
(fn(params, x), params, x, from_jax keyword arguments); test_zoo25.py checks value, gradients, a jvp and a
Hessian-vector product against JAX."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .zoo25 import _lmu_matrices


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


@jax.custom_vjp
def soft_clip(v):
    """2 tanh(v / 2), trained with a leaky rule: the true derivative plus 0.1 (a gradient that never dies)."""
    return 2.0 * jnp.tanh(v / 2.0)


def _soft_clip_fwd(v):
    y = soft_clip(v)
    return y, y


def _soft_clip_bwd(y, g):
    return (g * (1.0 - y * y / 4.0 + 0.1),)


soft_clip.defvjp(_soft_clip_fwd, _soft_clip_bwd)

_A, _B = (np.asarray(m, np.float32) for m in _lmu_matrices(4, 4.0))


def lmu_scan_checkpoint_cond(p, x):
    """x: (T, N, 3). m <- A_d m + B_d u, u = x e_x + h e_h; the hidden update h <- soft_clip(x W + h U + m M) through
    a checkpointed cell; lax.cond: steps whose memory energy exceeds 1 damp it by 0.8 (both branches taken: the
    first step is under)."""
    @jax.checkpoint
    def cell(carry, xt):
        h, m = carry
        u = xt @ p["e_x"] + h @ p["e_h"]                                # (N, 1)
        m = m @ _A.T + u @ _B.T
        m = lax.cond(jnp.sum(m * m) > 1.0, lambda z: 0.8 * z, lambda z: z, m)
        h = soft_clip(xt @ p["W"] + h @ p["U"] + m @ p["M"])
        return (h, m), jnp.sum(h * h)

    n = x.shape[1]
    (h, _), energy = lax.scan(cell, (jnp.zeros((n, 5)), jnp.zeros((n, 4))), x)
    return jnp.concatenate([h @ p["out"], jnp.broadcast_to(energy.mean(), (n, 1))], 1)


def soft_histogram_block_diag(p, x):
    """x: (N, P, 6). Grouped maps by jax.scipy.linalg.block_diag, Gaussian-kernel soft histograms of the two
    groups' features, their pairwise (jnp.triu_indices) earth mover's distances and jnp.trapezoid areas."""
    w = jax.scipy.linalg.block_diag(p["b0"], p["b1"], p["b2"])          # (6, 6)
    v = (x @ w).reshape(x.shape[0], x.shape[1], 3, 2).sum(-1)          # (N, P, 3)
    centres = jnp.linspace(-2.0, 2.0, 7)
    k = jnp.exp(-0.5 * ((v[..., None] - centres) / 0.5) ** 2)          # (N, P, 3, 7)
    hist = k.sum(1) / (k.sum((1, 3))[..., None] + 1e-6)                # (N, 3, 7)
    i, j = jnp.triu_indices(3, 1)
    gap = jnp.cumsum(hist[:, i] - hist[:, j], -1)                      # (N, 3 pairs, 7)
    emd = jnp.sqrt(gap ** 2 + 1e-6).sum(-1)
    area = jnp.trapezoid(gap ** 2 * p["scale"], centres, axis=-1)
    return jnp.concatenate([emd, area], 1)


MODELS = {
    "jax_lmu_scan_checkpoint_cond_custom_vjp": (
        lmu_scan_checkpoint_cond, {"e_x": _r(1, 3, 1, scale=0.5), "e_h": _r(2, 5, 1, scale=0.5),
                                   "W": _r(3, 3, 5, scale=0.5), "U": _r(4, 5, 5, scale=0.3),
                                   "M": _r(5, 4, 5, scale=0.5), "out": _r(6, 5, 2, scale=0.5)},
        _r(7, 3, 2, 3), {"jvp_by_jacrev": True}),
    "jax_soft_histogram_block_diag_trapezoid": (
        soft_histogram_block_diag, {"b0": _r(8, 2, 2), "b1": _r(9, 2, 2), "b2": _r(10, 2, 2),
                                    "scale": np.float32(1.5) + _r(11, 7, scale=0.1)}, _r(12, 2, 8, 6), {}),
}
