"""ONNX rules for the element-wise ops and op forms newer opsets added (found missing by onnx's own node
tests): CastLike, Xor, Swish, Shrink, RMSNormalization, the bitwise ops, BitShift and BitCast (bits.py), and
NonMaxSuppression's refusal. Importing this module registers them in
onnx_ops.HANDLERS."""
from __future__ import annotations

import numpy as np

from .bits import bits_to_float, float_to_bits, shift
from .graph_writer import UnsupportedModel
from .onnx_ops import _ins, _np_dtype, dtype_of, handles


@handles("CastLike")
def _cast_like(ctx, node, attrs):
    return [ctx.w.cast(ctx.val(node.input[0]), dtype_of(ctx, node.input[1]))]


@handles("Xor")
def _xor(ctx, node, attrs):
    return [ctx.w.binary("not_equal", ctx.val(node.input[0]), ctx.val(node.input[1]))]


def x_sigmoid(ctx, node, alpha: float) -> list:
    """x * sigmoid(alpha * x) of the node's first input (Swish; com.microsoft QuickGelu)."""
    w, x = ctx.w, ctx.val(node.input[0])
    return [w.mul(x, w.unary("sigmoid", w.mul(x, w.scalar_like(alpha, x))))]


@handles("Swish")
def _swish(ctx, node, attrs):
    """x * sigmoid(alpha * x) (opset 24)."""
    return x_sigmoid(ctx, node, attrs.get("alpha", 1.0))


@handles("Shrink")
def _shrink(ctx, node, attrs):
    """x + bias below -lambd, x - bias above lambd, 0 between."""
    w, x = ctx.w, ctx.val(node.input[0])
    lambd, bias = attrs.get("lambd", 0.5), attrs.get("bias", 0.0)
    if w.dtype(x).startswith(("int", "bool")) and (lambd != int(lambd) or bias != int(bias)):
        raise UnsupportedModel(f"Shrink of a {w.dtype(x)} tensor with fractional lambd={lambd} / bias={bias}")
    lo = w.binary("less", x, w.scalar_like(-lambd, x))
    hi = w.binary("greater", x, w.scalar_like(lambd, x))
    zero = w.scalar_like(0, x)
    return [w.where(lo, w.add(x, w.scalar_like(bias, x)), w.where(hi, w.sub(x, w.scalar_like(bias, x)), zero))]


@handles("RMSNormalization")
def _rms_norm(ctx, node, attrs):
    """x / sqrt(mean(x^2 over axes axis..-1) + epsilon) * scale (opset 23), in float32 when stash_type = 1
    (the default) and x is float16, as the spec's function body."""
    w, i = ctx.w, _ins(node)
    x, scale = ctx.val(i[0]), ctx.val(i[1])
    dt, nd = w.dtype(x), len(w.shape(x))
    axis = attrs.get("axis", -1)
    axes = list(range(axis + nd if axis < 0 else axis, nd))
    stash = attrs.get("stash_type", 1)
    if stash not in (1, 11):
        raise UnsupportedModel(f"RMSNormalization stash_type={stash} (known: 1 float32, 11 float64)")
    work = "float64" if stash == 11 or dt == "float64" else "float32"
    xf = w.cast(x, work)
    ms = w.reduce("mean", w.mul(xf, xf), axes, keepdims=True)
    y = w.mul(xf, w.unary("rsqrt", w.add(ms, w.scalar_like(attrs.get("epsilon", 1e-5), ms))))
    return [w.mul(w.cast(y, dt), w.cast(scale, dt))]


@handles("BitwiseAnd", "BitwiseOr", "BitwiseXor")
def _bitwise(ctx, node, attrs):
    op = {"BitwiseAnd": "bitwise_and", "BitwiseOr": "bitwise_or", "BitwiseXor": "bitwise_xor"}[node.op_type]
    return [ctx.w.binary(op, ctx.val(node.input[0]), ctx.val(node.input[1]))]


@handles("BitwiseNot")
def _bitwise_not(ctx, node, attrs):
    """~x = x ^ all bits set (-1 of a signed type, the maximum of an unsigned one)."""
    w, x = ctx.w, ctx.val(node.input[0])
    dt = np.dtype(w.dtype(x))
    return [w.binary("bitwise_xor", x, w.scalar_like(np.iinfo(dt).max if dt.kind == "u" else -1, x))]


@handles("BitShift")
def _bit_shift(ctx, node, attrs):
    """LEFT, or RIGHT (arithmetic for a signed x, opset 28; logical for an unsigned one); a shift by the width or
    more, or by a negative amount, gives 0 (-1 shifting a negative x right), as onnx.reference."""
    w, x, s = ctx.w, ctx.val(node.input[0]), ctx.val(node.input[1])
    direction = attrs.get("direction", "")
    if direction not in ("LEFT", "RIGHT"):
        raise UnsupportedModel(f"BitShift node {node.name!r}: direction={direction!r} (LEFT or RIGHT)")
    shape = np.broadcast_shapes(w.shape(x), w.shape(s))
    x, s = w.broadcast_to(x, shape), w.broadcast_to(s, shape)
    if direction == "LEFT":
        return [shift(w, "shift_left", x, s)]
    return [shift(w, "shift_right_logical" if w.dtype(x).startswith("u") else "shift_right_arithmetic", x, s)]


@handles("BitCast")
def _bit_cast(ctx, node, attrs):
    """The bits of x read as `to` (opset 26), the same width: an integer or bool as another integer is a wrapping
    cast; an integer as a float and a float as an integer through bits.py's fields."""
    w, x = ctx.w, ctx.val(node.input[0])
    src, dst = w.dtype(x), _np_dtype(ctx.onnx, attrs["to"], f"BitCast node {node.name!r}")
    if np.dtype(src).itemsize != np.dtype(dst).itemsize:
        raise UnsupportedModel(f"BitCast node {node.name!r}: {src} -> {dst} are not of the same width")
    ints = ("int", "uint", "bool")
    if src == dst:
        return [x]
    if src.startswith(ints) and dst.startswith(("int", "uint")):
        return [w.cast(x, dst)]
    if src.startswith(("int", "uint")) and not dst.startswith(ints):
        return [bits_to_float(w, x, dst)]
    if dst.startswith(("int", "uint")) and not src.startswith(ints):
        return [float_to_bits(w, x, dst)]
    raise UnsupportedModel(f"BitCast node {node.name!r}: {src} -> {dst} (mapped: integers, bools and float16 / 32 / "
                           "64 to and from the integers of their width)")


@handles("NonMaxSuppression")
def _non_max_suppression(ctx, node, attrs):
    """Refused: how many boxes it selects depends on the boxes' and scores' values, and graphs have static
    shapes. Named here so that the refusal says why, not only that the op is unknown."""
    raise UnsupportedModel(f"NonMaxSuppression node {node.name!r}: its output's length depends on the values of "
                           "boxes and scores (a data-dependent shape; gradserve graphs have static shapes)")
