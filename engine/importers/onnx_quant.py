"""ONNX rules for quantisation (QuantizeLinear / DequantizeLinear, the QDQ form of quantised models) and for Unique.
Quantised values are carried in their declared type (uint8, int8, ...; int4 / uint4 / int2 / uint2 in 8 bits, float8
in float32, every value exact): QuantizeLinear gives the integer round(x / scale) + zero_point saturated to its
type's range (float8: x / scale rounded to the type's grid, saturated), DequantizeLinear (q - zero_point) * scale;
per tensor, per axis, or blocked (block_size). Importing this module registers the rules in onnx_ops.HANDLERS."""
from __future__ import annotations

import numpy as np

from .composites import rounding_cast
from .graph_writer import UnsupportedModel
from . import onnx_pointwise  # noqa: F401 - CastLike's plain rule, wrapped below
from .onnx_ops import NARROW_CARRIER, HANDLERS, _ins, declared_narrow, handles

_QUANT_TYPES = ("uint8", "int8", "uint16", "int16", "int32")
# 4- and 2-bit integers (opset 21+ / 25+), carried in 8 bits (onnx_ops.NARROW_CARRIER): their ranges
_NARROW_INTS = {"int4": (-8, 7), "uint4": (0, 15), "int2": (-2, 1), "uint2": (0, 3)}
# float8 types (opset 19+): mantissa bits, the smallest normal exponent, the largest finite exponent, the largest
# finite value, and what an overflow is without saturation (e5m2 has inf; the others only nan)
_FLOAT8 = {"float8_e4m3fn": (3, -6, 8, 448.0, np.nan), "float8_e4m3fnuz": (3, -7, 7, 240.0, np.nan),
           "float8_e5m2": (2, -14, 15, 57344.0, np.inf), "float8_e5m2fnuz": (2, -15, 15, 57344.0, np.nan),
           # float4 e2m1 (opset 23+): 0, 0.5, 1, 1.5, 2, 3, 4, 6; no inf or nan, so it always saturates
           # (onnx.reference ignores `saturate` for it)
           "float4_e2m1fn": (1, 0, 2, 6.0, 6.0)}


def _declared_dtype(ctx, name: str) -> str | None:
    """A value's element type as the model declares it: an initializer's (int4 / float8 ones are carried wider),
    a QuantizeLinear output's, else the carried one."""
    if name in ctx.inits:
        return np.dtype(ctx.onnx.helper.tensor_dtype_to_np_dtype(ctx.inits[name].data_type)).name
    if name in _declared_of(ctx):
        return _declared_of(ctx)[name]
    if name in ctx.consts:
        return ctx.consts[name].dtype.name
    return ctx.w.dtype(ctx.val(name))  # a graph input: carried in its declared type


def narrow_type(onnx, elem_type: int) -> str | None:
    """The name of a quantised storage type the engine carries wider (onnx_ops.NARROW_CARRIER), else None."""
    try:
        name = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type)).name
    except Exception:  # noqa: BLE001 - not a NumPy / ml_dtypes type: _np_dtype names it
        return None
    return name if name in NARROW_CARRIER else None


def narrow_input(ctx, name: str, v: str, dt: str) -> str:
    """A graph input of quantised storage type dt, given in its carrier (int8 / uint8 for the 4- and 2-bit
    integers, float32 for float8 / float4), as a cast to dt would make it: integers saturated to dt's range,
    floats rounded to dt's grid (ties to even) and saturated, so a value of dt arrives exact (nan, and e5m2's inf,
    included) and any other as the saturating cast. Quantised storage carries no gradient (the rounding's
    derivative is 0)."""
    w = ctx.w
    if dt in _NARROW_INTS:
        lo, hi = _NARROW_INTS[dt]
        out = w.binary("minimum", w.binary("maximum", v, w.scalar_like(lo, v)), w.scalar_like(hi, v))
    else:
        out = w.cast(_float8_round(w, w.cast(v, "float64"), dt, True)[0], "float32")
        # nan, and inf where the type has it (e5m2), are values of the type: they stay (the cast saturates inf)
        keep = w.binary("not_equal", v, v) if dt != "float4_e2m1fn" else None
        if dt == "float8_e5m2":
            keep = w.binary("logical_or", keep, w.binary("equal", w.unary("abs", v), w.scalar_like(np.inf, v)))
        out = out if keep is None else w.where(keep, v, out)
    _declared_of(ctx)[name] = dt
    return out


