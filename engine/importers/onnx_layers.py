"""ONNX rules for the layer families beyond the core set (onnx_ops.py): the activations exporters
emit as single ops, instance / group normalisation, GatherElements, the norm reductions, Resize.
Importing this module registers them in onnx_ops.HANDLERS."""
from __future__ import annotations

import math
import re

import numpy as np

from . import composites as C
from .graph_writer import UnsupportedModel
from .onnx_ops import _axes_input, _ins, _pads, handles

_SELU = (1.67326319217681884765625, 1.05070102214813232421875)  # ONNX's float32 defaults


@handles("Elu", "Selu", "Celu")
def _elu(ctx, node, attrs):
    x = ctx.val(node.input[0])
    if node.op_type == "Elu":
        return [C.elu(ctx.w, x, attrs.get("alpha", 1.0))]
    if node.op_type == "Selu":
        return [C.elu(ctx.w, x, attrs.get("alpha", _SELU[0]), attrs.get("gamma", _SELU[1]))]
    alpha = attrs.get("alpha", 1.0)
    return [C.elu(ctx.w, x, alpha, 1.0, 1.0 / alpha)]


@handles("HardSigmoid")
def _hard_sigmoid(ctx, node, attrs):
    return [C.hard_sigmoid(ctx.w, ctx.val(node.input[0]), attrs.get("alpha", 0.2), attrs.get("beta", 0.5))]


@handles("HardSwish")
def _hard_swish(ctx, node, attrs):
    return [C.hard_swish(ctx.w, ctx.val(node.input[0]))]


@handles("Mish")
def _mish(ctx, node, attrs):
    return [C.mish(ctx.w, ctx.val(node.input[0]))]


@handles("Softsign")
def _softsign(ctx, node, attrs):
    w, x = ctx.w, ctx.val(node.input[0])
    return [w.div(x, w.add(w.unary("abs", x), w.scalar_like(1.0, x)))]


@handles("ThresholdedRelu")
def _thresholded_relu(ctx, node, attrs):
    w, x = ctx.w, ctx.val(node.input[0])
    return [w.where(w.binary("greater", x, w.scalar_like(attrs.get("alpha", 1.0), x)), x, w.scalar_like(0.0, x))]


@handles("PRelu")
def _prelu(ctx, node, attrs):
    w = ctx.w
    x, slope = ctx.val(node.input[0]), ctx.val(node.input[1])
    sx, ss = w.shape(x), w.shape(slope)
    if ctx.opset < 7 and len(ss) == 1 and len(sx) > 2 and ss[0] == sx[1] > 1:  # before opset 7: one per channel
        slope = w.reshape(slope, [ss[0]] + [1] * (len(sx) - 2))
    return [w.where(w.binary("greater", x, w.scalar_like(0.0, x)), x, w.mul(x, slope))]


@handles("InstanceNormalization")
def _instance_norm(ctx, node, attrs):
    x, scale, b = [ctx.val(n) for n in node.input[:3]]
    return [C.instance_norm(ctx.w, x, scale, b, attrs.get("epsilon", 1e-5))]


