"""Round 18's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 18). Each entry: (fn(params, x), params, x,
from_jax keyword arguments); test_zoo18.py checks value, gradients, a jvp and a Hessian-vector product against JAX."""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.ad_checkpoint import checkpoint_name


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def attention_kv_lengths(p, x):
    """jax.nn.dot_product_attention (implementation="xla", 2 heads, GQA-free) with key_value_seq_lengths (the
    second sequence's last two keys padded) and an additive bias; a residual projection."""
    b, t, d = x.shape
    q, k, v = (jnp.einsum("btd,dhk->bthk", x, p[n]) for n in ("wq", "wk", "wv"))
    o = jax.nn.dot_product_attention(q, k, v, bias=p["bias"][None, None], implementation="xla",
                                     key_value_seq_lengths=jnp.array([t, t - 2], jnp.int32))
    return x + jnp.einsum("bthk,hkd->btd", o, p["wo"])


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def ste_round(levels, x):
    """Quantise x in [-1, 1] to `levels` levels; straight-through gradient inside [-1, 1]."""
    s = (levels - 1) / 2
    return jnp.round(jnp.clip(x, -1, 1) * s) / s


def _ste_fwd(levels, x):
    return ste_round(levels, x), x


def _ste_bwd(levels, x, g):
    return (g * (jnp.abs(x) <= 1),)


ste_round.defvjp(_ste_fwd, _ste_bwd)


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def scale_grad(x, alpha):
    """Identity forward; its gradient scaled by alpha (a float, nondiff: a gradient-reversal layer at alpha < 0)."""
    return x


scale_grad.defvjp(lambda x, alpha: (x, None), lambda alpha, _, g: (g * alpha,))


def ste_quantized_mlp(p, x):
    """A quantisation-aware MLP: weights through the straight-through 7-level quantiser (custom_vjp, nondiff levels),
    the hidden layer through a gradient scale by -0.5 (custom_vjp, nondiff alpha), tanh and sin."""
    h = jnp.tanh(x @ ste_round(7, jnp.tanh(p["w1"])) + p["b1"])
    h = scale_grad(h, -0.5)
    return jnp.sin(h @ ste_round(7, jnp.tanh(p["w2"]))) * x.sum(-1, keepdims=True)


def remat_named_policy_stack(p, x):
    """Three residual blocks under jax.checkpoint with policy save_only_these_names("proj"): the projection is
    saved (checkpoint_name), the rest recomputed in the backward pass; lax.scan over the stacked weights."""
    policy = jax.checkpoint_policies.save_only_these_names("proj")

    @partial(jax.checkpoint, policy=policy)
    def block(h, w):
        u = checkpoint_name(h @ w["a"], "proj")
        return h + jnp.tanh(u) @ w["b"] * jax.nn.sigmoid(h.mean(-1, keepdims=True)), None
    return lax.scan(block, x, {"a": p["a"], "b": p["b"]})[0]


def scipy_stft_features(p, x):
    """jax.scipy.signal.stft (Hann, nperseg 16, noverlap 12, zero boundary and padding) log power, a learned
    projection over frequencies."""
    _, _, z = jax.scipy.signal.stft(x, nperseg=16, noverlap=12)
    power = jnp.log1p(jnp.abs(z) ** 2 * 50.0)                          # (b, 9, frames)
    return jnp.einsum("bft,fo->bto", power, p["proj"])


def tensor_train_layer(p, x):
    """A tensor-train (TT) linear layer (Novikov et al. 2015): a 24 -> 4 map as three TT cores of rank 3 (the
    input's 24 as (2, 3, 4), the output's 4 as (2, 2) on the first and last core), one einsum; tanh, then a
    low-rank factorised layer (two einsums)."""
    b = x.shape[0]
    t = x.reshape(b, 2, 3, 4)
    y = jnp.einsum("bijk,aiq,qjr,rkc->bac", t, p["g1"], p["g2"], p["g3"])
    y = jnp.tanh(y.reshape(b, -1))
    return jnp.einsum("bm,mn->bn", y, jnp.einsum("mr,rn->mn", p["u"], p["v"]))


MODELS = {
    "jax_attention_kv_seq_lengths": (attention_kv_lengths,
                                     {"wq": _r(1, 8, 2, 4, scale=0.4), "wk": _r(2, 8, 2, 4, scale=0.4),
                                      "wv": _r(3, 8, 2, 4, scale=0.4), "wo": _r(4, 2, 4, 8, scale=0.4),
                                      "bias": _r(5, 6, 6, scale=0.3)}, _r(6, 2, 6, 8), {}),
    "jax_ste_quantizer_custom_vjp_nondiff": (ste_quantized_mlp,
                                             {"w1": _r(7, 5, 6), "b1": _r(8, 6), "w2": _r(9, 6, 3)}, _r(10, 4, 5),
                                             {"jvp_by_jacrev": True}),
    "jax_remat_save_only_names_scan": (remat_named_policy_stack,
                                       {"a": _r(11, 3, 6, 6, scale=0.5), "b": _r(12, 3, 6, 6, scale=0.5)},
                                       _r(13, 4, 6), {}),
    "jax_scipy_signal_stft": (scipy_stft_features, {"proj": _r(14, 9, 3, scale=0.3)}, _r(15, 2, 40), {}),
    "jax_tensor_train_layer": (tensor_train_layer,
                               {"g1": _r(16, 2, 2, 3, scale=0.6), "g2": _r(17, 3, 3, 3, scale=0.6),
                                "g3": _r(18, 3, 4, 2, scale=0.6), "u": _r(19, 4, 2, scale=0.5),
                                "v": _r(20, 2, 3, scale=0.5)}, _r(21, 3, 24), {}),
}
