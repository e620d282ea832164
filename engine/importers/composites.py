"""Layers as the engine's ops (conv, max_pool, avg_pool, pad, batch_norm, layer_norm, gelu, ...),
with the geometry the frameworks use: padding [(lo, hi), ...], ceil_mode, count_include_pad.

What the ops do not say directly is written here once for every importer: ceil-mode pooling
(extra high padding; for averages a static divisor), ONNX's/PyTorch's defaults.
"""
from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from .graph_writer import GraphWriter, UnsupportedModel


def out_size(size, k, stride, dil, lo, hi, ceil=False):
    span = dil * (k - 1) + 1
    n = size + lo + hi - span
    out = (-(-n // stride) if ceil else n // stride) + 1
    if ceil and (out - 1) * stride >= size + lo:  # the last window must start inside input or low padding
        out -= 1
    return max(out, 0)


def _check(nd, name, vals):
    vals = [int(v) for v in vals]
    if len(vals) != nd:
        raise UnsupportedModel(f"{name} has {len(vals)} entries for {nd} spatial dims")
    return vals


def _pads(pads):
    pads = [[int(lo), int(hi)] for lo, hi in pads]
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        raise UnsupportedModel(f"negative padding {pads} is not supported here")
    return pads


def pad(w: GraphWriter, x: str, pads, mode: str = "constant", value: float = 0.0) -> str:
    """Pad every axis by pads [(lo, hi), ...] (negative crops); mode constant / reflect / edge / wrap."""
    if not any(lo or hi for lo, hi in pads):
        return x
    if mode == "wrap":  # circular (ONNX Pad 19, torch's padding_mode="circular"): padded j reads x[(j - lo) mod n]
        for axis, ((lo, hi), n) in enumerate(zip(pads, w.shape(x))):
            if lo or hi:
                x = w.gather(x, w.const(np.arange(-int(lo), n + int(hi), dtype=np.int64) % n), axis)
        return x
    if mode not in ("constant", "reflect", "edge"):
        raise UnsupportedModel(f"pad mode {mode!r} (known: constant, reflect, edge, wrap)")
    if mode == "constant" and isinstance(value, int) and abs(value) >= 2 ** 53 and np.dtype(w.dtype(x)).kind in "iu":
        # the pad op's value is a float: pad x - value with 0 and add value back (wrapping, so exact)
        v = w.scalar_like(value, x)
        return w.add(pad(w, w.sub(x, v), pads, mode, 0), v)
    shape = [d + lo + hi for d, (lo, hi) in zip(w.shape(x), pads)]
    return w.emit1("pad", [x], {"pads": [[int(lo), int(hi)] for lo, hi in pads], "mode": mode, "value": float(value)},
                   shape, w.dtype(x))


def conv(w: GraphWriter, x: str, weight: str, bias: str | None, *, strides, pads, dilations, groups: int) -> str:
    shape, wshape = w.shape(x), w.shape(weight)
    nd = len(shape) - 2
    if nd < 1 or len(wshape) != nd + 2:
        raise UnsupportedModel(f"convolution of input {list(shape)} with weight {list(wshape)}")
    strides, dilations, pads = _check(nd, "strides", strides), _check(nd, "dilations", dilations), _pads(pads)
    out = [out_size(s, k, st, d, lo, hi) for s, k, st, d, (lo, hi) in zip(shape[2:], wshape[2:], strides, dilations,
                                                                          pads)]
    attrs = {"strides": strides, "padding": pads, "dilation": dilations, "groups": int(groups)}
    y = w.emit1("conv", [x, weight], attrs, [shape[0], wshape[0]] + out, w.dtype(x))
    if bias is not None:
        y = w.add(y, w.reshape(bias, [wshape[0]] + [1] * nd))
    return y


def conv_transpose(w: GraphWriter, x: str, weight: str, bias: str | None, *, strides, pads, dilations, groups: int,
                   output_padding) -> str:
    shape, wshape = w.shape(x), w.shape(weight)
    nd = len(shape) - 2
    strides, dilations, pads = _check(nd, "strides", strides), _check(nd, "dilations", dilations), _pads(pads)
    output_padding = _check(nd, "output_padding", output_padding)
    out = [(n - 1) * st - lo - hi + d * (k - 1) + 1 + a
           for n, st, (lo, hi), d, k, a in zip(shape[2:], strides, pads, dilations, wshape[2:], output_padding)]
    y = w.emit1("conv_transpose", [x, weight], {"strides": strides, "padding": pads, "dilation": dilations,
                                                "groups": int(groups), "output_padding": output_padding},
                [shape[0], wshape[1] * groups] + out, w.dtype(x))
    if bias is not None:
        y = w.add(y, w.reshape(bias, [wshape[1] * groups] + [1] * nd))
    return y


def max_pool_indices(w: GraphWriter, x: str, y: str, flat_over: str = "spatial", order: str = "C") -> str:
    """The int64 position of the first maximum of each window of the max_pool `y` of `x` (PyTorch's
    max_pool*_with_indices, ONNX MaxPool's second output): flat over each plane's spatial axes
    (flat_over="spatial", PyTorch) or over the whole tensor N, C, *spatial (flat_over="all", ONNX); the spatial
    position row-major (order "C") or column-major (order "F": ONNX's storage_order=1, h + w * H).
    The positions are static: max_pool_mask's one-hot choice of window offset times a constant table of
    the input position each offset reads (padding never wins, so its positions are never chosen)."""
    a = next(n for n in reversed(w.nodes) if y in n["outputs"])["attrs"]  # y's max_pool geometry, as emitted
    shape, out = w.shape(x), w.shape(y)[2:]
    kernel, strides, dils, full = a["window"], a["strides"], a["dilation"], a["padding"]
    spatial = shape[2:]
    table = np.zeros([math.prod(kernel)] + list(out), np.float64)
    for k, offs in enumerate(itertools.product(*[range(kd) for kd in kernel])):
        coords = np.meshgrid(*[np.arange(o) * st - lo + kd * d
                               for o, st, (lo, _), kd, d in zip(out, strides, full, offs, dils)], indexing="ij")
        inside = np.all([(c >= 0) & (c < s) for c, s in zip(coords, spatial)], axis=0)
        table[k] = np.where(inside, np.ravel_multi_index([np.clip(c, 0, s - 1) for c, s in zip(coords, spatial)],
                                                         spatial, order=order), 0)
    ft = "float64" if w.dtype(x) == "float64" else "float32"  # float16 counts exactly to 2048 only
    if math.prod(spatial) >= 2 ** 24 and ft == "float32":
        raise UnsupportedModel(f"max-pool indices of planes {list(spatial)} (positions past float32's exact integers)")
    mask = w.cast(w.emit1("max_pool_mask", [x], dict(a), list(shape[:2]) + [len(table)] + list(out), w.dtype(x)), ft)
    pos = w.reduce("sum", w.mul(mask, w.const(table.astype(ft))), [2], keepdims=False)
    idx = w.cast(pos, "int64")
    if flat_over == "all":  # plus each plane's start: (n * C + c) * prod(spatial)
        start = np.arange(shape[0] * shape[1]).reshape(shape[:2] + (1,) * len(out)) * math.prod(spatial)
        idx = w.add(idx, w.const(start.astype(np.int64)))
    return idx


def pool(w: GraphWriter, kind: str, x: str, *, kernel, strides, pads, dilations=None, ceil_mode=False,
         count_include_pad=False) -> str:
    """kind "max" or "avg" over windows of the spatial axes."""
    shape = w.shape(x)
    nd = len(shape) - 2
    kernel, strides = _check(nd, "kernel", kernel), _check(nd, "strides", strides)
    dils, pads = _check(nd, "dilations", dilations or [1] * nd), _pads(pads)
    out = [out_size(s, k, st, d, lo, hi, ceil_mode)
           for s, k, st, d, (lo, hi) in zip(shape[2:], kernel, strides, dils, pads)]
    # ceil mode: room for the last window beyond the high padding
    extra = [max(0, (o - 1) * st + d * (k - 1) + 1 - (s + lo + hi))
             for o, st, d, k, s, (lo, hi) in zip(out, strides, dils, kernel, shape[2:], pads)]
    full = [[lo, hi + e] for (lo, hi), e in zip(pads, extra)]
    oshape = list(shape[:2]) + out
    if kind == "max":
        return w.emit1("max_pool", [x], {"window": kernel, "strides": strides, "padding": full, "dilation": dils},
                       oshape, w.dtype(x))
    if any(d != 1 for d in dils):
        return _dilated_avg_pool(w, x, kernel, strides, dils, pads, full, out, count_include_pad)
    if not any(extra):
        return w.emit1("avg_pool", [x], {"window": kernel, "strides": strides, "padding": full,
                                         "count_include_pad": bool(count_include_pad)}, oshape, w.dtype(x))
    # ceil-mode windows past the padding: sum (mean over the full window times its size) / static count
    mean = w.emit1("avg_pool", [x], {"window": kernel, "strides": strides, "padding": full, "count_include_pad": True},
                   oshape, w.dtype(x))
    count = _window_counts(shape[2:], pads, full, kernel, strides, [1] * nd, out, count_include_pad)
    return w.div(w.mul(mean, w.scalar_like(math.prod(kernel), mean)), w.const(count.astype(w.dtype(x))))


def _dilated_avg_pool(w: GraphWriter, x, kernel, strides, dils, pads, full, out, count_include_pad) -> str:
    """Window sums by a depthwise convolution with a ones kernel (avg_pool has no dilation), over the static
    count of the window's elements inside the input (or inside input and padding, count_include_pad)."""
    ch = w.shape(x)[1]
    ones = w.const(np.ones([ch, 1] + list(kernel), w.dtype(x)))
    total = conv(w, x, ones, None, strides=strides, pads=full, dilations=dils, groups=ch)
    count = _window_counts(w.shape(x)[2:], pads, full, kernel, strides, dils, out, count_include_pad)
    return w.div(total, w.const(count.astype(w.dtype(x))))


def _window_counts(spatial, pads, full, kernel, strides, dils, out, count_include_pad) -> np.ndarray:
    """How many elements of each output's window lie in the input (and its padding, count_include_pad); `full`
    is the padding with ceil mode's extra room, which never counts."""
    counted = np.zeros([s + lo + hi for s, (lo, hi) in zip(spatial, full)])
    counted[tuple(slice(0 if count_include_pad else lo, (lo + s + hi) if count_include_pad else lo + s)
                  for s, (lo, hi) in zip(spatial, pads))] = 1.0
    count = np.zeros(out)
    for k in itertools.product(*[range(kd) for kd in kernel]):
        count += counted[tuple(slice(kd * d, kd * d + (o - 1) * s + 1, s) for kd, d, s, o in zip(k, dils, strides, out))]
    return count


def batch_norm(w: GraphWriter, x: str, scale: str, b: str, mean: str, var: str, eps: float) -> str:
    """Inference-mode batch normalisation (running statistics), channel axis 1."""
    return w.emit1("batch_norm", [x, scale, b, mean, var], {"epsilon": float(eps), "training": False},
                   w.shape(x), w.dtype(x))


def layer_norm(w: GraphWriter, x: str, scale: str | None, b: str | None, axis: int, eps: float) -> str:
    nd = len(w.shape(x))
    norm_shape = w.shape(x)[axis % nd:]
    if scale is None and b is not None:
        scale = w.const(np.ones(norm_shape, w.dtype(x)))
    ins = [x] + [w.broadcast_to(v, norm_shape) for v in (scale, b) if v is not None]
    return w.emit1("layer_norm", ins, {"axis": axis % nd, "epsilon": float(eps)}, w.shape(x), w.dtype(x))


def gelu(w: GraphWriter, x: str, approximate: str = "none") -> str:
    if approximate not in ("none", "tanh"):
        raise UnsupportedModel(f"gelu approximate={approximate!r} (known: none, tanh)")
    return w.emit1("gelu", [x], {"approximate": approximate}, w.shape(x), w.dtype(x))


# -- activations whose gradient conventions follow PyTorch's backward kernels ----------------------------
def elu(w: GraphWriter, x: str, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> str:
    """scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)): ELU, SELU (alpha, scale),
    CELU (input_scale = 1 / alpha)."""
    neg = w.unary("expm1", w.mul(x, w.scalar_like(input_scale, x)) if input_scale != 1 else x)
    y = w.where(w.binary("greater", x, w.scalar_like(0.0, x)), x, w.mul(neg, w.scalar_like(alpha, x)))
    return w.mul(y, w.scalar_like(scale, y)) if scale != 1 else y


def hard_clip(w: GraphWriter, x: str, lo: float, hi: float) -> str:
    """clip(x, lo, hi) whose gradient is 1 only strictly inside (lo, hi) (hardtanh / hardsigmoid)."""
    inside = w.binary("logical_and", w.binary("greater", x, w.scalar_like(lo, x)),
                      w.binary("less", x, w.scalar_like(hi, x)))
    held = w.unary("stop_gradient", w.emit1("clip", [x], {"min": float(lo), "max": float(hi)}, w.shape(x),
                                            w.dtype(x)))
    return w.where(inside, x, held)


def hard_sigmoid(w: GraphWriter, x: str, alpha: float = 1 / 6, beta: float = 0.5) -> str:
    return hard_clip(w, w.add(w.mul(x, w.scalar_like(alpha, x)), w.scalar_like(beta, x)), 0.0, 1.0)


def hard_swish(w: GraphWriter, x: str) -> str:
    return w.mul(x, hard_sigmoid(w, x))


def softplus(w: GraphWriter, x: str, beta: float = 1.0, threshold: float | None = None) -> str:
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold (PyTorch's form)."""
    bx = w.mul(x, w.scalar_like(beta, x)) if beta != 1 else x
    y = w.unary("softplus", bx)
    y = w.div(y, w.scalar_like(beta, y)) if beta != 1 else y
    if threshold is None:
        return y
    return w.where(w.binary("greater", bx, w.scalar_like(threshold, bx)), x, y)


def mish(w: GraphWriter, x: str) -> str:
    return w.mul(x, w.unary("tanh", w.unary("softplus", x)))


def take_along(w: GraphWriter, x: str, idx: str, axis: int) -> str:
    """torch.gather / ONNX GatherElements: out[..i..] = x[..idx[..i..]..] along `axis`; the index may be
    smaller than x on the other axes (x is cut to it)."""
    sx, si = w.shape(x), w.shape(idx)
    axis %= len(sx)
    if len(si) != len(sx) or any(b > a for k, (a, b) in enumerate(zip(sx, si)) if k != axis):
        raise UnsupportedModel(f"gather of {list(sx)} with index {list(si)} along axis {axis}")
    cut = w.index(x, [[0, sx[k] if k == axis else si[k], 1] for k in range(len(sx))])
    return w.emit1("take_along_axis", [cut, w.cast(idx, "int64")], {"axis": axis}, si, w.dtype(x))


def instance_norm(w: GraphWriter, x: str, scale: str, b: str, eps: float) -> str:
    """Per sample and channel over the spatial axes: group norm with one channel per group."""
    ch = w.shape(x)[1]
    return w.emit1("group_norm", [x, scale, b], {"num_groups": ch, "epsilon": float(eps)}, w.shape(x), w.dtype(x))


# -- resizing (nearest / linear) as one constant interpolation matrix per resized axis ----------------------
def resize_matrix(n_in: int, n_out: int, coords: np.ndarray, mode: str, nearest=np.floor, cubic_a: float = -0.75,
                  exclude_outside: bool = False, antialias_scale: float | None = None) -> np.ndarray:
    """[n_out, n_in] weights: output i reads input position coords[i] (clamped to the edge). With
    `antialias_scale` (out / in), linear and cubic kernels are stretched when downscaling (ONNX antialias)."""
    m = np.zeros((n_out, n_in), np.float64)
    rows = np.arange(n_out)
    if antialias_scale is not None and mode in ("linear", "cubic"):
        return _antialias_matrix(n_in, coords, mode, antialias_scale, cubic_a, exclude_outside)
    if mode == "nearest":
        m[rows, np.clip(nearest(coords).astype(np.int64), 0, n_in - 1)] = 1.0
        return m
    if mode == "cubic":
        return _cubic_matrix(n_in, n_out, coords, cubic_a, exclude_outside)
    if mode != "linear":
        raise UnsupportedModel(f"resize mode {mode!r} (known: nearest, linear, cubic)")
    c = np.clip(coords, 0, n_in - 1)
    i0 = np.floor(c).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = c - i0
    np.add.at(m, (rows, i0), 1 - lam)
    np.add.at(m, (rows, i1), lam)
    return m


def _cubic_matrix(n_in: int, n_out: int, coords: np.ndarray, a: float, exclude_outside: bool) -> np.ndarray:
    """Keys' cubic convolution (coefficient a: ONNX and PyTorch use -0.75) over the 4 inputs around each
    coordinate, indices clamped to the edge; with exclude_outside, taps outside are dropped and the rest
    renormalised (ONNX)."""
    m = np.zeros((n_out, n_in), np.float64)
    i0 = np.floor(coords).astype(np.int64)
    t = coords - i0
    for k in (-1, 0, 1, 2):
        d = np.abs(t - k)
        wk = np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1, ((a * d - 5 * a) * d + 8 * a) * d - 4 * a)
        idx = i0 + k
        if exclude_outside:
            wk = np.where((idx >= 0) & (idx < n_in), wk, 0.0)
        np.add.at(m, (np.arange(n_out), np.clip(idx, 0, n_in - 1)), wk)
    return m / m.sum(1, keepdims=True) if exclude_outside else m


def _keys(d: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel at distances d >= 0 (zero from 2 on)."""
    return np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                    np.where(d < 2, ((a * d - 5 * a) * d + 8 * a) * d - 4 * a, 0.0))


def _antialias_matrix(n_in: int, coords: np.ndarray, mode: str, scale: float, a: float,
                      exclude_outside: bool) -> np.ndarray:
    """ONNX Resize antialias=1 (opset 18, as onnx.reference computes it): the linear (support 1) or cubic
    (support 2) kernel stretched by 1 / scale when downscaling, over the taps left + k around each coordinate
    (left: the input just below it, an integer coordinate's own left neighbour), normalised to sum 1; taps past
    the edge read the edge pixel, or are dropped before the normalisation with exclude_outside."""
    s = min(scale, 1.0)
    start = int(np.floor(-(1.0 if mode == "linear" else 2.0) / s) + 1)
    ks = np.arange(start, 2 - start)
    left = np.ceil(coords).astype(np.int64) - 1
    d = np.abs((ks[None, :] - (coords - left)[:, None]) * s)
    wk = np.clip(1 - d, 0, 1) if mode == "linear" else _keys(d, a)
    idx = left[:, None] + ks[None, :]
    if exclude_outside:
        wk = np.where((idx >= 0) & (idx < n_in), wk, 0.0)
    wk = wk / wk.sum(1, keepdims=True)
    m = np.zeros((len(coords), n_in), np.float64)
    np.add.at(m, (np.broadcast_to(np.arange(len(coords))[:, None], idx.shape), np.clip(idx, 0, n_in - 1)), wk)
    return m


def resize_coords(n_in: int, n_out: int, scale: float, how: str, length: float | None = None) -> np.ndarray:
    """Source coordinates of the outputs; `scale` = out / in as the model gives it. `length`: the output
    length align_corners divides by, when not n_out (ONNX's is n_in * scale, unrounded)."""
    i = np.arange(n_out, dtype=np.float64)
    if how == "asymmetric":
        return i / scale
    if how == "half_pixel":
        return (i + 0.5) / scale - 0.5
    if how == "pytorch_half_pixel":
        return (i + 0.5) / scale - 0.5 if n_out > 1 else np.zeros(n_out)
    if how == "align_corners":
        length = n_out if length is None else length
        return i * (n_in - 1) / (length - 1) if length != 1 else np.zeros(n_out)
    if how == "half_pixel_symmetric":  # half_pixel, centred when the output length was rounded down
        length = n_out if length is None else length
        return n_in / 2 * (1 - n_out / length) + (i + 0.5) / scale - 0.5
    if how == "tf_half_pixel_for_nn":  # opsets 11-18: tf2onnx's for TF's nearest with half_pixel_centers
        return (i + 0.5) / scale
    raise UnsupportedModel(f"resize coordinate_transformation_mode {how!r} (known: asymmetric, half_pixel, "
                           "pytorch_half_pixel, align_corners, half_pixel_symmetric, tf_half_pixel_for_nn)")


def resize(w: GraphWriter, x: str, mats: dict) -> str:
    """x with each axis a in `mats` mapped through its [out, in] matrix (a linear map: exact gradients)."""
    for a, m in sorted(mats.items()):
        shape = list(w.shape(x))
        nd = len(shape)
        perm = [k for k in range(nd) if k != a] + [a]
        t = w.transpose(x, perm) if a != nd - 1 else x
        y = w.matmul(t if nd >= 2 else w.reshape(t, [1, shape[a]]), w.const(m.T.astype(w.dtype(x))))
        y = y if nd >= 2 else w.reshape(y, [m.shape[0]])
        x = w.transpose(y, [perm.index(k) for k in range(nd)]) if a != nd - 1 else y
    return x


def vector_norm(w: GraphWriter, x: str, ord_: float, axes, keepdims: bool) -> str:
    """The p-norm over `axes` (None: all): 1, 2, inf, -inf or any other p > 0."""
    a = w.unary("abs", x)
    if ord_ == 2:
        return _root_at_zero_safe(w, w.reduce("sum", w.mul(x, x), axes, keepdims), lambda s: w.unary("sqrt", s))
    if ord_ == 1:
        return w.reduce("sum", a, axes, keepdims)
    if ord_ in (math.inf, -math.inf):
        return w.reduce("max" if ord_ > 0 else "min", a, axes, keepdims)
    if ord_ <= 0:
        raise UnsupportedModel(f"vector norm of order {ord_}")
    s = w.reduce("sum", w.binary("pow", a, w.scalar_like(ord_, a)), axes, keepdims)
    return _root_at_zero_safe(w, s, lambda t: w.binary("pow", t, w.scalar_like(1.0 / ord_, t)))


def _root_at_zero_safe(w: GraphWriter, s: str, root) -> str:
    """root(s) for s >= 0 with a derivative of 0 at s == 0 (torch's subgradient for a norm at the zero
    vector) instead of inf * 0 = NaN: the root sees 1 there, so nothing infinite reaches the chain rule."""
    zero = w.binary("equal", s, w.scalar_like(0, s))
    r = root(w.where(zero, w.scalar_like(1, s), s))
    return w.where(zero, w.scalar_like(0, r), r)


def checked(w: GraphWriter, bad: str, y: str, message: str) -> str:
    """y, or a run-time error `message` (a 400 naming the node) when the bool tensor `bad` has a true entry."""
    nd = len(w.shape(bad))
    flag = w.reduce("max", w.cast(bad, "int32"), list(range(nd))) if nd else w.cast(bad, "int32")
    flag = w.binary("greater", flag, w.const(np.asarray(0, np.int32)))
    return w.emit1("check_false", [flag, y], {"message": message}, w.shape(y), w.dtype(y))


def _wrapped(w: GraphWriter, idx: str, n: int, what: str | None = None) -> str:
    """idx with negatives counted from the end; with `what`, an index outside [-n, n) is a run-time error naming
    it (a scatter into the flat array would land it in another row, or nowhere)."""
    idx = w.cast(idx, "int64")
    if what is not None:
        bad = w.binary("logical_or", w.binary("less", idx, w.scalar_like(-n, idx)),
                       w.binary("greater_equal", idx, w.scalar_like(n, idx)))
        idx = checked(w, bad, idx, f"{what}: an index outside [-{n}, {n}) along its axis")
    return w.where(w.binary("less", idx, w.scalar_like(0, idx)), w.add(idx, w.scalar_like(n, idx)), idx)


def advanced_index(w: GraphWriter, x: str, idxs: list) -> str:
    """x[idxs] with integer index tensors (None: the whole axis), NumPy / PyTorch placement: adjacent
    indexed axes are replaced in place by the broadcast index shape, separated ones go first."""
    shape = list(w.shape(x))
    at = [k for k, i in enumerate(idxs) if i is not None]
    if any(w.dtype(idxs[k]) == "bool" for k in at):
        raise UnsupportedModel("boolean-mask indexing (its result shape depends on the data)")
    adjacent = at == list(range(at[0], at[-1] + 1))
    if not adjacent:  # the indexed axes first, in order
        perm = at + [k for k in range(len(shape)) if k not in at]
        x, shape, idxs = w.transpose(x, perm), [shape[k] for k in perm], [idxs[k] for k in at]
        at = list(range(len(at)))
    bshape = list(np.broadcast_shapes(*[w.shape(idxs[k]) for k in at]))
    flat = _linear_index(w, [w.broadcast_to(idxs[k], bshape) for k in at], [shape[k] for k in at])
    merged = shape[:at[0]] + [math.prod(shape[k] for k in at)] + shape[at[-1] + 1:]
    return w.gather(w.reshape(x, merged), flat, at[0])


def _linear_index(w: GraphWriter, idxs: list, dims: list, what: str = "index") -> str:
    """One index into axes of sizes `dims` merged into one (row-major), negatives counted from the end; a component
    outside its axis is a run-time error naming `what` (merged, it could land on another row's element)."""
    flat = None
    for i, n in zip(idxs, dims):
        i = _wrapped(w, i, n, what)
        flat = i if flat is None else w.add(w.mul(flat, w.scalar_like(n, flat)), i)
    return flat


def gather_nd(w: GraphWriter, x: str, idx: str, batch_dims: int = 0, what: str = "GatherND") -> str:
    """ONNX GatherND: idx [B..., q..., k] picks x[b..., i_0, ..., i_{k-1}] (slices of the rest) for each of
    the `batch_dims` leading axes B shared by x and idx: those are merged into one and become the first
    index component (the batch's own number), so the batched case is a batch_dims 0 one."""
    shape, si = list(w.shape(x)), list(w.shape(idx))
    k, nb = si[-1], math.prod(shape[:batch_dims])
    if batch_dims:
        x, idx = w.reshape(x, [nb] + shape[batch_dims:]), w.reshape(idx, [nb] + si[batch_dims:])
    xs, ii = list(w.shape(x)), list(w.shape(idx))
    comps = [w.reshape(w.index(idx, [[0, d, 1] for d in ii[:-1]] + [j]), ii[:-1]) for j in range(k)]
    if batch_dims:
        b = w.const(np.arange(nb, dtype=w.dtype(comps[0])).reshape([nb] + [1] * (len(ii) - 2)))
        comps = [w.broadcast_to(b, ii[:-1])] + comps
    n = len(comps)
    y = w.gather(w.reshape(x, [math.prod(xs[:n])] + xs[n:]), _linear_index(w, comps, xs[:n], what), 0)
    return w.reshape(y, si[:-1] + xs[n:]) if batch_dims else y


def nll_loss(w: GraphWriter, logp: str, labels: str, weight: str | None, ignore_index, reduction: str) -> str:
    """Negative log-likelihood of `labels` [N, d...] under log-probabilities `logp` [N, C, d...]
    (PyTorch / ONNX: class weights, an ignored label, reduction none / sum / mean-over-weights)."""
    if reduction not in ("none", "sum", "mean"):
        raise UnsupportedModel(f"loss reduction {reduction!r}")
    labels = w.cast(labels, "int64")
    keep = None
    if ignore_index is not None:
        keep = w.binary("not_equal", labels, w.scalar_like(int(ignore_index), labels))
        labels = w.where(keep, labels, w.scalar_like(0, labels))  # a valid index; its weight is 0
    sl = list(w.shape(labels))
    picked = _drop_axis1(w, take_along(w, logp, w.reshape(labels, sl[:1] + [1] + sl[1:]), 1))
    wt = w.gather(weight, labels, 0) if weight is not None else None
    if keep is not None:
        k = w.cast(keep, w.dtype(logp))
        wt = k if wt is None else w.mul(wt, k)
    loss = w.unary("neg", picked if wt is None else w.mul(picked, wt))
    if reduction == "none":
        return loss
    total = w.reduce("sum", loss, None)
    if reduction == "sum":
        return total
    return w.div(total, w.reduce("sum", wt, None) if wt is not None else w.scalar_like(math.prod(sl), total))


def _drop_axis1(w: GraphWriter, x: str) -> str:
    s = list(w.shape(x))
    return w.reshape(x, s[:1] + s[2:])


def depth_to_space(w: GraphWriter, x: str, b: int, mode: str) -> str:
    """[N, C, H, W] -> [N, C / b^2, H b, W b]; DCR (ONNX default) or CRD (PyTorch pixel_shuffle) order."""
    n, ch, h, wd = w.shape(x)
    c2 = ch // (b * b)
    if mode == "DCR":
        y = w.transpose(w.reshape(x, [n, b, b, c2, h, wd]), [0, 3, 4, 1, 5, 2])
    elif mode == "CRD":
        y = w.transpose(w.reshape(x, [n, c2, b, b, h, wd]), [0, 1, 4, 2, 5, 3])
    else:
        raise UnsupportedModel(f"DepthToSpace mode {mode!r}")
    return w.reshape(y, [n, c2, h * b, wd * b])


def is_finite(w: GraphWriter, x: str) -> str:
    """x - x == 0: false for inf and nan (no infinite constant, which JSON cannot carry)."""
    d = w.sub(x, x)
    return w.binary("equal", d, w.scalar_like(0, d))


def is_inf(w: GraphWriter, x: str, positive: bool = True, negative: bool = True) -> str:
    """ONNX IsInf: x == x and not finite, of the signs asked for."""
    inf = w.binary("logical_and", w.binary("equal", x, x), w.unary("logical_not", is_finite(w, x)))
    if positive and negative:
        return inf
    zero = w.scalar_like(0, x)
    return w.binary("logical_and", inf, w.binary("greater" if positive else "less", x, zero)) if positive or negative \
        else w.binary("logical_and", inf, w.unary("logical_not", inf))


def scatter_along(w: GraphWriter, x: str, idx: str, upd: str, axis: int, mode: str, what: str = "scatter") -> str:
    """torch.scatter / scatter_add, ONNX ScatterElements: x with upd[..i..] written (mode "set") or
    added ("add") at x[..idx[..i..]..] along `axis`; one scatter_add into the flat x. Repeated
    positions of a "set" hold the writes' mean (PyTorch and ONNX leave their order unspecified). An index
    outside the axis is a run-time error naming `what` (torch and onnxruntime refuse it too)."""
    xs, si = list(w.shape(x)), list(w.shape(idx))
    axis %= len(xs)
    if mode not in ("set", "add"):
        raise UnsupportedModel(f"scatter reduction {mode!r} (known: none, add)")
    if len(si) != len(xs) or any(b > a for k, (a, b) in enumerate(zip(xs, si)) if k != axis):
        raise UnsupportedModel(f"scatter into {xs} with index {si} along axis {axis}")
    u = w.index(upd, [[0, n, 1] for n in si])
    grid = np.indices(si, dtype=np.int64)
    flat = None
    for k, n in enumerate(xs):
        c = _wrapped(w, idx, n, what) if k == axis else w.const(grid[k])
        flat = c if flat is None else w.add(w.mul(flat, w.scalar_like(n, flat)), c)
    return scatter_flat(w, x, w.reshape(flat, [-1]), w.reshape(u, [-1]), mode)


def scatter_flat(w: GraphWriter, x: str, flat: str, u: str, mode: str, keep: str | None = None) -> str:
    """x with the values u [K] added ("add") or written ("set") at the flat positions `flat` [K] of x;
    with `keep` [K] (bool), only where it holds. Written positions come from one scatter_add (a set's
    repeated positions hold their mean, see below); a "set" keeps x wherever nothing lands."""
    xs, m = list(w.shape(x)), math.prod(w.shape(x))
    if mode in _FLAT_COMBINE:
        return _scatter_flat_combine(w, x, flat, u, mode, keep)
    if keep is not None:
        flat, u = w.where(keep, flat, w.scalar_like(0, flat)), w.where(keep, u, w.scalar_like(0, u))
    added = w.reshape(w.emit1("scatter_add", [u, flat], {"shape": [m], "axis": 0}, [m], w.dtype(u)), xs)
    if mode == "add":
        return w.add(x, added)
    ones = w.const(np.ones(w.shape(u), np.float32))
    ones = ones if keep is None else w.where(keep, ones, w.scalar_like(0, ones))
    hit = w.reshape(w.emit1("scatter_add", [ones, flat], {"shape": [m], "axis": 0}, [m], "float32"), xs)
    # A position written more than once (max_unpool of overlapping windows, a set with repeated indices)
    # holds the writes' mean: their common value when they agree, as PyTorch's / JAX's one surviving write;
    # each write's derivative is the result's there (PyTorch's index_put backward, JAX's scatter transpose).
    written = added
    if w.dtype(added).startswith(("float", "bfloat")):  # integers (JAX's pivot permutations: one write each) keep the sum
        count = w.binary("maximum", w.cast(hit, w.dtype(added)), w.scalar_like(1, added))
        written = w.add(added, w.unary("stop_gradient", w.sub(w.div(added, count), added)))
    return w.where(w.binary("greater", hit, w.scalar_like(0, hit)), written, x)


# mode -> (the reduction over the updates landing on one position, its identity, how it meets x)
_FLAT_COMBINE = {"max": ("max", -np.inf, "maximum"), "min": ("min", np.inf, "minimum"), "mul": ("prod", 1.0, "mul")}


def _scatter_flat_combine(w: GraphWriter, x: str, flat: str, u: str, mode: str, keep: str | None) -> str:
    """scatter_flat's max / min / mul (StableHLO scatter with such a body: x combined with every update
    landing on it): a one-hot hit mask [K, M] of the K updates against x's M positions, the updates
    reduced over K (the identity where nothing lands), then combined with x. Memory: K * M."""
    xs, m, k = list(w.shape(x)), math.prod(w.shape(x)), math.prod(w.shape(u))
    red, ident, meet = _FLAT_COMBINE[mode]
    dt = np.dtype(w.dtype(u))
    if np.isinf(ident) and dt.kind in "iu":  # an integer scatter's max / min: no infinity, its extremes
        ident = np.iinfo(dt).min if ident < 0 else np.iinfo(dt).max
    hit = w.binary("equal", w.reshape(w.cast(flat, "int64"), [k, 1]), w.const(np.arange(m, dtype=np.int64)))
    if keep is not None:
        hit = w.binary("logical_and", hit, w.reshape(keep, [k, 1]))
    landed = w.reduce(red, w.where(hit, w.reshape(u, [k, 1]), w.scalar_like(ident, u)), [0])
    return w.reshape(w.binary(meet, w.reshape(x, [m]), landed), xs)


def adaptive_windows(n: int, o: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling windows along one axis: output i reads [floor(i n / o), ceil((i + 1) n / o))."""
    return [(i * n // o, -(-(i + 1) * n // o)) for i in range(o)]


def adaptive_pool(w: GraphWriter, kind: str, x: str, out) -> str:
    """Adaptive avg / max pooling of x's trailing len(out) axes to sizes `out`, any input size: one axis at a
    time (a box's mean or max is that of its rows' means or maxes). avg: an [o, n] averaging matrix; max: a
    gather of each window's indices (short windows repeat their last index, which changes neither the max
    nor where its derivative goes) and a max over them."""
    first = len(w.shape(x)) - len(out)
    for a, o in enumerate(out, start=first):
        n = w.shape(x)[a]
        win = adaptive_windows(n, o)
        if kind == "avg":
            m = np.zeros((o, n), np.float64)
            for i, (s, e) in enumerate(win):
                m[i, s:e] = 1.0 / (e - s)
            x = resize(w, x, {a: m})
        else:
            k = max(e - s for s, e in win)
            idx = np.array([[min(s + j, e - 1) for j in range(k)] for s, e in win], np.int64)
            x = w.reduce("max", w.gather(x, w.const(idx), a), [a + 1])
    return x


def prefix_scan(w: GraphWriter, x: str, axis: int, combine) -> str:
    """Inclusive scan of an associative `combine(w, a, b)` along `axis` by doubling (Hillis-Steele):
    log2(n) steps of y[i] = combine(y[i - k], y[i]) for i >= k, the first k kept; no padding value
    is needed (so none that JSON cannot carry, such as -inf)."""
    n = w.shape(x)[axis]
    axis %= len(w.shape(x))
    whole = [[0, d, 1] for d in w.shape(x)]
    k = 1
    while k < n:
        head, tail, prev = list(whole), list(whole), list(whole)
        head[axis], tail[axis], prev[axis] = [0, k, 1], [k, n, 1], [0, n - k, 1]
        x = w.concat([w.index(x, head), combine(w, w.index(x, prev), w.index(x, tail))], axis)
        k *= 2
    return x


def log_add_exp(w: GraphWriter, a: str, b: str) -> str:
    """log(exp(a) + exp(b)) = m + log(exp(a - m) + exp(b - m)), m = max(a, b) held constant (0 where infinite):
    finite for any finite a, b and smooth at every order (max + log1p(exp(-|a - b|)) had second derivative 0 where
    a == b: abs and maximum have none there; the true one is 1/4)."""
    m = w.binary("maximum", a, b)
    m = w.unary("stop_gradient", w.where(w.binary("equal", w.sub(m, m), w.scalar_like(0, m)), m, w.scalar_like(0, m)))
    return w.add(m, w.unary("log", w.add(w.unary("exp", w.sub(a, m)), w.unary("exp", w.sub(b, m)))))


def diagonal(w: GraphWriter, x: str, offset: int, d1: int, d2: int) -> str:
    """torch.diagonal / einsum's repeated index: x's (d1, d2) diagonal shifted by `offset`, as a last axis."""
    shape = list(w.shape(x))
    nd = len(shape)
    d1, d2 = d1 % nd, d2 % nd
    rest = [k for k in range(nd) if k not in (d1, d2)]
    n, m = shape[d1], shape[d2]
    rows = np.arange(max(0, -offset), min(n, m - offset), dtype=np.int64)
    flat = w.reshape(w.transpose(x, rest + [d1, d2]), [shape[k] for k in rest] + [n * m])
    return w.gather(flat, w.const(rows * m + rows + offset), len(rest))


def put_positions(w: GraphWriter, x: str, u: str, positions: str, mode: str) -> str:
    """x with u written ("set"), added ("add") or combined (mul / max / min) where `positions` (x's own flat positions, picked by any
    indexing of an iota shaped like x) say; u broadcast to the positions' shape."""
    pshape = w.shape(positions)
    u = w.broadcast_to(w.cast(u, w.dtype(x)), pshape)
    return scatter_flat(w, x, w.reshape(positions, [-1]), w.reshape(u, [-1]), mode)


def iota_like(w: GraphWriter, x: str) -> str:
    """x's flat positions, shaped like x (index it as x is indexed: what it picks is where)."""
    return w.const(np.arange(math.prod(w.shape(x)), dtype=np.int64).reshape(w.shape(x)))


def _grid_unnormalize(w, g, n: int, align: bool):
    """A grid coordinate in [-1, 1] as a pixel position (torch's grid_sampler_unnormalize)."""
    if align:
        return w.mul(w.add(g, w.scalar_like(1, g)), w.scalar_like((n - 1) / 2, g))
    return w.div(w.sub(w.mul(w.add(g, w.scalar_like(1, g)), w.scalar_like(n, g)), w.scalar_like(1, g)),
                 w.scalar_like(2, g))


def _grid_position(w, g, n: int, align: bool, padding: str, unnormalized: bool = False):
    """A grid coordinate in [-1, 1] (or a pixel position already) as a pixel position (torch's
    grid_sampler_compute_source_index): border clips it into the image, reflection first folds it back at
    the edges (the pixel centres with align_corners, the outer pixel edges without), then clips."""
    p = g if unnormalized else _grid_unnormalize(w, g, n, align)
    if padding == "reflection":
        p = _fold_into(w, p, 0.0, n - 1.0) if align else _fold_into(w, p, -0.5, n - 0.5)
    if padding == "zeros":
        return p
    # the edges count as outside (torch's / MindSpore's clip_coordinates_set_grad): no gradient at p = 0 or n - 1,
    # where the clip's own (inclusive) rule would pass it
    clipped = w.unary("stop_gradient", w.emit1("clip", [p], {"min": 0.0, "max": float(n - 1)}, w.shape(p), w.dtype(p)))
    inside = w.binary("logical_and", w.binary("greater", p, w.scalar_like(0, p)),
                      w.binary("less", p, w.scalar_like(n - 1, p)))
    return w.where(inside, p, clipped)


def _fold_into(w, p, lo: float, hi: float):
    """p folded into [lo, hi] by mirroring at both ends (piecewise linear: the gradient's sign flips
    on odd folds; floor carries none)."""
    span = hi - lo
    if span <= 0:
        return w.mul(p, w.scalar_like(0, p))
    a = w.unary("abs", w.sub(p, w.scalar_like(lo, p)))
    flips = w.unary("floor", w.div(a, w.scalar_like(span, a)))
    extra = w.sub(a, w.mul(flips, w.scalar_like(span, a)))
    even = w.binary("equal", w.binary("remainder", flips, w.scalar_like(2, flips)), w.scalar_like(0, flips))
    return w.where(even, w.add(extra, w.scalar_like(lo, a)), w.sub(w.scalar_like(span + lo, a), extra))


def _grid_corner(w, flat, pos: list, sizes: list, c: int):
    """x[n, :, *pos] for integer-valued float positions along the spatial axes of `sizes` (zero outside):
    [N, C, P]."""
    inside, idx = None, None
    for v, n in zip(pos, sizes):
        ok = w.binary("logical_and", w.binary("greater_equal", v, w.scalar_like(0, v)),
                      w.binary("less_equal", v, w.scalar_like(n - 1, v)))
        inside = ok if inside is None else w.binary("logical_and", inside, ok)
        i = w.cast(w.emit1("clip", [v], {"min": 0.0, "max": float(n - 1)}, w.shape(v), w.dtype(v)), "int64")
        idx = i if idx is None else w.add(w.mul(idx, w.scalar_like(n, idx)), i)  # [N, P], row-major
    n, p = w.shape(idx)
    got = take_along(w, flat, w.broadcast_to(w.reshape(idx, [n, 1, p]), [n, c, p]), 2)
    return got, w.reshape(inside, [n, 1, p])


def _cubic_weights(w, t, a: float = -0.75) -> list:
    """Keys' cubic convolution weights of the taps at offsets -1, 0, 1, 2 from floor(position), t the
    fractional part (torch's get_cubic_upsample_coefficients, A = -0.75)."""
    one = w.scalar_like(1, t)

    def near(d):  # |d| <= 1
        return w.add(w.mul(w.mul(w.sub(w.mul(w.scalar_like(a + 2, d), d), w.scalar_like(a + 3, d)), d), d), one)

    def far(d):  # 1 < |d| < 2
        inner = w.add(w.mul(w.sub(w.mul(w.scalar_like(a, d), d), w.scalar_like(5 * a, d)), d), w.scalar_like(8 * a, d))
        return w.sub(w.mul(inner, d), w.scalar_like(4 * a, d))
    return [far(w.add(t, one)), near(t), near(w.sub(one, t)), far(w.sub(w.scalar_like(2, t), t))]


def _grid_bicubic(w, flat, gx, gy, dims, padding: str, align: bool):
    """torch's bicubic grid sampling: the 4 x 4 taps around the unpadded position, each tap's integer position
    padded on its own (border clips, reflection folds then clips, zeros reads nothing outside), weighted by
    Keys' cubic (the grid's gradient through the weights)."""
    h, wd, ch = dims
    ix, iy = _grid_unnormalize(w, gx, wd, align), _grid_unnormalize(w, gy, h, align)
    x0, y0 = w.unary("floor", ix), w.unary("floor", iy)
    wxs, wys = _cubic_weights(w, w.sub(ix, x0)), _cubic_weights(w, w.sub(iy, y0))
    n, p = w.shape(ix)
    out = None
    for j, wy in enumerate(wys):
        yy = w.add(y0, w.scalar_like(j - 1, y0))
        yy = yy if padding == "zeros" else _grid_position(w, yy, h, align, padding, unnormalized=True)
        for i, wx in enumerate(wxs):
            xx = w.add(x0, w.scalar_like(i - 1, x0))
            xx = xx if padding == "zeros" else _grid_position(w, xx, wd, align, padding, unnormalized=True)
            v, ok = _grid_corner(w, flat, [yy, xx], [h, wd], ch)
            term = w.where(ok, w.mul(v, w.reshape(w.mul(wy, wx), [n, 1, p])), w.scalar_like(0, v))
            out = term if out is None else w.add(out, term)
    return out


def grid_sample(w: GraphWriter, x: str, g: str, mode: str, padding: str, align_corners: bool) -> str:
    """torch's grid_sample / ONNX GridSample on [N, C, (D,) H, W] at grid [N, (Do,) Ho, Wo, k] (x, y, (z) in
    [-1, 1]), bilinear (trilinear in 3-D), nearest, or bicubic (2-D), zeros, border or reflection padding: the
    corners gathered, weighted by the fractional position (so the grid gets the frameworks' gradient; floor and
    round pass none)."""
    pads = ("zeros", "border", "reflection")
    rank = len(w.shape(x)) - 2
    if mode not in ("bilinear", "nearest", "bicubic") or padding not in pads or rank not in (2, 3) \
            or (mode == "bicubic" and rank != 2):
        raise UnsupportedModel(f"grid sampling mode {mode!r} padding {padding!r} of a rank-{len(w.shape(x))} input "
                               "(known: bilinear / nearest, zeros / border / reflection, 2-D or 3-D; bicubic 2-D)")
    n, ch, *sizes = w.shape(x)
    out_sp = list(w.shape(g)[1:-1])
    p = math.prod(out_sp)
    flat = w.reshape(x, [n, ch, math.prod(sizes)])
    # the grid's last axis lists x (the last spatial axis) first: comps[a] is spatial axis a's coordinate
    comps = [w.reshape(w.index(g, [[0, d, 1] for d in [n] + out_sp] + [rank - 1 - a]), [n, p]) for a in range(rank)]
    if mode == "bicubic":
        out = _grid_bicubic(w, flat, comps[1], comps[0], (sizes[0], sizes[1], ch), padding, align_corners)
        return w.reshape(out, [n, ch, *out_sp])
    pos = [_grid_position(w, c, m, align_corners, padding) for c, m in zip(comps, sizes)]
    if mode == "nearest":
        v, ok = _grid_corner(w, flat, [w.unary("round", q) for q in pos], sizes, ch)
        return w.reshape(w.where(ok, v, w.scalar_like(0, v)), [n, ch, *out_sp])
    return w.reshape(functools.reduce(w.add, linear_terms(w, flat, pos, sizes, ch)), [n, ch, *out_sp])


def linear_terms(w: GraphWriter, flat: str, pos: list, sizes: list, ch: int) -> list:
    """The 2^k corner terms of (bi/tri)linear interpolation of flat [N, C, prod(sizes)] at float pixel positions
    `pos` (one [N, P] per spatial axis): each corner's value times its weight, zero for a corner outside. Their
    sum is the interpolated value (grid_sample); RoiAlign's max mode takes their maximum. [N, C, P] each."""
    n, p = w.shape(pos[0])
    lo = [w.unary("floor", q) for q in pos]
    one = w.scalar_like(1, pos[0])
    fr = [w.sub(q, q0) for q, q0 in zip(pos, lo)]
    ends = [((q0, w.sub(one, f)), (w.add(q0, one), f)) for q0, f in zip(lo, fr)]  # per axis: (position, weight)
    terms = []
    for corner in itertools.product(*ends):
        v, ok = _grid_corner(w, flat, [c[0] for c in corner], sizes, ch)
        wt = functools.reduce(w.mul, [c[1] for c in corner])
        terms.append(w.where(ok, w.mul(v, w.reshape(wt, [n, 1, p])), w.scalar_like(0, v)))
    return terms


def scatter_reduce_along(w: GraphWriter, x: str, idx: str, upd: str, axis: int, mode: str, include_self: bool,
                         what: str = "scatter_reduce") -> str:
    """torch.scatter_reduce / ONNX ScatterElements with reduction max / min / mul / mean / sum along `axis`:
    a one-hot hit mask [..., k, ..., n] (index k of idx against each position n of x's axis) reduces the
    updates landing on each position, combined with x (include_self) or replacing it where any lands.
    The index must match x on the other axes (an index outside the axis: a run-time error naming `what`).
    Memory: idx's size times x's axis length."""
    xs, si = list(w.shape(x)), list(w.shape(idx))
    axis %= len(xs)
    if len(si) != len(xs) or any(b != a for k, (a, b) in enumerate(zip(xs, si)) if k != axis):
        raise UnsupportedModel(f"scatter reduction {mode!r} into {xs} with index {si} along axis {axis} (the index "
                               "must match the data on the other axes)")
    n = xs[axis]
    u = w.index(upd, [[0, d, 1] for d in si])
    hit = w.binary("equal", w.reshape(_wrapped(w, idx, n, what), si + [1]), w.const(np.arange(n, dtype=np.int64)))
    ident = {"max": -np.inf, "min": np.inf, "mul": 1.0, "sum": 0.0, "mean": 0.0}.get(mode)
    if ident is None:
        raise UnsupportedModel(f"scatter reduction {mode!r} (known: sum, mean, mul / prod, max / amax, min / amin)")
    cand = w.where(hit, w.reshape(u, si + [1]), w.scalar_like(ident, u))
    red = {"max": "max", "min": "min", "mul": "prod", "sum": "sum", "mean": "sum"}[mode]
    perm = list(range(axis)) + [len(xs) - 1] + list(range(axis, len(xs) - 1))  # the position axis back in place
    got = w.transpose(w.reduce(red, cand, [axis]), perm)
    count = w.transpose(w.reduce("sum", w.cast(hit, w.dtype(u)), [axis]), perm)
    landed = w.binary("greater", count, w.scalar_like(0, count))
    if mode == "mean":
        total = w.add(got, x) if include_self else got
        n_all = w.add(count, w.scalar_like(1.0, count)) if include_self else w.binary(
            "maximum", count, w.scalar_like(1.0, count))
        got = w.div(total, n_all)
    elif include_self:
        got = {"max": lambda: w.binary("maximum", got, x), "min": lambda: w.binary("minimum", got, x),
               "mul": lambda: w.mul(got, x), "sum": lambda: w.add(got, x)}[mode]()
    return w.where(landed, got, x)


# -- Householder QR (LAPACK's geqrf / orgqr, step by step) ------------------------------------------------
def _rows(w, x, lo, hi=None):
    """x[..., lo:hi, :] (the last two axes are the matrix's)."""
    sh = w.shape(x)
    return w.index(x, [[0, d, 1] for d in sh[:-2]] + [[lo, hi if hi is not None else sh[-2], 1], [0, sh[-1], 1]])


def _cols(w, x, lo, hi=None):
    """x[..., :, lo:hi]."""
    sh = w.shape(x)
    return w.index(x, [[0, d, 1] for d in sh[:-1]] + [[lo, hi if hi is not None else sh[-1], 1]])


def _reflect(w, v, tau, x):
    """H x = x - tau v (v^T x) for the reflector of v [..., r, 1] and tau [..., 1, 1], x [..., r, c]."""
    return w.sub(x, w.mul(tau, w.mul(v, w.reduce("sum", w.mul(v, x), [-2], keepdims=True))))


def householder_qr(w: GraphWriter, a: str, complete: bool = False):
    """LAPACK's QR of a [..., m, n] as graph ops, one Householder step (dlarfg) per column: returns
    (packed, taus, q): geqrf's packed result (R on and above the diagonal, the reflectors' tails below),
    its taus [..., k], and Q from the reflectors (orgqr: [m, k], or [m, m] with `complete`), with LAPACK's
    signs, so every value is what torch / JAX return. Differentiable wherever a column below the
    diagonal is not zero (its norm's derivative); derivatives of Q's columns past n (complete, tall) are
    this construction's, which PyTorch and JAX leave undefined."""
    *batch, m, n = w.shape(a)
    k = min(m, n)
    dt = w.dtype(a)
    r, vs, taus = a, [], []
    for j in range(k):
        block = _rows(w, r, j)  # [..., m - j, n]
        col = _cols(w, block, j, j + 1)  # [..., m - j, 1]
        alpha = _rows(w, col, 0, 1)
        if m - j == 1:  # nothing below the diagonal: H = I (tau 0), beta = alpha
            vs.append(w.const(np.ones(batch + [1, 1], dt)))
            taus.append(w.const(np.zeros(batch + [1, 1], dt)))
            continue
        x = _rows(w, col, 1)
        xn2 = w.reduce("sum", w.mul(x, x), [-2], keepdims=True)
        # dlarfg: nothing to annihilate (x = 0) is H = I (tau 0, beta alpha); the other branch's norm is kept
        # away from 0 there, so that no 0 / 0 or sqrt'(0) reaches a derivative through the where
        done = w.binary("equal", xn2, w.scalar_like(0, xn2))
        norm = w.unary("sqrt", w.where(done, w.scalar_like(1, xn2), w.add(w.mul(alpha, alpha), xn2)))
        beta = w.where(w.binary("greater_equal", alpha, w.scalar_like(0, alpha)), w.unary("neg", norm), norm)
        tau = w.where(done, w.scalar_like(0, alpha), w.div(w.sub(beta, alpha), beta))
        tail = w.where(done, w.scalar_like(0, x), w.div(x, w.sub(alpha, beta)))
        beta = w.where(done, alpha, beta)
        v = w.concat([w.const(np.ones(batch + [1, 1], dt)), tail], len(batch))
        rest = _reflect(w, v, tau, _cols(w, block, j + 1)) if j + 1 < n else None
        zeros = w.const(np.zeros(batch + [m - j - 1, 1], dt))
        new_col = w.concat([beta, zeros], len(batch))
        parts = ([_cols(w, block, 0, j)] if j else []) + [new_col] + ([rest] if rest is not None else [])
        r = w.concat(([_rows(w, r, 0, j)] if j else []) + [w.concat(parts, len(batch) + 1)], len(batch))
        vs.append(v)
        taus.append(tau)
    below = np.tril(np.ones((m, n), bool), -1)
    tails = w.concat([w.concat([w.const(np.zeros(batch + [j, 1], dt)), v], len(batch)) if j else v
                      for j, v in enumerate(vs)] + ([w.const(np.zeros(batch + [m, n - k], dt))] if n > k else []),
                     len(batch) + 1)
    packed = w.where(w.const(below), tails, r)
    tau_vec = w.reshape(w.concat(taus, len(batch) + 1), batch + [k])
    return packed, tau_vec, _apply_reflectors(w, vs, taus, m, m if complete else k, dt, batch)


def _apply_reflectors(w, vs, taus, m: int, cols: int, dt, batch):
    """H_1 ... H_k applied to the first `cols` columns of I_m (v_j [..., m - j, 1], tau_j [..., 1, 1])."""
    q = w.const(np.broadcast_to(np.eye(m, cols, dtype=dt), list(batch) + [m, cols]).copy())
    for j in reversed(range(len(vs))):  # innermost first
        q = w.concat(([_rows(w, q, 0, j)] if j else []) + [_reflect(w, vs[j], taus[j], _rows(w, q, j))], len(batch))
    return q


def householder_product(w: GraphWriter, packed: str, taus: str, cols: int) -> str:
    """LAPACK's orgqr / torch.linalg.householder_product: the first `cols` columns of H_1 ... H_k, the
    reflectors' tails below the diagonal of packed [..., m, n], taus [..., k]."""
    *batch, m, n = w.shape(packed)
    k, dt = w.shape(taus)[-1], w.dtype(packed)
    if k > min(m, n) or cols > m or cols < k:
        raise UnsupportedModel(f"householder product of {k} reflectors in [{m}, {n}] for {cols} columns "
                               f"(needs k <= min(m, n) and k <= columns <= m)")
    vs, ts = [], []
    for j in range(k):
        col = _rows(w, _cols(w, packed, j, j + 1), j + 1)
        ones = w.const(np.ones(list(batch) + [1, 1], dt))
        vs.append(w.concat([ones, col], len(batch)) if m - j > 1 else ones)
        ts.append(w.reshape(w.index(taus, [[0, d, 1] for d in batch] + [j]), list(batch) + [1, 1]))
    return _apply_reflectors(w, vs, ts, m, cols, dt, batch)


def mT(w: GraphWriter, x: str) -> str:
    """x [..., m, n] -> [..., n, m] (the importers' one matrix transpose)."""
    nd = len(w.shape(x))
    return w.transpose(x, list(range(nd - 2)) + [nd - 1, nd - 2])


def pinv_value(w: GraphWriter, a: str, atol: str, rtol: str, hermitian: bool) -> str:
    """The pseudo-inverse [..., n, m] of a [..., m, n] over svd (hermitian: eigh, reading the lower triangle):
    singular values (|eigenvalues|) at or below max(atol, rtol * the largest) count as 0; atol / rtol broadcast
    against the values [..., k] (a scalar, or [..., 1] per matrix)."""
    *batch, m, n = w.shape(a)
    dt, k = w.dtype(a), min(m, n)
    if hermitian:
        s, u = w.emit("eigh", [a], {"lower": True}, [(batch + [m], dt), (batch + [m, m], dt)])
        v = u
    else:
        u, s, vh = w.emit("svd", [a], {}, [(batch + [m, k], dt), (batch + [k], dt), (batch + [k, n], dt)])
        v = mT(w, vh)
    mag = w.unary("abs", s)
    keep = w.binary("greater", mag, w.binary("maximum", atol, w.mul(rtol, w.reduce("max", mag, [-1], True))))
    one, zero = w.scalar_like(1.0, s), w.scalar_like(0.0, s)
    s_inv = w.where(keep, w.div(one, w.where(keep, s, one)), zero)
    scaled = w.mul(v, w.reshape(s_inv, list(w.shape(s_inv)[:-1]) + [1, w.shape(s_inv)[-1]]))
    return w.matmul(scaled, u, transpose_b=True)


def pinv_cotangent(w: GraphWriter, a: str, x: str, g: str) -> str:
    """dA for X = pinv(A) [n, m], dout G: from dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X
    (Golub & Pereyra; torch's pinv_backward), -X^T G X^T + (I - A X) G^T X X^T + X^T X G^T (I - X A), with the
    projectors applied as B - A (X B) and C - (C X) A. Matmuls and transposes only: it differentiates again and
    vmaps as they do. Exact wherever the rank is locally constant (tied singular values included, where an
    SVD's derivative is NaN); at a rank-deficient A it is the derivative along rank-preserving perturbations,
    as torch's."""
    gt_xxt = w.matmul(g, w.matmul(x, x, transpose_b=True), transpose_a=True)  # G^T X X^T [m, n]
    xtx_gt = w.matmul(w.matmul(x, x, transpose_a=True), g, transpose_b=True)  # X^T X G^T [m, n]
    left = w.sub(gt_xxt, w.matmul(a, w.matmul(x, gt_xxt)))  # (I - A X) G^T X X^T
    right = w.sub(xtx_gt, w.matmul(w.matmul(xtx_gt, x), a))  # X^T X G^T (I - X A)
    return w.sub(w.add(left, right), w.matmul(w.matmul(x, g, transpose_a=True), x, transpose_b=True))


def pinv(w: GraphWriter, a: str, atol: str, rtol: str, hermitian: bool) -> str:
    """pinv_value as one custom_vjp node whose rule is pinv_cotangent (the importers' torch.linalg.pinv and
    jnp.linalg.pinv; the SDK's ops.pinv wraps the same two with its own rule mechanism)."""
    x = pinv_value(w, a, atol, rtol, hermitian)
    fw = w.function_writer(f"{w.name}_pinv_vjp")
    ai, xi, g = (fw.input(n, *w.avals[v]) for n, v in (("a", a), ("x", x), ("dout", x)))
    bprop = w.finish(fw, [pinv_cotangent(fw, ai, xi, g)])
    return w.emit("custom_vjp", [a, x], {"bprop": bprop, "n_in": 1, "n_out": 1, "params": [], "site": 0},
                  [w.avals[x]])[0]


def rounding_cast(w: GraphWriter, x: str, rounded, tag: str, orders: int = 2) -> str:
    """`rounded(w, x)` (a cast to a narrower float format, written as a rounding) with the derivative torch's
    autograd and JAX give a dtype conversion: the cotangent converted the same way (a cast's transpose is the
    cast), not the rounding's zero. One custom_vjp node whose rule is this again, `orders` deep (then the
    rule's rounding is differentiated as written)."""
    y = rounded(w, x)
    if orders < 1:
        return y
    fw = w.function_writer(f"{w.name}_{tag}_vjp")
    dout = [fw.input(n, *w.avals[v]) for n, v in (("x", x), ("out", y), ("dout", y))][2]  # (x, out: unused)
    bprop = w.finish(fw, [rounding_cast(fw, dout, rounded, tag, orders - 1)])
    return w.emit("custom_vjp", [x, y], {"bprop": bprop, "n_in": 1, "n_out": 1, "params": [], "site": 0},
                  [w.avals[y]])[0]
