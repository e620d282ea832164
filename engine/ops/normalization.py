"""GELU and the normalisations (layer, group, batch), as composites of existing ops
(engine/ops/composite.py): one node in a graph, derivatives of any order from the
pieces. Conventions follow PyTorch / ONNX: biased variance, epsilon inside the sqrt.
"""
from __future__ import annotations

import math

from ..errors import ShapeError
from ..ir import is_float
from .composite import defcomposite
from .registry import Attr


def _float(op, *xs):
    for x in xs:
        if not is_float(x.dtype):
            raise ShapeError(f"{op}: needs floating-point operands, got {x.aval}", dtype=x.dtype)
    if len({x.dtype for x in xs}) > 1:
        raise ShapeError(f"{op}: operand dtypes differ: {', '.join(str(x.aval) for x in xs)}")


def _c(b, v, x):
    return b.scalar(v, x.dtype)


# -- gelu -------------------------------------------------------------------------------------------
def _gelu(b, x, approximate):
    _float("gelu", x)
    half_x = b.mul(_c(b, 0.5, x), x)
    if approximate == "none":  # x * Phi(x)
        inner = b.erf(b.mul(x, _c(b, 1 / math.sqrt(2.0), x)))
    elif approximate == "tanh":
        cube = b.mul(_c(b, 0.044715, x), b.mul(x, b.square(x)))
        inner = b.tanh(b.mul(_c(b, math.sqrt(2.0 / math.pi), x), b.add(x, cube)))
    else:
        raise ShapeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return b.add(half_x, b.mul(half_x, inner))


defcomposite("gelu", 1, _gelu, attrs={"approximate": Attr("str", "none")},
             doc="GELU x * Phi(x) (approximate='none', erf) or its tanh approximation (approximate='tanh')")


# -- normalise over axes, with optional scale and bias ------------------------------------------
def _normalize(b, x, axes, eps):
    mean = b.mean(x, axis=axes, keepdims=True)
    xc = b.sub(x, mean)
    var = b.mean(b.square(xc), axis=axes, keepdims=True)
    return b.mul(xc, b.rsqrt(b.add(var, _c(b, eps, x))))


def _affine(b, op, y, scale, bias, shape):
    """y * scale + bias with scale / bias ([C] or the normalised shape) reshaped to broadcast."""
    for name, v in (("scale", scale), ("bias", bias)):
        if v is not None and v.aval.size != math.prod(shape):
            raise ShapeError(f"{op}: {name} {v.aval} does not match shape {list(shape)}",
                             shapes=[list(v.shape), list(shape)])
    if scale is not None:
        y = b.mul(y, b.reshape(scale, shape=shape))
    if bias is not None:
        y = b.add(y, b.reshape(bias, shape=shape))
    return y


def _layer_norm(b, x, scale=None, bias=None, *, axis, epsilon):
    _float("layer_norm", *[v for v in (x, scale, bias) if v is not None])
    if not -x.aval.ndim <= axis < max(x.aval.ndim, 1):
        raise ShapeError(f"layer_norm: axis {axis} out of range for {x.aval}", axis=axis)
    first = axis % x.aval.ndim
    axes = tuple(range(first, x.aval.ndim))
    return _affine(b, "layer_norm", _normalize(b, x, axes, epsilon), scale, bias, tuple(x.shape[first:]))


defcomposite("layer_norm", None, _layer_norm, min_arity=1,
             attrs={"axis": Attr("int", -1), "epsilon": Attr("float", 1e-5)},
             doc="layer_norm(x, [scale, [bias]]): normalise over axes axis..-1 (scale, bias of that shape; "
                 "ONNX LayerNormalization, PyTorch layer_norm)")


def _channel_shape(x):
    if x.aval.ndim < 2:
        raise ShapeError(f"normalisation over channels needs x [N, C, ...], got {x.aval}", shape=list(x.shape))
    return (x.shape[1],) + (1,) * (x.aval.ndim - 2)


def _group_norm(b, x, scale=None, bias=None, *, num_groups, epsilon):
    _float("group_norm", *[v for v in (x, scale, bias) if v is not None])
    cs = _channel_shape(x)
    n, c = x.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise ShapeError(f"group_norm: num_groups={num_groups} must divide the {c} channels of {x.aval}")
    xg = b.reshape(x, shape=(n, num_groups, -1))
    y = b.reshape(_normalize(b, xg, (2,), epsilon), shape=x.shape)
    return _affine(b, "group_norm", y, scale, bias, cs)


defcomposite("group_norm", None, _group_norm, min_arity=1,
             attrs={"num_groups": Attr("int"), "epsilon": Attr("float", 1e-5)},
             doc="group_norm(x, [scale, [bias]]): x [N, C, ...] normalised per sample over groups of C/num_groups "
                 "channels; scale, bias [C] (PyTorch group_norm, ONNX GroupNormalization)")


def _batch_norm(b, x, scale, bias, mean, var, *, epsilon, training):
    _float("batch_norm", x, scale, bias, mean, var)
    cs = _channel_shape(x)
    if training:  # batch statistics over every axis but the channels
        y = _normalize(b, x, (0,) + tuple(range(2, x.aval.ndim)), epsilon)
    else:
        for name, v in (("mean", mean), ("var", var)):
            if v.aval.size != cs[0]:
                raise ShapeError(f"batch_norm: {name} {v.aval} must have one value per channel ({cs[0]})")
        y = b.mul(b.sub(x, b.reshape(mean, shape=cs)), b.rsqrt(b.add(b.reshape(var, shape=cs), _c(b, epsilon, x))))
    return _affine(b, "batch_norm", y, scale, bias, cs)


defcomposite("batch_norm", 5, _batch_norm,
             attrs={"epsilon": Attr("float", 1e-5), "training": Attr("bool", False)},
             doc="batch_norm(x, scale, bias, mean, var): x [N, C, ...]; training=true normalises with the batch's "
                 "statistics (biased variance; mean / var unused), false with the given mean / var")
