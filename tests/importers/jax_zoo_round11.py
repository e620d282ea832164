"""Held-out JAX functions for the sweep (round 11, kinds not in earlier rounds), plain jax as users write them: a
stack of layers run by lax.scan over their stacked parameters with each layer rematerialised (jax.checkpoint, as
large models save memory), dropout and reparameterised noise drawn inside the model from a fixed key
(jax.random's threefry counter hash in uint32), Kabsch alignment (SVD of the cross-covariance, reflection
corrected by the sign of a determinant; the aligned RMSD), a learned piecewise-linear calibration by jnp.interp
under lax.map, bfloat16 mixed-precision emulation by lax.reduce_precision, and a ranking by two keys
(jnp.lexsort; lax.sort with num_keys=2)."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case


@case("remat_scan_over_stacked_layers_checkpoint")
def _remat_scan():
    def layer(h, p):
        z = jax.nn.gelu(h @ p["w1"] + p["b1"]) @ p["w2"]
        mu, var = z.mean(-1, keepdims=True), z.var(-1, keepdims=True)
        return h + (z - mu) * lax.rsqrt(var + 1e-5) * p["g"], None

    def fn(p, x):  # x [b, d]; p's leaves stacked over 3 layers
        h, _ = lax.scan(jax.checkpoint(layer), x @ p["inp"]["w"] + p["inp"]["b"], p["layers"])
        return h.sum(-1)
    n, d = 3, 4
    params = {"inp": _dense(130, 5, d),
              "layers": {"w1": _r(131, n, d, 6, scale=0.4), "b1": _r(132, n, 6, scale=0.1),
                         "w2": _r(133, n, 6, d, scale=0.4), "g": 1 + _r(134, n, d, scale=0.1)}}
    return fn, params, (_r(1, 3, 5),)


@case("dropout_and_noise_from_a_fixed_key_threefry")
def _random_fixed_key():
    def fn(p, x):  # x [b, d]: a VAE-style encoder with a fixed key's noise, then dropout with a fixed mask
        key = jax.random.PRNGKey(42)
        k1, k2 = jax.random.split(key)
        h = x @ p["enc"]["w"] + p["enc"]["b"]
        mu, logvar = jnp.split(h, 2, -1)
        z = mu + jnp.exp(0.5 * logvar) * jax.random.normal(k1, mu.shape)
        keep = jax.random.bernoulli(k2, 0.75, z.shape)
        z = jnp.where(keep, z / 0.75, 0.0)
        return z @ p["dec"]["w"] + p["dec"]["b"]
    return fn, {"enc": _dense(140, 4, 6), "dec": _dense(142, 3, 2)}, (_r(1, 5, 4),)


@case("kabsch_alignment_svd_determinant_rmsd")
def _kabsch():
    def fn(p, a):  # a [n, 3] points; b: the same points through a small network (a structure predictor's output)
        b = a + jnp.tanh(a @ p["w"] + p["b"]) * 0.3
        ca, cb = a - a.mean(0), b - b.mean(0)
        u, _, vt = jnp.linalg.svd(cb.T @ ca)
        d = jnp.sign(jnp.linalg.det(u @ vt))
        r = u @ jnp.diag(jnp.array([1.0, 1.0, 0.0]) + jnp.array([0.0, 0.0, 1.0]) * d) @ vt
        aligned = cb @ r
        return jnp.sqrt(((aligned - ca) ** 2).sum(-1).mean()), aligned
    return fn, {"w": _r(150, 3, 3, scale=0.5), "b": _r(151, 3, scale=0.1)}, (_r(1, 6, 3),)


@case("interp_calibration_under_lax_map")
def _interp():
    def fn(p, x):  # x [b, 4]: each row's scores calibrated by a monotone piecewise-linear map (learned knots)
        ys = jnp.cumsum(jax.nn.softplus(p["dy"]))
        knots = jnp.linspace(-2.0, 2.0, ys.shape[0])

        def row(r):
            return jnp.interp(r @ p["w"], knots, ys)
        return lax.map(row, x)
    return fn, {"dy": _r(160, 6, scale=0.5), "w": _r(161, 4, 3, scale=0.6)}, (_r(1, 5, 4),)


@case("bfloat16_emulation_reduce_precision")
def _reduce_precision():
    def bf16(t):  # round to bfloat16's 8 mantissa bits, keep float32 (mixed-precision emulation)
        return lax.reduce_precision(t, exponent_bits=8, mantissa_bits=7)

    def fn(p, x):
        h = jax.nn.relu(bf16(x) @ bf16(p["l1"]["w"]) + p["l1"]["b"])
        return bf16(h) @ bf16(p["l2"]["w"]) + p["l2"]["b"]
    return fn, {"l1": _dense(170, 4, 8), "l2": _dense(172, 8, 2)}, (_r(1, 3, 4),)


@case("lexsort_group_then_score_ranking")
def _lexsort():
    def fn(p, x):  # x [n, 3]: items ranked by a coarse group (ties), then by a learned score, descending too
        score = x @ p["w"]
        group = jnp.round(x[:, 0])
        order = jnp.lexsort((score, group))
        ranked = score[order]
        _, by_desc = lax.sort((-group, score, jnp.arange(score.shape[0])), num_keys=2)[::2]
        return jnp.cumsum(jax.nn.softmax(ranked)) * p["v"], score[by_desc] * p["v"]
    return fn, {"w": _r(180, 3, scale=0.7), "v": _r(181, 8, scale=0.5)}, (_r(1, 8, 3),)
