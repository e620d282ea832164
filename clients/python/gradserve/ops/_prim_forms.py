"""MindSpore 2.10 primitives whose function form gradserve has: Cls(attrs)(inputs) calls the function (one
definition of each computation), with the attributes and argument forms MindSpore's primitive takes (a Tensor
axis or size, MindSpore's defaults: IsClose's equal_nan=True, ReduceStd's (std, mean) pair, CumulativeLogsumexp's
exclusive / reverse with the dtype's lowest value for an empty sum)."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._axis_range import checked_axis

__all__ = ["Addcdiv", "Addcmul", "Bincount", "ConjugateTranspose", "Cross", "CumulativeLogsumexp", "DiagPart", "Fmax",
           "GLU", "Heaviside", "Hypot", "IsClose", "LogSpace", "LogicalXor", "Logit", "LowerBound", "UpperBound",
           "MatrixBandPart", "MatrixDeterminant", "Mvlgamma", "NonZero", "ReduceStd", "SquaredDifference",
           "TruncateDiv", "Tril", "Zeta", "LuSolve"]


def _int(name: str, value) -> int:
    """A Python int from an int or a one-element int Tensor (MindSpore's primitives take either)."""
    if isinstance(value, Tensor):
        if value.size != 1 or not np.issubdtype(np.dtype(value._dtype), np.integer):
            raise TypeError(f"For '{name}', expected an int or a one-element int Tensor, got {value.dtype} of shape "
                            f"{tuple(value.shape)}")
        return int(value._host_copy().reshape(-1)[0])
    return int(value)


def _forwarding(name: str, fn_name: str, doc: str):
    """Cls()(*inputs) = ops.<fn_name>(*inputs)."""
    def __call__(self, *inputs, **kwargs):  # keywords: the function's, which are MindSpore's
        return getattr(late.ops, fn_name)(*inputs, **kwargs)
    return type(name, (), {"__call__": __call__, "__doc__": f"ops.{name}()(...) = ops.{fn_name}(...): {doc}"})


Addcdiv = _forwarding("Addcdiv", "addcdiv", "input + value * x1 / x2.")
Addcmul = _forwarding("Addcmul", "addcmul", "input + value * x1 * x2.")
Fmax = _forwarding("Fmax", "fmax", "the element-wise maximum, a NaN losing to a number.")
Heaviside = _forwarding("Heaviside", "heaviside", "0 below 0, values at 0, 1 above.")
Hypot = _forwarding("Hypot", "hypot", "sqrt(x1^2 + x2^2).")
MatrixBandPart = _forwarding("MatrixBandPart", "matrix_band_part", "the band of lower / upper diagonals kept.")
MatrixDeterminant = _forwarding("MatrixDeterminant", "det", "each matrix's determinant.")
TruncateDiv = _forwarding("TruncateDiv", "truncate_div", "x / y rounded toward zero.")
Zeta = _forwarding("Zeta", "zeta", "the Hurwitz zeta function zeta(x, q).")
LuSolve = _forwarding("LuSolve", "lu_solve", "solves A X = b from A's LU factors and pivots.")


_SQUARED_DIFFERENCE_DTYPES = ("complex128", "complex64", "float16", "float32", "float64", "int32", "int64")


class SquaredDifference:
    """ops.SquaredDifference()(x, y) = (x - y)^2; a Tensor argument of another dtype (bool, int8, ...) is
    MindSpore 2.10's TypeError (a Python bool / number is promoted, as there)."""

    def __call__(self, x, y):
        for name, v in (("x", x), ("y", y)):
            if isinstance(v, Tensor) and v._dtype not in _SQUARED_DIFFERENCE_DTYPES:
                if isinstance(x, Tensor) and isinstance(y, Tensor) and x._dtype != y._dtype:
                    continue  # (mixed Tensors: MindSpore promotes them first; bool with float32 is float32)
                raise input_dtype_error("SquaredDifference", name, _SQUARED_DIFFERENCE_DTYPES, tensor_type(v))
        return late.ops.square(late.ops.sub(x, y))


class LogicalXor:
    """ops.LogicalXor()(input, other): either may be a Python bool."""

    def __call__(self, input, other):  # noqa: A002 - MindSpore's names
        x, y = (v if isinstance(v, Tensor) else Tensor(np.asarray(v, bool)) for v in (input, other))
        return late.ops.logical_xor(x, y)


class Bincount:
    """ops.Bincount()(array, size, weights): size bins (values from size up are not counted), weighted."""

    def __call__(self, array, size, weights):
        n = _int("Bincount", size)
        if n < 0:
            raise ValueError(f"For 'Bincount', 'size' must be non negative, but got {n}.")
        return late.ops.bincount(array, weights, minlength=n)[:n]


class ConjugateTranspose:
    """ops.ConjugateTranspose()(x, perm): transpose by perm and conjugate."""

    def __call__(self, x, perm):
        return late.ops.conj(late.ops.transpose(x, tuple(perm)))


class Cross:
    """ops.Cross(dim=-65530)(input, other): MindSpore's default dim: the first axis of size 3."""

    def __init__(self, dim=-65530):
        self.dim = dim

    def __call__(self, input, other):  # noqa: A002 - MindSpore's names
        return late.ops.cross(input, other, None if self.dim == -65530 else self.dim)


_AXIS_DTYPES = {"int16": "Int16", "int32": "Int32", "int64": "Int64"}


def _logsumexp_axis(axis: Tensor, ndim: int) -> int:
    """CumulativeLogsumexp's axis Tensor as an index in [0, ndim), refused as MindSpore 2.10 refuses it: another
    dtype than int16 / int32 / int64, a rank other than 0, outside [-ndim, ndim) (was wrapped round by `%`)."""
    if axis._dtype not in _AXIS_DTYPES:
        raise input_dtype_error("CumulativeLogsumexp", "axis", _AXIS_DTYPES, tensor_type(axis))
    if axis.ndim != 0:
        raise ValueError(f"For primitive[CumulativeLogsumexp], the axis dimension must be equal to 0, but got "
                         f"{axis.ndim}.")
    return checked_axis(_int("CumulativeLogsumexp", axis), max(ndim, 1), RuntimeError,
                        "For 'CumulativeLogsumexp, 'axis' must be in range [-{ndim}, {ndim}), but got: {axis}")


class CumulativeLogsumexp:
    """ops.CumulativeLogsumexp(exclusive=False, reverse=False)(x, axis): log of the running sum of exp along
    axis (from the end with reverse; without the element itself with exclusive, an empty sum being the
    dtype's lowest finite value, as MindSpore prints it)."""

    def __init__(self, exclusive=False, reverse=False):
        self.exclusive, self.reverse = bool(exclusive), bool(reverse)

    def __call__(self, x, axis):
        if not isinstance(axis, Tensor):  # MindSpore 2.10's primitive takes the axis as a Tensor only
            kind = "Bool" if isinstance(axis, (bool, np.bool_)) else "Int64" if isinstance(axis, (int, np.integer)) \
                else "Float32" if isinstance(axis, (float, np.floating)) else type(axis).__name__
            raise TypeError(f"For Primitive[CumulativeLogsumexp], the type of input argument[axis] must be Tensor "
                            f"but got {kind}.")
        axis = _logsumexp_axis(axis, len(x.shape))
        ops = late.ops
        y = ops.flip(x, (axis,)) if self.reverse else x
        out = ops.logcumsumexp(y, axis)
        if self.exclusive:
            n = y.shape[axis]
            first = list(y.shape)
            first[axis] = 1
            lowest = Tensor(np.full(first, np.finfo(np.dtype(x._dtype)).min, x._dtype))
            out = ops.concat((lowest, ops.narrow(out, axis, 0, n - 1)), axis) if n > 1 else lowest
        return ops.flip(out, (axis,)) if self.reverse else out


class DiagPart:
    """ops.DiagPart()(x): of a rank-2k x with shape (d1..dk, d1..dk), out[i1..ik] = x[i1..ik, i1..ik]."""

    def __call__(self, x):
        shape = tuple(x.shape)
        k = len(shape) // 2
        if len(shape) % 2 or not shape or shape[:k] != shape[k:]:
            raise ValueError(f"For 'DiagPart', the input must have shape (d1, ..., dk, d1, ..., dk), got {shape}")
        n = int(np.prod(shape[:k], dtype=np.int64))
        return late.ops.reshape(late.ops.diagonal(late.ops.reshape(x, (n, n))), shape[:k])


class GLU:
    """ops.GLU(axis=-1)(x): the first half of x along axis times the sigmoid of the second."""

    def __init__(self, axis=-1):
        self.axis = axis

    def __call__(self, x):
        return late.ops.glu(x, self.axis)


class IsClose:
    """ops.IsClose(rtol=1e-05, atol=1e-08, equal_nan=True)(input, other)."""

    def __init__(self, rtol=1e-05, atol=1e-08, equal_nan=True):
        self.rtol, self.atol, self.equal_nan = rtol, atol, equal_nan

    def __call__(self, input, other):  # noqa: A002 - MindSpore's names
        return late.ops.isclose(input, other, self.rtol, self.atol, self.equal_nan)


class LogSpace:
    """ops.LogSpace(steps=10, base=10, dtype=float32)(start, end): base ** linspace(start, end, steps)."""

    def __init__(self, steps=10, base=10, dtype=_dt.float32):
        self.steps, self.base, self.dtype = steps, base, dtype

    def __call__(self, start, end):
        return late.ops.logspace(start, end, self.steps, self.base, dtype=self.dtype)


class Logit:
    """ops.Logit(eps=-1.0)(x): log(x / (1 - x)), x clamped to [eps, 1 - eps] when eps >= 0."""

    def __init__(self, eps=-1.0):
        self.eps = eps

    def __call__(self, input):  # noqa: A002 - MindSpore's name
        return late.ops.logit(input, None if self.eps < 0 else self.eps)


class _Bound:
    _right = False

    def __init__(self, out_type=_dt.int32):
        self.out_type = out_type

    def __call__(self, sorted_x, values):
        found = late.ops.searchsorted(sorted_x, values, right=self._right)
        return late.ops.cast(found, self.out_type)


class LowerBound(_Bound):
    """ops.LowerBound(out_type=int32)(sorted_x, values): per row, the first position not below each value."""


class UpperBound(_Bound):
    """ops.UpperBound(out_type=int32)(sorted_x, values): per row, the first position above each value."""

    _right = True


class Mvlgamma:
    """ops.Mvlgamma(p)(x): the multivariate log-gamma function of dimension p."""

    def __init__(self, p):
        self.p = p

    def __call__(self, x):
        return late.ops.mvlgamma(x, self.p)


class NonZero:
    """ops.NonZero()(input): the [N, rank] int64 indices of the non-zero elements."""

    def __call__(self, input):  # noqa: A002 - MindSpore's name
        return late.ops.nonzero(input)


class ReduceStd:
    """ops.ReduceStd(axis=(), unbiased=True, keep_dims=False)(x): (std, mean) over axis (() is all)."""

    def __init__(self, axis=(), unbiased=True, keep_dims=False):
        axis = (axis,) if isinstance(axis, int) else tuple(axis)
        self.axis, self.unbiased, self.keep_dims = axis or None, unbiased, keep_dims

    def __call__(self, x):
        std = late.ops.std(x, self.axis, 1 if self.unbiased else 0, self.keep_dims)
        return std, late.ops.mean(x, self.axis, self.keep_dims)


class Tril:
    """ops.Tril(diagonal=0)(x): the lower triangle from the diagonal-th diagonal down."""

    def __init__(self, diagonal=0):
        self.diagonal = diagonal

    def __call__(self, x):
        return late.ops.tril(x, self.diagonal)
