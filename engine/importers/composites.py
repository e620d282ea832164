"""Layers real models use, written as graphs of the existing ops (so every derivative rule applies).

Convolution is im2col: one static slice per kernel offset, stacked, then one batched matmul
per group; pooling takes the same slices and reduces them; the normalisations and GELU are
their formulas. Shapes: N, C, spatial... (ONNX, PyTorch and the agreed `conv` layout).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from .graph_writer import GraphWriter, UnsupportedModel


def _out_size(size, k, stride, dil, lo, hi, ceil):
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


def pad_spatial(w: GraphWriter, x: str, pads, fill: float = 0.0) -> str:
    """Pad the spatial axes (2...) by pads [(lo, hi), ...]; the padding holds `fill`."""
    shape = w.shape(x)
    if not any(lo or hi for lo, hi in pads):
        return x
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        raise UnsupportedModel(f"negative padding {pads} is not supported")
    new = list(shape[:2]) + [s + lo + hi for s, (lo, hi) in zip(shape[2:], pads)]
    items = [[0, shape[0], 1], [0, shape[1], 1]] + [[lo, lo + s, 1] for s, (lo, _) in zip(shape[2:], pads)]
    y = w.index_scatter(x, new, items)
    if fill != 0.0:
        mask = np.zeros([1, 1] + new[2:], dtype=bool)
        mask[tuple([0, 0] + [slice(lo, lo + s) for s, (lo, _) in zip(shape[2:], pads)])] = True
        y = w.where(w.const(mask), y, w.const(np.asarray(fill, dtype=w.dtype(x))))
    return y


def _windows(w: GraphWriter, x: str, kernel, strides, dils, out) -> str:
    """[N, C, prod(kernel), *out]: the input under each kernel offset (x already padded)."""
    n, c = w.shape(x)[:2]
    cols = []
    for k in itertools.product(*[range(kd) for kd in kernel]):
        items = [[0, n, 1], [0, c, 1]] + [[kd * d, kd * d + (o - 1) * s + 1, s]
                                          for kd, d, s, o in zip(k, dils, strides, out)]
        cols.append(w.index(x, items))
    return w.stack(cols, axis=2)


def conv(w: GraphWriter, x: str, weight: str, bias: str | None, *, strides, pads, dilations, groups: int) -> str:
    shape, wshape = w.shape(x), w.shape(weight)
    nd = len(shape) - 2
    if nd < 1 or len(wshape) != nd + 2:
        raise UnsupportedModel(f"convolution of input {list(shape)} with weight {list(wshape)}")
    strides, dilations = _check(nd, "strides", strides), _check(nd, "dilations", dilations)
    n, c = shape[:2]
    o, cg = wshape[:2]
    kernel = wshape[2:]
    if c != cg * groups or o % groups:
        raise UnsupportedModel(f"convolution: {c} input channels, weight {list(wshape)}, groups={groups}")
    xp = pad_spatial(w, x, pads)
    out = [_out_size(s, k, st, d, 0, 0, False) for s, k, st, d in zip(w.shape(xp)[2:], kernel, strides, dilations)]
    kp, p = math.prod(kernel), math.prod(out)
    cols = w.reshape(_windows(w, xp, kernel, strides, dilations, out), [n, groups, cg * kp, p])
    wm = w.reshape(weight, [groups, o // groups, cg * kp])
    y = w.reshape(w.matmul(wm, cols), [n, o] + out)
    if bias is not None:
        y = w.add(y, w.reshape(bias, [o] + [1] * nd))
    return y


def pool(w: GraphWriter, kind: str, x: str, *, kernel, strides, pads, dilations=None, ceil_mode=False,
         count_include_pad=False) -> str:
    """kind "max" or "avg" over windows of the spatial axes."""
    shape = w.shape(x)
    nd = len(shape) - 2
    kernel, strides = _check(nd, "kernel", kernel), _check(nd, "strides", strides)
    dils = _check(nd, "dilations", dilations or [1] * nd)
    out = [_out_size(s, k, st, d, lo, hi, ceil_mode)
           for s, k, st, d, (lo, hi) in zip(shape[2:], kernel, strides, dils, pads)]
    # room for the last (ceil-mode) window beyond the high padding
    extra = [max(0, (o - 1) * st + d * (k - 1) + 1 - (s + lo + hi))
             for o, st, d, k, s, (lo, hi) in zip(out, strides, dils, kernel, shape[2:], pads)]
    full = [(lo, hi + e) for (lo, hi), e in zip(pads, extra)]
    if kind == "max":
        xp = pad_spatial(w, x, full, fill=-np.inf)
        return w.reduce("max", _windows(w, xp, kernel, strides, dils, out), [2])
    xp = pad_spatial(w, x, full)
    total = w.reduce("sum", _windows(w, xp, kernel, strides, dils, out), [2])
    counted = np.zeros([s + lo + hi for s, (lo, hi) in zip(shape[2:], full)])
    region = [slice(0 if count_include_pad else lo, (lo + s + hi) if count_include_pad else lo + s)
              for s, (lo, hi) in zip(shape[2:], pads)]
    counted[tuple(region)] = 1.0
    count = np.zeros(out)
    for k in itertools.product(*[range(kd) for kd in kernel]):
        count += counted[tuple(slice(kd * d, kd * d + (o - 1) * s + 1, s)
                               for kd, d, s, o in zip(k, dils, strides, out))]
    return w.div(total, w.const(count.astype(w.dtype(x))))


def batch_norm(w: GraphWriter, x: str, scale: str, b: str, mean: str, var: str, eps: float) -> str:
    """Inference-mode batch normalisation (running statistics), channel axis 1."""
    nd = len(w.shape(x))
    c = w.shape(x)[1]

    def chan(v):
        return w.reshape(v, [c] + [1] * (nd - 2))

    a = w.mul(scale, w.unary("rsqrt", w.add(var, w.scalar_like(eps, var))))
    return w.add(w.mul(w.sub(x, chan(mean)), chan(a)), chan(b))


def layer_norm(w: GraphWriter, x: str, scale: str | None, b: str | None, axis: int, eps: float) -> str:
    nd = len(w.shape(x))
    axes = list(range(axis % nd, nd))
    d = w.sub(x, w.reduce("mean", x, axes, keepdims=True))
    var = w.reduce("mean", w.mul(d, d), axes, keepdims=True)
    y = w.mul(d, w.unary("rsqrt", w.add(var, w.scalar_like(eps, var))))
    if scale is not None:
        y = w.mul(y, scale)
    if b is not None:
        y = w.add(y, b)
    return y


def gelu(w: GraphWriter, x: str, approximate: str = "none") -> str:
    if approximate == "tanh":
        inner = w.mul(w.add(x, w.mul(w.scalar_like(0.044715, x), w.mul(x, w.mul(x, x)))),
                      w.scalar_like(math.sqrt(2.0 / math.pi), x))
        t = w.unary("tanh", inner)
    elif approximate == "none":
        t = w.unary("erf", w.mul(x, w.scalar_like(1.0 / math.sqrt(2.0), x)))
    else:
        raise UnsupportedModel(f"gelu approximate={approximate!r} (known: none, tanh)")
    return w.mul(w.mul(x, w.scalar_like(0.5, x)), w.add(t, w.scalar_like(1.0, x)))
