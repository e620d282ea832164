"""`mindspore.scipy.fft`: dct / idct / dctn / idctn, the orthonormal type-2 discrete cosine transform and
its inverse (the only type and norm MindSpore 2.10 supports), as scipy.fft defines them.

The transform along an axis of length N is a product with the orthonormal DCT-II matrix
C[k, j] = s_k cos(pi k (2 j + 1) / (2 N)), s_0 = sqrt(1 / N), s_k = sqrt(2 / N); its inverse is C^T. So
both are matmuls (they trace and differentiate as one). `n` / `s` truncate or zero-pad the input first.
Integer and float16 inputs give float32 (MindSpore's rule), float64 stays float64."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._tensor import Tensor

__all__ = ["dct", "idct", "dctn", "idctn"]


def _check(x, type_, norm, where: str) -> Tensor:  # noqa: A002 - scipy's argument name is type
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', 'x' must be a Tensor, got {type(x).__name__}")
    if type_ != 2:
        raise ValueError(f"For '{where}', only type 2 is supported, got type {type_!r}")
    if norm not in (None, "ortho"):
        raise ValueError(f"For '{where}', only norm 'ortho' (or None, which means it) is supported, got {norm!r}")
    if x._dtype.startswith("complex"):
        raise TypeError(f"For '{where}', complex input is not supported, got {x.dtype}")
    return x if x._dtype == "float64" else _ops.cast(x, "float32")


def _matrix(n: int, dtype: str) -> np.ndarray:
    k, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    c = np.cos(np.pi * k * (2 * j + 1) / (2 * n)) * np.sqrt(2.0 / n)
    c[0] /= np.sqrt(2.0)
    return c.astype(dtype)


def _resize(x: Tensor, n, axis: int, where: str) -> Tensor:
    """x truncated or zero-padded to length n along axis (n None: as it is)."""
    if n is None:
        return x
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"For '{where}', the length n must be an int >= 1, got {n!r}")
    size = x.shape[axis]
    if n < size:
        return _ops.gather(x, Tensor(np.arange(n, dtype=np.int64)), axis)
    if n > size:
        shape = list(x.shape)
        shape[axis] = n - size
        return _ops.concat([x, _ops.zeros(tuple(shape), x._dtype)], axis)
    return x


def _along(x: Tensor, axis: int, n, inverse: bool, where: str) -> Tensor:
    axis = axis % x.ndim
    x = _resize(x, n, axis, where)
    c = _matrix(x.shape[axis], x._dtype)
    moved = _ops.moveaxis(x, axis, -1) if x.ndim > 1 else _ops.reshape(x, (1, -1))  # matmul needs rank 2
    out = _ops.matmul(moved, Tensor(c if inverse else c.T.copy()))  # y = x C^T; inverse: x C
    return _ops.moveaxis(out, -1, axis) if x.ndim > 1 else _ops.reshape(out, (-1,))


def dct(x, type=2, n=None, axis=-1, norm=None):  # noqa: A002
    return _along(_check(x, type, norm, "dct"), axis, n, False, "dct")


def idct(x, type=2, n=None, axis=-1, norm=None):  # noqa: A002
    return _along(_check(x, type, norm, "idct"), axis, n, True, "idct")


def _nd(x, type_, s, axes, norm, inverse: bool, where: str):
    x = _check(x, type_, norm, where)
    if axes is None:
        axes = tuple(range(x.ndim)) if s is None else tuple(range(x.ndim - len(s), x.ndim))
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    sizes = (None,) * len(axes) if s is None else ((s,) if isinstance(s, int) else tuple(s))
    if len(sizes) != len(axes):
        raise ValueError(f"For '{where}', s and axes must have one length, got {len(sizes)} and {len(axes)}")
    for ax, n in zip(axes, sizes):
        x = _along(x, ax, n, inverse, where)
    return x


def dctn(x, type=2, s=None, axes=None, norm=None):  # noqa: A002
    return _nd(x, type, s, axes, norm, False, "dctn")


def idctn(x, type=2, s=None, axes=None, norm=None):  # noqa: A002
    return _nd(x, type, s, axes, norm, True, "idctn")
