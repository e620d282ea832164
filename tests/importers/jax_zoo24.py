"""Round 24's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 24): learned ISTA (lax.fori_loop around a
lax.cond and a custom_jvp soft threshold) and a small JAX U-Net (lax.conv_transpose, lax.reduce_window max pooling).
Each entry: (fn(params, x), params, x, from_jax keyword arguments); test_zoo24.py checks value, gradients, a jvp and
a Hessian-vector product against JAX."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


@jax.custom_jvp
def soft_threshold(v, lam):
    return jnp.sign(v) * jnp.maximum(jnp.abs(v) - lam, 0.0)


@soft_threshold.defjvp
def _soft_threshold_jvp(primals, tangents):
    """The rule a LISTA paper trains with: a smooth gate sigmoid(8 (|v| - lam)) in place of the indicator
    |v| > lam (so not the primal's derivative), and -sign(v) gate for lam."""
    (v, lam), (dv, dlam) = primals, tangents
    gate = jax.nn.sigmoid(8.0 * (jnp.abs(v) - lam))
    return soft_threshold(v, lam), gate * dv - jnp.sign(v) * gate * dlam


def lista_fori_cond(p, x):
    """Learned ISTA (Gregor & LeCun 2010), 3 unrolled iterations by lax.fori_loop: z <- soft(W x + S z, lam), the step
    damped by lax.cond when the update is large (its norm > 2: half a step; here iterations 0 and 1, not 2), a
    smooth sparse code out."""
    b = x @ p["W"]                                                      # (3, 6)

    def body(i, z):
        u = soft_threshold(b + z @ p["S"] * (1.0 + 0.1 * i), p["lam"])
        step = u - z
        return lax.cond(jnp.linalg.norm(step) > 2.0, lambda s: z + 0.5 * s, lambda s: z + jnp.tanh(s), step)

    z = lax.fori_loop(0, 3, body, jnp.zeros_like(b))
    return jnp.concatenate([z, jnp.tanh(z @ p["D"])], 1)


def jax_unet(p, x):
    """NHWC U-Net: conv, lax.reduce_window 2x2 max pooling, conv, lax.conv_transpose (stride 2) up, skip concat,
    a 1x1 conv head."""
    dn = ("NHWC", "HWIO", "NHWC")
    conv = lambda h, w: lax.conv_general_dilated(h, w, (1, 1), "SAME", dimension_numbers=dn)  # noqa: E731
    a = jax.nn.gelu(conv(x, p["c1"]))                                   # (2, 6, 6, 4)
    d = lax.reduce_window(a, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")  # (2, 3, 3, 4)
    m = jnp.tanh(conv(d, p["c2"]))                                      # (2, 3, 3, 6)
    u = lax.conv_transpose(m, p["up"], (2, 2), "SAME", dimension_numbers=dn)  # (2, 6, 6, 4)
    h = jnp.concatenate([u, a], -1)
    return jnp.einsum("bhwc,cd->bhwd", jax.nn.silu(h), p["head"])


MODELS = {
    "jax_lista_fori_cond_custom_jvp": (lista_fori_cond, {"W": _r(1, 4, 6, scale=0.7), "S": _r(2, 6, 6, scale=0.3),
                                                         "lam": np.float32(0.2) + np.zeros(6, np.float32),
                                                         "D": _r(3, 6, 3, scale=0.5)}, _r(4, 3, 4), {}),
    "jax_unet_conv_transpose_reduce_window": (jax_unet, {"c1": _r(5, 3, 3, 2, 4, scale=0.4),
                                                         "c2": _r(6, 3, 3, 4, 6, scale=0.3),
                                                         "up": _r(7, 2, 2, 6, 4, scale=0.3),
                                                         "head": _r(8, 8, 3, scale=0.4)}, _r(9, 2, 6, 6, 2), {}),
}
