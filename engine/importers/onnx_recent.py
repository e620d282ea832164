"""ONNX rules for ops the node suite found missing: the window generators (opset 17), TensorScatter (24, a KV
cache's write), CausalConvWithState and LinearAttention (27: Mamba's / Gated DeltaNet's causal conv and recurrent
state), SwiGLU (28), Det (the engine's det op), ReverseSequence, Compress (a constant condition), MaxUnpool and the
deprecated Scatter (ScatterElements before opset 11). Importing this module registers them in onnx_ops.HANDLERS."""
from __future__ import annotations

import numpy as np

from . import composites as C
from .graph_writer import UnsupportedModel
from .onnx_layers import _scatter_elements
from .onnx_attention import _heads_4d, _repeat_heads
from .onnx_ops import _ins, _np_dtype, handles
from .onnx_pointwise import x_sigmoid

handles("Scatter")(_scatter_elements)  # the same op under its old name (no reduction attribute)

# w[n] = sum_k a_k cos(2 pi k n / N), N the size (periodic) or size - 1 (symmetric), as onnx's definitions
_WINDOW_TERMS = {"HannWindow": (0.5, -0.5), "HammingWindow": (25 / 46, -(1 - 25 / 46)),
                 "BlackmanWindow": (0.42, -0.5, 0.08)}


@handles(*_WINDOW_TERMS)
def _window(ctx, node, attrs):
    """A constant of the node's size: its size input must be known when the graph is imported."""
    size = int(np.asarray(ctx.cval(node.input[0], node)).reshape(-1)[0])
    if size < 1:
        raise UnsupportedModel(f"{node.op_type} node {node.name!r} of size {size} (zero-size tensors are not supported)")
    dt = _np_dtype(ctx.onnx, attrs.get("output_datatype", 1), f"{node.op_type} node {node.name!r}")
    n = np.arange(size, dtype=np.float64)
    period = size if attrs.get("periodic", 1) else size - 1
    if not period:  # a symmetric window of one point: [1.], as torch's and scipy's (the formula divides by 0)
        return [ctx.w.const(np.ones(1, dt))]
    angle = 2 * np.pi * n / period
    values = sum(a * np.cos(k * angle) for k, a in enumerate(_WINDOW_TERMS[node.op_type]))
    return [ctx.w.const(np.asarray(values).astype(dt))]


@handles("SwiGLU")
def _swiglu(ctx, node, attrs):
    """Swish_alpha(A) * B, A and B of one shape (no broadcasting, the spec says)."""
    w = ctx.w
    a, b = ctx.val(node.input[0]), ctx.val(node.input[1])
    if w.shape(a) != w.shape(b):
        raise UnsupportedModel(f"SwiGLU node {node.name!r}: gate A {list(w.shape(a))} and value B "
                               f"{list(w.shape(b))} must have one shape")
    return [w.mul(x_sigmoid(ctx, node, attrs.get("alpha", 1.0))[0], b)]


@handles("TensorScatter")
def _tensor_scatter(ctx, node, attrs):
    """past_cache with update written along `axis` from each batch row's write index (0 when absent), modulo
    the cache's length in mode 'circular': a scatter along the axis whose positions are computed in the graph,
    so the write indices may be run-time data."""
    w, i = ctx.w, _ins(node)
    past, upd = ctx.val(i[0]), ctx.val(i[1])
    ps, us = list(w.shape(past)), list(w.shape(upd))
    axis = attrs.get("axis", -2) % len(ps)
    mode = attrs.get("mode", "linear")
    if mode not in ("linear", "circular"):
        raise UnsupportedModel(f"TensorScatter node {node.name!r}: mode {mode!r} (known: linear, circular)")
    if axis == 0 or len(us) != len(ps) or any(a != b for k, (a, b) in enumerate(zip(ps, us)) if k != axis) \
            or us[axis] > ps[axis]:
        raise UnsupportedModel(f"TensorScatter node {node.name!r}: update {us} does not fit past_cache {ps} "
                               f"along axis {axis} (the batch axis 0 is not a sequence axis)")
    steps = np.arange(us[axis], dtype=np.int64).reshape([-1 if k == axis else 1 for k in range(len(us))])
    pos = w.const(np.broadcast_to(steps, us).copy())
    if i[2]:
        start = w.cast(ctx.val(i[2]), "int64")
        pos = w.add(pos, w.reshape(start, [ps[0]] + [1] * (len(ps) - 1)))
        if mode == "circular":
            pos = w.binary("remainder", pos, w.scalar_like(ps[axis], pos))
    return [C.scatter_along(w, past, pos, upd, axis, "set")]


