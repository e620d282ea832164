"""mindspore.numpy's comparisons, logic and tests: equal / less / ..., logical_*, isnan / isinf / isfinite /
isneginf / isposinf / signbit / isclose, array_equal / array_equiv, isin / in1d, sometrue, digitize, divmod; and
the host-side ones whose output size depends on the values (argwhere, setdiff1d) or that are not Tensors
(isscalar, array_str). Operands convert with asarray and promote to one dtype first, as NumPy's."""
from __future__ import annotations

from typing import cast

import numpy as _np

from . import ops as _ops
from ._numpy_creation import asarray
from ._numpy_math import _graph_sequence_check, _pair, _tensors_only, floor_divide, remainder
from ._tensor import Tensor

__all__ = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or",
           "logical_xor", "logical_not", "isnan", "isinf", "isfinite", "isneginf", "isposinf", "signbit", "isclose",
           "array_equal", "array_equiv", "isin", "in1d", "copy", "sometrue", "isscalar", "divmod", "digitize",
           "argwhere", "setdiff1d", "array_str"]


def _compare(op, tensors=False):
    def f(x1, x2, dtype=None) -> Tensor:
        if tensors:  # (not_equal, less_equal: MindSpore 2.10 takes Tensors only, not lists or numbers)
            _tensors_only(x1, x2)
        out = op(*_pair(x1, x2))
        return out if dtype is None else _ops.cast(out, dtype)
    f.__name__ = f.__qualname__ = op.__name__
    return f


equal, not_equal = _compare(_ops.equal), _compare(_ops.not_equal, tensors=True)
greater, greater_equal = _compare(_ops.greater), _compare(_ops.greater_equal)
less, less_equal = _compare(_ops.less), _compare(_ops.less_equal, tensors=True)


def _as_bool(x) -> Tensor:
    return _ops.cast(asarray(x), "bool")


def logical_and(x1, x2, dtype=None) -> Tensor:
    _graph_sequence_check(x1, x2)
    return _compare(_ops.logical_and)(_as_bool(x1), _as_bool(x2), dtype)


def logical_or(x1, x2, dtype=None) -> Tensor:
    _graph_sequence_check(x1, x2)
    return _compare(_ops.logical_or)(_as_bool(x1), _as_bool(x2), dtype)


def logical_xor(x1, x2, dtype=None) -> Tensor:
    _tensors_only(x1, x2)  # (MindSpore 2.10's, as not_equal's)
    return _compare(_ops.logical_xor)(_as_bool(x1), _as_bool(x2), dtype)


def logical_not(a, dtype=None) -> Tensor:
    out = _ops.logical_not(_as_bool(a))
    return out if dtype is None else _ops.cast(out, dtype)


def _unary_test(op):
    def f(x, dtype=None) -> Tensor:
        out = op(asarray(x))
        return out if dtype is None else _ops.cast(out, dtype)
    f.__name__ = f.__qualname__ = op.__name__
    return f


isnan, isinf, isfinite = _unary_test(_ops.isnan), _unary_test(_ops.isinf), _unary_test(_ops.isfinite)
isneginf, isposinf = _unary_test(_ops.isneginf), _unary_test(_ops.isposinf)


def signbit(x, dtype=None) -> Tensor:
    """Whether the sign bit is set: x < 0, and -0.0 (whose reciprocal is -inf)."""
    x = asarray(x)
    x = x if x.dtype.name.startswith("float") else _ops.cast(x, "float32")
    zero = _ops.zeros_like(x)
    out = _ops.logical_or(_ops.less(x, zero),
                          _ops.logical_and(_ops.equal(x, zero), _ops.less(_ops.reciprocal(x), zero)))
    return out if dtype is None else _ops.cast(out, dtype)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """MindSpore 2.10's IsClose takes operands of one dtype (a list of ints is Int32 beside a Float32 Tensor: its
    TypeError, probe /work/scratch_left33/p7.py), where promoting them answered."""
    _graph_sequence_check(a, b)
    x1, x2 = asarray(a), asarray(b)
    if x1._dtype != x2._dtype:
        raise TypeError(f"For primitive[IsClose], the input type must be same.\nname:[input]:Tensor[{x1.dtype}].\n"
                        f"name:[other]:Tensor[{x2.dtype}].")
    return _ops.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


