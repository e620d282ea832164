"""Held-out JAX functions for the sweep (round 10, kinds not in earlier rounds), plain jax as users write them:
an xLSTM mLSTM under lax.scan (exponential gates with the max stabiliser, matrix memory), DGCNN's EdgeConv (k nearest
neighbours by lax.top_k, take_along_axis), NeuralSort's relaxed permutation, a Hyena long convolution
(jnp.fft.rfft / irfft of length 2L) and a rotary decoder step writing its KV cache with
lax.dynamic_update_slice at a position computed at run time (rotary angles and the causal mask from it). (The
Galerkin operator was imported too; its PyTorch form is in zoo_round10.py and its JAX form added no path.)"""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case


@case("xlstm_mlstm_scan_exponential_gates_stabilised")
def _mlstm():
    hd = 4

    def fn(p, x):  # x [b, t, d]
        b = x.shape[0]

        def step(carry, xt):
            c, n, m = carry
            q, k, v = jnp.split(xt @ p["qkv"]["w"] + p["qkv"]["b"], 3, -1)
            k = k / jnp.sqrt(hd)
            g = xt @ p["gates"]["w"] + p["gates"]["b"]
            i_pre, logf = g[:, 0], jax.nn.log_sigmoid(g[:, 1])
            m_new = jnp.maximum(logf + m, i_pre)
            i, f = jnp.exp(i_pre - m_new), jnp.exp(logf + m - m_new)
            c = f[:, None, None] * c + i[:, None, None] * v[:, :, None] * k[:, None, :]
            n = f[:, None] * n + i[:, None] * k
            den = jnp.maximum(jnp.abs((n * q).sum(-1)), jnp.exp(-m_new))
            ht = jax.nn.sigmoid(xt @ p["o"]["w"] + p["o"]["b"]) * jnp.einsum("bij,bj->bi", c, q) / den[:, None]
            return (c, n, m_new), ht
        init = (jnp.zeros((b, hd, hd)), jnp.zeros((b, hd)), jnp.zeros((b,)))
        _, hs = lax.scan(step, init, x.transpose(1, 0, 2))
        return hs.transpose(1, 0, 2) @ p["out"]["w"] + p["out"]["b"]
    params = {"qkv": _dense(120, 6, 3 * hd), "gates": _dense(122, 6, 2), "o": _dense(124, 6, hd),
              "out": _dense(126, hd, 6)}
    return fn, params, (_r(1, 2, 3, 6),)


@case("dgcnn_edgeconv_knn_top_k_take_along_axis")
def _dgcnn():
    k = 3

    def edge(x, l1, l2=None):
        d = ((x[:, :, None] - x[:, None]) ** 2).sum(-1)
        _, idx = lax.top_k(-d, k)  # [b, n, k]
        nb = jnp.take_along_axis(x[:, None], idx[..., None], axis=2)  # [b, n, k, c]
        xi = jnp.broadcast_to(x[:, :, None], nb.shape)
        hcat = jnp.concatenate([xi, nb - xi], -1)
        out = jax.nn.leaky_relu(hcat @ l1["w"] + l1["b"], 0.2)
        if l2 is not None:
            out = out @ l2["w"] + l2["b"]
        return out.max(2)

    def fn(p, pts):  # pts [b, n, 3]
        f1 = edge(pts, p["a1"], p["a2"])
        f2 = edge(f1, p["b1"])
        return jnp.concatenate([f1, f2], -1).max(1) @ p["head"]["w"] + p["head"]["b"]
    params = {"a1": _dense(130, 6, 8), "a2": _dense(132, 8, 8), "b1": _dense(134, 16, 8), "head": _dense(136, 16, 2)}
    return fn, params, (_r(1, 2, 7, 3),)


