"""Per-op rules of the ONNX importer: `fold` (shape arithmetic on constants, in NumPy) and HANDLERS
(op_type -> writer calls). A rule that cannot map a case exactly raises UnsupportedModel."""
from __future__ import annotations

import math

import numpy as np

from . import composites as C
from .division import int_divide
from .onnx_dynamic_slice import dynamic_slice
from .graph_writer import NP_DTYPES, ModelLimitExceeded, UnsupportedModel

HANDLERS: dict = {}
_UNARY = {"Relu": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "Exp": "exp", "Log": "log", "Sqrt": "sqrt",
          "Neg": "neg", "Abs": "abs", "Erf": "erf", "Sin": "sin", "Cos": "cos", "Tan": "tan", "Asin": "asin",
          "Acos": "acos", "Atan": "atan", "Sinh": "sinh", "Cosh": "cosh", "Asinh": "asinh", "Acosh": "acosh",
          "Atanh": "atanh", "Reciprocal": "reciprocal", "Softplus": "softplus", "Sign": "sign", "Not": "logical_not",
          "Floor": "floor", "Ceil": "ceil", "Round": "round"}
_BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "Equal": "equal", "Less": "less",
           "Greater": "greater", "LessOrEqual": "less_equal", "GreaterOrEqual": "greater_equal",
           "And": "logical_and", "Or": "logical_or"}
_REDUCE = {"ReduceSum": "sum", "ReduceMean": "mean", "ReduceMax": "max", "ReduceMin": "min",
           "ReduceProd": "prod", "ReduceLogSumExp": "logsumexp"}
# NumPy forms of the ops folded when all their inputs are constants (shape arithmetic).
_FOLD = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Equal": np.equal, "Less": np.less,
    "Greater": np.greater, "Not": np.logical_not, "Neg": np.negative, "Abs": np.abs, "Identity": lambda x: x,
    "Pow": lambda a, b: np.power(a, b).astype(a.dtype),  # the base's type (onnx.reference's; DINOv2's sqrt of a size)
    "Where": np.where, "Sqrt": np.sqrt, "And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor,
    "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal, "Ceil": np.ceil, "Floor": np.floor,
    "Div": lambda a, b: (_trunc_div(a, b) if a.dtype.kind in "iu" else a / b).astype(a.dtype),
    "Max": lambda *xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
    "Min": lambda *xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
    "Relu": lambda x: np.maximum(x, 0).astype(x.dtype),  # a length clamped at 0 (ONNX's expanded Range)
}


def _np_dtype(onnx, elem_type: int, where: str) -> str:
    try:
        dt = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type)).name
    except Exception:  # noqa: BLE001
        dt = str(elem_type)
    if dt not in NP_DTYPES or dt.startswith("complex"):  # uint8 images, int8 / uint8 quantised tensors too
        raise UnsupportedModel(f"{where} has element type {dt}, which gradserve graphs do not carry")
    return dt


# Quantised storage types the engine does not carry (ml_dtypes arrays from onnx.numpy_helper), held in the
# narrowest type that holds every value exactly: 4- / 2-bit integers in 8 bits, float8 / float4 in float32.
NARROW_CARRIER = {"int4": "int8", "int2": "int8", "uint4": "uint8", "uint2": "uint8",
                  "float8_e4m3fn": "float32", "float8_e4m3fnuz": "float32", "float8_e5m2": "float32",
                  "float8_e5m2fnuz": "float32", "float4_e2m1fn": "float32"}


def declared_narrow(ctx, name: str) -> str | None:
    """The narrow type (NARROW_CARRIER's) a value is declared with while carried wider: a graph input's, an
    initializer's, a QuantizeLinear's or Cast's output's; None for any other value."""
    d = getattr(ctx, "declared", {}).get(name)
    if d is None and name in ctx.inits:
        d = np.dtype(ctx.onnx.helper.tensor_dtype_to_np_dtype(ctx.inits[name].data_type)).name
    return d if d in NARROW_CARRIER else None


def widen_narrow(a: np.ndarray) -> np.ndarray:
    carrier = NARROW_CARRIER.get(a.dtype.name)
    return a if carrier is None else a.astype(carrier)


def _trunc_div(a, b):
    """Integer division rounding toward zero (ONNX's, C's), not NumPy's floor."""
    q = a // b
    return q + ((q < 0) & (q * b != a))


def handles(*names):
    def deco(fn):
        for n in names:
            HANDLERS[n] = fn
        return fn
    return deco


def _ins(node):
    return list(node.input) + [""] * 8


def _axes_input(ctx, node, attrs, pos: int, since: int):
    """Axes given as an attribute (older opsets) or as input `pos` (opset >= since); None when absent or
    empty (an empty axes input means "not given": reduce / squeeze all, or noop_with_empty_axes)."""
    if ctx.opset >= since:
        name = _ins(node)[pos]
        return [int(a) for a in ctx.cval(name, node).reshape(-1)] or None if name else None
    return [int(x) for x in attrs.get("axes", [])] or None


# -- static plans shared by folding and emitting ------------------------------------------------------
def _reshape_target(shape, target, allowzero=0):
    target = [int(t) for t in target]
    out = [shape[i] if t == 0 and not allowzero else t for i, t in enumerate(target)]
    if -1 in out:
        known = math.prod(d for d in out if d != -1)
        out[out.index(-1)] = math.prod(shape) // max(known, 1)
    if math.prod(out) != math.prod(shape):
        raise UnsupportedModel(f"cannot reshape {list(shape)} to {target}")
    return out