@handles("CausalConvWithState")
def _causal_conv_with_state(ctx, node, attrs):
    """[past_state, input] (zeros when no past) convolved depthwise with no padding, so each output sees its own
    and the k - 1 earlier positions; + bias, SiLU if asked; present_state: the last k - 1 of those positions."""
    w, i = ctx.w, _ins(node)
    x, weight = ctx.val(i[0]), ctx.val(i[1])
    (batch, ch, _), k = w.shape(x), w.shape(weight)[-1]
    act = attrs.get("activation", "none")
    if act not in ("none", "silu", "swish"):
        raise UnsupportedModel(f"CausalConvWithState node {node.name!r}: activation {act!r} (known: none, silu, swish)")
    if k < 2 and len(node.output) > 1 and node.output[1]:
        raise UnsupportedModel(f"CausalConvWithState node {node.name!r}: kernel size {k} leaves present_state "
                               "empty (zero-size tensors are not supported)")
    past = ctx.val(i[3]) if i[3] else w.const(np.zeros((batch, ch, k - 1), w.dtype(x))) if k > 1 else None
    padded = w.concat([past, x], 2) if past is not None else x
    y = C.conv(w, padded, weight, ctx.val(i[2]) if i[2] else None, strides=[1], pads=[(0, 0)],
               dilations=[1], groups=ch)
    if act != "none":
        y = w.mul(y, w.unary("sigmoid", y))
    n = w.shape(padded)[2]
    return [y, w.index(padded, [[0, batch, 1], [0, ch, 1], [n - (k - 1), n, 1]]) if k > 1 else None]


