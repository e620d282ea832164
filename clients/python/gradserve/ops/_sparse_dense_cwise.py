"""ops.SparseDenseCwiseAdd / SparseDenseCwiseMul()(x1_indices, x1_values, x1_shape, x2): a COO sparse tensor's
values combined with the dense x2 broadcast to the sparse shape, read at the sparse indices (MindSpore 2.10's
CPU kernels: indices [[0, 0], [2, 2], [1, 0]], values [1, 2, 7], shape [3, 3], x2 [1, 2, 3] -> Add [2, 5, 8]).
The result is the new values (nnz,). x1_shape fixes the broadcast, so its values are read when traced."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from ._extra import P

__all__ = ["SparseDenseCwiseAdd", "SparseDenseCwiseMul"]


class _SparseDenseCwise:
    combine = staticmethod(P.add)

    def __call__(self, x1_indices, x1_values, x1_shape, x2):
        where = type(self).__name__
        if not all(isinstance(t, Tensor) for t in (x1_indices, x1_values, x1_shape, x2)):
            raise TypeError(f"For '{where}', x1_indices, x1_values, x1_shape and x2 must be Tensors")
        if x1_indices.ndim != 2 or x1_values.ndim != 1 or x1_indices.shape[0] != x1_values.shape[0]:
            raise ValueError(f"For '{where}', x1_indices must be [nnz, rank] and x1_values [nnz], got "
                             f"{list(x1_indices.shape)} and {list(x1_values.shape)}")
        if x2._dtype != x1_values._dtype:
            raise TypeError(f"For '{where}', x2's dtype {x2.dtype} must be x1_values' {x1_values.dtype}")
        shape = tuple(int(d) for d in np.asarray(x1_shape._concrete(f"{where}'s x1_shape")).reshape(-1))
        if len(shape) != x1_indices.shape[1] or len(x2.shape) > len(shape):
            raise ValueError(f"For '{where}', x1_shape {list(shape)} must have x1_indices' rank "
                             f"{x1_indices.shape[1]} and at least x2's {len(x2.shape)}")
        try:
            np.broadcast_shapes(tuple(x2.shape), shape)
        except ValueError:
            raise ValueError(f"For '{where}', x2 of shape {list(x2.shape)} does not broadcast to x1_shape "
                             f"{list(shape)}") from None
        dense = P.broadcast_to(x2, shape)
        return self.combine(x1_values, late.ops.gather_nd(dense, P.cast(x1_indices, "int64")))


class SparseDenseCwiseAdd(_SparseDenseCwise):
    """values + x2 (broadcast) at the indices."""


class SparseDenseCwiseMul(_SparseDenseCwise):
    """values * x2 (broadcast) at the indices."""

    combine = staticmethod(P.mul)
