"""mindspore.mint.linalg (MindSpore 2.10's five names: inv, vector_norm, matrix_norm, norm, qr), on gradserve's ops.

MindSpore documents them for Ascend; its CPU build runs norm / matrix_norm's singular-value orders and refuses the
rest ("The kernel LinalgVectorNorm unregistered."). gradserve computes every one as documented, as it does for
other Ascend-only mint functions."""
from __future__ import annotations

from .. import ops as _ops
from .._tensor import Tensor
from ..ops._doc_arith import matrix_axes

__all__ = ["inv", "vector_norm", "matrix_norm", "norm", "qr"]


def inv(input):  # noqa: A002 - MindSpore's names
    """The inverse of each square matrix [..., n, n]."""
    return _ops.inverse(input)


def vector_norm(x, ord: float = 2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """The ord-norm of x's elements along dim (an int, a tuple, or None: all of them)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"For `vector_norm`, the `x` must be Tensor!, but get {type(x)}.")
    if not isinstance(ord, (bool, int, float)):
        raise ValueError(f"For `vector_norm`, the ord mode must be one of [bool, int, float, inf, -inf], "
                         f"but got {ord}.")
    if ord in (float("inf"), float("-inf")):  # ties share the gradient (torch's rule, which mint follows; ops.norm
        # gives it to the first, as MindSpore 2.10's ArgMaxWithValue; MindSpore's CPU has no mint norm kernel)
        a = _ops.abs(x if dtype is None else _ops.cast(x, dtype))
        return (_ops.amax if ord > 0 else _ops.amin)(a, dim, bool(keepdim))
    return _ops.vector_norm(x, float(ord), dim, keepdim, dtype=dtype)


def matrix_norm(A, ord: str | float = "fro", dim: tuple | list = (-2, -1), keepdim=False, *,  # noqa: A002, N803
                dtype=None):
    """The matrix norm of each plane over the pair dim: ops.matrix_norm with mint's keywords."""
    return _ops.matrix_norm(A, ord, dim, keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002, N803
    """A vector or matrix norm, as MindSpore's linalg.norm chooses: with dim None and ord None the 2-norm of all the
    elements; ord 'fro' / 'nuc', a pair dim, or a 2-D A with dim None: a matrix norm; else a vector norm along dim."""
    rank = len(A.shape)
    if dim is None:
        if ord is not None and rank > 2:
            raise ValueError("For `linalg.norm`, the input must be 1D or 2D when `ord` is specified but `dim` is None.")
        if ord is None or (ord == "fro" and rank == 2) or (ord == 2 and rank == 1):
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        dims = tuple(range(rank))
    elif isinstance(dim, int):
        dims = (dim,)
    elif isinstance(dim, (list, tuple)):
        if len(dim) > 2:
            raise ValueError(f"For `linalg.norm`, the length of `dim` must be 1 or 2 when dim is not None, "
                             f"but got {len(dim)}.")
        dims = tuple(dim)
    else:
        raise TypeError(f"For `linalg.norm`, the dim should be int, list of int or tuple of int, but got {type(dim)}")
    if ord is None:
        return vector_norm(A, 2, dims, keepdim, dtype=dtype)
    if ord in ("fro", "nuc") or len(dims) == 2:
        matrix_axes(dims, rank)
        return matrix_norm(A, ord, dims, keepdim, dtype=dtype)
    return vector_norm(A, ord, dims, keepdim, dtype=dtype)


def qr(A, mode="reduced"):  # noqa: N803
    """(Q, R) of A [..., m, n]: mode 'reduced' or 'complete' (ops.qr's)."""
    return _ops.qr(A, mode)
