"""sparse_ops.SparseAdd (MindSpore 2.10, deprecated there): the sum of two COO tensors given as (indices, values,
dense_shape). Its output's size depends on the values, so it is computed here from the inputs' values (read inside a
trace, as _sparse_count's), as MindSpore 2.10's CPU kernel does (checked in its venv): one merge walk of the two
index lists in their given order (a smaller index first, row-major); an index in both gives the sum, kept only where
|sum| >= thresh; an index in one of them is kept as it is; the output's dense_shape is x1's. No gradient."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._sparse_count import read_fixing_size

__all__ = ["SparseAdd"]

_WHERE = "For 'SparseAdd'"


def _read(t, name: str) -> np.ndarray:
    return read_fixing_size(t, name, "SparseAdd")


def _coo(indices, values, shape, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx, val, shp = _read(indices, f"x{k}_indices"), _read(values, f"x{k}_values"), _read(shape, f"x{k}_shape")
    if idx.dtype != np.int64 or shp.dtype != np.int64:
        raise TypeError(f"{_WHERE}, 'x{k}_indices' and 'x{k}_shape' must be int64, got {idx.dtype} and {shp.dtype}")
    if idx.ndim != 2 or val.ndim != 1 or shp.ndim != 1 or idx.shape[0] != val.shape[0]:
        raise ValueError(f"{_WHERE}, x{k} must be indices [N, rank], values [N] and a 1-D shape, got indices "
                         f"{list(idx.shape)}, values {list(val.shape)} and shape {list(shp.shape)}")
    return idx, val, shp


class SparseAdd:
    """SparseAdd()(x1_indices, x1_values, x1_shape, x2_indices, x2_values, x2_shape, thresh)
    -> (sum_indices, sum_values, sum_shape)."""

    def __call__(self, x1_indices, x1_values, x1_shape, x2_indices, x2_values, x2_shape, thresh):
        a_idx, a_val, shape = _coo(x1_indices, x1_values, x1_shape, 1)
        b_idx, b_val, _ = _coo(x2_indices, x2_values, x2_shape, 2)
        limit = _read(thresh, "thresh")
        if limit.ndim != 0:
            raise ValueError(f"{_WHERE}, 'thresh' must be 0-D, got shape {list(limit.shape)}")
        if a_val.dtype != b_val.dtype or a_idx.shape[1] != b_idx.shape[1]:
            raise TypeError(f"{_WHERE}, x1 and x2 must have one values dtype and one rank, got {a_val.dtype} "
                            f"[.., {a_idx.shape[1]}] and {b_val.dtype} [.., {b_idx.shape[1]}]")
        rows, vals = [], []
        i = j = 0
        while i < len(a_idx) and j < len(b_idx):
            ka, kb = tuple(a_idx[i]), tuple(b_idx[j])
            if ka == kb:
                s = a_val[i] + b_val[j]
                if abs(s) >= limit:
                    rows.append(a_idx[i])
                    vals.append(s)
                i, j = i + 1, j + 1
            elif ka < kb:
                rows.append(a_idx[i])
                vals.append(a_val[i])
                i += 1
            else:
                rows.append(b_idx[j])
                vals.append(b_val[j])
                j += 1
        rows += list(a_idx[i:]) + list(b_idx[j:])
        vals += list(a_val[i:]) + list(b_val[j:])
        out_idx = np.array(rows, np.int64).reshape(len(rows), a_idx.shape[1])
        return Tensor(out_idx), Tensor(np.array(vals, a_val.dtype)), Tensor(shape.copy())
