"""The com.microsoft ops of LLM exports (onnxruntime-genai's model builder, optimum): MatMulNBits (block-wise
2 / 4 / 8-bit weights) and GroupQueryAttention, each by the formula of onnxruntime's ContribOperators.md.
onnx_contrib registers them in its CONTRIB table."""
from __future__ import annotations

import numpy as np

from .graph_writer import UnsupportedModel
from .onnx_attention import _heads_4d, _repeat_heads, rotate
from .onnx_ops import _ins


def unpack_bits(packed: np.ndarray, bits: int) -> np.ndarray:
    """uint8 bytes -> their bits-wide unsigned fields, the low field of each byte first (a new last axis
    8 / bits times longer)."""
    shifts = np.arange(0, 8, bits, dtype=np.uint8)
    fields = (packed[..., None] >> shifts) & np.uint8((1 << bits) - 1)
    return fields.reshape(*packed.shape[:-1], packed.shape[-1] * (8 // bits))


def _zero_points(ctx, node, name: str, n: int, blocks: int, bits: int, dt: str):
    """[N, blocks, 1] zero points: packed uint8 (per row, padded to whole bytes), of the scales' type, or the
    default 2^(bits - 1)."""
    w = ctx.w
    if not name:
        return w.const(np.full((n, blocks, 1), 2 ** (bits - 1), dt))
    if ctx.is_const(name) and ctx.cval(name, node).dtype == np.uint8:
        z = unpack_bits(ctx.cval(name, node).reshape(n, -1), bits)[:, :blocks]
        return w.const(z.reshape(n, blocks, 1).astype(dt))
    return w.reshape(w.cast(ctx.val(name), dt), [n, blocks, 1])


def matmul_nbits(ctx, node, attrs):
    """Y = A @ dequant(B)^T (+ bias): B [N, blocks, block_size * bits / 8] uint8, each block of block_size
    weights along K dequantised as (q - zero_point) * scale (scales [N * blocks], a weight: its gradient is
    defined; the quantised fields are constants)."""
    w, i = ctx.w, _ins(node)
    bits, bs = int(attrs.get("bits", 4)), int(attrs["block_size"])
    k, n = int(attrs["K"]), int(attrs["N"])
    if bits not in (2, 4, 8) or len(i) > 4 and i[4]:
        raise UnsupportedModel(f"MatMulNBits node {node.name!r}: bits={bits}{' with g_idx' if i[4] else ''} "
                               "(known: 2, 4, 8 bits without g_idx)")
    a = ctx.val(i[0])
    dt = w.dtype(a)
    blocks = -(-k // bs)
    q = unpack_bits(ctx.cval(i[1], node).reshape(n, blocks, -1), bits)
    if q.shape != (n, blocks, bs):
        raise UnsupportedModel(f"MatMulNBits node {node.name!r}: B of shape {list(ctx.cval(i[1], node).shape)} for "
                               f"N={n}, K={k}, block_size={bs}, bits={bits}")
    scales = w.reshape(ctx.val(i[2]), [n, blocks, 1])
    deq = w.mul(w.sub(w.const(q.astype(dt)), _zero_points(ctx, node, i[3], n, blocks, bits, dt)), scales)
    wt = w.index(w.reshape(deq, [n, blocks * bs]), [[0, n, 1], [0, k, 1]])
    y = w.matmul(a, wt, transpose_b=True)
    return [w.add(y, ctx.val(i[5])) if len(i) > 5 and i[5] else y]


def group_query_attention(ctx, node, attrs):
    """softmax(Q K^T scale) V over grouped heads, as onnxruntime's CPU kernel: row b holds seqlens_k[b] + 1
    keys, of which the last S are this step's (after a first prompt's none: past 0); query i sits at position
    past_b + i and sees keys up to it (and, with local_window_size W >= 0, none before position - W); rotary
    at those positions (or position_ids'); present = row b's first past_b past keys, its new ones, then zeros.
    Q K V separate or packed in the query; attention_bias is added to the scores."""
    w, i = ctx.w, _ins(node)
    if attrs.get("qk_output", 0):
        raise UnsupportedModel(f"GroupQueryAttention node {node.name!r}: qk_output is not mapped")
    hq, hkv = int(attrs["num_heads"]), int(attrs["kv_num_heads"])
    q, k, v = _qkv(ctx, node, i, hq, hkv)
    bsz, _, s, d = w.shape(q)
    past = w.shape(ctx.val(i[3]))[2] if i[3] else 0
    if ctx.is_const(i[6]) and int(ctx.cval(i[6], node).reshape(-1)[0]) != past + s:
        raise UnsupportedModel(f"GroupQueryAttention node {node.name!r}: total_sequence_length "
                               f"{int(ctx.cval(i[6], node).reshape(-1)[0])} is not past {past} + new {s} (a shared "
                               "past / present buffer is not mapped)")
    pos = _positions(ctx, i[5], bsz, s, past)  # [B, S] int64
    if attrs.get("do_rotary", 0):
        at = w.cast(ctx.val(i[9]), "int64") if i[9] else pos
        q, k = (_rotary(ctx, node, t, at, past, bool(attrs.get("rotary_interleaved", 0))) for t in (q, k))
    if i[3]:
        k, v = (_present(w, ctx.val(p), t, pos) for p, t in ((i[3], k), (i[4], v)))
    present_k, present_v = k, v
    if hq != hkv:
        k, v = _repeat_heads(w, k, hq // hkv), _repeat_heads(w, v, hq // hkv)
    scores = w.mul(w.matmul(q, k, transpose_b=True), w.scalar_like(attrs.get("scale", 0.0) or d ** -0.5, q))
    cap = attrs.get("softcap", 0.0)
    if cap > 0:
        c = w.scalar_like(cap, scores)
        scores = w.mul(w.unary("tanh", w.div(scores, c)), c)
    if i[10]:
        scores = w.add(scores, w.cast(ctx.val(i[10]), w.dtype(scores)))
    seen = _visible(ctx, i[5], pos, past + s, int(attrs.get("local_window_size", -1)))
    scores = w.where(seen, scores, w.scalar_like(-np.inf, scores))
    sink = ctx.val(i[11]) if i[11] else w.const(np.zeros(hq, w.dtype(q))) if attrs.get("smooth_softmax", 0) \
        else None  # head_sink wins over smooth_softmax's 0, as in onnxruntime
    y = w.matmul(_softmax_with_sink(w, scores, sink) if sink is not None else w.softmax("softmax", scores, -1), v)
    return [w.reshape(w.transpose(y, [0, 2, 1, 3]), [bsz, s, hq * d]), present_k, present_v]


def _softmax_with_sink(w, scores: str, sink: str) -> str:
    """exp(s_j) / (exp(sink_h) + sum_k exp(s_k)) over the keys of [B, H, S, T] scores: onnxruntime's smooth
    softmax (sink 0) and head_sink (one logit per head, gpt-oss): a softmax over the keys and a sink column,
    the column then dropped (its stable max includes the sink)."""
    b, h, s, t = w.shape(scores)
    if w.shape(sink) != (h,):
        raise UnsupportedModel(f"GroupQueryAttention head_sink of shape {list(w.shape(sink))} for {h} heads")
    column = w.broadcast_to(w.reshape(w.cast(sink, w.dtype(scores)), [1, h, 1, 1]), [b, h, s, 1])
    p = w.softmax("softmax", w.concat([scores, column], 3), -1)
    return w.index(p, [[0, b, 1], [0, h, 1], [0, s, 1], [0, t, 1]])


def _positions(ctx, seqlens: str, b: int, s: int, past: int) -> str:
    """[B, S] positions of the new tokens: i after a first prompt (no past), else past_b + i with
    past_b = seqlens_k[b] + 1 - S (each row's own past length: a row shorter than the past buffer's)."""
    w = ctx.w
    steps = w.const(np.arange(s, dtype=np.int64).reshape(1, s))
    if past == 0:
        return w.broadcast_to(steps, [b, s])
    start = w.sub(w.cast(ctx.val(seqlens), "int64"), w.const(np.array(s - 1, np.int64)))
    return w.add(w.reshape(start, [b, 1]), steps)


def _present(w, past_kv: str, new: str, pos: str) -> str:
    """[B, H, P + S, D]: row b's past up to its own past length pos[b, 0], its S new keys / values at pos[b, :],
    zeros after (onnxruntime's ConcatStateChunkGQA into a cleared buffer); a one-hot product places the new
    ones, so both get their gradients."""
    b, h, p, d = w.shape(past_kv)
    s = w.shape(new)[2]
    t = p + s
    slots = w.const(np.arange(t, dtype=np.int64).reshape(1, t, 1))
    lands = w.binary("equal", slots, w.reshape(pos, [b, 1, s]))  # [B, T, S]: slot j takes new token i
    placed = w.matmul(w.reshape(w.cast(lands, w.dtype(new)), [b, 1, t, s]), new)  # [B, H, T, D]
    kept = w.binary("less", w.reshape(slots, [1, t]), w.index(pos, [[0, b, 1], [0, 1, 1]]))  # [B, T]
    padded = w.concat([past_kv, w.const(np.zeros((b, h, s, d), w.dtype(past_kv)))], 2)
    return w.where(w.reshape(kept, [b, 1, t, 1]), padded, placed)


def _qkv(ctx, node, i, hq: int, hkv: int):
    """Q [B, Hq, S, D], K and V [B, Hkv, S, D] from separate inputs or the packed query."""
    w = ctx.w
    x = ctx.val(i[0])
    if i[1]:
        return _heads_4d(w, x, hq), _heads_4d(w, ctx.val(i[1]), hkv), _heads_4d(w, ctx.val(i[2]), hkv)
    width = w.shape(x)[2]
    if width % (hq + 2 * hkv):
        raise UnsupportedModel(f"GroupQueryAttention node {node.name!r}: packed QKV width {width} is not a multiple "
                               f"of num_heads + 2 kv_num_heads = {hq + 2 * hkv}")
    d = width // (hq + 2 * hkv)
    q, k, v = w.split(x, [hq * d, hkv * d, hkv * d], 2)
    return _heads_4d(w, q, hq), _heads_4d(w, k, hkv), _heads_4d(w, v, hkv)


def _rotary(ctx, node, x: str, pos: str, past: int, interleaved: bool) -> str:
    """[B, H, S, D] rotated at positions pos [B, S] by the cos / sin caches [max_pos, R / 2] (rows gathered)."""
    w, i = ctx.w, _ins(node)
    b, h, s, d = w.shape(x)
    cos, sin = ctx.val(i[7]), ctx.val(i[8])
    half = w.shape(cos)[1]
    if w.shape(cos)[0] < past + s or 2 * half > d:
        raise UnsupportedModel(f"GroupQueryAttention node {node.name!r}: rotary caches of shape {list(w.shape(cos))} "
                               f"for positions up to {past + s} and head size {d}")
    flat = w.reshape(pos, [b * s])
    cos, sin = (w.reshape(w.gather(c, flat, 0), [b, s, 1, half]) for c in (cos, sin))
    x4 = w.transpose(x, [0, 2, 1, 3])
    return w.transpose(rotate(w, x4, cos, sin, 2 * half, interleaved), [0, 2, 1, 3])


def _visible(ctx, seqlens: str, pos: str, t: int, window: int) -> str:
    """[B, 1, S, T] bool: key j seen by the query at position pos[b, i] iff j <= pos, j <= seqlens_k[b] and,
    with a local window W >= 0, j >= pos - W (W + 1 keys: onnxruntime's local_window_size)."""
    w = ctx.w
    b, s = w.shape(pos)
    keys = w.const(np.arange(t, dtype=np.int64).reshape(1, 1, 1, t))
    at = w.reshape(pos, [b, 1, s, 1])
    last = w.reshape(w.cast(ctx.val(seqlens), "int64"), [b, 1, 1, 1])
    seen = w.binary("logical_and", w.binary("less_equal", keys, at), w.binary("less_equal", keys, last))
    if window >= 0:
        seen = w.binary("logical_and", seen, w.binary("greater_equal", keys,
                                                      w.sub(at, w.const(np.array(window, np.int64)))))
    return seen
