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
    """The arrays joined along axis (flattened first when axis is None), in their promoted dtype."""
    ts = [asarray(a) for a in (arrays if isinstance(arrays, (list, tuple)) else
                               [arrays[i] for i in range(arrays.shape[0])])]
    if axis is None:
        ts, axis = [_ops.reshape(t, (-1,)) for t in ts], 0
    return _ops.concat(_pair_all(ts), axis)


def dot(a, b) -> Tensor:
    """NumPy's dot: a scalar product of vectors, a matrix product, else a sum over a's last axis and
    b's second-to-last (its only axis for a vector)."""
    _tensors_only(a, b, refuse=_not_tensor_text("the input x must be Tensor!"))  # (MindSpore 2.10's, p7.py)
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
    """NumPy's matmul: a 1-D operand is a row (first) or a column (second) vector, dropped afterwards."""
    _tensors_only(a, b, refuse=lambda _: failed_calling("MatMulExt", {}, {"input": a, "other": b},
                                                        {"input": "Tensor", "other": "Tensor"}))
    a, b = _pair(a, b)
    if a.ndim >= 2 and b.ndim >= 2:
        return _ops.matmul(a, b)
    out = _ops.matmul(_ops.expand_dims(a, 0) if a.ndim == 1 else a, _ops.expand_dims(b, 1) if b.ndim == 1 else b)
    if b.ndim == 1:
        out = out[..., 0]
    return out[..., 0, :] if a.ndim == 1 and b.ndim != 1 else out[0] if a.ndim == 1 else out


from ._numpy_math import *  # noqa: E402,F401,F403  (element-wise, reductions, products, layout)
from ._numpy_math import __all__ as _math, _pair, _pair_all, absolute, around  # noqa: E402
from ._numpy_math import _not_tensor_text, _tensors_only  # noqa: E402
from ._calling_errors import failed_calling  # noqa: E402

abs, round = absolute, around  # noqa: A001 - NumPy's names


def where(condition, x, y) -> Tensor:
    """x where condition holds (non-zero), else y, all three broadcast together."""
    cond = asarray(condition)
    x, y = _pair(x, y)
    shape = _np.broadcast_shapes(tuple(cond.shape), tuple(x.shape), tuple(y.shape))
    return _ops.select(_ops.broadcast_to(_ops.cast(cond, "bool"), shape), _ops.broadcast_to(x, shape),
                       _ops.broadcast_to(y, shape))


def reshape(x, newshape) -> Tensor:
    return _ops.reshape(asarray(x), _shape(newshape))


def transpose(a, axes=None) -> Tensor:
    return _ops.transpose(asarray(a), axes)


def unique(x, return_inverse=False):
    """MindSpore 2.10's numpy.unique: ops.unique of the flattened x -- the distinct values in order of first
    appearance (not sorted, unlike NumPy's), and with return_inverse each element's int32 position in them."""
    if not isinstance(x, Tensor):
        raise TypeError(f"expect Tensor, but got {type(x)}")
    values, inverse = _ops.unique(_ops.reshape(x, (-1,)))
    return (values, inverse) if return_inverse else values


def expand_dims(a, axis) -> Tensor:
    if isinstance(axis, bool) or not isinstance(axis, (int, _np.integer, tuple, list)):
        raise TypeError(f"For 'expand_dims', the 'axis' must be an int or a tuple of ints, but got {axis!r}")
    a = asarray(a)
    if not isinstance(axis, (tuple, list)):
        return _ops.expand_dims(a, int(axis))
    nd = len(a.shape) + len(axis)  # NumPy's tuple form: each axis a position of the result
    for ax in axis:
        if not -nd <= ax < nd:
            raise ValueError(f"axis {ax} is out of bounds for array of dimension {nd}")
    axes = {ax % nd for ax in axis}
    if len(axes) != len(axis):
        raise ValueError(f"duplicate axes in {tuple(axis)}.")
    sizes = iter(a.shape)
    return _ops.reshape(a, tuple(1 if i in axes else next(sizes) for i in range(nd)))


def squeeze(a, axis=None) -> Tensor:
    return _ops.squeeze(asarray(a), axis)


from .ops._correlate import correlate as _correlate  # noqa: E402  (cross-correlation of 1-D sequences)


def correlate(a, v, mode="valid") -> Tensor:
    a_t, v_t = _pair(a, v)
    return _correlate(a_t, v_t, mode)

from ._numpy_stats import bincount, choose, gradient, histogram, histogram2d, histogramdd, norm, unwrap  # noqa: E402,F401,E501
from ._numpy_funcs import apply_along_axis, apply_over_axes, intersect1d, piecewise  # noqa: E402,F401  (NumPy's definitions)
from ._numpy_logic import *  # noqa: E402,F401,F403  (equal / less ..., logical_*, isnan ..., isin, digitize, ...)

__all__ = [k for k, v in dict(globals()).items() if not k.startswith("_") and k not in ("annotations", "Tensor")
           and (callable(v) or isinstance(v, float))]