def _declared_of(ctx) -> dict:
    """ONNX value names -> the narrow type a QuantizeLinear made them (carried wider)."""
    if not hasattr(ctx, "declared"):
        ctx.declared = {}
    return ctx.declared


def _per_axis(ctx, v: str, x: str, axis: int, block: int = 0) -> str:
    """A scale / zero point of shape [] or [C] shaped to broadcast along `axis` of x; blocked (opset 21's
    block_size B): of x's shape but ceil(n / B) along axis, each entry repeated over its block of B (a gather at
    static positions, so the scale's gradient is the sum over its block)."""
    w, nd = ctx.w, len(ctx.w.shape(x))
    if block:
        sx, sv, ax = w.shape(x), w.shape(v), axis % nd
        want = [-(-d // block) if i == ax else d for i, d in enumerate(sx)]
        if list(sv) != want:
            raise UnsupportedModel(f"blocked quantization: scale / zero point of shape {list(sv)}, want {want} "
                                   f"(input {list(sx)}, axis {axis}, block_size {block})")
        return w.gather(v, w.const(np.arange(sx[ax], dtype=np.int64) // block), ax)
    if len(w.shape(v)) == 0:
        return v
    if len(w.shape(v)) != 1:
        raise UnsupportedModel(f"a scale of shape {list(w.shape(v))} without block_size")
    return w.reshape(v, [-1 if i == axis % nd else 1 for i in range(nd)])


def _operands(ctx, node, attrs):
    """(input names, x, axis, block size) of a Quantize / DequantizeLinear."""
    block = int(attrs.get("block_size", 0))
    if block < 0:
        raise UnsupportedModel(f"block_size {block}")
    i = _ins(node)
    return i, ctx.val(i[0]), attrs.get("axis", 1), block


def _float8_round(w, v: str, dt: str, saturate: bool) -> tuple[str, str]:
    """(v (float64) rounded to the nearest float8 value of type dt, whether that rounding is finite): ties to even
    (the grid step of |v|'s binade: 2^(e - mantissa bits), e counted by exact comparisons with powers of two, at
    least the smallest normal exponent: subnormals share its step); saturated to the largest finite value (+-inf
    too, as ONNX's Cast table), or overflowing to inf / nan. Finite: before saturation (fake quantisation's
    straight-through gradient is 0 where it saturates, as the integer types' clamp)."""
    mbits, emin, emax, top, over = _FLOAT8[dt]
    a = w.unary("abs", v)
    e = w.scalar_like(float(emin), a)
    for k in range(emin + 1, emax + 1):
        e = w.add(e, w.cast(w.binary("greater_equal", a, w.scalar_like(2.0 ** k, a)), "float64"))
    step = w.binary("pow", w.scalar_like(2.0, a), w.sub(e, w.scalar_like(float(mbits), a)))
    q = w.mul(w.unary("round", w.div(a, step)), step)
    big = w.binary("greater", q, w.scalar_like(top, q))
    inside = w.binary("less_equal", q, w.scalar_like(top, q))  # (false for nan and inf too)
    q = w.where(big, w.scalar_like(top if saturate else over, q), q)
    r = w.mul(w.unary("sign", v), q)
    if dt == "float4_e2m1fn":  # no nan either: onnx.reference (ml_dtypes) casts nan to (-)0
        r = w.where(w.binary("not_equal", v, v), w.scalar_like(0.0, r), r)
    return r, inside


_PLAIN_CAST, _PLAIN_CAST_LIKE = HANDLERS["Cast"], HANDLERS["CastLike"]


@handles("Cast")
def _cast(ctx, node, attrs):
    dt = narrow_type(ctx.onnx, attrs["to"])
    if dt in _NARROW_INTS:
        return _narrow_int_cast(ctx, node, dt)
    return _PLAIN_CAST(ctx, node, attrs) if dt is None or dt not in _FLOAT8 else _narrow_float_cast(ctx, node, dt, attrs)


@handles("CastLike")
def _cast_like(ctx, node, attrs):
    """To the type of a value declared narrow (carried wider: a plain cast would be to the carrier) as Cast."""
    dt = declared_narrow(ctx, node.input[1])
    if dt is None:
        return _PLAIN_CAST_LIKE(ctx, node, attrs)
    if dt in _NARROW_INTS:
        return _narrow_int_cast(ctx, node, dt)
    return _narrow_float_cast(ctx, node, dt, attrs)


def _narrow_int_cast(ctx, node, dt: str) -> list[str]:
    """A Cast to a 4- / 2-bit integer as onnx.reference's (ml_dtypes'): truncated toward zero, then wrapped into the
    type's range (two's complement for int4 / int2), carried in 8 bits. No gradient: the output is an integer."""
    w, x = ctx.w, ctx.val(node.input[0])
    lo, hi = _NARROW_INTS[dt]
    t = w.cast(x, "int64")  # a float truncates toward zero, as NumPy's astype
    span = w.scalar_like(hi - lo + 1, t)
    wrapped = w.add(w.binary("remainder", w.sub(t, w.scalar_like(lo, t)), span), w.scalar_like(lo, t))
    _declared_of(ctx)[node.output[0]] = dt
    return [w.cast(wrapped, NARROW_CARRIER[dt])]


def _narrow_float_cast(ctx, node, dt: str, attrs) -> list[str]:
    """A Cast to float8 / float4 (fp8 training's emulation, x.to(torch.float8_e4m3fn).to(x.dtype)): x rounded to
    the type's grid, ties to even, carried in float32; `saturate` (opset 19+, default 1) to the largest finite
    value (+-inf too, ONNX's Cast table) or overflowing to inf / nan (float4 always saturates; its nan is 0, as
    onnx.reference's). Its gradient is a cast's, as torch's autograd and JAX give it: the cotangent cast the same
    way (composites.rounding_cast)."""
    x = ctx.val(node.input[0])
    if not ctx.w.dtype(x).startswith("float"):
        raise UnsupportedModel(f"{node.op_type} of {ctx.w.dtype(x)} to {dt} (a float input is mapped)")
    saturate = bool(attrs.get("saturate", 1))

    def rounded(w, v):
        return w.cast(_float8_round(w, w.cast(v, "float64"), dt, saturate)[0], w.dtype(v))

    _declared_of(ctx)[node.output[0]] = dt
    return [ctx.w.cast(rounding_cast(ctx.w, x, rounded, "cast_" + dt), "float32")]


@handles("QuantizeLinear")
def _quantize(ctx, node, attrs):
    w, (i, x, axis, block) = ctx.w, _operands(ctx, node, attrs)
    if "output_dtype" in attrs and attrs["output_dtype"]:
        dt = np.dtype(ctx.onnx.helper.tensor_dtype_to_np_dtype(attrs["output_dtype"])).name
    else:
        dt = (_declared_dtype(ctx, i[2]) if i[2] else "uint8") or "run-time"
    if dt not in _QUANT_TYPES + tuple(_NARROW_INTS) + tuple(_FLOAT8):
        raise UnsupportedModel(f"quantization to {dt} (known: {', '.join(_QUANT_TYPES + tuple(_NARROW_INTS))}, "
                               f"{', '.join(_FLOAT8)})")
    scale = w.cast(_per_axis(ctx, ctx.val(i[1]), x, axis, block), w.dtype(x))
    if attrs.get("precision", 0):  # opset 23+: x / scale computed in that type (float16 rounds the quotient)
        prec = np.dtype(ctx.onnx.helper.tensor_dtype_to_np_dtype(attrs["precision"])).name
        if prec not in ("float16", "float32", "float64"):
            raise UnsupportedModel(f"QuantizeLinear's precision {prec} (known: float16, float32, float64)")
        x, scale = w.cast(x, prec), w.cast(scale, prec)
    if dt in _FLOAT8:  # x / scale + zero point (the spec's formula; usually 0) cast to float8 / float4
        q = w.cast(w.div(x, scale), "float64")
        if i[2] and not (ctx.is_const(i[2]) and not np.any(ctx.cval(i[2], node))):
            # a run-time (or nonzero) zero point is added as the spec and onnx.reference's float4 path do
            # (onnx.reference's float8 path drops it: the same for the 0 that exporters write)
            q = w.add(q, w.cast(_per_axis(ctx, ctx.val(i[2]), x, axis, block), "float64"))
        q, inside = _float8_round(w, q, dt, bool(attrs.get("saturate", 1)))
        out = w.cast(q, "float32")
        x = ctx.val(i[0])  # (the straight-through gradient goes to x as it is, whatever the precision)
    else:
        # half to even, as the spec says; then float64, where the zero point's sum and the type's bounds are exact
        # (in float16 int16's 32767 is 32768, in float32 int32's 2^31 - 1 is 2^31, which wrapped to -2^31)
        q = w.cast(w.unary("round", w.div(x, scale)), "float64")
        if i[2]:
            q = w.add(q, w.cast(_per_axis(ctx, ctx.val(i[2]), x, axis, block), "float64"))
        lo, hi = _NARROW_INTS.get(dt) or (np.iinfo(dt).min, np.iinfo(dt).max)
        inside = w.binary("logical_and", w.binary("greater_equal", q, w.scalar_like(lo, q)),
                          w.binary("less_equal", q, w.scalar_like(hi, q)))
        q = w.binary("minimum", w.binary("maximum", q, w.scalar_like(lo, q)), w.scalar_like(hi, q))
        out = w.cast(q, {"int4": "int8", "int2": "int8", "uint4": "uint8", "uint2": "uint8"}.get(dt, dt))
        x = ctx.val(i[0])
    _declared_of(ctx)[node.output[0]] = dt
    _fake_quant_of(ctx)[out] = (x, inside, tuple(i[1:3]))
    return [out]


def _fake_quant_of(ctx) -> dict:
    """QuantizeLinear outputs -> (x, the in-range mask, (scale, zero point) names): a DequantizeLinear of one
    with the same scale and zero point is fake quantisation."""
    if not hasattr(ctx, "fake_quant"):
        ctx.fake_quant = {}
    return ctx.fake_quant


@handles("DequantizeLinear")
def _dequantize(ctx, node, attrs):
    w, (i, x, axis, block) = ctx.w, _operands(ctx, node, attrs)
    declared = _declared_dtype(ctx, i[0])
    if not (w.dtype(x).startswith(("int", "uint")) or declared in _FLOAT8):
        raise UnsupportedModel(f"DequantizeLinear of a {declared} input (known: integer and float8 types)")
    scale = _per_axis(ctx, ctx.val(i[1]), x, axis, block)
    xf = w.cast(x, w.dtype(scale))
    if i[2]:
        xf = w.sub(xf, w.cast(_per_axis(ctx, ctx.val(i[2]), x, axis, block), w.dtype(scale)))
    y = w.mul(xf, scale)
    pair = _fake_quant_of(ctx).get(x)
    if pair is not None and pair[2] == tuple(i[1:3]) and w.dtype(pair[0]) == w.dtype(y):
        # Q -> DQ is fake quantisation (what torch.onnx writes for fake_quantize_*): its exact derivative is 0
        # almost everywhere; the gradient of quantisation-aware training is the straight-through one, 1 where
        # round(x / scale) + zero_point is in the type's range (torch's fake_quantize backward)
        # (a where, not a product: src - stop_gradient(src) is inf - inf = NaN where src is infinite)
        src, inside = pair[0], pair[1]
        y = w.add(y, w.where(inside, w.sub(src, w.unary("stop_gradient", src)), w.scalar_like(0, y)))
    return [y]


@handles("Unique")
def _unique(ctx, node, attrs):
    """Its output's length depends on the values: imported when the input's value is in the model (a constant
    or an initializer), refused otherwise. The unique values are a gather of the input at static first
    occurrences (a weight's gradient reaches them); indices, inverse and counts are constants."""
    src = node.input[0]
    if not (ctx.is_const(src) or src in ctx.inits):
        raise UnsupportedModel(f"input {src!r} must be a constant here (Unique's output shape depends on the "
                               "values; gradserve graphs are static)")
    x = ctx.cval(src, node)
    axis = attrs.get("axis")
    _, idx, inv, counts = np.unique(x, True, True, True, axis=axis)
    inv = inv.reshape(-1)
    if not attrs.get("sorted", 1):  # in order of first occurrence, as onnx.reference orders them
        order = np.argsort(idx)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        idx, inv, counts = idx[order], rank[inv], counts[order]
    v = ctx.val(src)
    y = ctx.w.gather(v if axis is not None else ctx.w.reshape(v, [-1]), ctx.w.const(idx.astype(np.int64)),
                     0 if axis is None else axis)
    for o, c in zip(node.output[1:], (idx, inv, counts)):
        if o:
            ctx.consts[o] = c.astype(np.int64)
    return [y]


# -- integer kernels of dynamically / statically quantised models (onnxruntime's quantize_dynamic / QOperator
# form). Integer products are accumulated exactly in float64 (|sum| < 2^53 for any model of 8-bit values that
# fits the limits), then scaled, rounded half to even and saturated as the spec and onnx.reference do.
# Their outputs are integers: no gradient flows through them (none exists; fake quantisation is Q -> DQ).

def _centered(ctx, name: str, zp: str | None, zp_axis: int | None = None) -> str:
    """An integer input less its zero point, as float64 (zp_axis: the axis a 1-D zero point runs along)."""
    w = ctx.w
    v = w.cast(ctx.val(name), "float64")
    if zp:
        z = w.cast(ctx.val(zp), "float64")
        if zp_axis is not None and len(w.shape(z)) == 1 and w.shape(z)[0] > 1:
            nd = len(w.shape(v))
            z = w.reshape(z, [-1 if i == zp_axis % nd else 1 for i in range(nd)])
        v = w.sub(v, z)
    return v


def _requantize(ctx, acc: str, mult: str, y_zp: str | None, out_dt: str) -> str:
    w = ctx.w
    r = w.mul(acc, w.cast(mult, "float64"))
    if y_zp:
        r = w.add(r, w.cast(ctx.val(y_zp), "float64"))
    lo, hi = np.iinfo(out_dt).min, np.iinfo(out_dt).max
    r = w.binary("minimum", w.binary("maximum", w.unary("round", r), w.scalar_like(lo, r)), w.scalar_like(hi, r))
    return w.cast(r, out_dt)


def _out_dtype(ctx, y_zp: str | None, x: str) -> str:
    return _declared_dtype(ctx, y_zp) if y_zp else ctx.w.dtype(ctx.val(x))


@handles("MatMulInteger")
def _matmul_integer(ctx, node, attrs):
    i = _ins(node) + ["", ""]
    a = _centered(ctx, i[0], i[2], -2)  # a's zero point: per row of A
    b = _centered(ctx, i[1], i[3], -1)  # b's: per column of B
    return [ctx.w.cast(ctx.w.matmul(a, b), "int32")]


@handles("QLinearMatMul")
def _qlinear_matmul(ctx, node, attrs):
    w, i = ctx.w, _ins(node)
    acc = w.matmul(_centered(ctx, i[0], i[2], -2), _centered(ctx, i[3], i[5], -1))
    a_s, b_s, y_s = (ctx.val(i[k]) for k in (1, 4, 6))
    if len(w.shape(a_s)) == 1 and w.shape(a_s)[0] > 1:
        a_s = w.reshape(a_s, [-1, 1])
    mult = w.div(w.mul(a_s, b_s), y_s)  # in the scales' type, as onnx.reference
    return [_requantize(ctx, acc, mult, i[7], _out_dtype(ctx, i[7], i[0]))]


def _int_conv(ctx, node, attrs, x: str, wt: str):
    from . import composites as C
    from .onnx_ops import _pads

    w = ctx.w
    nd = len(w.shape(x)) - 2
    kernel = attrs.get("kernel_shape", w.shape(wt)[2:])
    strides, dils = attrs.get("strides", [1] * nd), attrs.get("dilations", [1] * nd)
    pads = _pads(ctx, attrs, w.shape(x), kernel, strides, dils)
    return C.conv(w, x, wt, None, strides=strides, pads=pads, dilations=dils, groups=attrs.get("group", 1))


@handles("ConvInteger")
def _conv_integer(ctx, node, attrs):
    i = _ins(node) + ["", ""]
    acc = _int_conv(ctx, node, attrs, _centered(ctx, i[0], i[2]), _centered(ctx, i[1], i[3], 0))
    return [ctx.w.cast(acc, "int32")]


@handles("QLinearConv")
def _qlinear_conv(ctx, node, attrs):
    w, i = ctx.w, _ins(node) + [""]
    acc = _int_conv(ctx, node, attrs, _centered(ctx, i[0], i[2]), _centered(ctx, i[3], i[5], 0))
    if i[8]:  # the int32 bias, added before scaling
        acc = w.add(acc, w.reshape(w.cast(ctx.val(i[8]), "float64"), [-1] + [1] * (len(w.shape(acc)) - 2)))
    w_s = ctx.val(i[4])
    if len(w.shape(w_s)) == 1 and w.shape(w_s)[0] > 1:
        w_s = w.reshape(w_s, [-1] + [1] * (len(w.shape(acc)) - 2))
    mult = w.div(w.mul(ctx.val(i[1]), w_s), ctx.val(i[6]))
    return [_requantize(ctx, acc, mult, i[7], _out_dtype(ctx, i[7], i[0]))]


@handles("DynamicQuantizeLinear")
def _dynamic_quantize(ctx, node, attrs):
    """uint8 quantisation by the input's own range (which includes 0): scale = (max - min) / 255 (1 when the
    range is empty), zero point = round(clamp(-min / scale, 0, 255)); outputs (y, scale, zero point)."""
    w = ctx.w
    x = ctx.val(node.input[0])
    zero = w.scalar_like(0, x)
    hi = w.binary("maximum", w.reduce("max", x, None), zero)
    lo = w.binary("minimum", w.reduce("min", x, None), zero)
    span = w.sub(hi, lo)
    empty = w.binary("equal", span, zero)
    scale = w.div(w.where(empty, w.scalar_like(1, x), span), w.scalar_like(255, x))
    zp = w.unary("round", w.binary("minimum", w.binary("maximum", w.div(w.unary("neg", lo), scale), zero),
                                   w.scalar_like(255, x)))
    y = w.add(w.unary("round", w.div(x, scale)), zp)
    y = w.binary("minimum", w.binary("maximum", y, zero), w.scalar_like(255, x))
    return [w.cast(y, "uint8"), scale, w.cast(zp, "uint8")]
