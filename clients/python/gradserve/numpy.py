"""`gradserve.numpy` (MindSpore's `mindspore.numpy`): the NumPy-named functions over Tensors that
programs use most, each one of the SDK's ops (so they trace, differentiate and vmap like them).

Creation follows mindspore.numpy's defaults: Python / NumPy floats become float32, integers int32.
"""
from __future__ import annotations

import numpy as _np

from . import dtype as _dt
from . import ops as _ops
from ._tensor import Tensor

float16, float32, float64 = _dt.float16, _dt.float32, _dt.float64
int8, int16, int32, int64, bool_ = _dt.int8, _dt.int16, _dt.int32, _dt.int64, _dt.bool_
uint8, uint16, uint32, uint64 = _dt.uint8, _dt.uint16, _dt.uint32, _dt.uint64
pi, e, inf, nan = _np.pi, _np.e, _np.inf, _np.nan

from ._numpy_creation import *  # noqa: E402,F401,F403  (asarray, zeros, linspace, pad, ...: creation)
from ._numpy_creation import __all__ as _creation, _shape, asarray, dtype_name  # noqa: E402


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    if stop is None:
        start, stop = 0, start
    host = _np.arange(start, stop, step)
    return asarray(host, dtype)


def stack(arrays, axis=0) -> Tensor:
    return _ops.stack([asarray(a) for a in arrays], axis)


def concatenate(arrays, axis=0) -> Tensor:
    return _ops.concat([asarray(a) for a in arrays], axis)


def dot(a, b) -> Tensor:
    """NumPy's dot: a scalar product of vectors, a matrix product, else a sum over a's last axis and
    b's second-to-last (its only axis for a vector)."""
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim == 1:
        return _ops.ReduceSum()(a * b, -1)
    letters = "abcdefghijklmnopqrstuvw"
    la, lb = letters[:a.ndim], letters[a.ndim:a.ndim + b.ndim]
    lb = lb[:-2] + la[-1] + lb[-1]  # b's second-to-last axis is the contracted one
    return _ops.einsum(f"{la},{lb}->{la[:-1]}{lb[:-2]}{lb[-1]}", a, b)


def matmul(a, b) -> Tensor:
    return _ops.matmul(asarray(a), asarray(b))


def sum(a, axis=None, dtype=None, keepdims=False) -> Tensor:  # noqa: A001 - NumPy's name
    out = _ops.ReduceSum(keep_dims=bool(keepdims))(asarray(a), () if axis is None else axis)
    return out if dtype is None else _ops.cast(out, dtype)


def mean(a, axis=None, keepdims=False) -> Tensor:
    return _ops.mean(asarray(a), axis, keepdims)


def _unary(op):
    def f(x):
        return op(asarray(x))

    return f


def _binary(op):
    def f(x1, x2):
        return op(asarray(x1), asarray(x2))

    return f


sin, cos, tan, exp, log = (_unary(_ops.sin), _unary(_ops.cos), _unary(_ops.tan), _unary(_ops.exp),
                           _unary(_ops.log))
sqrt, tanh, square, absolute = _unary(_ops.sqrt), _unary(_ops.tanh), _unary(_ops.square), _unary(_ops.abs)
negative = _unary(_ops.neg)
add, subtract, multiply, divide = _binary(_ops.add), _binary(_ops.sub), _binary(_ops.mul), _binary(_ops.div)
power, maximum, minimum = _binary(_ops.pow), _binary(_ops.maximum), _binary(_ops.minimum)
true_divide, abs = divide, absolute  # noqa: A001


def where(condition, x, y) -> Tensor:
    return _ops.select(asarray(condition), asarray(x), asarray(y))


def reshape(x, newshape) -> Tensor:
    return _ops.reshape(asarray(x), _shape(newshape))


def transpose(a, axes=None) -> Tensor:
    return _ops.transpose(asarray(a), axes)


def expand_dims(a, axis) -> Tensor:
    return _ops.expand_dims(asarray(a), axis)


def squeeze(a, axis=None) -> Tensor:
    return _ops.squeeze(asarray(a), axis)


from .ops._correlate import correlate  # noqa: E402  (cross-correlation of 1-D sequences)

__all__ = [k for k, v in dict(globals()).items() if not k.startswith("_") and k not in ("annotations", "Tensor")
           and (callable(v) or isinstance(v, float))]
