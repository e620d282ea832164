"""MindSpore 2.10 ops composed here from the SDK's ops (their derivatives are those of the ops they are made of):
addcdiv / addcmul / addr, exp2 / ldexp / copysign, msort, nanmean, truncate_div / truncate_mod, rot90, trapz,
vecdot, count_nonzero, swapdims, atleast_1d / 2d / 3d, column_stack, dstack, adjoint."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor
from ._int_zero_divisor import saturate_where_zero


def _ops() -> Any:
    """gradserve.ops (this module is one of its parts: complete by the time any function here runs)."""
    return late.ops


__all__ = ["addcdiv", "addcmul", "addr", "exp2", "ldexp", "copysign", "msort", "nanmean", "truncate_div",
           "truncate_mod", "rot90", "trapz", "vecdot", "count_nonzero", "swapdims", "atleast_1d", "atleast_2d",
           "atleast_3d", "column_stack", "dstack", "adjoint"]


def addcdiv(input, tensor1, tensor2, value=1):  # noqa: A002 - MindSpore's names
    """input + value * tensor1 / tensor2."""
    return _ops().add(input, _ops().mul(_ops().div(tensor1, tensor2), value))


def addcmul(input, tensor1, tensor2, value=1):  # noqa: A002
    """input + value * tensor1 * tensor2."""
    return _ops().add(input, _ops().mul(_ops().mul(tensor1, tensor2), value))


def addr(x, vec1, vec2, *, beta=1, alpha=1):
    """beta * x + alpha * the outer product of vec1 and vec2."""
    return _ops().add(_ops().mul(x, beta), _ops().mul(_ops().outer(vec1, vec2), alpha))


def _float(x: Tensor) -> Tensor:
    """Integers and bool as float32 (MindSpore 2.10); float and complex tensors as they are (a complex one cast to
    float32 kept its real part only: sqrt(1+2j) was 1.0; bfloat16 was taken for an integer: sqrt, reciprocal, exp2,
    tanhshrink, copysign of bfloat16 came back Float32)."""
    return x if x._dtype in _dt.FLOAT or x._dtype in _dt.COMPLEX else _ops().cast(x, "float32")


def _float_bf16_wide(x: Tensor) -> Tensor:
    """_float, bfloat16 as float32: MindSpore 2.10's exp2 and copysign(x, number) of bfloat16 answer Float32 (exp2:
    float32's 2 ** x exactly)."""
    x = _float(x)
    return _ops().cast(x, "float32") if x._dtype == "bfloat16" else x


def exp2(input):  # noqa: A002
    """2 ** input (float32 for an integer input): a power of 2, exact at integer exponents (MindSpore 2.10: exp2(3)
    is 8, where exp(3 ln 2) is 7.999999999999998)."""
    x = _float_bf16_wide(input)
    return _ops().pow(_ops().fill(x._dtype, tuple(x.shape), 2.0), x)


def ldexp(x, other):
    """x * 2 ** other."""
    x = _float(x)
    return _ops().mul(x, exp2(_ops().cast(other, x._dtype)))


def copysign(x, other):
    """|x| with the sign of other (a number or a Tensor; -0.0 counts as negative)."""
    x = _float_bf16_wide(x)
    size = _ops().abs(x)
    if not isinstance(other, Tensor):
        return _ops().neg(size) if math.copysign(1.0, float(other)) < 0 else size
    other = _float(other)
    zero = _ops().zeros_like(other)
    negative = _ops().logical_or(_ops().less(other, zero),
                            _ops().logical_and(_ops().equal(other, zero), _ops().less(_ops().reciprocal(other), zero)))
    shape = np.broadcast_shapes(tuple(size.shape), tuple(negative.shape))
    size, negative = _ops().broadcast_to(size, shape), _ops().broadcast_to(negative, shape)
    return _ops().select(negative, _ops().neg(size), size)


def msort(input):  # noqa: A002
    """input sorted along axis 0."""
    return _ops().sort(input, axis=0, descending=False)[0]


def nanmean(input, axis=None, keepdims=False, *, dtype=None):  # noqa: A002
    """The mean of the non-NaN elements along axis (NaN where there are none); a float input only (MindSpore 2.10's
    TypeError for an integer / bool one)."""
    if not _dt.is_float(input.dtype):
        raise TypeError(f"For 'nanmean', input should be floating point dtype, but got {input.dtype}.")
    nan = _ops().isnan(input)
    total = _ops().sum(_ops().select(nan, _ops().zeros_like(input), input), axis, keepdims)
    count = _ops().sum(_ops().cast(_ops().logical_not(nan), input._dtype), axis, keepdims)
    out = _ops().div(total, count)
    return out if dtype is None else _ops().cast(out, dtype)


