"""ops.diagonal_scatter (src written onto a diagonal of input), matrix_set_diag / MatrixSetDiagV3 (a band of
diagonals written onto the last two axes), matrix_diag_part / MatrixDiagPartV3 (such a band read), ops.eigvals (eig's eigenvalues) and the
sequence conversions TensorToTuple / ScalarToTensor / make_tuple of MindSpore 2.10."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor

__all__ = ["diagonal_scatter", "matrix_set_diag", "MatrixSetDiagV3", "matrix_diag_part", "MatrixDiagPartV3", "eigvals", "TensorToTuple", "ScalarToTensor", "make_tuple"]


def _diagonal_positions(shape: tuple, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """The index of every element of input.diagonal(offset, dim1, dim2), in that Tensor's layout (the other
    axes in order, the diagonal last): an int64 array of that shape + [rank] (gather_nd / scatter_nd form)."""
    n = len(shape)
    rest = [d for d in range(n) if d not in (dim1, dim2)]
    length = max(0, min(shape[dim1] - max(0, -offset), shape[dim2] - max(0, offset)))
    grids = np.meshgrid(*[np.arange(shape[d]) for d in rest], np.arange(length), indexing="ij")
    out = np.zeros(grids[0].shape + (n,), np.int64)
    for k, d in enumerate(rest):
        out[..., d] = grids[k]
    out[..., dim1] = grids[-1] + max(0, -offset)
    out[..., dim2] = grids[-1] + max(0, offset)
    return out


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):  # noqa: A002
    """input with its diagonal (offset, dim1, dim2; the diagonal's layout of ops.diagonal) replaced by src;
    differentiable in both."""
    if not isinstance(input, Tensor) or not isinstance(src, Tensor):
        raise TypeError("For 'diagonal_scatter', 'input' and 'src' must be Tensors")
    n = input.ndim
    if n < 2:
        raise ValueError(f"For 'diagonal_scatter', 'input' must have at least 2 dimensions, got {n}")
    d1, d2 = dim1 % n, dim2 % n
    if d1 == d2:
        raise ValueError(f"For 'diagonal_scatter', 'dim1' and 'dim2' must differ, got {dim1} and {dim2}")
    pos = _diagonal_positions(tuple(input.shape), int(offset), d1, d2)
    if tuple(src.shape) != pos.shape[:-1]:
        raise ValueError(f"For 'diagonal_scatter', 'src' must have the diagonal's shape {list(pos.shape[:-1])}, "
                         f"got {list(src.shape)}")
    return late.ops.tensor_scatter_update(input, Tensor(pos), late.ops.cast(src, input.dtype))


_ALIGNS = ("RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT")


def _band_k(k, where: str) -> tuple:
    if isinstance(k, Tensor):
        if k._dtype not in ("int32", "int64") or k.ndim > 1:
            raise TypeError(f"For '{where}', 'k' must be a 0-d or 1-d int32 Tensor, got {k.dtype} of rank {k.ndim}")
        k = k._concrete(f"{where}'s k (it fixes which diagonals are written)").reshape(-1).tolist()
    ks = list(k) if isinstance(k, (list, tuple)) else [k]
    if not 1 <= len(ks) <= 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in ks):
        raise ValueError(f"For '{where}', 'k' must be an int or a pair of ints, got {k!r}")
    lo, hi = int(ks[0]), int(ks[-1])
    if lo > hi:
        raise ValueError(f"For '{where}', k[0] ({lo}) must not be greater than k[1] ({hi})")
    return lo, hi


def _band_index(m: int, n: int, lo: int, hi: int, align: str, where: str):
    """For each (i, j) of an m x n matrix: whether its diagonal d = j - i is in [lo, hi], and where it sits in
    the diagonals' [num_diags * max_len] layout (row hi - d; a short diagonal padded on the side align says)."""
    if not (-m < lo and hi < n):
        raise ValueError(f"For '{where}', k must lie in ({-m}, {n}) for {m} x {n} matrices, got ({lo}, {hi})")
    max_len = min(m + min(hi, 0), n + min(-lo, 0))
    i, j = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    d = j - i
    inside = (d >= lo) & (d <= hi)
    length = np.minimum(m + np.minimum(d, 0), n - np.maximum(d, 0))
    right = np.where(d >= 0, align.startswith("RIGHT"), align.endswith("RIGHT"))
    pos = np.minimum(i, j) + np.where(right, max_len - length, 0)
    idx = np.where(inside, (hi - d) * max_len + pos, 0)
    return inside, idx.astype(np.int64), max_len


def _band_of(x, k, align: str, where: str):
    """(batch shape, (low, high), _band_index's (inside, idx, max_len)) for the band k of x's last two axes."""
    if align not in _ALIGNS:
        raise ValueError(f"For '{where}', 'align' must be one of {list(_ALIGNS)}, got {align!r}")
    if x.ndim < 2:
        raise ValueError(f"For '{where}', 'x' must have at least 2 dimensions, got {x.ndim}")
    lo, hi = _band_k(k, where)
    *batch, m, n = (int(v) for v in x.shape)
    return batch, (lo, hi), _band_index(m, n, lo, hi, align, where)


def matrix_set_diag(x, diagonal, k: "int | Sequence[int] | Tensor" = 0, align="RIGHT_LEFT"):
    """x with the diagonals k (an int or (low, high)) of its last two axes replaced by `diagonal` (TensorFlow's
    MatrixSetDiagV3 layout: one diagonal [..., max_len]; a band [..., high - low + 1, max_len], the highest
    first). Differentiable in both: the written places take diagonal's gradient, the rest x's."""
    where = "matrix_set_diag"
    if not isinstance(x, Tensor) or not isinstance(diagonal, Tensor):
        raise TypeError(f"For '{where}', 'x' and 'diagonal' must be Tensors")
    batch, (lo, hi), (inside, idx, max_len) = _band_of(x, k, align, where)
    want = tuple(batch) + ((max_len,) if lo == hi else (hi - lo + 1, max_len))
    if tuple(diagonal.shape) != want:
        raise ValueError(f"For '{where}', 'diagonal' must have shape {list(want)} for x of shape "
                         f"{list(x.shape)} and k ({lo}, {hi}), got {list(diagonal.shape)}")
    ops = late.ops
    flat = ops.reshape(ops.cast(diagonal, x.dtype), tuple(batch) + (-1,))
    spread = ops.reshape(ops.gather(flat, Tensor(idx.reshape(-1)), len(batch)), tuple(x.shape))
    return ops.select(Tensor(np.broadcast_to(inside, tuple(x.shape)).copy()), spread, x)


class _BandPrimitive:
    """The primitives of a band of diagonals: made with an align, checked when made."""

    def __init__(self, align="RIGHT_LEFT"):
        if align not in _ALIGNS:
            raise ValueError(f"For '{type(self).__name__}', 'align' must be one of {list(_ALIGNS)}, got {align!r}")
        self.align = align


class MatrixSetDiagV3(_BandPrimitive):
    """ops.MatrixSetDiagV3(align='RIGHT_LEFT')(x, diagonal, k): matrix_set_diag."""

    def __call__(self, x, diagonal, k):
        return matrix_set_diag(x, diagonal, k, self.align)


def matrix_diag_part(x, k, padding_value, align="RIGHT_LEFT"):
    """The diagonals k (an int or (low, high)) of x's last two axes, in matrix_set_diag's layout (one diagonal
    [..., max_len]; a band [..., high - low + 1, max_len], the highest first), a short diagonal padded with
    padding_value on the side align says. Differentiable in x (a gather)."""
    where = "matrix_diag_part"
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', 'x' must be a Tensor, got {type(x).__name__}")
    batch, (lo, hi), (inside, idx, max_len) = _band_of(x, k, align, where)
    source = np.full((hi - lo + 1) * max_len, -1, np.int64)  # each output place: the flat (i, j) it reads, or -1
    source[idx[inside]] = np.flatnonzero(inside)
    ops = late.ops
    flat = ops.reshape(x, tuple(batch) + (-1,))
    picked = ops.gather(flat, Tensor(np.maximum(source, 0)), len(batch))
    pad = padding_value if isinstance(padding_value, Tensor) else Tensor(np.asarray(padding_value))
    if pad.size != 1:
        raise ValueError(f"For '{where}', 'padding_value' must hold one value, got shape {list(pad.shape)}")
    pad = ops.broadcast_to(ops.reshape(ops.cast(pad, x.dtype), ()), tuple(picked.shape))
    out = ops.select(Tensor(np.broadcast_to(source >= 0, tuple(picked.shape)).copy()), picked, pad)
    return ops.reshape(out, tuple(batch) + ((max_len,) if lo == hi else (hi - lo + 1, max_len)))


class MatrixDiagPartV3(_BandPrimitive):
    """ops.operations.array_ops.MatrixDiagPartV3(align='RIGHT_LEFT')(x, k, padding_value): matrix_diag_part."""

    def __call__(self, x, k, padding_value):
        return matrix_diag_part(x, k, padding_value, self.align)


def eigvals(A):  # noqa: A002
    """The eigenvalues of square matrices (complex; eig's first output)."""
    return late.ops.eig(A)[0]


class TensorToTuple:
    """ops.TensorToTuple()(x): x's elements as a tuple of Python numbers (a 1-D Tensor); inside a trace its
    value in this call (a value read, as MindSpore's PyNative)."""

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"For 'TensorToTuple', the input must be a Tensor, got {type(x).__name__}")
        if x.ndim != 1:
            raise TypeError("'int' object is not iterable" if x.ndim == 0 else
                            f"For 'TensorToTuple', the input must be 1-D, got shape {list(x.shape)}")
        return tuple(x.tolist())


class ScalarToTensor:
    """ops.ScalarToTensor()(x, dtype=float32): a 0-d Tensor holding the number x."""

    def __call__(self, x, dtype=_dt.float32):
        return late.ops.scalar_to_tensor(x, dtype)


def make_tuple(*args) -> tuple:
    """ops.make_tuple(*args): the arguments as a tuple (MindSpore's graph primitive, callable in PyNative too)."""
    return tuple(args)
