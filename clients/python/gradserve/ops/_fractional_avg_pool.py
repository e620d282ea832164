"""ops.FractionalAvgPool (MindSpore 2.10's, NHWC, the pooling-ratio form): the regions of ops.FractionalMaxPool
(ops/_fractional_pool: the same boundaries, drawn by the same seed rule) averaged. A gather of every region's
positions (a region shorter than the longest repeats its first position) weighted by 1 / its size where the
position is its own, 0 where repeated: the derivative spreads each region's gradient evenly over it (added where
overlapping regions share a row or column)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._trace import current
from ._fractional_pool import _boundaries, _region_index, sequence_generator
from ._primitives import Primitive, gather, reshape

__all__ = ["FractionalAvgPool"]

_ORDINAL = {1: "second", 2: "third"}


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


class FractionalAvgPool(Primitive):
    """ops.FractionalAvgPool(pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
    seed2=0)(x): x NHWC float; returns (y, row_pooling_sequence, col_pooling_sequence), the sequences int64."""

    def __init__(self, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0, seed2=0):
        self.attrs = {}
        self.pooling_ratio, self.pseudo_random, self.overlapping = _ratio(pooling_ratio), bool(pseudo_random), \
            bool(overlapping)
        self.deterministic, self.seed, self.seed2 = bool(deterministic), int(seed), int(seed2)

    def __call__(self, x):
        if not isinstance(x, Tensor) or x.ndim != 4:
            rank = x.ndim if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"For primitive[FractionalAvgPool], the x_rank must be equal to 4, but got {rank}.")
        n, h, w, c = x.shape
        oh, ow = int(h / self.pooling_ratio[1]), int(w / self.pooling_ratio[2])
        if oh < 1 or ow < 1:
            raise ValueError(f"For 'FractionalAvgPool', the pooling ratio {self.pooling_ratio} leaves no output "
                             f"for an input of {h} x {w}")
        tr = current()
        if tr is not None:  # drawn while tracing: the trace holds this call's boundaries, so it is not reused
            tr.root.no_cache = True
        gen = sequence_generator("FractionalAvgPool", self.deterministic, self.seed, self.seed2)
        rows, cols = (_boundaries(gen, s, o, self.pseudo_random) for s, o in ((h, oh), (w, ow)))
        ri, ci = _region_index(rows, h, self.overlapping), _region_index(cols, w, self.overlapping)
        idx = (ri[:, None, :, None] * w + ci[None, :, None, :]).reshape(-1)  # [oh, ow, rows, cols] in the plane
        own = _own(ri)[:, None, :, None] * _own(ci)[None, :, None, :]
        weight = (own / own.sum(axis=(2, 3), keepdims=True)).reshape(1, oh, ow, -1, 1)
        windows = reshape(gather(reshape(x, (n, h * w, c)), Tensor(idx), 1), (n, oh, ow, ri.shape[1] * ci.shape[1], c))
        y = (windows * Tensor(weight.astype(x._dtype))).sum(3)
        return y, Tensor(rows), Tensor(cols)
