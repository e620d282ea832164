"""Layers as the engine's ops (conv, max_pool, avg_pool, pad, batch_norm, layer_norm, gelu, ...),
with the geometry the frameworks use: padding [(lo, hi), ...], ceil_mode, count_include_pad.

What the ops do not say directly is written here once for every importer: ceil-mode pooling
(extra high padding; for averages a static divisor), ONNX's/PyTorch's defaults.
"""
from __future__ import annotations

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
    """Pad every axis by pads [(lo, hi), ...] (negative crops); mode constant / reflect / edge."""
    if not any(lo or hi for lo, hi in pads):
        return x
    if mode not in ("constant", "reflect", "edge"):
        raise UnsupportedModel(f"pad mode {mode!r} (known: constant, reflect, edge)")
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
        raise UnsupportedModel("dilated average pooling")
    if not any(extra):
        return w.emit1("avg_pool", [x], {"window": kernel, "strides": strides, "padding": full,
                                         "count_include_pad": bool(count_include_pad)}, oshape, w.dtype(x))
    # ceil-mode windows past the padding: sum (mean over the full window times its size) / static count
    mean = w.emit1("avg_pool", [x], {"window": kernel, "strides": strides, "padding": full, "count_include_pad": True},
                   oshape, w.dtype(x))
    counted = np.zeros([s + lo + hi for s, (lo, hi) in zip(shape[2:], full)])
    counted[tuple(slice(0 if count_include_pad else lo, (lo + s + hi) if count_include_pad else lo + s)
                  for s, (lo, hi) in zip(shape[2:], pads))] = 1.0
    count = np.zeros(out)
    for k in itertools.product(*[range(kd) for kd in kernel]):
        count += counted[tuple(slice(kd, kd + (o - 1) * s + 1, s) for kd, s, o in zip(k, strides, out))]
    return w.div(w.mul(mean, w.scalar_like(math.prod(kernel), mean)), w.const(count.astype(w.dtype(x))))


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