def _unsqueeze_shape(shape, axes):
    nd = len(shape) + len(axes)
    axes = sorted(a % nd for a in axes)
    out, it = [], iter(shape)
    for i in range(nd):
        out.append(1 if i in axes else next(it))
    return out


def _squeeze_shape(shape, axes):
    if axes is None:
        return [d for d in shape if d != 1]
    axes = {a % len(shape) for a in axes}
    if any(shape[a] != 1 for a in axes):
        raise UnsupportedModel(f"squeeze of axes {sorted(axes)} that are not 1 in {list(shape)}")
    return [d for i, d in enumerate(shape) if i not in axes]


def _slice_items(shape, starts, ends, axes, steps, allow_empty=False):
    """Static index items; an empty slice only when folding (shape arithmetic: x[2:2] of a shape)."""
    nd = len(shape)
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    items = [[0, d, 1] for d in shape]
    for s, e, a, st in zip(starts, ends, axes, steps):
        a = int(a) % nd
        if st == 0:
            raise UnsupportedModel("slice step 0")
        r = range(*slice(int(s), int(e), int(st)).indices(shape[a]))
        if len(r) == 0 and not allow_empty:
            raise UnsupportedModel(f"slice of axis {a} is empty (zero-size tensors are not supported)")
        items[a] = [r.start, r.stop if r.stop >= 0 else None, r.step]
    return items


def _slice_args(ctx, node, attrs):
    if ctx.opset >= 10:
        i = _ins(node)
        get = lambda k: None if not i[k] else [int(v) for v in ctx.cval(i[k], node).reshape(-1)]  # noqa: E731
        return get(1), get(2), get(3), get(4)
    return attrs["starts"], attrs["ends"], attrs.get("axes"), None


def _np_index(items):
    return tuple(slice(*i) for i in items)


