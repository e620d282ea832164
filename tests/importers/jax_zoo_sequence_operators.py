"""Held-out JAX functions for the sweep (round 7, by topic: sequence models, operator learning, physics),
plain jax (no flax) as users write them: a selective scan by lax.associative_scan with input-dependent decay,
an MPS contraction by one many-operand jnp.einsum, jax.nn.dot_product_attention (causal, bias, grouped-query
heads), a GPT-2 block with a label-smoothed, masked token loss, T5 relative position buckets, a top-2
mixture of experts (lax.top_k, take_along_axis, .at[].add), an explicit ODE under lax.scan with a lax.cond
step limiter and a custom_jvp soft clip, a 2-d FNO layer (rfft2 / irfft2, complex weights from real
pairs), DeepONet, a NeRF renderer (exclusive cumprod), a CTC loss by the forward algorithm under lax.scan,
a Hamiltonian net whose vector field is jax.grad inside the function, quantile / Huber losses."""
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case


def _lin(p, x):
    return x @ p["w"] + p["b"]


@case("selective_scan_associative_input_dependent")
def _selective_scan():
    def fn(p, x):  # x [2, 9, 4]: h_t = a_t * h_{t-1} + b_t, a_t = exp(-softplus(.)) from the input
        a = jnp.exp(-jax.nn.softplus(_lin(p["da"], x)))
        b = _lin(p["db"], x) * jax.nn.sigmoid(_lin(p["gate"], x))

        def combine(l, r):
            return l[0] * r[0], r[0] * l[1] + r[1]
        _, h = lax.associative_scan(combine, (a, b), axis=1)
        return _lin(p["out"], jnp.tanh(h))
    return fn, {"da": _dense(1, 4, 4), "db": _dense(3, 4, 4), "gate": _dense(5, 4, 4), "out": _dense(7, 4, 3)}, \
        (_r(0, 2, 9, 4),)


@case("mps_einsum_many_operands")
def _mps():
    def fn(p, x):  # x [3, 4, 2]: four sites of a matrix-product state contracted with per-site features
        a0, a1, a2, a3 = p["a0"], p["a1"], p["a2"], p["a3"]
        return jnp.einsum("bi,bj,bk,bl,ixa,ajyc,ckzd,dlw->bxyzw", x[:, 0], x[:, 1], x[:, 2], x[:, 3],
                          a0, a1, a2, a3, optimize="optimal")
    return fn, {"a0": _r(1, 2, 2, 3, scale=0.5), "a1": _r(2, 3, 2, 2, 3, scale=0.5),
                "a2": _r(3, 3, 2, 2, 3, scale=0.5), "a3": _r(4, 3, 2, 2, scale=0.5)}, (_r(0, 3, 4, 2),)


@case("dot_product_attention_causal_bias_gqa")
def _dpa():
    def fn(p, x, bias):  # x [2, 5, 8], 4 query heads over 2 key / value heads, a learned-shape additive bias
        b, t, _ = x.shape
        q = _lin(p["q"], x).reshape(b, t, 4, 2)
        k = _lin(p["k"], x).reshape(b, t, 2, 2)
        v = _lin(p["v"], x).reshape(b, t, 2, 2)
        o = jax.nn.dot_product_attention(q, k, v, bias=bias, is_causal=True, scale=0.6)
        return _lin(p["o"], o.reshape(b, t, 8))
    return fn, {"q": _dense(1, 8, 8), "k": _dense(3, 8, 4), "v": _dense(5, 8, 4), "o": _dense(7, 8, 8)}, \
        (_r(0, 2, 5, 8), _r(9, 1, 4, 5, 5, scale=0.5))


def _ln(p, x):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) * lax.rsqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-5) * p["g"] + p["b"]


