"""ONNX rules for ops the node suite found missing: the window generators (opset 17), TensorScatter (24, a KV
cache's write), CausalConvWithState (27, Mamba's / Gated DeltaNet's depthwise causal conv), SwiGLU (28) and
the deprecated Scatter (ScatterElements before opset 11). Importing this module registers them in
onnx_ops.HANDLERS."""
from __future__ import annotations

import numpy as np

from . import composites as C
from .graph_writer import UnsupportedModel
from .onnx_layers import _scatter_elements
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
    angle = 2 * np.pi * n / period if period else np.zeros(size)
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
