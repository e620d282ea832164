"""sparse_ops.SparseReorder (MindSpore 2.10 has it in ops.operations.sparse_ops only): a COO tensor's entries put in
row-major order of their indices, as its CPU kernel does (checked in its venv): a stable sort, so repeated indices
keep their given order and are not summed. The order is worked out on the host from the int64 indices (read inside a
trace, as _sparse_count's); the values are gathered by an engine op, so they keep their gradient (the permutation
back, as MindSpore 2.10's GRAPH_MODE gives; its PyNative grad fails with an internal error)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from ._sparse_count import read_fixing_size

__all__ = ["SparseReorder"]

_PRIM = "For primitive[SparseReorder]"


def _int64(t, name: str) -> np.ndarray:
    a = read_fixing_size(t, name, "SparseReorder")
    if a.dtype != np.int64:
        raise TypeError(f"{_PRIM}, the input argument[{name}] must be a type of {{Tensor[Int64]}}, but got "
                        f"Tensor[{Tensor(a).dtype}].")
    return a


class SparseReorder:
    """SparseReorder()(indices [N, rank] int64, values [N], shape [rank] int64) -> (y_indices, y_values)."""

    def __call__(self, indices, values, shape):
        idx, dense = _int64(indices, "indices"), _int64(shape, "shape")
        if not isinstance(values, Tensor):
            raise TypeError(f"For 'SparseReorder', 'values' must be a Tensor, got {type(values).__name__}")
        if idx.ndim != 2:
            raise ValueError(f"{_PRIM}, the dimension of indices must be 2, but got {idx.ndim}.")
        if tuple(values.shape) != (idx.shape[0],):
            raise ValueError(f"{_PRIM}, the size of values must be equal to {idx.shape[0]}, but got "
                             f"{values.shape[0] if len(values.shape) == 1 else list(values.shape)}.")
        if dense.shape != (idx.shape[1],):
            raise ValueError(f"{_PRIM}, the size of shape must be equal to {idx.shape[1]}, but got "
                             f"{dense.shape[0] if dense.ndim == 1 else list(dense.shape)}.")
        bad = (idx < 0) | (idx >= dense)
        if bad.any():
            row, dim = divmod(int(np.flatnonzero(bad.reshape(-1))[0]), idx.shape[1])
            raise ValueError(f"For 'SparseReorder', shape={tuple(dense.tolist())}, the index range on the {dim}-th "
                             f"dimension is [0, {dense[dim]}), but the obtained index value is {idx[row, dim]}.")
        order = np.lexsort(idx.T[::-1]) if idx.shape[0] else np.zeros(0, np.int64)
        moved = late.ops.gather(values, Tensor(order.astype(np.int64)), 0)
        return Tensor(idx[order]), moved