@case("gpt2_block_dpa_causal_label_smoothed_loss")
def _gpt2():
    vocab, d = 11, 8
    ids = np.array([[1, 4, 2, 9, 3, 7], [5, 5, 0, 10, 2, 1]], np.int32)
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], np.float32)

    def fn(p, x):  # x: [2, 6, 8] a perturbation of the token embeddings (a differentiable input)
        h = p["wte"][ids] + p["wpe"][None] + x
        qkv = _lin(p["attn"], _ln(p["ln1"], h)).reshape(2, 6, 3, 2, 4)
        a = jax.nn.dot_product_attention(qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2], is_causal=True)
        h = h + _lin(p["proj"], a.reshape(2, 6, d))
        h = h + _lin(p["fc2"], jax.nn.gelu(_lin(p["fc1"], _ln(p["ln2"], h)), approximate=True))
        logits = _ln(p["lnf"], h) @ p["wte"].T
        logp = jax.nn.log_softmax(logits[:, :-1])
        target = 0.9 * jax.nn.one_hot(ids[:, 1:], vocab) + 0.1 / vocab
        per_token = -(target * logp).sum(-1)
        return logits, (per_token * mask[:, 1:]).sum() / mask[:, 1:].sum()
    ln = {"g": 1 + _r(20, d, scale=0.1), "b": _r(21, d, scale=0.1)}
    params = {"wte": _r(1, vocab, d, scale=0.5), "wpe": _r(2, 6, d, scale=0.1), "attn": _dense(3, d, 3 * d),
              "proj": _dense(5, d, d), "fc1": _dense(7, d, 4 * d), "fc2": _dense(9, 4 * d, d),
              "ln1": ln, "ln2": {"g": ln["g"] * 1.1, "b": ln["b"] - 0.05}, "lnf": {"g": ln["g"] * 0.9, "b": -ln["b"]}}
    return fn, params, (_r(0, 2, 6, d, scale=0.1),)


def t5_bucket(rel, num_buckets=8, max_distance=16):
    """T5's bidirectional relative-position bucket (log-spaced beyond num_buckets // 4)."""
    nb = num_buckets // 2
    ret = (rel > 0).astype(jnp.int32) * nb
    n = jnp.abs(rel)
    max_exact = nb // 2
    large = max_exact + (jnp.log(jnp.maximum(n, 1).astype(jnp.float32) / max_exact)
                         / math.log(max_distance / max_exact) * (nb - max_exact)).astype(jnp.int32)
    return ret + jnp.where(n < max_exact, n, jnp.minimum(large, nb - 1))


@case("t5_relative_bucket_attention")
def _t5():
    def fn(p, x):  # x [2, 10, 8]; bidirectional encoder attention, no 1/sqrt(d) scale, RMS norm
        t = x.shape[1]
        pos = jnp.arange(t)
        bias = p["rel"][t5_bucket(pos[None, :] - pos[:, None])].transpose(2, 0, 1)
        h = x * lax.rsqrt((x * x).mean(-1, keepdims=True) + 1e-6) * p["ln"]
        q, k, v = (jnp.einsum("btd,dhe->bhte", h, p[n]) for n in ("q", "k", "v"))
        a = jax.nn.softmax(jnp.einsum("bhqe,bhke->bhqk", q, k) + bias, axis=-1)
        return x + jnp.einsum("bhqk,bhke,hed->bqd", a, v, p["o"])
    return fn, {"rel": _r(1, 8, 2, scale=0.5), "ln": 1 + _r(2, 8, scale=0.1), "q": _r(3, 8, 2, 4, scale=0.3),
                "k": _r(4, 8, 2, 4, scale=0.3), "v": _r(5, 8, 2, 4, scale=0.3), "o": _r(6, 2, 4, 8, scale=0.3)}, \
        (_r(0, 2, 10, 8),)


@case("moe_top2_top_k_take_along_scatter_add")
def _moe():
    def fn(p, x):  # x [10, 6] tokens, 4 experts, each token to its top 2 (renormalised gates)
        logits = x @ p["router"]
        vals, idx = lax.top_k(logits, 2)
        gates = jax.nn.softmax(vals, axis=-1)
        h = jax.nn.gelu(jnp.einsum("td,edh->teh", x, p["w1"]))
        y_all = jnp.einsum("teh,ehd->ted", h, p["w2"])  # every expert's output, then the chosen ones
        y = jnp.take_along_axis(y_all, idx[:, :, None], axis=1) * gates[..., None]
        out = jnp.zeros_like(x).at[jnp.repeat(jnp.arange(x.shape[0]), 2)].add(y.reshape(-1, x.shape[1]))
        load = jnp.zeros(4).at[idx.reshape(-1)].add(1.0) / idx.size
        return out + x, 4 * jnp.sum(load * jax.nn.softmax(logits).mean(0))
    return fn, {"router": _r(1, 6, 4), "w1": _r(2, 4, 6, 8, scale=0.4), "w2": _r(3, 4, 8, 6, scale=0.4)}, \
        (_r(0, 10, 6),)


