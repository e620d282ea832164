"""ONNX Attention (opsets 23-24): scaled dot-product attention with a KV cache, masks, causal masking,
grouped-query heads and softcapping, as the spec's function body (onnx.reference's op_attention follows
it). Importing this module registers it in onnx_ops.HANDLERS.

Sliding windows (opset 25's left / right_window_size) mask keys outside each query's window; `nonpad_kv_seqlen`
(an external cache: row b's valid keys, a run-time input) masks the padding keys and places row b's queries at
nonpad_kv_seqlen[b] - q_len."""
from __future__ import annotations

import math

import numpy as np

from .graph_writer import UnsupportedModel
from .onnx_ops import _ins, _np_dtype, handles


def _heads_4d(w, x, heads: int) -> str:
    """[B, S, H * D] -> [B, H, S, D]."""
    b, s, hd = w.shape(x)
    if heads <= 0 or hd % heads:
        raise UnsupportedModel(f"Attention: hidden size {hd} is not a multiple of the head count {heads}")
    return w.transpose(w.reshape(x, [b, s, heads, hd // heads]), [0, 2, 1, 3])


def _repeat_heads(w, x, reps: int) -> str:
    """Each head `reps` times in a row (h0, h0, h1, h1, ...): grouped-query attention's K and V."""
    b, h, s, d = w.shape(x)
    y = w.broadcast_to(w.reshape(x, [b, h, 1, s, d]), [b, h, reps, s, d])
    return w.reshape(y, [b, h * reps, s, d])


@handles("Attention")
def _attention(ctx, node, attrs):
    w, i = ctx.w, _ins(node)
    for a in ("left_window_size", "right_window_size"):
        if attrs.get(a, -1) < -1:
            raise UnsupportedModel(f"Attention {a}={attrs[a]} (known: -1 unbounded, or a size >= 0)")
    if i[6] and i[4]:
        raise UnsupportedModel("Attention with both nonpad_kv_seqlen and past_key / past_value (the spec forbids it)")
    q, k, v = (ctx.val(n) for n in i[:3])
    dt, rank = w.dtype(q), len(w.shape(q))
    if rank == 3:
        if "q_num_heads" not in attrs or "kv_num_heads" not in attrs:
            raise UnsupportedModel("Attention on 3-D inputs needs q_num_heads and kv_num_heads")
        q = _heads_4d(w, q, attrs["q_num_heads"])
        k, v = (_heads_4d(w, t, attrs["kv_num_heads"]) for t in (k, v))
    elif rank != 4:
        raise UnsupportedModel(f"Attention on rank-{rank} inputs (known: 3, 4)")
    if bool(i[4]) != bool(i[5]):
        raise UnsupportedModel("Attention: past_key and past_value must be given together")
    past = w.shape(ctx.val(i[4]))[2] if i[4] else 0
    if i[4]:
        k, v = w.concat([ctx.val(i[4]), k], 2), w.concat([ctx.val(i[5]), v], 2)
    present_k, present_v = k, v
    bsz, hq, sq, d = w.shape(q)
    hkv, skv = w.shape(k)[1], w.shape(k)[2]
    if hq != hkv:
        if hq % hkv:
            raise UnsupportedModel(f"Attention: {hq} query heads are not a multiple of {hkv} key / value heads")
        k, v = _repeat_heads(w, k, hq // hkv), _repeat_heads(w, v, hq // hkv)

    # Q and K each scaled by sqrt(scale) in the input dtype, as the function body does
    root = np.asarray(math.sqrt(attrs.get("scale", 1.0 / math.sqrt(d))), dt)
    qk = w.matmul(w.mul(q, w.const(root)), w.mul(k, w.const(root)), transpose_b=True)
    cap = attrs.get("softcap", 0.0)
    if cap > 0:
        c = w.scalar_like(cap, qk)
        qk = w.mul(w.unary("tanh", w.div(qk, c)), c)

    bias = _bias(ctx, attrs, i[3], sq, skv, past, dt, i[6])
    with_bias = w.add(qk, bias) if bias is not None else qk
    sp = attrs.get("softmax_precision")
    work = _np_dtype(ctx.onnx, sp, "Attention softmax_precision") if sp else dt
    s_in = w.cast(with_bias, work)
    dead = None
    if bias is not None:  # rows whose every key is masked attend to nothing: zeros, never NaN
        neg_inf = w.const(np.asarray(-np.inf, w.dtype(bias)))
        dead = w.binary("equal", w.reduce("max", bias, [-1], keepdims=True), neg_inf)
        s_in = w.where(dead, w.scalar_like(0, s_in), s_in)
    p = w.softmax("softmax", s_in, -1)
    if dead is not None:
        p = w.where(dead, w.scalar_like(0, p), p)
    p = w.cast(p, dt)
    y = w.matmul(p, v)
    if rank == 3:
        b_, h_, s_, dv = w.shape(y)
        y = w.reshape(w.transpose(y, [0, 2, 1, 3]), [b_, s_, h_ * dv])

    mode = attrs.get("qk_matmul_output_mode", 0)
    if mode not in (0, 1, 2, 3):
        raise UnsupportedModel(f"Attention qk_matmul_output_mode={mode} (known: 0-3)")
    qk_out = {0: qk, 1: qk, 2: with_bias, 3: p}[mode]
    return [y, present_k, present_v, w.broadcast_to(qk_out, [bsz, hq, sq, skv])]


def _bias(ctx, attrs, mask_name: str, sq: int, skv: int, past: int, dt: str, nonpad: str = ""):
    """The additive bias (0 where a key is attended, -inf where masked, or the float mask's values), padded to
    the keys of the cache; None when there is none."""
    w = ctx.w
    mask = None
    if mask_name:
        mask = ctx.val(mask_name)
        if w.dtype(mask) == "bool":
            mask = w.where(mask, w.const(np.asarray(0, dt)), w.const(np.asarray(-np.inf, dt)))
        else:
            mask = w.cast(mask, dt)
        ms = list(w.shape(mask))
        if ms[-1] < skv:  # a mask shorter than the keys: the rest masked
            pad = w.const(np.full(ms[:-1] + [skv - ms[-1]], -np.inf, dt))
            mask = w.concat([mask, pad], len(ms) - 1)
    limit = _position_limits(w, attrs, sq, skv, past, dt, ctx.val(nonpad) if nonpad else None)
    if limit is None:
        return mask
    return w.add(mask, limit) if mask is not None else limit


def _position_limits(w, attrs, sq: int, skv: int, past: int, dt: str, nonpad: str | None):
    """Bottom-right aligned: query i sits at i + the cache's length (row b's nonpad_kv_seqlen[b] - sq with an
    external cache); causal: it attends key j iff j <= that; a window (left L, right R, -1 unbounded) iff
    that - L <= j <= that + R; an external cache's padding keys (j >= nonpad_kv_seqlen[b]) never. None: no limit."""
    causal = bool(attrs.get("is_causal", 0))
    left, right = attrs.get("left_window_size", -1), attrs.get("right_window_size", -1)
    if not (causal or left >= 0 or right >= 0 or nonpad is not None):
        return None
    grid = np.arange(sq)[:, None] - np.arange(skv)[None, :]  # i - j
    if nonpad is None:
        ahead = w.const(grid + past)
    else:  # [B, 1, sq, skv]: i - j + nonpad[b] - sq, computed when the graph runs
        n = w.reshape(w.cast(nonpad, "int64"), [w.shape(nonpad)[0], 1, 1, 1])
        ahead = w.add(w.const((grid - sq).astype(np.int64)), n)
    allowed = None

    def both(a, b):
        return b if a is None else w.binary("logical_and", a, b)
    if causal:
        allowed = both(allowed, w.binary("greater_equal", ahead, w.scalar_like(0, ahead)))
    if left >= 0:
        allowed = both(allowed, w.binary("less_equal", ahead, w.scalar_like(left, ahead)))
    if right >= 0:
        allowed = both(allowed, w.binary("greater_equal", ahead, w.scalar_like(-right, ahead)))
    if nonpad is not None:  # key j < nonpad[b]
        keys = w.const(np.arange(skv, dtype=np.int64).reshape(1, 1, 1, skv))
        allowed = both(allowed, w.binary("less", keys, n))
    return w.where(allowed, w.const(np.asarray(0, dt)), w.const(np.asarray(-np.inf, dt)))


@handles("RotaryEmbedding")
def _rotary_embedding(ctx, node, attrs):
    """RotaryEmbedding (opset 23): X [B, S, H * D] (num_heads given) or [B, H, S, D]; the first
    rotary_embedding_dim R (default D) features of each head rotated by the cos / sin caches ([B, S, R / 2], or
    [max_pos, R / 2] gathered by position_ids [B, S]), as halves or interleaved pairs; the rest passed through."""
    w, i = ctx.w, _ins(node)
    x, cos, sin = (ctx.val(n) for n in i[:3])
    shape = list(w.shape(x))
    if len(shape) == 3:
        heads = attrs.get("num_heads", 0)
        if heads <= 0 or shape[2] % heads:
            raise UnsupportedModel(f"RotaryEmbedding of a 3-D input needs num_heads dividing {shape[2]}, got {heads}")
        x4 = w.reshape(x, [shape[0], shape[1], heads, shape[2] // heads])
    else:
        x4 = w.transpose(x, [0, 2, 1, 3])  # [B, S, H, D]
    b, s, h, d = w.shape(x4)
    r = attrs.get("rotary_embedding_dim", 0) or d
    if r % 2 or r > d:
        raise UnsupportedModel(f"RotaryEmbedding rotary_embedding_dim={r} for head size {d}")
    if i[3]:  # caches [max_position, R / 2] read at position_ids [B, S]; else they are [B, S, R / 2]
        pos = w.reshape(ctx.val(i[3]), [b * s])
        cos, sin = (w.gather(c, pos, 0) for c in (cos, sin))
    for c in (cos, sin):
        if math.prod(w.shape(c)) != b * s * (r // 2):
            raise UnsupportedModel(f"RotaryEmbedding cache of shape {list(w.shape(c))} for batch {b}, sequence {s} "
                                   f"and rotary_embedding_dim {r}")
    cos, sin = (w.reshape(c, [b, s, 1, r // 2]) for c in (cos, sin))
    out = rotate(w, x4, cos, sin, r, bool(attrs.get("interleaved", 0)))
    return [w.reshape(out, shape) if len(shape) == 3 else w.transpose(out, [0, 2, 1, 3])]


def rotate(w, x4: str, cos: str, sin: str, r: int, interleaved: bool) -> str:
    """x4 [B, S, H, D] with its first r features rotated by cos / sin [B, S, 1, r / 2] (halves, or interleaved
    pairs), the rest passed through: RotaryEmbedding's and GroupQueryAttention's do_rotary."""
    b, s, h, d = w.shape(x4)
    rot = w.index(x4, [[0, b, 1], [0, s, 1], [0, h, 1], [0, r, 1]])
    if interleaved:
        pairs = w.reshape(rot, [b, s, h, r // 2, 2])
        x1, x2 = (w.reshape(w.index(pairs, [[0, b, 1], [0, s, 1], [0, h, 1], [0, r // 2, 1], [j, j + 1, 1]]),
                            [b, s, h, r // 2]) for j in (0, 1))
    else:
        x1, x2 = (w.index(rot, [[0, b, 1], [0, s, 1], [0, h, 1], [j * r // 2, (j + 1) * r // 2, 1]]) for j in (0, 1))
    real = w.sub(w.mul(cos, x1), w.mul(sin, x2))
    imag = w.add(w.mul(sin, x1), w.mul(cos, x2))
    out = w.reshape(w.stack([real, imag], 4), [b, s, h, r]) if interleaved else w.concat([real, imag], 3)
    if r < d:
        out = w.concat([out, w.index(x4, [[0, b, 1], [0, s, 1], [0, h, 1], [r, d, 1]])], 3)
    return out
