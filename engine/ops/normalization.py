"""GELU and the normalisations (layer, group, batch), as composites of existing ops
(engine/ops/composite.py): one node in a graph, derivatives of any order from the
pieces. Conventions follow PyTorch / ONNX: biased variance, epsilon inside the sqrt.
"""
from __future__ import annotations

import math

from .composite import defcomposite
from .registry import Attr


def _c(b, v, x):
    return b.scalar(v, x.dtype)


# -- gelu -------------------------------------------------------------------------------------------
def _gelu(b, x, approximate):
    half_x = b.mul(_c(b, 0.5, x), x)
    if approximate == "tanh":
        cube = b.mul(_c(b, 0.044715, x), b.mul(x, b.square(x)))
        inner = b.tanh(b.mul(_c(b, math.sqrt(2.0 / math.pi), x), b.add(x, cube)))
    else:  # "none" (the rule admits no other): x * Phi(x)
        inner = b.erf(b.mul(x, _c(b, 1 / math.sqrt(2.0), x)))
    return b.add(half_x, b.mul(half_x, inner))


defcomposite("gelu", 1, _gelu, attrs={"approximate": Attr("str", "none")},
             doc="GELU x * Phi(x) (approximate='none', erf) or its tanh approximation (approximate='tanh')")


# -- normalise over axes, with optional scale and bias ------------------------------------------
def _normalize(b, x, axes, eps):
    mean = b.mean(x, axis=axes, keepdims=True)
    xc = b.sub(x, mean)
    var = b.mean(b.square(xc), axis=axes, keepdims=True)
    return b.mul(xc, b.rsqrt(b.add(var, _c(b, eps, x))))


def _affine(b, y, scale, bias, shape):
    """y * scale + bias with scale / bias ([C] or the normalised shape) reshaped to broadcast."""
    if scale is not None:
        y = b.mul(y, b.reshape(scale, shape=shape))
    if bias is not None:
        y = b.add(y, b.reshape(bias, shape=shape))
    return y


def _layer_norm(b, x, scale=None, bias=None, *, axis, epsilon):
    first = axis % x.aval.ndim
    axes = tuple(range(first, x.aval.ndim))
    return _affine(b, _normalize(b, x, axes, epsilon), scale, bias, tuple(x.shape[first:]))


defcomposite("layer_norm", None, _layer_norm, min_arity=1,
             attrs={"axis": Attr("int", -1), "epsilon": Attr("float", 1e-5)},
             doc="layer_norm(x, [scale, [bias]]): normalise over axes axis..-1 (scale, bias of that shape; "
                 "ONNX LayerNormalization, PyTorch layer_norm)")


def _channel_shape(x):
    return (x.shape[1],) + (1,) * (x.aval.ndim - 2)


def _group_norm(b, x, scale=None, bias=None, *, num_groups, epsilon):
    cs = _channel_shape(x)
    n = x.shape[0]
    xg = b.reshape(x, shape=(n, num_groups, -1))
    y = b.reshape(_normalize(b, xg, (2,), epsilon), shape=x.shape)
    return _affine(b, y, scale, bias, cs)


defcomposite("group_norm", None, _group_norm, min_arity=1,
             attrs={"num_groups": Attr("int"), "epsilon": Attr("float", 1e-5)},
             doc="group_norm(x, [scale, [bias]]): x [N, C, ...] normalised per sample over groups of C/num_groups "
                 "channels; scale, bias [C] (PyTorch group_norm, ONNX GroupNormalization)")


def _batch_norm(b, x, scale, bias, mean, var, *, epsilon, training):
    cs = _channel_shape(x)
    if training:  # batch statistics over every axis but the channels
        y = _normalize(b, x, (0,) + tuple(range(2, x.aval.ndim)), epsilon)
    else:
        y = b.mul(b.sub(x, b.reshape(mean, shape=cs)), b.rsqrt(b.add(b.reshape(var, shape=cs), _c(b, epsilon, x))))
    return _affine(b, y, scale, bias, cs)


defcomposite("batch_norm", 5, _batch_norm,
             attrs={"epsilon": Attr("float", 1e-5), "training": Attr("bool", False)},
             doc="batch_norm(x, scale, bias, mean, var): x [N, C, ...]; training=true normalises with the batch's "
                 "statistics (biased variance; mean / var unused), false with the given mean / var")
