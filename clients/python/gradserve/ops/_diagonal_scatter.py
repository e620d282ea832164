"""ops.diagonal_scatter (src written onto a diagonal of input), ops.eigvals (eig's eigenvalues) and the
sequence conversions TensorToTuple / ScalarToTensor / make_tuple of MindSpore 2.10."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor

__all__ = ["diagonal_scatter", "eigvals", "TensorToTuple", "ScalarToTensor", "make_tuple"]


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


def eigvals(input):  # noqa: A002
    """The eigenvalues of square matrices (complex; eig's first output)."""
    return late.ops.eig(input)[0]


class TensorToTuple:
    """ops.TensorToTuple()(x): x's elements as a tuple of Python numbers (a 1-D Tensor); inside a trace its
    value in this call (a value read, as MindSpore's PyNative)."""

    def __call__(self, input_x):
        if not isinstance(input_x, Tensor):
            raise TypeError(f"For 'TensorToTuple', the input must be a Tensor, got {type(input_x).__name__}")
        if input_x.ndim != 1:
            raise TypeError("'int' object is not iterable" if input_x.ndim == 0 else
                            f"For 'TensorToTuple', the input must be 1-D, got shape {list(input_x.shape)}")
        return tuple(input_x.tolist())


class ScalarToTensor:
    """ops.ScalarToTensor()(x, dtype=float32): a 0-d Tensor holding the number x."""

    def __call__(self, input_x, dtype=_dt.float32):
        return late.ops.scalar_to_tensor(input_x, dtype)


def make_tuple(*args) -> tuple:
    """ops.make_tuple(*args): the arguments as a tuple (MindSpore's graph primitive, callable in PyNative too)."""
    return tuple(args)