@handles("GroupNormalization")
def _group_norm(ctx, node, attrs):
    """Opset 18 gives scale and bias per group, opset 21 per channel."""
    w = ctx.w
    x, scale, b = [ctx.val(n) for n in node.input[:3]]
    groups, ch = int(attrs["num_groups"]), w.shape(x)[1]
    if w.shape(scale)[0] != ch:
        per_channel = w.const(np.repeat(np.arange(groups), ch // groups))
        scale, b = w.gather(scale, per_channel, 0), w.gather(b, per_channel, 0)
    return [w.emit1("group_norm", [x, scale, b], {"num_groups": groups, "epsilon": float(attrs.get("epsilon", 1e-5))},
                    w.shape(x), w.dtype(x))]


@handles("GatherElements")
def _gather_elements(ctx, node, attrs):
    w, x = ctx.w, ctx.val(node.input[0])
    axis = attrs.get("axis", 0) % len(w.shape(x))
    idx = C._wrapped(w, ctx.val(node.input[1]), w.shape(x)[axis], f"GatherElements node {node.name!r}")
    return [C.take_along(w, x, idx, axis)]


@handles("ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum")
def _norm_reduce(ctx, node, attrs):
    w, x = ctx.w, ctx.val(node.input[0])
    axes = _axes_input(ctx, node, attrs, 1, 18)
    if axes is None and attrs.get("noop_with_empty_axes", 0):
        axes = []  # a reduction over no axes (NumPy's axis=()): |x|, x * x, log x element-wise
    keep = bool(attrs.get("keepdims", 1))
    op = node.op_type
    if op == "ReduceSumSquare":
        return [w.reduce("sum", w.mul(x, x), axes, keep)]
    if op == "ReduceLogSum":
        return [w.unary("log", w.reduce("sum", x, axes, keep))]
    return [C.vector_norm(w, x, 1.0 if op == "ReduceL1" else 2.0, axes, keep)]


_ROUND = {"round_prefer_floor": lambda c: np.ceil(c - 0.5), "round_prefer_ceil": lambda c: np.floor(c + 0.5),
          "floor": np.floor, "ceil": np.ceil}


@handles("Resize")
def _resize(ctx, node, attrs):
    """Nearest, linear and cubic resizing (antialiased too) of static shapes, one constant matrix per resized axis."""
    w, i = ctx.w, _ins(node)
    x = ctx.val(i[0])
    shape = w.shape(x)
    mode = attrs.get("mode", "nearest")
    policy = attrs.get("keep_aspect_ratio_policy", "stretch")
    if policy not in ("stretch", "not_larger", "not_smaller"):
        raise UnsupportedModel(f"Resize keep_aspect_ratio_policy={policy!r} (known: stretch, not_larger, not_smaller)")
    if mode not in ("nearest", "linear", "cubic"):
        raise UnsupportedModel(f"Resize mode {mode!r} (known: nearest, linear, cubic)")
    nearest = _ROUND.get(attrs.get("nearest_mode", "round_prefer_floor"))
    if nearest is None:
        raise UnsupportedModel(f"Resize nearest_mode {attrs['nearest_mode']!r}")
    axes = [int(a) % len(shape) for a in attrs.get("axes", range(len(shape)))]
    scales_in, sizes_in = (i[1], "") if ctx.opset < 11 else (i[2], i[3])
    scales = ctx.cval(scales_in, node).reshape(-1) if scales_in else np.zeros(0)
    if scales.size:
        scales = [float(s) for s in scales]
        sizes = [int(math.floor(shape[a] * s)) for a, s in zip(axes, scales)]
    else:
        sizes = [int(s) for s in ctx.cval(sizes_in, node).reshape(-1)]
        scales = [o / shape[a] for a, o in zip(axes, sizes)]
        if policy != "stretch":  # one scale for all axes, the sizes' smallest or largest; sizes rounded half up
            r = (min if policy == "not_larger" else max)(scales)
            scales, sizes = [r] * len(axes), [int(r * shape[a] + 0.5) for a in axes]
    how = attrs.get("coordinate_transformation_mode", "half_pixel" if ctx.opset >= 11 else "asymmetric")
    cubic = {"cubic_a": attrs.get("cubic_coeff_a", -0.75), "exclude_outside": bool(attrs.get("exclude_outside", 0))}
    antialias = bool(attrs.get("antialias", 0))  # the spec filters linear and cubic only: nearest ignores it
    if how == "tf_crop_and_resize":
        return [_crop_and_resize(ctx, node, attrs, x, dict(zip(axes, sizes)), mode, nearest, cubic)]
    mats = {a: C.resize_matrix(shape[a], o, C.resize_coords(shape[a], o, s, how, shape[a] * s), mode, nearest,
                               antialias_scale=s if antialias else None, **cubic)
            for a, o, s in zip(axes, sizes, scales) if not (o == shape[a] and s == 1.0)}  # identity axes stay
    return [C.resize(w, x, mats)]


def _crop_and_resize(ctx, node, attrs, x: str, sizes: dict, mode: str, nearest, cubic: dict) -> str:
    """Resize's tf_crop_and_resize: output i of an axis of n inputs reads start (n - 1) + i (end - start)
    (n - 1) / (out - 1) (roi's start / end for that axis); an output reading outside [0, n - 1] on any axis is
    extrapolation_value (its row of the axis's matrix zero, the value added where it lies outside)."""
    w, shape = ctx.w, ctx.w.shape(x)
    roi = ctx.cval(_ins(node)[1], node).reshape(-1).astype(np.float64) if _ins(node)[1] else np.zeros(0)
    axes = list(sizes)
    if roi.size == 2 * len(shape) and len(axes) < len(shape):  # a roi for every axis, axes naming some
        roi = np.concatenate([roi[axes], roi[[len(shape) + a for a in axes]]])
    if roi.size != 2 * len(axes) or attrs.get("antialias", 0):
        raise UnsupportedModel(f"Resize node {node.name!r} (tf_crop_and_resize): roi of {roi.size} values for "
                               f"{len(axes)} resized axes{' with antialias' if attrs.get('antialias', 0) else ''}")
    mats, inside = {}, np.ones([1] * len(shape), bool)
    for k, (a, o) in enumerate(sizes.items()):
        n, start, end = shape[a], roi[k], roi[len(axes) + k]
        coords = start * (n - 1) + np.arange(o) * (end - start) * (n - 1) / (o - 1) if o > 1 else \
            np.full(o, 0.5 * (start + end) * (n - 1))
        ok = (coords >= 0) & (coords <= n - 1)
        mats[a] = C.resize_matrix(n, o, coords, mode, nearest, **cubic) * ok[:, None]
        inside = inside & ok.reshape([-1 if d == a else 1 for d in range(len(shape))])
    y = C.resize(w, x, mats)
    fill = float(attrs.get("extrapolation_value", 0.0))
    if fill != 0.0 and not inside.all():
        y = w.add(y, w.const(np.where(inside, 0.0, fill).astype(w.dtype(x))))
    return y


@handles("Upsample")
def _upsample(ctx, node, attrs):
    """Upsample (opsets 7-9, deprecated): Resize with asymmetric coordinates; scales an input since 9."""
    w, x = ctx.w, ctx.val(node.input[0])
    shape = w.shape(x)
    scales = [float(s) for s in (ctx.cval(node.input[1], node).reshape(-1) if len(node.input) > 1
                                 else attrs.get("scales", []))]
    mode = attrs.get("mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if len(scales) != len(shape) or mode not in ("nearest", "linear", "bilinear"):
        raise UnsupportedModel(f"Upsample mode {mode!r} with scales {scales} for a rank-{len(shape)} input")
    mats = {a: C.resize_matrix(n, int(math.floor(n * s)), C.resize_coords(n, int(math.floor(n * s)), s, "asymmetric"),
                               "nearest" if mode == "nearest" else "linear")
            for a, (n, s) in enumerate(zip(shape, scales)) if s != 1.0}
    return [C.resize(w, x, mats)]


@handles("GatherND")
def _gather_nd(ctx, node, attrs):
    return [C.gather_nd(ctx.w, ctx.val(node.input[0]), ctx.val(node.input[1]), int(attrs.get("batch_dims", 0)),
                        f"GatherND node {node.name!r}")]


@handles("SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss")
def _nll(ctx, node, attrs):
    """Outputs: the loss and (SoftmaxCrossEntropyLoss) the log-probabilities."""
    w, i = ctx.w, _ins(node)
    x, labels = ctx.val(i[0]), ctx.val(i[1])
    if not w.dtype(labels).startswith(("int", "uint")):
        raise UnsupportedModel(f"{node.op_type} labels {i[1]!r} are {w.dtype(labels)}: the op takes class indices "
                               "(probability targets are not an ONNX loss; torch's dynamo exporter emits them so)")
    _refuse_dropped_label_smoothing(node)
    weight = ctx.val(i[2]) if i[2] else None
    red = attrs.get("reduction", "mean")
    red = red.decode() if isinstance(red, bytes) else red
    logp = w.softmax("log_softmax", x, 1) if node.op_type == "SoftmaxCrossEntropyLoss" else x
    return [C.nll_loss(w, logp, labels, weight, attrs.get("ignore_index"), red), logp]


_CE_ARGS = re.compile(r"aten\.cross_entropy_loss\.default\]\(args = \(([^()]*)\), kwargs = \{([^{}]*)\}")


def _refuse_dropped_label_smoothing(node) -> None:
    """torch's dynamo exporter writes F.cross_entropy(..., label_smoothing=s) as a plain SoftmaxCrossEntropyLoss
    (ONNX's has no smoothing): the file's loss is not the model's. Its node metadata keeps the ATen call
    (`pkg.torch.onnx.fx_node`: self, target, weight, reduction, ignore_index, label_smoothing), so say so."""
    for prop in node.metadata_props:
        m = _CE_ARGS.search(prop.value) if prop.key == "pkg.torch.onnx.fx_node" else None
        if m is None:
            continue
        args = [a.strip() for a in m.group(1).split(",")]
        kw = re.search(r"label_smoothing: ([-0-9.e+]+)", m.group(2))
        smoothing = float(kw.group(1)) if kw else float(args[5]) if len(args) > 5 else 0.0
        if smoothing:
            raise UnsupportedModel(
                f"{node.op_type} node {node.name!r} is torch's cross_entropy with label_smoothing={smoothing:g} (its "
                "pkg.torch.onnx.fx_node metadata), which the dynamo exporter dropped: the file computes the loss "
                "without it. Import the model with from_torch (torch.export keeps it), or export the logits and apply "
                "gradserve's ops.cross_entropy(..., label_smoothing=...) to them")


@handles("DepthToSpace")
def _depth_to_space(ctx, node, attrs):
    return [C.depth_to_space(ctx.w, ctx.val(node.input[0]), int(attrs["blocksize"]), attrs.get("mode", "DCR"))]


@handles("SpaceToDepth")
def _space_to_depth(ctx, node, attrs):
    """[N, C, H, W] -> [N, C * b * b, H / b, W / b]: mode DCR (the default) puts the block offsets before
    the channels (torch's pixel_unshuffle's order is CRD's: the channel first; opset 28's `mode`)."""
    w, x, b = ctx.w, ctx.val(node.input[0]), int(attrs["blocksize"])
    n, c, h, wd = w.shape(x)
    if h % b or wd % b:
        raise UnsupportedModel(f"SpaceToDepth of spatial size {[h, wd]} by blocksize {b} (must divide)")
    perm = {"DCR": [0, 3, 5, 1, 2, 4], "CRD": [0, 1, 3, 5, 2, 4]}.get(attrs.get("mode", "DCR"))
    if perm is None:
        raise UnsupportedModel(f"SpaceToDepth mode={attrs['mode']!r} (known: DCR, CRD)")
    y = w.transpose(w.reshape(x, [n, c, h // b, b, wd // b, b]), perm)
    return [w.reshape(y, [n, c * b * b, h // b, wd // b])]


@handles("Trilu")
def _trilu(ctx, node, attrs):
    """Upper / lower triangle of the last two axes (diagonal offset k): a constant mask."""
    w, i = ctx.w, _ins(node)
    x = ctx.val(i[0])
    k = int(ctx.cval(i[1], node).reshape(-1)[0]) if i[1] else 0
    r, c = w.shape(x)[-2:]
    keep = (np.triu if attrs.get("upper", 1) else np.tril)(np.ones((r, c), bool), k)
    return [w.where(w.const(keep), x, w.scalar_like(0, x))]


@handles("IsNaN", "IsInf")
def _is_nan_inf(ctx, node, attrs):
    w, x = ctx.w, ctx.val(node.input[0])
    if node.op_type == "IsNaN":
        return [w.binary("not_equal", x, x)]
    return [C.is_inf(w, x, bool(attrs.get("detect_positive", 1)), bool(attrs.get("detect_negative", 1)))]


@handles("ScatterElements")
def _scatter_elements(ctx, node, attrs):
    x, idx, upd = [ctx.val(n) for n in node.input[:3]]
    red = attrs.get("reduction", "none")
    if red in ("max", "min", "mul"):  # opset 16 / 18
        return [C.scatter_reduce_along(ctx.w, x, idx, upd, attrs.get("axis", 0), red, include_self=True,
                                       what=f"ScatterElements node {node.name!r}")]
    if red == "none":
        _refuse_repeated_writes(ctx, node, _element_positions(ctx, node, attrs.get("axis", 0)))
    mode = {"none": "set", "add": "add"}.get(red, red)
    return [C.scatter_along(ctx.w, x, idx, upd, attrs.get("axis", 0), mode, what=f"ScatterElements node {node.name!r}")]


@handles("ScatterND")
def _scatter_nd(ctx, node, attrs):
    """data with updates written (or added, multiplied, maxed, minned: opsets 16 / 18) at the index tuples:
    the positions are GatherND of data's own flat positions, so the placement is GatherND's."""
    w = ctx.w
    x, idx, upd = [ctx.val(n) for n in node.input[:3]]
    red = attrs.get("reduction", "none")
    red = red.decode() if isinstance(red, bytes) else red
    if red not in ("none", "add", "mul", "max", "min"):
        raise UnsupportedModel(f"ScatterND reduction {red!r} (known: none, add, mul, max, min)")
    if red == "none" and ctx.is_const(node.input[1]):
        shape = list(w.shape(x))
        at = ctx.cval(node.input[1], node).astype(np.int64)
        at = np.where(at < 0, at + np.asarray(shape[:at.shape[-1]]), at)
        _refuse_repeated_writes(ctx, node, np.ravel_multi_index(tuple(np.moveaxis(at, -1, 0)),
                                                                 shape[:at.shape[-1]], mode="clip").reshape(-1))
    pos = C.gather_nd(w, C.iota_like(w, x), idx, what=f"ScatterND node {node.name!r}")
    if list(w.shape(pos)) != list(w.shape(upd)):
        raise UnsupportedModel(f"ScatterND updates of shape {list(w.shape(upd))} for indices {list(w.shape(idx))} "
                               f"into data {list(w.shape(x))} (want {list(w.shape(pos))})")
    return [C.put_positions(w, x, upd, pos, "set" if red == "none" else red)]


def _element_positions(ctx, node, axis: int):
    """ScatterElements' flat target positions when its indices are a constant, else None."""
    if not ctx.is_const(node.input[1]):
        return None
    idx = ctx.cval(node.input[1], node).astype(np.int64)
    shape = list(ctx.w.shape(ctx.val(node.input[0])))
    axis %= len(shape)
    if idx.ndim != len(shape):
        return None  # the importer's own shape check names it
    at = list(np.indices(idx.shape))
    at[axis] = np.where(idx < 0, idx + shape[axis], idx)
    return np.ravel_multi_index(tuple(at), shape, mode="clip").reshape(-1)


def _refuse_repeated_writes(ctx, node, flat) -> None:
    """A write (reduction none) of data to a position named twice by constant indices: ONNX leaves the
    result undefined (onnxruntime keeps one write). torch.onnx's exporters write index_add, index_put(
    accumulate=True) and scatter_reduce(mean) over repeated indices this way, meaning a sum or mean, so no
    choice of ours is the model's: refused, where the positions are known at import."""
    if flat is None or ctx.is_const(node.input[2]) or len(np.unique(flat)) == len(flat):
        return
    raise UnsupportedModel(
        f"op {node.op_type} (node {node.name!r}, opset {ctx.opset}): reduction 'none' with repeated indices: "
        "ONNX leaves repeated writes undefined, and torch.onnx's exporters write index_add / index_put(accumulate)"
        " / scatter_reduce(mean) over repeated indices this way (meaning their sum or mean); import the torch "
        "model with from_torch (torch.export), or export it with reduction='add'",
        op=node.op_type, node=node.name, version=ctx.opset)


@handles("Hardmax")
def _hardmax(ctx, node, attrs):
    """1 at the first maximum along `axis`, else 0 (opset 13; before, the axis flattens): zero derivative."""
    w, x = ctx.w, ctx.val(node.input[0])
    shape = list(w.shape(x))
    axis = attrs.get("axis", -1 if ctx.opset >= 13 else 1) % len(shape)
    flat = w.reshape(x, [math.prod(shape[:axis]), math.prod(shape[axis:])]) if ctx.opset < 13 else x
    ax = 1 if ctx.opset < 13 else axis
    fshape = list(w.shape(flat))
    am = w.emit1("argmax", [flat], {"axis": ax, "keepdims": True}, [1 if k == ax else d for k, d in enumerate(fshape)],
                 "int64")
    pos = w.const(np.arange(fshape[ax]).reshape([-1 if k == ax else 1 for k in range(len(fshape))]))
    one = w.where(w.binary("equal", am, pos), w.scalar_like(1, x), w.scalar_like(0, x))
    return [w.reshape(w.broadcast_to(one, fshape), shape)]


@handles("LpNormalization")
def _lp_normalization(ctx, node, attrs):
    w, x = ctx.w, ctx.val(node.input[0])
    p = int(attrs.get("p", 2))
    if p not in (1, 2):
        raise UnsupportedModel(f"LpNormalization p={p} (known: 1, 2)")
    norm = C.vector_norm(w, x, float(p), [attrs.get("axis", -1)], True)
    zero = w.binary("equal", norm, w.scalar_like(0, norm))  # 0 / 0 is 0 (the spec, opset 22)
    safe = w.where(zero, w.scalar_like(1, norm), norm)
    return [w.where(zero, w.scalar_like(0, x), w.div(x, safe))]


@handles("MeanVarianceNormalization")
def _mvn(ctx, node, attrs):
    """(x - mean) / (sqrt(mean of squared deviations) + 1e-9) over `axes` (ONNX's function body)."""
    w, x = ctx.w, ctx.val(node.input[0])
    axes = list(attrs.get("axes", [0, 2, 3]))
    d = w.sub(x, w.reduce("mean", x, axes, keepdims=True))
    sd = w.unary("sqrt", w.reduce("mean", w.mul(d, d), axes, keepdims=True))
    return [w.div(d, w.add(sd, w.scalar_like(1e-9, x)))]


@handles("LRN")
def _lrn(ctx, node, attrs):
    """x / (bias + alpha / size * sum of x^2 over the `size` channels around)^beta."""
    w, x = ctx.w, ctx.val(node.input[0])
    size, shape = int(attrs["size"]), list(w.shape(x))
    alpha, beta, bias = attrs.get("alpha", 1e-4), attrs.get("beta", 0.75), attrs.get("bias", 1.0)
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = C.pad(w, w.mul(x, x), [(0, 0), (lo, hi)] + [(0, 0)] * (len(shape) - 2))
    total = None
    for k in range(size):
        part = w.index(sq, [[0, shape[0], 1], [k, k + shape[1], 1]] + [[0, d, 1] for d in shape[2:]])
        total = part if total is None else w.add(total, part)
    den = w.add(w.scalar_like(bias, x), w.mul(total, w.scalar_like(alpha / size, x)))
    return [w.div(x, w.binary("pow", den, w.scalar_like(beta, x)))]


@handles("Range")
def _range(ctx, node, attrs):
    """Constant bounds only (a data-dependent length has no static shape)."""
    start, limit, delta = [ctx.cval(n, node).reshape(()) for n in node.input[:3]]
    return [ctx.w.const(np.arange(start, limit, delta, dtype=start.dtype))]


@handles("OneHot")
def _one_hot(ctx, node, attrs):
    """values[1] where the index (negative: from the end) equals the position along `axis`, else values[0]."""
    w = ctx.w
    idx = ctx.val(node.input[0])
    depth = int(ctx.cval(node.input[1], node).reshape(-1)[0])
    values = ctx.val(node.input[2])
    si = list(w.shape(idx))
    axis = attrs.get("axis", -1) % (len(si) + 1)
    i = C._wrapped(w, idx, depth)
    i = w.reshape(i, si[:axis] + [1] + si[axis:])
    pos = w.const(np.arange(depth).reshape([-1 if k == axis else 1 for k in range(len(si) + 1)]))
    off, on = w.index(values, [0]), w.index(values, [1])
    return [w.where(w.binary("equal", i, pos), on, off)]


@handles("GridSample")
def _grid_sample(ctx, node, attrs):
    """Opset 16 names the modes bilinear / bicubic, opset 20 linear / cubic."""
    mode = attrs.get("mode", "bilinear" if ctx.opset < 20 else "linear")
    mode = {"linear": "bilinear", "cubic": "bicubic"}.get(mode, mode)
    return [C.grid_sample(ctx.w, ctx.val(node.input[0]), ctx.val(node.input[1]), mode,
                          attrs.get("padding_mode", "zeros"), bool(attrs.get("align_corners", 0)))]


@handles("AffineGrid")
def _affine_grid(ctx, node, attrs):
    """AffineGrid (opset 20, torch's F.affine_grid): theta [N, k, k + 1] times the homogeneous base grid of
    size [N, C, (D,) H, W] (a constant), giving [N, (D,) H, W, k] in (x, y, (z)) order. The base coordinates
    are -1 + (2 i + 1) / n, or -1 + 2 i / (n - 1) with align_corners."""
    w = ctx.w
    theta = ctx.val(node.input[0])
    size = [int(d) for d in ctx.cval(node.input[1], node).reshape(-1)]
    spatial, k = size[2:], len(size) - 2
    if k not in (2, 3) or list(w.shape(theta)) != [size[0], k, k + 1]:
        raise UnsupportedModel(f"AffineGrid of theta {list(w.shape(theta))} for size {size}")
    axes = [np.linspace(-1.0, 1.0, n) if attrs.get("align_corners", 0) else -1.0 + (2 * np.arange(n) + 1) / n
            for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # per spatial axis (D,) H, W; the grid lists x (W) first
    base = np.stack([m.reshape(-1) for m in mesh[::-1]] + [np.ones(math.prod(spatial))], 1)
    base = w.broadcast_to(w.const(base.astype(w.dtype(theta))), [size[0], math.prod(spatial), k + 1])
    return [w.reshape(w.matmul(base, w.transpose(theta, [0, 2, 1])), [size[0], *spatial, k])]


@handles("Col2Im")
def _col2im(ctx, node, attrs):
    """Col2Im (opset 18, torch's nn.Fold): [N, C * prod(block), L] -> [N, C, *image_shape], overlapping
    window elements summed: the engine's col2im, the columns read as [N, C, prod(block), *blocks]."""
    w = ctx.w
    x = ctx.val(node.input[0])
    image = [int(d) for d in ctx.cval(node.input[1], node).reshape(-1)]
    block = [int(d) for d in ctx.cval(node.input[2], node).reshape(-1)]
    nd = len(image)
    dil, strides = list(attrs.get("dilations", [1] * nd)), list(attrs.get("strides", [1] * nd))
    p = list(attrs.get("pads", [0] * 2 * nd))
    pads = [(p[i], p[i + nd]) for i in range(nd)]
    blocks = [(s + lo + hi - d * (k - 1) - 1) // st + 1 for s, (lo, hi), d, k, st in zip(image, pads, dil, block, strides)]
    n, ck, length = w.shape(x)
    k = math.prod(block)
    if ck % k or length != math.prod(blocks):
        raise UnsupportedModel(f"Col2Im input {[n, ck, length]} does not fit image {image}, block {block}: "
                               f"needs [N, C * {k}, {math.prod(blocks)}]")
    cols = w.reshape(x, [n, ck // k, k] + blocks)
    return [w.emit1("col2im", [cols], {"shape": image, "window": block, "strides": strides,
                                       "padding": [list(q) for q in pads], "dilation": dil},
                    [n, ck // k] + image, w.dtype(x))]


@handles("LpPool", "GlobalLpPool")
def _lp_pool(ctx, node, attrs):
    """(sum over the window of |x|^p)^(1/p): the window sum is the average pool (pads counted, as zeros; dilated
    windows too) times the window size; ceil_mode (windows of other sizes at the edge) is refused."""
    w, x = ctx.w, ctx.val(node.input[0])
    p = float(attrs.get("p", 2))
    xp = w.mul(x, x) if p == 2 else w.binary("pow", w.unary("abs", x), w.scalar_like(p, x))
    nd = len(w.shape(x)) - 2
    if node.op_type == "GlobalLpPool":
        s = w.reduce("sum", xp, list(range(2, nd + 2)), keepdims=True)
    else:
        kernel, strides = attrs["kernel_shape"], attrs.get("strides", [1] * nd)
        dils = list(attrs.get("dilations", [1] * nd))
        if attrs.get("ceil_mode", 0):
            raise UnsupportedModel(f"LpPool node {node.name!r} with ceil_mode")
        pads = _pads(ctx, attrs, w.shape(x), kernel, strides, dils)
        avg = C.pool(w, "avg", xp, kernel=kernel, strides=strides, pads=pads, dilations=dils,
                     ceil_mode=False, count_include_pad=True)
        s = w.mul(avg, w.scalar_like(math.prod(kernel), avg))
    return [w.unary("sqrt", s) if p == 2 else w.binary("pow", s, w.scalar_like(1.0 / p, s))]


@handles("CenterCropPad")
def _center_crop_pad(ctx, node, attrs):
    """Each named axis cropped or zero-padded to its target size about the centre (the odd unit on the
    high side): one pad with negative amounts where it crops."""
    w, x = ctx.w, ctx.val(node.input[0])
    shape = list(w.shape(x))
    sizes = [int(s) for s in ctx.cval(node.input[1], node).reshape(-1)]
    axes = [int(a) % len(shape) for a in attrs.get("axes", range(len(shape)))]
    if len(sizes) != len(axes):
        raise UnsupportedModel(f"CenterCropPad: {len(sizes)} target sizes for {len(axes)} axes")
    pads = [(0, 0)] * len(shape)
    for a, s in zip(axes, sizes):
        diff = abs(s - shape[a])
        lo, hi = diff // 2, diff - diff // 2
        pads[a] = (lo, hi) if s > shape[a] else (-lo, -hi)
    return [C.pad(w, x, pads)]