@jax.custom_jvp
def soft_clip(x):
    """tanh-like clip with a hand-written derivative (1 - y^2), the way users stabilise a solver."""
    return jnp.tanh(x)


@soft_clip.defjvp
def _soft_clip_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    y = jnp.tanh(x)
    return y, (1 - y * y) * t


@case("ode_scan_cond_limiter_custom_jvp")
def _ode():
    def fn(p, y0):  # y0 [3, 2]: 12 explicit Euler steps of dy/dt = soft_clip(MLP(y)), large steps halved
        def step(y, _):
            f = soft_clip(jnp.tanh(y @ p["w1"] + p["b1"]) @ p["w2"])
            dy = 0.2 * f
            dy = lax.cond(jnp.max(jnp.abs(dy)) > 0.15, lambda d: 0.5 * d, lambda d: d, dy)
            return y + dy, jnp.sum(y * y, -1)
        y, energy = lax.scan(step, y0, None, length=12)
        return y, energy
    return fn, {"w1": _r(1, 2, 8), "b1": _r(2, 8, scale=0.1), "w2": _r(3, 8, 2, scale=0.5)}, (_r(0, 3, 2),)


@case("fno2d_rfft2_complex_weights_from_pairs")
def _fno2d():
    def fn(p, x):  # x [2, 3, 8, 8]
        m = 2
        xf = jnp.fft.rfft2(x)
        w1, w2 = lax.complex(p["w1r"], p["w1i"]), lax.complex(p["w2r"], p["w2i"])
        out = jnp.zeros(xf.shape, xf.dtype)
        out = out.at[:, :, :m, :m].set(jnp.einsum("bixy,ioxy->boxy", xf[:, :, :m, :m], w1))
        out = out.at[:, :, -m:, :m].set(jnp.einsum("bixy,ioxy->boxy", xf[:, :, -m:, :m], w2))
        y = jnp.fft.irfft2(out, s=x.shape[-2:])
        return jax.nn.gelu(y + jnp.einsum("bixy,io->boxy", x, p["pw"]), approximate=False)
    return fn, {n: _r(i, 3, 3, 2, 2, scale=0.3) for i, n in enumerate(("w1r", "w1i", "w2r", "w2i"))} | \
        {"pw": _r(9, 3, 3, scale=0.5)}, (_r(0, 2, 3, 8, 8),)


@case("deeponet_branch_trunk")
def _deeponet():
    def fn(p, u, y):  # sensors [3, 10], query points [5, 2]
        br = _lin(p["b2"], jnp.tanh(_lin(p["b1"], u)))
        tr = jnp.tanh(_lin(p["t2"], jnp.tanh(_lin(p["t1"], y))))
        return br @ tr.T + p["b0"]
    return fn, {"b1": _dense(1, 10, 12), "b2": _dense(3, 12, 6), "t1": _dense(5, 2, 12), "t2": _dense(7, 12, 6),
                "b0": np.float32(0.1)}, (_r(0, 3, 10), _r(9, 5, 2))


def _encode(x, levels):
    xf = x[..., None, :] * (2.0 ** jnp.arange(levels) * jnp.pi)[:, None]
    return jnp.concatenate([x, jnp.sin(xf).reshape(*x.shape[:-1], -1), jnp.cos(xf).reshape(*x.shape[:-1], -1)], -1)