def array_equal(a1, a2) -> Tensor:
    """A 0-d Bool Tensor, as MindSpore 2.10 gives it (not a Python bool)."""
    a1, a2 = asarray(a1), asarray(a2)
    same = tuple(a1.shape) == tuple(a2.shape) and bool(_ops.equal(*_pair(a1, a2)).all()._host_copy())
    return Tensor(_np.array(same))


def array_equiv(a1, a2) -> Tensor:
    """Equal after broadcasting to one shape (False when the shapes do not broadcast); a 0-d Bool Tensor."""
    a1, a2 = asarray(a1), asarray(a2)
    try:
        _np.broadcast_shapes(tuple(a1.shape), tuple(a2.shape))
    except ValueError:
        return Tensor(_np.array(False))
    return Tensor(_np.array(bool(_ops.equal(*_pair(a1, a2)).all()._host_copy())))


def isin(element, test_elements, invert=False) -> Tensor:
    """Per element of `element`, whether it is one of test_elements (any shape, flattened)."""
    element, tests = _pair(element, test_elements)
    hits = _ops.equal(_ops.expand_dims(element, -1), _ops.reshape(tests, (-1,))).any(-1)
    return _ops.logical_not(hits) if invert else hits


def in1d(ar1, ar2, invert=False) -> Tensor:
    return isin(_ops.reshape(asarray(ar1), (-1,)), ar2, invert)


def copy(a) -> Tensor:
    return _ops.identity(asarray(a))


def sometrue(a, axis=None, keepdims=False):
    """Whether any element (along axis) is nonzero: a Python bool over all, a Tensor along an axis."""
    hits = _as_bool(a).any(axis, keepdims)
    return bool(hits._host_copy()) if axis is None and not keepdims else hits


def isscalar(element) -> bool:
    """NumPy's isscalar: a Python / NumPy number, bool or string (a Tensor, even 0-d, is not)."""
    return bool(_np.isscalar(element))


def divmod(x1, x2, dtype=None):  # noqa: A001 - NumPy's name
    """(floor_divide, remainder), the remainder with the divisor's sign, as NumPy's."""
    return floor_divide(x1, x2, dtype), remainder(x1, x2, dtype)


def digitize(x, bins, right=False) -> Tensor:
    """The index of the bin each x falls in: bins[i-1] <= x < bins[i] for increasing bins (<, <= with right),
    bins[i-1] > x >= bins[i] for decreasing ones, as NumPy's."""
    x, bins = _pair(x, bins)
    if bins.shape[0] > 1 and bool((bins[-1] < bins[0])._host_copy()):  # decreasing: count from the other end
        flipped = _ops.flip(bins, (0,))
        return bins.shape[0] - _ops.searchsorted(flipped, x, right=not right)
    return _ops.searchsorted(bins, x, right=not right)


def argwhere(a) -> Tensor:
    """The indices of the nonzero elements, one row each (int64; their number depends on the values)."""
    return cast(Tensor, _ops.argwhere(asarray(a)))


def setdiff1d(ar1, ar2, assume_unique=False) -> Tensor:
    """The sorted unique values of ar1 not in ar2 (computed on the host: the size depends on the values)."""
    a1, a2 = asarray(ar1), asarray(ar2)
    return Tensor(_np.setdiff1d(a1._host_copy(), a2._host_copy(), assume_unique).astype(a1._host_copy().dtype))


def array_str(a, max_line_width=None, precision=None, suppress_small=None) -> str:
    return _np.array_str(asarray(a)._host_copy(), max_line_width, precision, suppress_small)
