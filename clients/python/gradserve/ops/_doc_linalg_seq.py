"""MindSpore 2.10 functions and primitives from its documented examples: lstsq (Lstsq), lu_unpack (LuUnpack),
unique_consecutive (UniqueConsecutive). lstsq and lu_unpack are compositions (pinv, tril / triu),
so differentiable; unique_consecutive's output size depends on the values (computed on them, as ops.unique)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["lstsq", "Lstsq", "lu_unpack", "LuUnpack", "unique_consecutive", "UniqueConsecutive"]


def lstsq(input, A):  # noqa: A002, N803 - MindSpore's names
    """The least-squares solution X of input X = A: pinv(input) @ A."""
    if len(input.shape) != 2 or len(A.shape) not in (1, 2) or input.shape[0] != A.shape[0]:
        raise ValueError(f"For 'lstsq', input must be (m, n) and A (m,) or (m, k), but got {tuple(input.shape)} and "
                         f"{tuple(A.shape)}.")
    return late.ops.matmul(late.ops.pinv(input), A)


class Lstsq:
    """ops.Lstsq(fast=True, l2_regularizer=0.0)(x, a): lstsq (the regularizer: 0 only)."""

    def __init__(self, fast=True, l2_regularizer=0.0):
        if l2_regularizer:
            raise NotImplementedError("Lstsq: l2_regularizer other than 0.0 is not supported")
        self.fast = fast

    def __call__(self, x, a):
        return lstsq(x, a)


def _permutations(pivots: np.ndarray, m: int) -> np.ndarray:
    """Row order (per batch) from LAPACK's 1-based pivots: row i swapped with row pivots[i] - 1, in turn."""
    flat = pivots.reshape(-1, pivots.shape[-1])
    out = np.tile(np.arange(m), (flat.shape[0], 1))
    for b, row in enumerate(flat):
        for i, p in enumerate(row):
            out[b, [i, p - 1]] = out[b, [p - 1, i]]
    return out.reshape(pivots.shape[:-1] + (m,))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):  # noqa: N803 - MindSpore's names
    """(P, L, U) with A = P L U from lu's packed factors: L unit lower, U upper, P the permutation of the
    pivots (P[perm[i], i] = 1)."""
    ops = late.ops
    m, n = int(LU_data.shape[-2]), int(LU_data.shape[-1])
    k = min(m, n)
    lower = upper = perm_matrix = None
    if unpack_data:
        eye = Tensor(np.eye(m, k, dtype=np.dtype(LU_data._dtype)))
        lower = ops.add(ops.tril(LU_data[..., :, :k], -1), eye)
        upper = ops.triu(LU_data[..., :k, :])
    if unpack_pivots:
        pivots = LU_pivots._host_copy().astype(np.int64)
        if pivots.size and (pivots.min() < 1 or pivots.max() > m):
            raise ValueError(f"For 'lu_unpack', LU_pivots must lie in [1, {m}], but got {pivots.tolist()}.")
        order = _permutations(pivots, m)
        perm = np.zeros(order.shape + (m,), np.dtype(LU_data._dtype))
        np.put_along_axis(perm, order[..., None], 1, axis=-1)  # row i of eye[order]: e_order[i]
        perm_matrix = Tensor(np.swapaxes(perm, -1, -2).copy())
    return perm_matrix, lower, upper


class LuUnpack:
    """ops.LuUnpack(unpack_data=True, unpack_pivots=True)(LU_data, LU_pivots)."""

    def __init__(self, unpack_data=True, unpack_pivots=True):
        self.unpack_data, self.unpack_pivots = unpack_data, unpack_pivots

    def __call__(self, LU_data, LU_pivots):  # noqa: N803
        return lu_unpack(LU_data, LU_pivots, self.unpack_data, self.unpack_pivots)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """Each run of equal consecutive elements (or slices along dim) once; with return_inverse, each element's run
    index; with return_counts, each run's length (int64). MindSpore 2.10's keywords (return_idx / axis, the 1.x
    names, are its TypeError "unexpected keyword argument")."""
    return_idx, axis = return_inverse, dim
    x = input._host_copy()
    moved = x.reshape(-1) if axis is None else np.moveaxis(x, axis, 0)
    n = moved.shape[0]
    if n:
        flat = moved.reshape(n, -1)
        starts = np.concatenate([[True], (flat[1:] != flat[:-1]).any(axis=1)])
    else:
        starts = np.zeros(0, bool)
    out = moved[starts]
    out = Tensor(out if axis is None else np.moveaxis(out, 0, axis).copy())
    result = [out]
    if return_idx:
        idx = np.cumsum(starts) - 1
        result.append(Tensor((idx.reshape(x.shape) if axis is None else idx).astype(np.int64)))
    if return_counts:
        result.append(Tensor(np.diff(np.append(np.nonzero(starts)[0], n)).astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


class UniqueConsecutive:
    """ops.UniqueConsecutive(return_inverse=False, return_counts=False, dim=None)(input): (output, idx, counts)."""

    def __init__(self, return_inverse=False, return_counts=False, dim=None):
        self.return_idx, self.return_counts, self.axis = return_inverse, return_counts, dim

    def __call__(self, input):  # noqa: A002 - MindSpore's name
        out = unique_consecutive(input, True, True, self.axis)
        return out[0], out[1] if self.return_idx else None, out[2] if self.return_counts else None


