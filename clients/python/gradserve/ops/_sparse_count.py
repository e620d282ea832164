"""ops.SparseCountSparseOutput (mindspore.ops.operations.sparse_ops): per batch row of a COO tensor, the
(weighted) count of each value, as a COO tensor again. Its output's size depends on the values, so it is
computed here from the inputs' values (a value read inside a trace), as MindSpore 2.10's CPU kernel does:
the entries sorted by (row, value); weights of length 0 count 1 each; binary_output writes 1 for a value
present; maxlength > 0 drops values >= maxlength and is the output's width, else max(max value + 1,
minlength). No gradient (counts)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor

__all__ = ["SparseCountSparseOutput"]

_WHERE = "For 'SparseCountSparseOutput'"


def read_fixing_size(t, name: str, op: str = "SparseCountSparseOutput") -> np.ndarray:
    """A Tensor argument's values, read because they fix op's output size (inside a trace too)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"For '{op}', '{name}' must be a Tensor, got {type(t).__name__}")
    return np.asarray(t._concrete(f"{op}'s {name} (they fix the output's size)"))


_read = read_fixing_size


def _batch_rows(indices: np.ndarray, shape: np.ndarray, n: int) -> np.ndarray:
    if indices.ndim != 2 or indices.shape[0] != n or indices.shape[1] != shape.size or shape.size not in (1, 2):
        raise ValueError(f"{_WHERE}, 'indices' must be [N, rank] for N = {n} values and a dense_shape of rank 1 "
                         f"or 2, got indices {list(indices.shape)} and dense_shape {shape.tolist()}")
    if np.any(indices < 0) or np.any(indices >= shape):
        raise RuntimeError(f"{_WHERE}, an index in 'indices' is out of the bounds of dense_shape {shape.tolist()}")
    return indices[:, 0] if shape.size == 2 else np.zeros(n, np.int64)


class SparseCountSparseOutput:
    """SparseCountSparseOutput(binary_output=False, minlength=-1, maxlength=-1)(indices, values, dense_shape,
    weights) -> (output_indices, output_values, output_dense_shape)."""

    def __init__(self, binary_output=False, minlength=-1, maxlength=-1):
        for name, v in (("minlength", minlength), ("maxlength", maxlength)):
            if isinstance(v, bool) or not isinstance(v, int) or v < -1:
                raise ValueError(f"{_WHERE}, '{name}' must be an int >= -1, got {v!r}")
        self.binary_output, self.minlength, self.maxlength = bool(binary_output), minlength, maxlength

    def __call__(self, indices, values, dense_shape, weights):
        vals, shape = _read(values, "values").astype(np.int64).reshape(-1), _read(dense_shape, "dense_shape")
        w = _read(weights, "weights").reshape(-1)
        if w.size not in (0, vals.size):
            raise RuntimeError(f"{_WHERE}, 'weights' must have as many elements as 'values' ({vals.size}) or "
                               f"none, got {w.size}")
        if np.any(vals < 0):
            raise RuntimeError(f"{_WHERE}, the input values must be non-negative")
        rows = _batch_rows(_read(indices, "indices").astype(np.int64), shape.astype(np.int64).reshape(-1), vals.size)
        w = np.ones(vals.size, w.dtype) if w.size == 0 else w
        keep = vals < self.maxlength if self.maxlength > 0 else np.ones(vals.size, bool)
        rows, vals, w = rows[keep], vals[keep], w[keep]
        width = self.maxlength if self.maxlength > 0 else max(int(vals.max(initial=-1)) + 1, self.minlength)
        pairs, where = np.unique(np.stack([rows, vals], 1), axis=0, return_inverse=True)
        counts = np.zeros(len(pairs), w.dtype)
        np.add.at(counts, where.reshape(-1), w)
        if self.binary_output:
            counts = np.ones_like(counts)
        out_indices = pairs if shape.size == 2 else pairs[:, 1:]
        out_shape = np.array(([int(shape[0])] if shape.size == 2 else []) + [width], np.int64)
        return Tensor(out_indices.astype(np.int64).reshape(-1, shape.size)), Tensor(counts), Tensor(out_shape)
