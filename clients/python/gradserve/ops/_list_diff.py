"""array_ops.ListDiff(out_idx=int32)(x, y) -> (out, idx): the values of the 1-D x that are not in y, in x's order
(repeats kept), and their positions in x (numpy.isin on the values; MindSpore 2.10's / TensorFlow's setdiff1d).
Its output's length depends on the values, which are read here: the result is data, with no gradient."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor

__all__ = ["ListDiff"]


class ListDiff:
    def __init__(self, out_idx=_dt.int32):
        name = _dt.to_name(out_idx)
        if name not in ("int32", "int64"):
            raise TypeError(f"For 'ListDiff', 'out_idx' must be int32 or int64, got {name}")
        self.out_idx = name

    def __call__(self, x, y):
        for label, t in (("x", x), ("y", y)):
            if not isinstance(t, Tensor) or t.ndim != 1:
                raise ValueError(f"For 'ListDiff', '{label}' must be a 1-D Tensor, got "
                                 f"{list(t.shape) if isinstance(t, Tensor) else type(t).__name__}")
        if x._dtype != y._dtype:
            raise TypeError(f"For 'ListDiff', x and y must have one dtype, got {x._dtype} and {y._dtype}")
        xs = np.asarray(x._concrete("ListDiff's x (its output's length depends on the values)"))
        ys = np.asarray(y._concrete("ListDiff's y (its output's length depends on the values)"))
        keep = np.nonzero(~np.isin(xs, ys))[0]
        return Tensor(xs[keep]), Tensor(keep.astype(self.out_idx))