def truncate_mod(x, y):
    """The remainder of x / y rounded toward zero (the sign of x), as C's fmod."""
    return _ops().fmod(x, y)


def truncate_div(x, y):
    """x / y rounded toward zero (integers stay integers: (x - fmod(x, y)) / y is exact)."""
    x, y = _ops()._primitives._promoted(x, y)
    if _dt.is_float(x.dtype):
        return _ops().trunc(_ops().div(x, y))
    return saturate_where_zero(x, y, _ops().floor_div(_ops().sub(x, _ops().fmod(x, y)), y))


def rot90(input, k, dims):  # noqa: A002
    """input rotated by 90 degrees k times in the plane dims, from dims[0] toward dims[1] (NumPy's rot90)."""
    d0, d1 = (int(d) % input.ndim for d in dims)
    if d0 == d1 or len(dims) != 2:
        raise ValueError(f"rot90: dims must be two different axes, got {dims}")
    k = int(k) % 4
    if k == 0:
        return input
    if k == 2:
        return _ops().flip(_ops().flip(input, (d0,)), (d1,))
    if k == 1:
        return _ops().swapaxes(_ops().flip(input, (d1,)), d0, d1)
    return _ops().flip(_ops().swapaxes(input, d0, d1), (d1,))


def trapz(y, x=None, *, dx=1.0, dim=-1):
    """The trapezoidal rule along dim: spacing dx, or the sample points x (y's shape, or 1-D along dim)."""
    y = _ops().movedim(_float(y), dim, -1)
    mids = _ops().mul(_ops().add(y[..., 1:], y[..., :-1]), 0.5)
    if x is None:
        return _ops().mul(_ops().sum(mids, -1), float(dx))
    x = _ops().cast(x, y._dtype)
    x = x if x.ndim == 1 else _ops().movedim(x, dim, -1)
    return _ops().sum(_ops().mul(_ops().sub(x[..., 1:], x[..., :-1]), mids), -1)


def vecdot(x, y, *, axis=-1):
    """The dot product of x's and y's vectors along axis (x conjugated)."""
    if x._dtype.startswith("complex"):
        x = _ops().conj(x)
    return _ops().sum(_ops().mul(x, y), axis)


def count_nonzero(x, axis=(), keep_dims=False, dtype=_dt.int32):
    """The number of nonzero elements along axis (all when axis is ())."""
    axis = None if axis == () or axis == [] else tuple(axis) if isinstance(axis, (list, tuple)) else axis
    hits = _ops().cast(_ops().not_equal(x, _ops().zeros_like(x)), "int32")
    return _ops().cast(_ops().sum(hits, axis, bool(keep_dims)), dtype)


def swapdims(input, dim0, dim1):  # noqa: A002
    return _ops().swapaxes(input, dim0, dim1)


def _atleast(inputs, ndim: int):
    """NumPy's atleast_Nd shapes: () -> (1,)*n; (k,) -> (1, k) / (1, k, 1); (a, b) -> (a, b, 1). A list or tuple
    of Tensors gives a tuple (MindSpore 2.10's ops.atleast_1d([x, y]))."""
    if isinstance(inputs, (list, tuple)):
        return tuple(_atleast(t, ndim) for t in inputs)
    shape = tuple(inputs.shape)
    if len(shape) >= ndim:
        return inputs
    grown = {0: (1,) * ndim, 1: ((1,) + shape + (1,))[:ndim] if ndim == 3 else (1,) + shape, 2: shape + (1,)}
    return _ops().reshape(inputs, grown[len(shape)])


def atleast_1d(inputs):
    return _atleast(inputs, 1)


def atleast_2d(inputs):
    return _atleast(inputs, 2)


def atleast_3d(inputs):
    return _atleast(inputs, 3)


def column_stack(tensors):
    """1-D Tensors as columns, 2-D ones as they are, joined along axis 1."""
    cols = [_ops().reshape(t, (-1, 1)) if t.ndim <= 1 else t for t in tensors]
    return _ops().concat(cols, 1)


def dstack(tensors):
    """The Tensors made at least 3-D (atleast_3d), joined along axis 2."""
    return _ops().concat(list(atleast_3d(list(tensors))), 2)


def adjoint(x):
    """The conjugate transpose of the last two axes."""
    t = _ops().swapaxes(x, -1, -2)
    return _ops().conj(t) if x._dtype.startswith("complex") else t
