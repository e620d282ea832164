"""MindSpore 2.10's COO and index primitives of its documented examples: Coalesce, SparseSlice (the positions
worked out on the host from the integer indices; the values gathered or summed by engine ops, so they keep
their gradient), SubAndFilter, MapUniform, RaggedRange, NonMaxSuppressionWithOverlaps (integer or selection
outputs, no gradient in MindSpore either)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["Coalesce", "SparseSlice", "SubAndFilter", "MapUniform", "RaggedRange", "NonMaxSuppressionWithOverlaps"]


def _host(x, where: str, name: str) -> np.ndarray:
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', '{name}' must be a Tensor, got {type(x).__name__}")
    return x._host_copy()


def _coo(indices, values, shape, where: str):
    """The host indices [rank, nnz] (Coalesce's layout) checked against values [nnz] and shape [rank]."""
    idx, dense = _host(indices, where, "indices"), _host(shape, where, "shape")
    if idx.ndim != 2 or tuple(values.shape) != (idx.shape[1],) or dense.shape != (idx.shape[0],):
        raise ValueError(f"For '{where}', indices must be [rank, nnz], values [nnz] and shape [rank], got "
                         f"{list(idx.shape)}, {list(values.shape)} and {list(dense.shape)}")
    if idx.size and ((idx < 0).any() or (idx >= dense[:, None]).any()):
        raise ValueError(f"For '{where}', indices must lie within shape {dense.tolist()}")
    return idx, dense


class Coalesce:
    """ops.Coalesce()(x_indices [rank, nnz], x_values [nnz], x_shape [rank]): the entries in row-major order, the
    values of repeated indices summed: (y_indices, y_values, y_shape)."""

    def __call__(self, x_indices, x_values, x_shape):
        idx, _ = _coo(x_indices, x_values, x_shape, "Coalesce")
        unique, ids = np.unique(idx.T, axis=0, return_inverse=True)
        summed = late.ops.unsorted_segment_sum(x_values, Tensor(ids.reshape(-1).astype(np.int32)), len(unique))
        return Tensor(unique.T.astype(idx.dtype)), summed, x_shape


class SparseSlice:
    """ops.SparseSlice()(indices [nnz, rank], values [nnz], shape, start, size): the entries inside the box
    [start, start + size) (clipped to shape), their indices relative to start: (indices, values, shape)."""

    def __call__(self, indices, values, shape, start, size):
        where = "SparseSlice"
        idx, dense = _host(indices, where, "indices"), _host(shape, where, "shape")
        lo, extent = _host(start, where, "start"), _host(size, where, "size")
        if idx.ndim != 2 or tuple(values.shape) != (idx.shape[0],) or not (dense.shape == lo.shape == extent.shape
                                                                              == (idx.shape[1],)):
            raise ValueError(f"For '{where}', indices must be [nnz, rank], values [nnz], and shape, start and size "
                             f"[rank], got {list(idx.shape)}, {list(values.shape)}, {list(dense.shape)}, "
                             f"{list(lo.shape)} and {list(extent.shape)}")
        hi = np.minimum(lo + extent, dense)
        kept = np.flatnonzero(((idx >= lo) & (idx < hi)).all(axis=1))
        picked = late.ops.gather(values, Tensor(kept.astype(np.int64)), 0)
        return Tensor((idx[kept] - lo).astype(idx.dtype)), picked, Tensor(np.maximum(hi - lo, 0).astype(dense.dtype))


class SubAndFilter:
    """ops.SubAndFilter()(input_x, max_num, offset): the values x - offset in [0, max_num) and their
    positions: (filter_result, filter_pos)."""

    def __call__(self, input_x, max_num, offset):
        x = _host(input_x, "SubAndFilter", "input_x")
        shifted = x - int(offset)
        pos = np.flatnonzero((shifted >= 0) & (shifted < int(max_num)))
        return Tensor(shifted[pos].astype(x.dtype)), Tensor(pos.astype(x.dtype))


class MapUniform:
    """ops.MapUniform()(input_x, per_group_size, group_num): each id x to (x mod group_num) * per_group_size +
    x // group_num (ids spread evenly over the groups)."""

    def __call__(self, input_x, per_group_size, group_num):
        x = _host(input_x, "MapUniform", "input_x")
        size, groups = int(per_group_size), int(group_num)
        if size <= 0 or groups <= 0:
            raise ValueError(f"For 'MapUniform', per_group_size and group_num must be positive, got {size} and {groups}")
        return Tensor(((x % groups) * size + x // groups).astype(x.dtype))


class RaggedRange:
    """ops.RaggedRange(Tsplits)(starts, limits, deltas): the ranges [start, limit) by delta, concatenated
    (rt_dense_values), and where each begins (rt_nested_splits, of dtype Tsplits)."""

    def __init__(self, Tsplits):  # noqa: N803 - MindSpore's name
        self.splits_dtype = np.dtype(str(getattr(Tsplits, "name", Tsplits)).lower())

    def __call__(self, starts, limits, deltas):
        s, lim, d = (_host(v, "RaggedRange", name) for v, name in ((starts, "starts"), (limits, "limits"),
                                                                  (deltas, "deltas")))
        s, lim, d = np.broadcast_arrays(np.atleast_1d(s), np.atleast_1d(lim), np.atleast_1d(d))  # scalars: one row
        if (d == 0).any():
            raise ValueError("For 'RaggedRange', 'deltas' must not be 0")
        ranges = [np.arange(a, b, c, dtype=s.dtype) for a, b, c in zip(s, lim, d)]
        splits = np.concatenate([[0], np.cumsum([len(r) for r in ranges])]).astype(self.splits_dtype)
        values = np.concatenate(ranges).astype(s.dtype) if ranges else np.zeros(0, s.dtype)
        return Tensor(splits), Tensor(values)


class NonMaxSuppressionWithOverlaps:
    """ops.NonMaxSuppressionWithOverlaps()(overlaps [N, N], scores [N], max_output_size, overlap_threshold,
    score_threshold): greedily, by descending score, the boxes above score_threshold whose overlap with every
    box kept before is at most overlap_threshold, up to max_output_size."""

    def __call__(self, overlaps, scores, max_output_size, overlap_threshold, score_threshold):
        where = "NonMaxSuppressionWithOverlaps"
        o, s = _host(overlaps, where, "overlaps"), _host(scores, where, "scores")
        if o.ndim != 2 or o.shape[0] != o.shape[1] or s.shape != (o.shape[0],):
            raise ValueError(f"For '{where}', overlaps must be [N, N] and scores [N], got {list(o.shape)} and "
                             f"{list(s.shape)}")
        limit, overlap_max, score_min = (float(np.asarray(_host(v, where, n) if isinstance(v, Tensor) else v))
                                         for v, n in ((max_output_size, "max_output_size"),
                                                      (overlap_threshold, "overlap_threshold"),
                                                      (score_threshold, "score_threshold")))
        kept: list[int] = []
        for i in np.argsort(-s, kind="stable"):
            if len(kept) >= int(limit) or s[i] <= score_min:
                break
            if all(o[i, j] <= overlap_max for j in kept):
                kept.append(int(i))
        return Tensor(np.asarray(kept, np.int32))