@handles("LinearAttention")
def _linear_attention(ctx, node, attrs):
    """LinearAttention (opset 27): a state S [B, Hkv, dk, dv] run over the T steps, in float32 as the spec's
    body: S *= exp(decay_t) ('gated'), v_t <- beta_t (v_t - S^T k_t) ('delta'), S += k_t v_t^T, then
    o_t = scale q_t S (each key / value head's state read by its group of query heads). Unrolled over T."""
    w, i = ctx.w, _ins(node)
    rule = attrs.get("update_rule", "gated_delta")
    hq, hkv = int(attrs.get("q_num_heads", 0)), int(attrs.get("kv_num_heads", 0))
    gating, delta = rule in ("gated", "gated_delta"), rule in ("delta", "gated_delta")
    where = f"LinearAttention node {node.name!r}"
    if rule not in ("linear", "gated", "delta", "gated_delta"):
        raise UnsupportedModel(f"{where}: update_rule {rule!r} (known: linear, gated, delta, gated_delta)")
    if hq <= 0 or hkv <= 0 or hq % hkv:
        raise UnsupportedModel(f"{where}: q_num_heads {hq} must be a positive multiple of kv_num_heads {hkv}")
    if gating != bool(i[4]) or delta != bool(i[5]):
        raise UnsupportedModel(f"{where}: update_rule {rule!r} takes {'a' if gating else 'no'} decay input and "
                               f"{'a' if delta else 'no'} beta input")
    out_dt = w.dtype(ctx.val(i[0]))
    q, k, v = (_heads_4d(w, w.cast(ctx.val(n), "float32"), h) for n, h in ((i[0], hq), (i[1], hkv), (i[2], hkv)))
    b, _, t, dk = w.shape(q)
    dv = w.shape(v)[3]
    state = w.cast(ctx.val(i[3]), "float32") if i[3] else w.const(np.zeros((b, hkv, dk, dv), np.float32))
    if w.shape(state) != (b, hkv, dk, dv):
        raise UnsupportedModel(f"{where}: past_state {list(w.shape(state))} is not {[b, hkv, dk, dv]}")
    decay = _per_step(w, ctx.val(i[4]), hkv, dk, where, "decay") if gating else None
    beta = _per_step(w, ctx.val(i[5]), hkv, 1, where, "beta") if delta else None
    scale = w.const(np.float32(attrs.get("scale", 0.0) or 1 / np.sqrt(dk)))
    outs = []
    for s in range(t):
        step = [[0, b, 1], [0, w.shape(q)[1], 1], [s, s + 1, 1]]
        kt, vt = (w.index(x, step[:1] + [[0, hkv, 1]] + step[2:]) for x in (k, v))  # [B, Hkv, 1, d]
        if gating:
            g = w.index(decay, step[:1] + [[0, hkv, 1]] + step[2:])
            state = w.mul(state, w.reshape(w.unary("exp", g), [b, hkv, w.shape(g)[3], 1]))
        if delta:
            bt = w.index(beta, step[:1] + [[0, w.shape(beta)[1], 1]] + step[2:])
            vt = w.mul(bt, w.sub(vt, w.matmul(kt, state)))
        state = w.add(state, w.matmul(kt, vt, transpose_a=True))
        read = state if hq == hkv else _repeat_heads(w, state, hq // hkv)
        outs.append(w.mul(w.matmul(w.index(q, step), read), scale))
    y = w.transpose(w.concat(outs, 2) if t > 1 else outs[0], [0, 2, 1, 3])
    present_dt = w.dtype(ctx.val(i[3])) if i[3] else out_dt
    return [w.cast(w.reshape(y, [b, t, hq * dv]), out_dt), w.cast(state, present_dt)]


def _per_step(w, x: str, hkv: int, width: int, where: str, name: str) -> str:
    """decay [B, T, Hkv] or [B, T, Hkv * dk], beta [B, T, Hkv] or [B, T, 1] -> [B, heads, T, 1 or dk] float32."""
    shape = w.shape(x)
    last = shape[-1] if len(shape) == 3 else None
    if last not in ((hkv, hkv * width) if name == "decay" else (hkv, 1)):
        raise UnsupportedModel(f"{where}: {name} of shape {list(shape)} (rank 3, last dim "
                               f"{'kv_num_heads or kv_num_heads * d_k' if name == 'decay' else 'kv_num_heads or 1'})")
    heads = hkv if last != 1 else 1
    x = w.reshape(w.cast(x, "float32"), [shape[0], shape[1], heads, last // heads])
    return w.transpose(x, [0, 2, 1, 3])


@handles("Det")
def _det(ctx, node, attrs):
    """The engine's det op over the last two axes (its derivatives finite at singular matrices, as torch's import)."""
    w, x = ctx.w, ctx.val(node.input[0])
    shape = list(w.shape(x))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise UnsupportedModel(f"Det node {node.name!r} of a {shape} tensor (square matrices in the last two axes)")
    return [w.emit1("det", [x], {}, shape[:-2], w.dtype(x))]


@handles("ReverseSequence")
def _reverse_sequence(ctx, node, attrs):
    """Each batch row's first sequence_lens[b] steps reversed along the time axis, the rest kept: a gather at
    positions computed in the graph (the lengths may be run-time data)."""
    w, i = ctx.w, _ins(node)
    x = ctx.val(i[0])
    shape = list(w.shape(x))
    t_axis, b_axis = attrs.get("time_axis", 0), attrs.get("batch_axis", 1)
    if sorted((t_axis, b_axis)) != [0, 1]:
        raise UnsupportedModel(f"ReverseSequence node {node.name!r}: time_axis {t_axis} and batch_axis {b_axis} "
                               "(the spec allows 0 and 1, one each)")
    steps = w.const(np.arange(shape[t_axis], dtype=np.int64).reshape([-1 if k == t_axis else 1
                                                                       for k in range(len(shape))]))
    lens = w.reshape(w.cast(ctx.val(i[1]), "int64"), [-1 if k == b_axis else 1 for k in range(len(shape))])
    back = w.sub(w.sub(lens, w.scalar_like(1, lens)), steps)
    idx = w.where(w.binary("less", steps, lens), back, w.broadcast_to(steps, w.shape(back)))
    return [C.take_along(w, x, w.broadcast_to(idx, shape), t_axis)]


@handles("Compress")
def _compress(ctx, node, attrs):
    """The slices (or, without an axis, the flattened elements) where the condition holds: a constant condition
    (its count is the output's length)."""
    w, i = ctx.w, _ins(node)
    x = ctx.val(i[0])
    keep = np.flatnonzero(np.asarray(ctx.cval(i[1], node)).reshape(-1).astype(bool))
    axis = attrs.get("axis")
    if axis is None:
        x, axis = w.reshape(x, [-1]), 0
    axis %= len(w.shape(x))
    if keep.size == 0 or keep[-1] >= w.shape(x)[axis]:
        raise UnsupportedModel(f"Compress node {node.name!r}: condition keeps {keep.size} of axis {axis} "
                               f"(length {w.shape(x)[axis]}; zero-size tensors are not supported)")
    return [w.gather(x, w.const(keep.astype(np.int64)), axis)]


@handles("MaxUnpool")
def _max_unpool(ctx, node, attrs):
    """X written at MaxPool's flat indices into zeros of the inferred shape ((in - 1) stride - pads + kernel), then
    placed at the start of output_shape (a constant) when given, as onnx's reference."""
    w, i = ctx.w, _ins(node)
    x = ctx.val(i[0])
    shape = list(w.shape(x))
    nd = len(shape) - 2
    kernel = attrs["kernel_shape"]
    strides, pads = attrs.get("strides", [1] * nd), attrs.get("pads", [0] * 2 * nd)
    inferred = shape[:2] + [(n - 1) * s - pads[k] - pads[k + nd] + kernel[k]
                            for k, (n, s) in enumerate(zip(shape[2:], strides))]
    zeros = w.const(np.zeros(int(np.prod(inferred)), w.dtype(x)))
    flat = w.reshape(w.cast(ctx.val(i[1]), "int64"), [-1])
    y = w.reshape(C.scatter_flat(w, zeros, flat, w.reshape(x, [-1]), "set"), inferred)
    if not i[2]:
        return [y]
    out = [int(v) for v in np.asarray(ctx.cval(i[2], node)).reshape(-1)]
    if len(out) != len(inferred) or any(o < n for o, n in zip(out, inferred)):
        raise UnsupportedModel(f"MaxUnpool node {node.name!r}: output_shape {out} smaller than {inferred}")
    return [C.pad(w, y, [(0, o - n) for o, n in zip(out, inferred)])]
