"""MindSpore 2.10's median family: ops.median / ops.nanmedian (values and int64 indices along an axis),
the global median, and nansum / aminmax, the other reductions met beside them as Tensor methods.

The median is the LOWER middle element (the ((n - 1) // 2)-th of the sorted slice), its index that
element's position; among ties the first position (a stable sort). A slice holding NaN has the median NaN,
at its first NaN (MindSpore 2.10 and torch.median; nanmedian skips NaN). The values are gathered from the input
at those indices, so the gradient reaches the chosen element only. Forms checked against MindSpore 2.10 on
CPU: median([[1, 3, 4, 2], [0, 2, 4, 1]], 0) = ([0, 2, 4, 1], [1, 1, 0, 1]); nanmedian ignores NaN and is
NaN for an all-NaN slice (index 0 here; MindSpore's CPU kernel names a position its partial sort leaves
there: 0 for up to 3 elements, 2 for 4 or 5)."""
from __future__ import annotations

from ._extra import P
from . import _primitives
from ._reduce_ms import _first_extremum
from ._axis_range import checked_axis
from ._scalar_axis import one_element_axis

_MEDIAN_AXIS = "For primitive[Median], the axis must be in [-{ndim},{ndim}), but got {axis}."  # MindSpore 2.10's

__all__ = ["median", "nanmedian", "nansum", "aminmax"]


def _lower_middle(x, axis: int, keepdims: bool, ignore_nan: bool):
    x, axis, keepdims = one_element_axis(x, axis, keepdims)
    axis = checked_axis(axis, len(x.shape), ValueError, _MEDIAN_AXIS) if x.shape else 0
    _, order = P.sort(x, axis=axis, descending=False)  # stable (ties keep their order), NaN last
    count = P.sum(P.cast(P.equal(x, x), "int64"), axis=axis, keepdims=True)  # numbers per slice: NaN != NaN
    if ignore_nan:  # the middle of the numbers
        k = P.maximum(P.cast(P.floor(P.div(P.cast(P.sub(count, 1), "float32"), 2.0)), "int64"), P.zeros_like(count))
    else:  # the middle of the slice, or its first NaN (sorted right after the numbers): MindSpore's NaN median
        n = x.shape[axis]
        k = P.select(P.less(count, n), count, P.fill("int64", tuple(count.shape), (n - 1) // 2))
    idx = P.take_along_axis(P.cast(order, "int64"), k, axis=axis)
    vals = P.take_along_axis(x, idx, axis=axis)
    if not keepdims:
        vals, idx = P.squeeze(vals, axis), P.squeeze(idx, axis)
    return vals, idx


def median(input, axis: int | None = -1, keepdims=False):  # noqa: A002 - MindSpore's names
    """(lower median along axis, int64 index of that element); axis None: the median of all elements (one
    value, no index: mint.median / Tensor.median(dim=None)'s form)."""
    if axis is None:
        return _lower_middle(P.reshape(input, (-1,)), 0, False, False)[0]
    _primitives._refuse_bool(axis, "For 'Median', the type of 'axis' should be 'int', but got type 'bool'.")
    return _lower_middle(input, int(axis), bool(keepdims), False)


def nanmedian(input, axis: int | None = -1, keepdims=False):  # noqa: A002
    """median ignoring NaN: (values, int64 indices) along axis; NaN (index 0) where a slice is all NaN."""
    if axis is None:
        return _lower_middle(P.reshape(input, (-1,)), 0, False, True)[0]
    return _lower_middle(input, int(axis), bool(keepdims), True)


def nansum(input, axis=None, keepdims=False, *, dtype=None):  # noqa: A002
    """the sum over axis (all when None) with NaN counted as 0, in the input's dtype (an integer sum keeps its
    dtype, a bool one is int64), then cast to dtype when given: MindSpore 2.10 on CPU sums first
    (nansum([nan, 1.6, 1.6], dtype=int64) = 3; int8 [100, 100] with dtype=int64 is -56). Casting first turned
    a NaN into int64's minimum before it was dropped."""
    zero = P.zeros_like(input)
    out = P.sum(P.select(P.not_equal(input, input), zero, input), axis=axis, keepdims=bool(keepdims))
    if input.dtype.name != "bool" and out.dtype != input.dtype:
        out = P.cast(out, input.dtype.name)
    return out if dtype is None else P.cast(out, getattr(dtype, "name", dtype))


def aminmax(input, *, axis=0, keepdims=False):  # noqa: A002
    """(min, max) over axis (all when None); of a 0-d input, itself for any axis (MindSpore 2.10: shape ()). Along an
    axis each is ArgMinWithValue's / ArgMaxWithValue's (MindSpore 2.10 CPU, checked): a NaN counts only where it comes
    first, and the gradient goes to the first index of the extremum alone ([3, 1, 3, 1]: max 3 at index 0)."""
    if not input.shape:
        axis = None
    if axis is None:
        return P.min(input, axis=None, keepdims=bool(keepdims)), P.max(input, axis=None, keepdims=bool(keepdims))
    return tuple(_first_extremum(input, int(axis), bool(keepdims), arg)[0] for arg in ("argmin", "argmax"))


def tensor_median(input, axis=-1, keepdims=False, *, dim=None, keepdim=None):  # noqa: A002
    """Tensor.median(axis=-1, keepdims=False) or (dim=..., keepdim=...): (values, indices) along the axis
    (MindSpore 2.10 on CPU: median() with no argument is along the last axis too)."""
    return median(input, axis if dim is None else dim, keepdims if keepdim is None else keepdim)


def tensor_nansum(input, axis=None, keepdims=False, *, dtype=None, dim=None, keepdim=None):  # noqa: A002
    """Tensor.nansum(axis=None, keepdims=False, *, dtype=None) or (dim=..., keepdim=..., dtype=...)."""
    return nansum(input, axis if dim is None else dim, keepdims if keepdim is None else keepdim, dtype=dtype)
