"""ops.SparseTensorDenseAdd()(x1_indices [N, R], x1_values [N], x1_shape, x2): the COO sparse tensor (indices,
values, shape) added to the dense x2 of that shape; repeated indices add. tensor_scatter_add into x2: the
gradient reaches x2 and the values (none reaches the indices or the shape)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._scatter_ms import tensor_scatter_add

__all__ = ["SparseTensorDenseAdd"]


class SparseTensorDenseAdd:
    def __call__(self, x1_indices, x1_values, x1_shape, x2):
        shape = x1_shape._host_copy() if isinstance(x1_shape, Tensor) and not x1_shape.is_symbolic else \
            (None if isinstance(x1_shape, Tensor) else np.asarray(x1_shape))
        if shape is not None and tuple(int(v) for v in shape) != tuple(x2.shape):
            raise ValueError(f"SparseTensorDenseAdd: x1_shape {shape.tolist()} must be x2's shape {list(x2.shape)}")
        if x1_values.dtype != x2.dtype:
            raise TypeError(f"SparseTensorDenseAdd: x1_values ({x1_values.dtype}) and x2 ({x2.dtype}) must have one "
                            "dtype")
        return tensor_scatter_add(x2, x1_indices, x1_values)