@case("nerf_render_exclusive_cumprod")
def _nerf():
    def fn(p, origins, dirs):  # 3 rays, 6 samples each
        t = jnp.linspace(0.5, 2.0, 6)
        pts = origins[:, None] + dirs[:, None] * t[None, :, None]
        ex = _encode(pts, 3)
        h = jax.nn.relu(_lin(p["l2"], jax.nn.relu(_lin(p["l1"], ex))))
        sigma = jax.nn.softplus(_lin(p["sigma"], h)[..., 0])
        rgb = jax.nn.sigmoid(_lin(p["rgb"], h))
        delta = jnp.append(jnp.diff(t), 1e3)[None] * jnp.linalg.norm(dirs, axis=-1, keepdims=True)
        alpha = 1 - jnp.exp(-sigma * delta)
        trans = jnp.cumprod(jnp.concatenate([jnp.ones_like(alpha[:, :1]), 1 - alpha[:, :-1] + 1e-10], -1), -1)
        w = alpha * trans
        return (w[..., None] * rgb).sum(1), (w * t).sum(-1)
    return fn, {"l1": _dense(1, 21, 16), "l2": _dense(3, 16, 16), "sigma": _dense(5, 16, 1), "rgb": _dense(7, 16, 3)}, \
        (_r(0, 3, 3, scale=0.3), _r(9, 3, 3))


@case("ctc_loss_forward_algorithm_scan")
def _ctc():
    # targets [2, 3] (blank 0), extended with blanks to [2, 7]; input lengths all T = 8
    labels = np.array([[1, 2, 2], [3, 1, 0]], np.int32)
    label_pad = np.array([[0, 0, 0], [0, 0, 1]], bool)
    ext = np.zeros((2, 7), np.int32)
    ext[:, 1::2] = labels
    ext_valid = np.ones((2, 7), bool)
    ext_valid[1, 5:] = False  # the second target has 2 labels: 5 extended states
    # the skip transition s-2 -> s is allowed onto a label that differs from the one two states back
    skip = np.zeros((2, 7), bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    final = np.zeros((2, 7), bool)
    final[0, 5:7] = True
    final[1, 3:5] = True
    del label_pad

    def fn(p, feats):  # feats [8, 2, 4] (time major)
        logp = jax.nn.log_softmax(feats @ p["w"] + p["b"], axis=-1)  # [T, B, 5]
        emit = jnp.take_along_axis(logp, jnp.broadcast_to(ext[None], (8, 2, 7)), axis=-1)
        neg = -1e30
        alpha0 = jnp.where(np.arange(7)[None] < 2, emit[0], neg)

        def step(alpha, e):
            a1 = jnp.concatenate([jnp.full((2, 1), neg), alpha[:, :-1]], 1)
            a2 = jnp.where(skip, jnp.concatenate([jnp.full((2, 2), neg), alpha[:, :-2]], 1), neg)
            new = jnp.logaddexp(jnp.logaddexp(alpha, a1), a2) + e
            return jnp.where(ext_valid, new, neg), None
        alpha, _ = lax.scan(step, alpha0, emit[1:])
        ll = jax.nn.logsumexp(jnp.where(final, alpha, neg), axis=-1)
        return -ll
    return fn, {"w": _r(1, 4, 5), "b": _r(2, 5, scale=0.1)}, (_r(0, 8, 2, 4),)


@case("hamiltonian_nn_grad_inside")
def _hnn():
    def hamiltonian(p, z):
        return jnp.sum(_lin(p["l2"], jnp.tanh(_lin(p["l1"], z))))

    def fn(p, z):  # z [4, 2] = (q, p): the vector field (dH/dp, -dH/dq), then one symplectic-Euler step
        dh = jax.grad(hamiltonian, argnums=1)(p, z)
        field = jnp.stack([dh[:, 1], -dh[:, 0]], -1)
        return field, z + 0.1 * field
    return fn, {"l1": _dense(1, 2, 16), "l2": _dense(3, 16, 1)}, (_r(0, 4, 2),)


@case("quantile_huber_regression_losses")
def _quantile():
    def fn(p, x, y):  # x [6, 4], y [6]
        pred = _lin(p["l2"], jax.nn.gelu(_lin(p["l1"], x)))
        q = jnp.array([0.1, 0.5, 0.9])
        e = y[:, None] - pred
        pinball = jnp.maximum(q * e, (q - 1) * e).mean()
        r = jnp.abs(pred[:, 1] - y)
        huber = jnp.where(r < 0.5, 0.5 * r * r, 0.5 * (r - 0.25)).mean()
        return pinball, huber, pred
    return fn, {"l1": _dense(1, 4, 8), "l2": _dense(3, 8, 3)}, (_r(0, 6, 4), _r(9, 6))
