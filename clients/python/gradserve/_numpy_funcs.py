"""mindspore.numpy's apply_along_axis, apply_over_axes, piecewise and intersect1d: NumPy's definitions over the SDK's ops
(apply_along_axis and piecewise trace and differentiate as the functions they call), with MindSpore 2.10's
differences, read off its venv: piecewise's first matching condition wins (NumPy's last), intersect1d's
indices are int32."""
from __future__ import annotations

import itertools

import numpy as np

from . import ops as _ops
from ._late import late
from ._numpy_creation import asarray
from ._tensor import Tensor
from .dtype import promote

__all__ = ["apply_along_axis", "apply_over_axes", "piecewise", "intersect1d"]


def apply_along_axis(func1d, axis, arr, *args, **kwargs) -> Tensor:
    """func1d(v, *args, **kwargs) for each 1-D slice v of arr along axis; the results (all of one shape)
    take axis's place: arr.shape[:axis] + result.shape + arr.shape[axis + 1:]."""
    arr = asarray(arr)
    nd = arr.ndim
    if not -nd <= axis < nd:
        raise ValueError(f"apply_along_axis: axis {axis} is out of bounds for array of dimension {nd}")
    axis %= nd
    moved = _ops.moveaxis(arr, axis, -1)
    outer = tuple(int(s) for s in moved.shape[:-1])
    results = [asarray(func1d(moved[idx], *args, **kwargs)) for idx in itertools.product(*map(range, outer))]
    stacked = _ops.stack(results, 0)
    k = results[0].ndim
    out = _ops.reshape(stacked, outer + tuple(stacked.shape[1:]))
    # (outer axes, then the result's): the result's axes go where axis was
    perm = list(range(axis)) + list(range(len(outer), len(outer) + k)) + list(range(axis, len(outer)))
    return _ops.transpose(out, tuple(perm)) if perm != sorted(perm) else out


def apply_over_axes(func, a, axes) -> Tensor:
    """func(a, axis) for each axis in turn, each result keeping a's rank (a reduced axis kept as 1)."""
    a = asarray(a)
    for axis in (axes,) if isinstance(axes, int) else tuple(axes):
        res = asarray(func(a, axis))
        if res.ndim == a.ndim - 1:
            res = _ops.expand_dims(res, axis % a.ndim)
        if res.ndim != a.ndim:
            raise ValueError("apply_over_axes: function is not returning an array of the correct shape")
        a = res
    return a


def piecewise(x, condlist, funclist, *args, **kw) -> Tensor:
    """funclist[i] (a function of x, *args, **kw, or a value) where condlist[i] holds, the first true condition
    winning (MindSpore 2.10; NumPy's last); elsewhere funclist[n] when there are n + 1 of them, else 0."""
    x = asarray(x)
    conds = list(condlist) if isinstance(condlist, (list, tuple)) else [condlist]
    n = len(conds)
    if len(funclist) not in (n, n + 1):
        raise ValueError(f"piecewise: the number of choices should be either equal to the number of conditions "
                         f"({n}) or one more, got {len(funclist)}")
    values = [asarray(f(x, *args, **kw)) if callable(f) else asarray(f) for f in funclist]
    dtype = values[0]._dtype
    for v in values[1:]:
        dtype = promote(dtype, v._dtype)
    shape = tuple(x.shape)
    values = [_ops.broadcast_to(_ops.cast(v, dtype), shape) for v in values]
    out = values[n] if len(values) > n else Tensor(np.zeros(shape, dtype))
    for c, v in reversed(list(zip(conds, values))):
        out = _ops.select(_ops.broadcast_to(_ops.cast(asarray(c), "bool"), shape), v, out)
    return out


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    """The sorted unique values in both (flattened) arrays; with return_indices, also the int32 positions of
    their first occurrences in each. The values are read (the result's length depends on them)."""
    if ar1 is None or ar2 is None:
        raise TypeError("intersect1d: Expect input to be array like.")
    if not isinstance(assume_unique, bool) or not isinstance(return_indices, bool):
        raise TypeError("intersect1d: assume_unique or return_indices is not bool type.")
    a, b = asarray(ar1), asarray(ar2)
    dtype = promote(a._dtype, b._dtype)
    got = np.intersect1d(a._concrete("intersect1d"), b._concrete("intersect1d"), assume_unique, return_indices)
    if not return_indices:
        return Tensor(np.asarray(got).astype(dtype))
    values, i1, i2 = got
    return Tensor(values.astype(dtype)), Tensor(i1.astype(np.int32)), Tensor(i2.astype(np.int32))


late.bind(apply_along_axis=apply_along_axis)  # (_numpy_creation.pad with a function as mode)