@case("neuralsort_relaxed_permutation")
def _neuralsort():
    tau = 0.5

    def fn(p, x, vals):  # x [b, n, 3], vals [b, n]
        s = (jnp.tanh(x @ p["l1"]["w"] + p["l1"]["b"]) @ p["l2"]["w"] + p["l2"]["b"])[..., 0]
        n = s.shape[1]
        a = jnp.abs(s[:, :, None] - s[:, None])
        scaling = (n + 1 - 2 * (jnp.arange(n) + 1)).astype(s.dtype)
        perm = jax.nn.softmax((scaling[None, :, None] * s[:, None] - a.sum(-1)[:, None]) / tau, -1)
        return perm, jnp.einsum("bij,bj->bi", perm, vals)
    return fn, {"l1": _dense(140, 3, 8), "l2": _dense(142, 8, 1)}, (_r(1, 2, 5, 3), _r(2, 2, 5))


@case("hyena_implicit_filter_fft_long_conv")
def _hyena():
    length = 8

    def fn(p, u):  # u [b, L, d]
        n = u.shape[1]
        x1, x2, v = jnp.split(u @ p["proj"]["w"] + p["proj"]["b"], 3, -1)
        t = jnp.linspace(0.0, 1.0, n)[:, None]
        pos = jnp.concatenate([t, jnp.sin(3 * t), jnp.cos(3 * t)], -1)
        hf = jax.nn.silu(pos @ p["f1"]["w"] + p["f1"]["b"]) @ p["f2"]["w"] + p["f2"]["b"]
        hf = hf * jnp.exp(-jnp.abs(p["decay"]) * jnp.arange(n, dtype=u.dtype)[:, None])
        y = jnp.fft.irfft(jnp.fft.rfft(x1 * v, n=2 * n, axis=1) * jnp.fft.rfft(hf, n=2 * n, axis=0), n=2 * n,
                          axis=1)[:, :n]
        return (x2 * y) @ p["out"]["w"] + p["out"]["b"]
    params = {"proj": _dense(150, 4, 12), "f1": _dense(152, 3, 8), "f2": _dense(154, 8, 4),
              "decay": np.array([0.3, 0.5, 0.7, 0.9], np.float32), "out": _dense(156, 4, 4)}
    return fn, params, (_r(1, 2, length, 4),)


@case("rope_decode_step_dynamic_update_slice_cache")
def _rope_cache():
    hd, cap = 4, 6

    def rope(t, pos):  # t [b, s, hd], positions pos [s] (traced)
        inv = 1.0 / (10000 ** (jnp.arange(0, hd, 2, dtype=jnp.float32) / hd))
        ang = pos[:, None] * inv[None]
        cos, sin = jnp.cos(jnp.concatenate([ang, ang], -1)), jnp.sin(jnp.concatenate([ang, ang], -1))
        return t * cos + jnp.concatenate([-t[..., hd // 2:], t[..., :hd // 2]], -1) * sin

    def fn(p, x, k_cache, v_cache, step):  # x [b, 2, d]: 2 new tokens; caches [b, cap, hd]; step: a float
        start = jnp.floor(step).astype(jnp.int32)  # tokens already in the cache (run time: 3)
        pos = (start + jnp.arange(2)).astype(jnp.float32)
        h = x @ p["qkv"]["w"]
        q, k, v = rope(h[..., :hd], pos), rope(h[..., hd:2 * hd], pos), h[..., 2 * hd:]
        zero = jnp.zeros((), start.dtype)  # (one index dtype: with x64 on, a literal 0 would be int64)
        k_all = lax.dynamic_update_slice(k_cache, k, (zero, start, zero))
        v_all = lax.dynamic_update_slice(v_cache, v, (zero, start, zero))
        logits = jnp.einsum("bsd,btd->bst", q, k_all) / jnp.sqrt(hd)
        allowed = jnp.arange(cap)[None, :] <= (start + jnp.arange(2))[:, None]
        att = jax.nn.softmax(jnp.where(allowed[None], logits, -1e9), -1)
        return x + jnp.einsum("bst,btd->bsd", att, v_all) @ p["o"]["w"], k_all, v_all
    params = {"qkv": {"w": _r(160, 6, 3 * hd, scale=0.4)}, "o": {"w": _r(161, hd, 6, scale=0.4)}}
    kc, vc = _r(2, 2, cap, hd), _r(3, 2, cap, hd)
    kc[:, 3:], vc[:, 3:] = 0, 0  # the slots after the 3 cached tokens are empty
    return fn, params, (_r(1, 2, 2, 6), kc, vc, np.float32(3.4))
