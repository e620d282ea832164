"""Primitive classes of MindSpore 2.10 met in its CPU tests (h-msfid25): SoftShrink, InplaceUpdate and Median, each
the class form of a function gradserve has (softshrink, inplace_update, median / nanmedian).

Forms checked against MindSpore 2.10 on CPU: SoftShrink(0.5)([-1, 0.2, 0.7]) = [-0.5, 0, 0.2];
InplaceUpdate((0, 2)) replaces rows 0 and 2 (an int: one row), an index outside [0, rows) is a ValueError;
Median(global_median=True)(x) is (the lower middle of all elements, index 0: MindSpore names no position there),
of an empty x NaN (a float dtype) or 0 (an integer one); Median(axis=...) is (values, int64 indices) as ops.median,
or as ops.nanmedian with ignore_nan=True."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor

__all__ = ["SoftShrink", "InplaceUpdate", "Median"]


class SoftShrink:
    """ops.SoftShrink(lambd=0.5)(x): x - lambd above lambd, x + lambd below -lambd, else 0 (ops.softshrink)."""

    def __init__(self, lambd: float = 0.5):
        if isinstance(lambd, bool) or not isinstance(lambd, (int, float)):
            raise TypeError(f"For 'SoftShrink', 'lambd' must be a float, but got {type(lambd).__name__}")
        self.lambd = float(lambd)

    def __call__(self, input_x):
        return late.ops.softshrink(input_x, self.lambd)


class InplaceUpdate:
    """ops.InplaceUpdate(indices)(x, v): x with its rows `indices` (an int or a tuple of ints) replaced by v's rows."""

    def __init__(self, indices):
        rows = [indices] if isinstance(indices, (int, np.integer)) else list(indices)
        if any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in rows):
            raise TypeError(f"For 'InplaceUpdate', 'indices' must be an int or a tuple of ints, but got {indices!r}")
        self.indices = tuple(int(i) for i in rows)

    def __call__(self, x, v):
        bad = [i for i in self.indices if not 0 <= i < x.shape[0]]
        if bad:
            raise ValueError(f"For 'InplaceUpdate', the value of indices must be in [0,{x.shape[0]}), "
                             f"but got {bad[0]}")
        if len(v.shape) != len(x.shape) or v.shape[0] != len(self.indices) or v.shape[1:] != x.shape[1:]:
            raise ValueError(f"For 'InplaceUpdate', v must have shape {(len(self.indices), *x.shape[1:])} "
                             f"(one row per index, x's other dimensions), but got {tuple(v.shape)}")
        return late.ops.inplace_update(x, v, self.indices)


class Median:
    """ops.Median(global_median=False, axis=0, keep_dims=False, ignore_nan=False)(x): (values, int64 indices)."""

    def __init__(self, global_median: bool = False, axis: int = 0, keep_dims: bool = False, ignore_nan: bool = False):
        self.global_median, self.axis = bool(global_median), int(axis)
        self.keep_dims, self.ignore_nan = bool(keep_dims), bool(ignore_nan)

    def __call__(self, x):
        ops = late.ops
        if self.global_median:
            index = Tensor(np.zeros((), np.int64))
            if x.size == 0:  # MindSpore 2.10: NaN for a float dtype, 0 for an integer one
                empty = np.nan if x._dtype.startswith(("float", "bfloat")) else 0
                return ops.cast(Tensor(np.array(empty, np.float64)), _dt.get(x._dtype)), index
            return (ops.nanmedian if self.ignore_nan else ops.median)(x, None), index
        return (ops.nanmedian if self.ignore_nan else ops.median)(x, self.axis, self.keep_dims)
