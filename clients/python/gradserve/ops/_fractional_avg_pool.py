"""ops.FractionalAvgPool (MindSpore 2.10's, NHWC, the pooling-ratio form): the regions of ops.FractionalMaxPool
(ops/_fractional_pool: the same boundaries, drawn by the same seed rule) averaged. A gather of every region's
positions (a region shorter than the longest repeats its first position) weighted by 1 / its size where the
position is its own, 0 where repeated: the derivative spreads each region's gradient evenly over it (added where
overlapping regions share a row or column)."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._fractional_pool import FractionalMaxPool

__all__ = ["FractionalAvgPool"]

_ORDINAL = {1: "second", 2: "third"}
_DTYPES = ("float32", "float64", "int32", "int64")


def _ratio(pooling_ratio) -> list:
    ratio = list(pooling_ratio) if isinstance(pooling_ratio, (list, tuple)) else []
    if len(ratio) != 4:
        raise ValueError(f"For 'FractionalAvgPool', the size of parameter 'pooling_ratio' must be 4, but got "
                         f"{pooling_ratio!r}")
    if ratio[0] != 1.0 or ratio[3] != 1.0:
        raise ValueError(f"For 'FractionalAvgPool', the first and fourth elements of pooling ratio must be 1.0, "
                         f"but got {pooling_ratio!r}")
    for i in (1, 2):
        if ratio[i] < 1.0:
            raise ValueError(f"For 'FractionalAvgPool', the {_ORDINAL[i]} element of pooling ratio must be greater "
                             f"than or equal to 1.0, but got {ratio[i]:f}.")
    return ratio


def _own(index: np.ndarray) -> np.ndarray:
    """1 where a region's position is its own, 0 where it repeats the first to fill up to the longest."""
    return ((np.arange(index.shape[1]) == 0)[None, :] | (index != index[:, :1])).astype(np.float64)


class FractionalAvgPool(FractionalMaxPool):
    """ops.FractionalAvgPool(pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
    seed2=0)(x): x NHWC float; returns (y, row_pooling_sequence, col_pooling_sequence), the sequences int64."""

    def __init__(self, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0, seed2=0):
        _ratio(pooling_ratio)  # (MindSpore's messages for this class)
        super().__init__(pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2)

    def __call__(self, x):
        if isinstance(x, Tensor) and x._dtype not in _DTYPES:
            raise input_dtype_error("FractionalAvgPool", "x", _DTYPES, tensor_type(x))
        windows, rows, cols, ri, ci = self._windows(x)
        own = _own(ri)[:, None, :, None] * _own(ci)[None, :, None, :]
        weight = (own / own.sum(axis=(2, 3), keepdims=True)).reshape(1, len(rows) - 1, len(cols) - 1, -1, 1)
        if x._dtype in ("float32", "float64"):
            return (windows * Tensor(weight.astype(x._dtype))).sum(3), Tensor(rows), Tensor(cols)
        # integers: the mean in float64, truncated toward zero (MindSpore 2.10: -1.5 gives -1), not 1/n cast to 0
        mean = (windows.astype(_dt.float64) * Tensor(weight)).sum(3)
        return mean.astype(x._dtype), Tensor(rows), Tensor(cols)