def _split_sizes(ctx, node, attrs, dim):
    i = _ins(node)
    if ctx.opset >= 13 and i[1]:
        sizes = [int(v) for v in ctx.cval(i[1], node).reshape(-1)]
    elif attrs.get("split"):
        sizes = [int(v) for v in attrs["split"]]
    else:
        n = attrs.get("num_outputs", len(node.output))
        per = -(-dim // n)
        sizes = [per] * (dim // per) + ([dim % per] if dim % per else [])
    if sum(sizes) != dim:
        raise UnsupportedModel(f"split sizes {sizes} do not add up to {dim}")
    return sizes


# -- folding --------------------------------------------------------------------------------------------
def _constant(attrs):
    for k in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if k in attrs:
            v = attrs[k]
            return np.asarray(v, dtype=np.float32 if "float" in k else (np.int64 if "int" in k else None))
    raise UnsupportedModel("Constant without a numeric value (value / value_float(s) / value_int(s))")


def _shape_of(ctx, name):
    return ctx.consts[name].shape if name in ctx.consts else ctx.w.shape(ctx.val(name))


def dtype_of(ctx, name: str) -> str:
    """The dtype of a value without making it a graph value (an unused initializer would become a weight)."""
    if name in ctx.env:
        return ctx.w.dtype(ctx.env[name])
    if name in ctx.consts:
        return ctx.consts[name].dtype.name
    if name in ctx.inits:
        return _np_dtype(ctx.onnx, ctx.inits[name].data_type, f"initializer {name!r}")
    return ctx.w.dtype(ctx.val(name))


def fold(ctx, node, attrs) -> bool:
    """Compute `node` now when its result is static; True when done (nothing emitted)."""
    op, out = node.op_type, node.output[0] if node.output else ""
    if op == "Constant":
        ctx.consts[out] = _constant(attrs)
        return True
    if op in ("Shape", "Size"):
        shape = _shape_of(ctx, node.input[0])
        if op == "Size":
            ctx.consts[out] = np.asarray(math.prod(shape), np.int64)
        else:
            ctx.consts[out] = np.asarray(shape, np.int64)[attrs.get("start", 0):attrs.get("end", len(shape))]
        return True
    if op == "EyeLike":  # reads its input's shape only (the dynamo exporter's torch.eye / diag_embed)
        src = node.input[0]
        shape = _shape_of(ctx, src)
        if len(shape) != 2:
            raise UnsupportedModel(f"EyeLike of a rank-{len(shape)} input (rank 2 only)")
        dt = (_np_dtype(ctx.onnx, attrs["dtype"], f"EyeLike node {node.name!r}") if "dtype" in attrs else
              (ctx.consts[src].dtype if src in ctx.consts else ctx.w.dtype(ctx.val(src))))
        ctx.consts[out] = np.eye(shape[0], shape[1], int(attrs.get("k", 0)), dtype=dt)
        return True
    if op == "CastLike" and ctx.is_const(node.input[0]) and not declared_narrow(ctx, node.input[1]):
        # a constant cast to a value's dtype (-inf in Q's); to a narrow type: onnx_quant's rule
        ctx.consts[out] = ctx.cval(node.input[0], node).astype(dtype_of(ctx, node.input[1]))
        return True
    names = [i for i in node.input if i]
    if not names or not all(ctx.is_const(n) for n in names):
        return False
    xs = [ctx.cval(n, node) if n else None for n in _ins(node)[:len(node.input)]]
    _check_fold_size(ctx, node, xs)
    if op in _FOLD:
        r = _FOLD[op](*xs)
    elif op == "ConstantOfShape":
        v = attrs.get("value", np.zeros(1, np.float32))
        r = np.full([int(d) for d in xs[0]], v.reshape(-1)[0], dtype=v.dtype)
    elif op == "Gather":
        r = np.take(xs[0], xs[1], axis=attrs.get("axis", 0))
    elif op == "Concat":
        r = np.concatenate(xs, axis=attrs["axis"])
    elif op == "Unsqueeze":
        r = xs[0].reshape(_unsqueeze_shape(xs[0].shape, _axes_input(ctx, node, attrs, 1, 13)))
    elif op == "Squeeze":
        r = xs[0].reshape(_squeeze_shape(xs[0].shape, _axes_input(ctx, node, attrs, 1, 13)))
    elif op == "Slice":
        r = xs[0][_np_index(_slice_items(xs[0].shape, *_slice_args(ctx, node, attrs), allow_empty=True))]
    elif op == "Cast":
        r = xs[0].astype(_np_dtype(ctx.onnx, attrs["to"], f"Cast node {node.name!r}"))
    elif op == "Reshape":
        r = xs[0].reshape(_reshape_target(xs[0].shape, xs[1], attrs.get("allowzero", 0)))
    elif op == "Range":  # a 1-element 1-D bound reads as its element (onnx.reference and onnxruntime accept it)
        r = np.arange(*(x.item() for x in xs)).astype(xs[0].dtype)
    elif op == "Mod":
        r = (np.fmod if attrs.get("fmod", 0) else np.mod)(xs[0], xs[1])
    elif op == "Expand":
        r = xs[0] * np.ones([int(d) for d in xs[1]], xs[0].dtype)
    elif op == "Tile":  # shape arithmetic
        r = np.tile(xs[0], _tile_repeats(node, xs[1]))
    elif op == "Transpose":  # the TorchScript exporter's reflect / replicate pads: [lo..., hi...] reordered
        r = np.transpose(xs[0], attrs.get("perm"))
    elif op == "Clip":  # timm's "same" padding: max((ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0) from Shape
        r = _clip_const(xs, attrs)
    elif op == "ScatterElements":  # the TorchScript exporter's expand(-1, ...) writes a size into a Shape
        r = _scatter_elements_const(xs, attrs)
        if r is None:
            return False
    elif op == "Split" and xs[0].ndim:  # shape arithmetic (ONNX's expanded AffineGrid splits its size input)
        return _fold_split(ctx, node, attrs, xs[0])
    elif op == "NonZero" and xs[0].ndim:  # a mask known now (x[~eye]): its positions are static
        r = np.stack(np.nonzero(xs[0])).astype(np.int64)
    else:
        return False
    ctx.consts[out] = np.asarray(r)
    return True


def _fold_split(ctx, node, attrs, x) -> bool:
    axis = int(attrs.get("axis", 0)) % x.ndim
    sizes = _split_sizes(ctx, node, attrs, x.shape[axis])
    if 0 in sizes or len(sizes) != len(node.output):
        return False  # the node's rule decides (and names what it refuses)
    for o, piece in zip(node.output, np.split(x, np.cumsum(sizes)[:-1], axis)):
        ctx.consts[o] = piece
    return True


def _tile_repeats(node, repeats) -> list[int]:
    """Tile's repeats, 1-D as ONNX requires. torch's TorchScript exporter writes tensor_split(x, [i], dim) with a
    [[k]] here, reading the list of indices as a count of sections: its split sizes are not torch's (transformers'
    Mamba: 8 pieces of 1 token where torch has 8 tokens and 0), and onnx.reference refuses the file too."""
    if repeats.ndim != 1:
        raise UnsupportedModel(
            f"Tile node {node.name!r}: repeats of shape {tuple(repeats.shape)}, ONNX requires 1-D (the file is malformed; "
            "torch's TorchScript exporter writes tensor_split(x, [index], dim) this way, as a number of sections, "
            "which is not torch's split: export with torch.onnx.export(..., dynamo=True))")
    return [int(d) for d in repeats]


def _scatter_elements_const(xs, attrs):
    """ScatterElements of constants, plain writes to distinct positions (repeated ones are left to the node's
    rule, which refuses them: ONNX leaves their order undefined); None when it does not apply."""
    data, idx, upd = xs
    if attrs.get("reduction", "none") != "none":
        return None
    axis = int(attrs.get("axis", 0)) % data.ndim
    idx = np.where(idx < 0, idx + data.shape[axis], idx)
    grid = list(np.indices(idx.shape))
    grid[axis] = idx
    if len(set(zip(*(g.reshape(-1) for g in grid)))) != idx.size:
        return None
    r = data.copy()
    np.put_along_axis(r, idx, upd.astype(data.dtype), axis)
    return r


def _clip_const(xs, attrs):
    """Clip of a constant: bounds from inputs 1 and 2 (opset 11+, either may be absent) or attributes (before)."""
    lo = xs[1] if len(xs) > 1 and xs[1] is not None else attrs.get("min")
    hi = xs[2] if len(xs) > 2 and xs[2] is not None else attrs.get("max")
    r = xs[0]
    if lo is not None:
        r = np.maximum(r, lo)
    if hi is not None:
        r = np.minimum(r, hi)
    return np.asarray(r).astype(xs[0].dtype)


FOLD_MAX_ELEMENTS = 1 << 24  # constants computed here, when the caller sets no max_elements


def _check_fold_size(ctx, node, xs) -> None:
    """Refuse a constant too big to compute, before NumPy allocates it (ConstantOfShape [1e5, 1e5])."""
    op = node.op_type
    if op in ("ConstantOfShape", "Expand"):
        shape = [int(d) for d in xs[-1].reshape(-1)]
        n = math.prod(np.broadcast_shapes(xs[0].shape, tuple(shape))) if op == "Expand" else math.prod(shape)
    elif op == "Range":
        a, b, d = (float(x.item()) for x in xs)
        n = int(max(0, math.ceil((b - a) / d))) if d else 0
    else:
        n = max((x.size for x in xs if x is not None), default=0)
    cap = ctx.limits.get("max_elements") or FOLD_MAX_ELEMENTS
    if n > cap:
        raise ModelLimitExceeded(f"node {node.name!r} ({op}) makes a constant of {n} elements, above the limit "
                                 f"max_elements={cap}", "max_elements", cap)


# -- elementwise ----------------------------------------------------------------------------------------
@handles(*_UNARY)
def _unary(ctx, node, attrs):
    return [ctx.w.unary(_UNARY[node.op_type], ctx.val(node.input[0]))]


@handles(*_BINARY)
def _binary(ctx, node, attrs):
    w = ctx.w
    a, b = ctx.val(node.input[0]), ctx.val(node.input[1])
    if node.op_type == "Div" and w.dtype(a).startswith(("int", "uint")):  # truncates toward zero (onnx.reference)
        return [int_divide(w, a, b, "trunc")]
    if node.op_type == "Pow" and not w.dtype(a).startswith(("float", "bfloat")):
        return [_integer_pow(w, a, b)]
    if node.op_type == "Pow":
        b = w.cast(b, w.dtype(a))
    return [w.binary(_BINARY[node.op_type], a, b)]


def _integer_pow(w, a: str, b: str) -> str:
    """Pow of an integer base (the result has the base's type): the engine's pow is floating-point only, so both
    in float64, the power cast back (truncated toward zero), as onnx.reference (np.power(...).astype) and onnxruntime
    (std::pow cast back) compute it: exact wherever the power is below 2^53; a negative exponent gives 0 unless
    the base is +-1."""
    dt = w.dtype(a)
    if dt == "bool":
        raise UnsupportedModel("Pow of a bool base (known: integer and floating-point bases)")
    p = w.binary("pow", w.cast(a, "float64"), w.cast(b, "float64"))
    return w.cast(p, dt)


@handles("Mod")
def _mod(ctx, node, attrs):
    """fmod=1: the dividend's sign (C fmod); fmod=0: the divisor's (Python %), integers only before opset 28:
    the spec required fmod=1 for floats (onnx.reference computed fmod there anyway, onnxruntime refused)."""
    a, b = ctx.val(node.input[0]), ctx.val(node.input[1])
    fmod = attrs.get("fmod", 0)
    if not fmod and ctx.w.dtype(a).startswith(("float", "bfloat")) and ctx.opset < 28:  # allowed since opset 28
        raise UnsupportedModel("Mod with fmod=0 on floating-point inputs (ONNX requires fmod=1 there before opset 28)")
    return [ctx.w.binary("fmod" if fmod else "remainder", a, b)]


@handles("Identity", "Dropout")
def _identity(ctx, node, attrs):
    i = _ins(node)
    x = ctx.val(node.input[0])
    if node.op_type == "Identity":
        return [x]
    training = i[2] and (not ctx.is_const(i[2]) or bool(ctx.cval(i[2], node)))
    if training and not (i[1] and ctx.is_const(i[1]) and float(ctx.cval(i[1], node)) == 0.0):
        raise UnsupportedModel("Dropout in training mode is random: export the model in eval mode")
    # inference, or training with ratio 0: the identity; the mask keeps every element
    mask = len(node.output) > 1 and node.output[1]
    return [x, ctx.w.const(np.ones(ctx.w.shape(x), bool)) if mask else None]


@handles("ConstantOfShape")
def _constant_of_shape(ctx, node, attrs):
    """Folded when its shape is a constant (fold); here the shape is not: refused naming that input."""
    ctx.cval(node.input[0], node)
    raise UnsupportedModel("ConstantOfShape of a run-time shape")


@handles("Max", "Min", "Sum", "Mean")
def _variadic(ctx, node, attrs):
    w = ctx.w
    xs = [ctx.val(n) for n in node.input]
    op = {"Max": "maximum", "Min": "minimum", "Sum": "add", "Mean": "add"}[node.op_type]
    y = xs[0]
    for x in xs[1:]:
        y = w.binary(op, y, x)
    if node.op_type == "Mean":
        y = w.div(y, w.scalar_like(len(xs), y))
    return [y]


@handles("Where")
def _where(ctx, node, attrs):
    return [ctx.w.where(*[ctx.val(n) for n in node.input])]


@handles("LeakyRelu")
def _leaky(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    zero = w.scalar_like(0.0, x)
    return [w.where(w.binary("greater", x, zero), x, w.mul(x, w.scalar_like(attrs.get("alpha", 0.01), x)))]


@handles("Gelu")
def _gelu(ctx, node, attrs):
    return [C.gelu(ctx.w, ctx.val(node.input[0]), attrs.get("approximate", "none"))]


@handles("Clip")
def _clip(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    i = _ins(node)
    if ctx.opset >= 11 and (any(n and n not in ctx.consts and n not in ctx.inits for n in i[1:3])
                            or w.dtype(x) in ("int64", "uint64")):
        # bounds computed at run time (data, not shapes): min(max(x, lo), hi), so hi wins where lo > hi (the spec);
        # 64-bit integers' too (the clip op's bounds are floats: 2^63 - 1 would be 2^63)
        for n, op in ((i[1], "maximum"), (i[2], "minimum")):
            x = w.binary(op, x, w.cast(ctx.val(n), w.dtype(x))) if n else x
        return [x]
    lo, hi = (attrs.get("min"), attrs.get("max")) if ctx.opset < 11 else \
        tuple(None if not i[k] else float(ctx.cval(i[k], node)) for k in (1, 2))
    bounds = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
    return [w.emit1("clip", [x], bounds, w.shape(x), w.dtype(x)) if bounds else x]


@handles("Cast")
def _cast(ctx, node, attrs):
    return [ctx.w.cast(ctx.val(node.input[0]), _np_dtype(ctx.onnx, attrs["to"], f"Cast node {node.name!r}"))]


# -- linear algebra and layers --------------------------------------------------------------------------
@handles("MatMul")
def _matmul(ctx, node, attrs):
    w = ctx.w
    a, b = ctx.val(node.input[0]), ctx.val(node.input[1])
    va, vb = len(w.shape(a)) == 1, len(w.shape(b)) == 1
    if va:
        a = w.reshape(a, [1, w.shape(a)[0]])
    if vb:
        b = w.reshape(b, [w.shape(b)[0], 1])
    y = w.matmul(a, b)
    s = list(w.shape(y))
    if va or vb:
        s = s[:-2] + ([] if va else [s[-2]]) + ([] if vb else [s[-1]])
        y = w.reshape(y, s)
    return [y]


@handles("Gemm")
def _gemm(ctx, node, attrs):
    w = ctx.w
    a, b = ctx.val(node.input[0]), ctx.val(node.input[1])
    y = w.matmul(a, b, bool(attrs.get("transA", 0)), bool(attrs.get("transB", 0)))
    if attrs.get("alpha", 1.0) != 1.0:
        y = w.mul(y, w.scalar_like(attrs["alpha"], y))
    i = _ins(node)
    if i[2]:
        c = ctx.val(i[2])
        if attrs.get("beta", 1.0) != 1.0:
            c = w.mul(c, w.scalar_like(attrs["beta"], c))
        y = w.add(y, c)
    return [y]


def _pads(ctx, attrs, shape, kernel, strides, dils):
    nd = len(shape) - 2
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", "VALID"):
        p = list(attrs.get("pads", [0] * 2 * nd)) if auto == "NOTSET" else [0] * 2 * nd
        return [(int(p[k]), int(p[k + nd])) for k in range(nd)]
    out = []
    for s, k, st, d in zip(shape[2:], kernel, strides, dils):
        total = max((-(-s // st) - 1) * st + d * (k - 1) + 1 - s, 0)
        lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
        out.append((lo, total - lo))
    return out


@handles("Conv")
def _conv(ctx, node, attrs):
    w = ctx.w
    x, wt = ctx.val(node.input[0]), ctx.val(node.input[1])
    i = _ins(node)
    b = ctx.val(i[2]) if i[2] else None
    nd = len(w.shape(x)) - 2
    kernel = attrs.get("kernel_shape", w.shape(wt)[2:])
    strides, dils = attrs.get("strides", [1] * nd), attrs.get("dilations", [1] * nd)
    pads = _pads(ctx, attrs, w.shape(x), kernel, strides, dils)
    return [C.conv(w, x, wt, b, strides=strides, pads=pads, dilations=dils, groups=attrs.get("group", 1))]


@handles("MaxPool", "AveragePool")
def _pool(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    nd = len(w.shape(x)) - 2
    kernel = attrs["kernel_shape"]
    strides, dils = attrs.get("strides", [1] * nd), attrs.get("dilations", [1] * nd)
    order = "F" if attrs.get("storage_order", 0) else "C"  # the indices' spatial layout: column-major when 1
    pads = _pads(ctx, attrs, w.shape(x), kernel, strides, dils)
    kind = "max" if node.op_type == "MaxPool" else "avg"
    dt = w.dtype(x)
    if kind == "max" and dt.startswith(("int", "uint")):  # uint8 images: the max of exact float64 values
        if dt in ("int64", "uint64"):
            raise UnsupportedModel(f"MaxPool of {dt} (float64 holds it exactly only below 2^53)")
        xf = w.cast(x, "float64")
        y = C.pool(w, kind, xf, kernel=kernel, strides=strides, pads=pads, dilations=dils,
                   ceil_mode=bool(attrs.get("ceil_mode", 0)))
        wants_indices = len(node.output) > 1 and node.output[1]
        return [w.cast(y, dt)] + ([C.max_pool_indices(w, xf, y, "all", order)] if wants_indices else [])
    y = C.pool(w, kind, x, kernel=kernel, strides=strides, pads=pads, dilations=dils,
               ceil_mode=bool(attrs.get("ceil_mode", 0)), count_include_pad=bool(attrs.get("count_include_pad", 0)))
    if kind == "max" and len(node.output) > 1 and node.output[1]:
        return [y, C.max_pool_indices(w, x, y, "all", order)]
    return [y]


@handles("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(ctx, node, attrs):
    x = ctx.val(node.input[0])
    op = "mean" if node.op_type == "GlobalAveragePool" else "max"
    return [ctx.w.reduce(op, x, list(range(2, len(ctx.w.shape(x)))), keepdims=True)]


@handles("BatchNormalization")
def _batch_norm(ctx, node, attrs):
    x, scale, b, mean, var = [ctx.val(n) for n in node.input[:5]]
    eps = attrs.get("epsilon", 1e-5)
    if not attrs.get("spatial", 1):  # opset 7-8's spatial=0: per-activation statistics of shape [C, D1, ...]
        return [_per_activation_batch_norm(ctx.w, node, x, [scale, b, mean, var], eps)]
    if not attrs.get("training_mode", 0):
        return [C.batch_norm(ctx.w, x, scale, b, mean, var, eps)]
    # opset 14+: the batch's statistics (biased variance), and the running ones as outputs 1 and 2:
    # running * momentum + batch * (1 - momentum), as the spec and onnx.reference say
    w, m = ctx.w, float(attrs.get("momentum", 0.9))
    y = w.emit1("batch_norm", [x, scale, b, mean, var], {"epsilon": float(eps), "training": True},
                w.shape(x), w.dtype(x))
    axes = [a for a in range(len(w.shape(x))) if a != 1]
    bm = w.reduce("mean", x, axes, keepdims=True)
    d = w.sub(x, bm)
    bv = w.reduce("mean", w.mul(d, d), axes, keepdims=False)

    def run(r, batch):
        return w.add(w.mul(r, w.scalar_like(m, r)), w.mul(batch, w.scalar_like(1 - m, batch)))
    return [y, run(mean, w.reshape(bm, [-1])), run(var, bv)]


def _per_activation_batch_norm(w, node, x, stats, eps):
    """(x - mean) * scale / sqrt(var + eps) + B with each statistic of x's shape less the batch axis (onnxruntime's
    reading of spatial=0); other shapes are refused naming the node (the engine's batch_norm takes [C] ones only)."""
    want = list(w.shape(x)[1:])
    bad = [n for n, v in zip(node.input[1:5], stats) if list(w.shape(v)) != want]
    if bad:
        raise UnsupportedModel(f"BatchNormalization {node.name!r} with spatial=0: statistics {bad} are not of the "
                               f"input's per-activation shape {want}")
    scale, b, mean, var = stats
    inv = w.unary("rsqrt", w.add(var, w.scalar_like(eps, var)))
    return w.add(w.mul(w.sub(x, mean), w.mul(scale, inv)), b)


@handles("LayerNormalization")
def _layer_norm(ctx, node, attrs):
    i = _ins(node)
    x, scale = ctx.val(i[0]), ctx.val(i[1])
    b = ctx.val(i[2]) if i[2] else None
    axis, eps = attrs.get("axis", -1), attrs.get("epsilon", 1e-5)
    y = C.layer_norm(ctx.w, x, scale, b, axis, eps)
    if len(node.output) < 2 or not any(node.output[1:]):
        return [y, None, None]
    w = ctx.w  # the optional Mean and InvStdDev outputs: reduced axes kept as 1
    axes = list(range(axis % len(w.shape(x)), len(w.shape(x))))
    mean = w.reduce("mean", x, axes, keepdims=True)
    d = w.sub(x, mean)
    inv = w.unary("rsqrt", w.add(w.reduce("mean", w.mul(d, d), axes, keepdims=True), w.scalar_like(eps, x)))
    return [y, mean, inv]


@handles("Softmax", "LogSoftmax")
def _softmax(ctx, node, attrs):
    x = ctx.val(node.input[0])
    nd = len(ctx.w.shape(x))
    axis = attrs.get("axis", -1 if ctx.opset >= 13 else 1) % nd
    op = "softmax" if node.op_type == "Softmax" else "log_softmax"
    if ctx.opset < 13 and axis != nd - 1:  # before 13: over the axes from `axis` on, flattened into one
        shape = list(ctx.w.shape(x))
        flat = ctx.w.reshape(x, [math.prod(shape[:axis]), math.prod(shape[axis:])])
        return [ctx.w.reshape(ctx.w.softmax(op, flat, 1), shape)]
    return [ctx.w.softmax(op, x, axis)]


@handles(*_REDUCE)
def _reduce(ctx, node, attrs):
    x = ctx.val(node.input[0])
    since = 13 if node.op_type == "ReduceSum" else 18
    axes = _axes_input(ctx, node, attrs, 1, since)
    if axes is None and attrs.get("noop_with_empty_axes", 0):
        return [x]
    w, op, keep = ctx.w, _REDUCE[node.op_type], bool(attrs.get("keepdims", 1))
    if w.dtype(x) == "bool" and op in ("max", "min"):  # any / all (opset 20): through int32, > 0 after
        r = w.reduce(op, w.cast(x, "int32"), axes, keep)
        return [w.binary("greater", r, w.scalar_like(0, r))]
    return [w.reduce(op, x, axes, keepdims=keep)]


# -- shapes ------------------------------------------------------------------------------------------------
@handles("Reshape")
def _reshape(ctx, node, attrs):
    x = ctx.val(node.input[0])
    return [ctx.w.reshape(x, _reshape_target(ctx.w.shape(x), ctx.cval(node.input[1], node).reshape(-1),
                                             attrs.get("allowzero", 0)))]


@handles("Flatten")
def _flatten(ctx, node, attrs):
    x = ctx.val(node.input[0])
    s = ctx.w.shape(x)
    axis = attrs.get("axis", 1)
    axis = axis + len(s) if axis < 0 else axis  # in [-r, r]: -1 keeps the last axis apart
    return [ctx.w.reshape(x, [math.prod(s[:axis]), math.prod(s[axis:])])]


@handles("Unsqueeze", "Squeeze")
def _squeeze(ctx, node, attrs):
    x = ctx.val(node.input[0])
    axes = _axes_input(ctx, node, attrs, 1, 13)
    s = ctx.w.shape(x)
    shape = _unsqueeze_shape(s, axes) if node.op_type == "Unsqueeze" else _squeeze_shape(s, axes)
    return [ctx.w.reshape(x, shape)]


@handles("Transpose")
def _transpose(ctx, node, attrs):
    x = ctx.val(node.input[0])
    return [ctx.w.transpose(x, attrs.get("perm", list(range(len(ctx.w.shape(x))))[::-1]))]


@handles("Concat")
def _concat(ctx, node, attrs):
    # (an empty slice among the pieces adds nothing: torch.roll by 0 through the TorchScript exporter)
    parts = [n for n in node.input if not (n in ctx.consts and ctx.consts[n].size == 0)]
    if not parts:
        raise UnsupportedModel("every piece is empty (zero-size tensors are not supported)")
    return [ctx.w.concat([ctx.val(n) for n in parts], attrs["axis"])]


@handles("Split")
def _split(ctx, node, attrs):
    x = ctx.val(node.input[0])
    axis = attrs.get("axis", 0)
    return ctx.w.split(x, _split_sizes(ctx, node, attrs, ctx.w.shape(x)[axis]), axis)


@handles("Slice")
def _slice(ctx, node, attrs):
    x = ctx.val(node.input[0])
    if ctx.opset >= 10 and not all(ctx.is_const(n) for n in node.input[1:3]):
        return [dynamic_slice(ctx, node, x)]  # a Loop body's x[i:i+1]
    shape, args = ctx.w.shape(x), _slice_args(ctx, node, attrs)
    if _slice_empty(shape, *args) and all(n is not None and n.op_type == "Concat"
                                                    for n in ctx.graph_consumers(node.output[0])):
        # an empty piece of a concatenation (torch.roll by 0: x[n:] and x[:n]): a zero-size constant the Concat
        # leaves out (the engine has no zero-size tensors)
        ctx.consts[node.output[0]] = np.zeros(_sliced_shape(shape, *args), ctx.w.dtype(x))
        return [None]
    return [ctx.w.index(x, _slice_items(shape, *args))]


def _sliced_shape(shape, starts, ends, axes, steps):
    items = _slice_items(shape, starts, ends, axes, steps, allow_empty=True)
    return [len(range(*slice(*it).indices(d))) for it, d in zip(items, shape)]


def _slice_empty(shape, *args) -> bool:
    return 0 in _sliced_shape(shape, *args)


@handles("Gather")
def _gather(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    axis = attrs.get("axis", 0) % len(w.shape(x))
    n = w.shape(x)[axis]
    if ctx.is_const(node.input[1]):
        idx = ctx.cval(node.input[1], node).astype(np.int64)
        if idx.size and (idx.min() < -n or idx.max() >= n):  # onnxruntime fails it; a modulo would read another
            raise UnsupportedModel(f"op Gather (node {node.name!r}, opset {ctx.opset}): a constant index outside "
                                   f"[-{n}, {n}) along axis {axis}")
        idx = idx % n
        if idx.ndim == 0:
            return [w.index(x, [[0, d, 1] for d in w.shape(x)[:axis]] + [int(idx)])]
        return [w.gather(x, w.const(idx), axis)]
    # checked here so that the error names the ONNX node, not the engine's gather
    return [w.gather(x, C._wrapped(w, ctx.val(node.input[1]), n, f"Gather node {node.name!r}"), axis)]


@handles("Expand")
def _expand(ctx, node, attrs):
    x = ctx.val(node.input[0])
    target = [int(d) for d in ctx.cval(node.input[1], node).reshape(-1)]
    return [ctx.w.broadcast_to(x, np.broadcast_shapes(ctx.w.shape(x), tuple(target)))]


@handles("Tile")
def _tile(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    reps = [int(r) for r in ctx.cval(node.input[1], node).reshape(-1)]
    return [w.emit1("tile", [x], {"reps": reps}, [d * r for d, r in zip(w.shape(x), reps)], w.dtype(x))]


@handles("Pad")
def _pad(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    i = _ins(node)
    nd = len(w.shape(x))
    pads = [int(p) for p in (ctx.cval(i[1], node).reshape(-1) if ctx.opset >= 11 else attrs["pads"])]
    axes = [int(a) % nd for a in ctx.cval(i[3], node).reshape(-1)] if i[3] else list(range(nd))
    value = ctx.cval(i[2], node).reshape(-1)[0] if ctx.opset >= 11 and i[2] else attrs.get("value", 0.0)
    value = int(value) if np.asarray(value).dtype.kind in "iu" else float(value)  # (an integer stays exact)
    full = [(0, 0)] * nd
    for k, a in enumerate(axes):
        full[a] = (pads[k], pads[k + len(axes)])
    return [C.pad(w, x, full, attrs.get("mode", "constant"), value)]


@handles("ConvTranspose")
def _conv_transpose(ctx, node, attrs):
    w = ctx.w
    x, wt = ctx.val(node.input[0]), ctx.val(node.input[1])
    i = _ins(node)
    b = ctx.val(i[2]) if i[2] else None
    nd = len(w.shape(x)) - 2
    strides, dils = attrs.get("strides", [1] * nd), attrs.get("dilations", [1] * nd)
    extra = attrs.get("output_padding", [0] * nd)
    p = list(attrs.get("pads", [0] * 2 * nd))
    pads = [(p[k], p[k + nd]) for k in range(nd)]
    auto = attrs.get("auto_pad", "NOTSET")
    if attrs.get("output_shape") or auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = _conv_transpose_pads(w.shape(x)[2:], w.shape(wt)[2:], strides, dils, extra, auto,
                                    attrs.get("output_shape"))
    elif auto == "VALID":
        pads = [(0, 0)] * nd
    # a negative pad (an output_shape past the natural size) is that many more zero outputs (bias only)
    grow = [(0, 0), (0, 0)] + [(max(-lo, 0), max(-hi, 0)) for lo, hi in pads]
    y = C.conv_transpose(w, x, wt, None, strides=strides, pads=[(max(lo, 0), max(hi, 0)) for lo, hi in pads],
                         dilations=dils, groups=attrs.get("group", 1), output_padding=extra)
    y = C.pad(w, y, grow) if any(g != (0, 0) for g in grow) else y
    return [w.add(y, w.reshape(b, [w.shape(y)[1]] + [1] * nd)) if b is not None else y]


def _conv_transpose_pads(size, kernel, strides, dils, extra, auto: str, output_shape) -> list:
    """The spec's pads for a ConvTranspose's output_shape (default input * strides under SAME_*): the natural
    size less the wanted one, split with the odd one at the end (SAME_UPPER) or at the start (otherwise)."""
    want = list(output_shape)[-len(size):] if output_shape else [n * s for n, s in zip(size, strides)]
    pads = []
    for n, k, s, d, a, o in zip(size, kernel, strides, dils, extra, want):
        total = s * (n - 1) + a + (k - 1) * d + 1 - o
        pads.append((total // 2, total - total // 2) if auto == "SAME_UPPER" else (total - total // 2, total // 2))
    return pads


def _einsum_terms(eq: str, shapes) -> tuple[list[str], str]:
    """The operands' subscripts and the output's, '...' spelled out in unused letters and an implicit
    output ('ij,jk': the letters used once, sorted, after the ellipsis) made explicit."""
    lhs, arrow, out = eq.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise UnsupportedModel(f"einsum {eq!r} names {len(terms)} operands, got {len(shapes)}")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in eq]
    n_ell = max([len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t], default=0)
    ell = "".join(free[:n_ell])
    terms = [t.replace("...", ell[n_ell - (len(s) - len(t.replace("...", ""))):]) for t, s in zip(terms, shapes)]
    if not arrow:
        counts = "".join(terms)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    return terms, out.replace("...", ell)


def _einsum_shape(eq: str, terms: list[str], out: str, shapes) -> list[int]:
    dims: dict[str, int] = {}
    for term, shape in zip(terms, shapes):
        if len(term) != len(shape):
            raise UnsupportedModel(f"einsum {eq!r}: {term!r} for an operand of shape {list(shape)}")
        for c, d in zip(term, shape):
            if dims.setdefault(c, d) != d:
                raise UnsupportedModel(f"einsum {eq!r}: index {c} is {dims[c]} and {d}")
    return [dims[c] for c in out]


def _einsum_diagonals(w, x: str, term: str) -> tuple[str, str]:
    """An operand with a letter repeated ('ii', 'bii'): its diagonal taken until each letter is once."""
    while len(set(term)) < len(term):
        c = next(c for c in term if term.count(c) > 1)
        i = term.index(c)
        j = term.index(c, i + 1)
        x = C.diagonal(w, x, 0, i, j)
        term = "".join(ch for k, ch in enumerate(term) if k not in (i, j)) + c
    return x, term


@handles("Einsum")
def _einsum(ctx, node, attrs):
    w = ctx.w
    xs = [ctx.val(n) for n in node.input]
    eq = attrs["equation"]
    eq = eq.decode() if isinstance(eq, bytes) else eq
    terms, out = _einsum_terms(eq, [w.shape(v) for v in xs])
    shape = _einsum_shape(eq, terms, out, [w.shape(v) for v in xs])
    xs, terms = map(list, zip(*[_einsum_diagonals(w, x, t) for x, t in zip(xs, terms)]))
    explicit = ",".join(terms) + "->" + out
    if len(xs) == 1 and terms[0] == out:
        return [xs[0]]
    return [w.emit1("einsum", xs, {"equation": explicit}, shape, w.dtype(xs[0]))]


@handles("CumSum", "CumProd")
def _cumsum(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    axis = int(ctx.cval(node.input[1], node).reshape(-1)[0]) % len(w.shape(x))
    return [w.emit1(node.op_type.lower(), [x], {"axis": axis, "exclusive": bool(attrs.get("exclusive", 0)),
                                    "reverse": bool(attrs.get("reverse", 0))}, w.shape(x), w.dtype(x))]


@handles("TopK")
def _top_k(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    k = int(ctx.cval(node.input[1], node).reshape(-1)[0])
    axis = attrs.get("axis", -1) % len(w.shape(x))
    if not attrs.get("sorted", 1):
        raise UnsupportedModel("TopK sorted=0")
    shape = list(w.shape(x))
    shape[axis] = k
    return w.emit("top_k", [x], {"k": k, "axis": axis, "largest": bool(attrs.get("largest", 1))},
                  [(shape, w.dtype(x)), (shape, "int64")])


@handles("ArgMax", "ArgMin")
def _arg(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    axis = attrs.get("axis", 0) % len(w.shape(x))
    keep = bool(attrs.get("keepdims", 1))
    shape = [1 if i == axis else d for i, d in enumerate(w.shape(x)) if keep or i != axis]
    last = attrs.get("select_last_index", 0)  # the last of tied extremes: the first along the flipped axis
    src = w.emit1("flip", [x], {"axis": [axis]}, w.shape(x), w.dtype(x)) if last else x
    idx = w.emit1(node.op_type.lower(), [src], {"axis": axis, "keepdims": keep}, shape, "int64")
    return [w.sub(w.const(np.asarray(w.shape(x)[axis] - 1, np.int64)), idx) if last else idx]
