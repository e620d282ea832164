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
from ._fractional_pool import FractionalMaxPool, _as_tensor
from ._primitives import reshape

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


class FractionalAvgPool(FractionalMaxPool):
    """ops.FractionalAvgPool(pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
    seed2=0)(x): x NHWC float; returns (y, row_pooling_sequence, col_pooling_sequence), the sequences int64."""

    def __init__(self, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0, seed2=0):
        _ratio(pooling_ratio)  # (MindSpore's messages for this class)
        super().__init__(pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2)

    def __call__(self, x):
        if isinstance(x, Tensor) and x._dtype not in _DTYPES:
            raise input_dtype_error("FractionalAvgPool", "x", _DTYPES, tensor_type(x))
        windows, rows, cols, own_r, own_c = self._windows(x)
        oh, ow = windows.shape[1:3]
        if isinstance(own_r, np.ndarray):
            own = own_r[:, None, :, None] * own_c[None, :, None, :]
            weight = Tensor((own / own.sum(axis=(2, 3), keepdims=True)).reshape(1, oh, ow, -1, 1))
        else:  # (inside a trace: the tables computed in the graph from the per-run boundaries)
            own = reshape(own_r, (oh, 1, -1, 1)) * reshape(own_c, (1, ow, 1, -1))
            weight = reshape(own / own.sum((2, 3), keepdims=True), (1, oh, ow, -1, 1))
        rows, cols = _as_tensor(rows), _as_tensor(cols)
        if x._dtype in ("float32", "float64"):
            return (windows * weight.astype(x._dtype)).sum(3), rows, cols
        # integers: the mean in float64, truncated toward zero (MindSpore 2.10: -1.5 gives -1), not 1/n cast to 0
        mean = (windows.astype(_dt.float64) * weight).sum(3)
        return mean.astype(x._dtype), rows, cols
