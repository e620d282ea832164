"""nn.MatMul, nn.SparseTensorDenseMatmul, nn.Range, nn.Moments: MindSpore's Cells over ops.matmul,
ops.SparseTensorDenseMatmul, numpy.arange and means."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Tensor


class MatMul(Cell):
    """nn.MatMul(transpose_x1=False, transpose_x2=False)(x1, x2): NumPy's matmul (batch axes broadcast; a 1-D
    operand is a vector), the last two axes of x1 / x2 swapped first where asked."""

    def __init__(self, transpose_x1: bool = False, transpose_x2: bool = False, dtype=None):
        super().__init__()
        self.transpose_x1, self.transpose_x2 = bool(transpose_x1), bool(transpose_x2)

    def construct(self, x1, x2):
        if self.transpose_x1 and x1.ndim > 1:
            x1 = _ops.swapaxes(x1, -1, -2)
        if self.transpose_x2 and x2.ndim > 1:
            x2 = _ops.swapaxes(x2, -1, -2)
        v1, v2 = x1.ndim == 1, x2.ndim == 1  # a vector is a row (x1) / column (x2), that axis dropped after
        out = _ops.matmul(_ops.expand_dims(x1, 0) if v1 else x1, _ops.expand_dims(x2, -1) if v2 else x2)
        if v2:
            out = _ops.squeeze(out, -1)
        return _ops.squeeze(out, -1 if v2 else -2) if v1 else out


class SparseTensorDenseMatmul(Cell):
    """nn.SparseTensorDenseMatmul(adjoint_st=False, adjoint_dt=False)(indices, values, sparse_shape, dense): the
    COO matrix (indices [nnz, 2], values, sparse_shape) times dense (ops.SparseTensorDenseMatmul)."""

    def __init__(self, adjoint_st: bool = False, adjoint_dt: bool = False):
        super().__init__()
        self.matmul = _ops.SparseTensorDenseMatmul(adjoint_st, adjoint_dt)

    def construct(self, indices, values, sparse_shape, dense):
        return self.matmul(indices, values, sparse_shape, dense)


class Range(Cell):
    """nn.Range(start, limit=None, delta=1)(): start, start + delta, ... below limit (limit None: 0 up to start);
    int32 when all three are ints, else float32 (MindSpore 2.10's dtypes)."""

    def __init__(self, start, limit=None, delta=1):
        super().__init__()
        if limit is None:
            start, limit = 0, start
        if delta == 0:
            raise ValueError("For 'Range', 'delta' can not be 0")
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, limit, delta))
        self._values = np.arange(start, limit, delta).astype(np.int32 if ints else np.float32)

    def construct(self):
        return Tensor(self._values)


class Moments(Cell):
    """nn.Moments(axis=None, keep_dims=None)(x) -> (mean, variance) over axis (None: all), the variance biased
    (MindSpore 2.10: float16 / float32 only, float16 computed in float32; the variance's gradient takes the mean as
    a constant, which changes nothing: d/dmean of sum((x - mean)**2) is 0 at the mean)."""

    def __init__(self, axis=None, keep_dims=None):
        super().__init__()
        axis = () if axis is None else axis
        items = axis if isinstance(axis, tuple) else (axis,)
        if not isinstance(axis, (int, tuple)) or any(isinstance(a, bool) or not isinstance(a, int) for a in items):
            raise TypeError(f"For 'Moments', the type of 'axis' should be one of ['int', 'tuple'] holding ints, "
                            f"but got {axis!r}.")
        keep_dims = False if keep_dims is None else keep_dims
        if not isinstance(keep_dims, bool):
            raise TypeError(f"For 'Moments', the type of 'keep_dims' should be 'bool', but got "
                            f"type '{type(keep_dims).__name__}'.")
        self.axis, self.keep_dims = axis, keep_dims

    def construct(self, x):
        if x.dtype not in (_dt.float16, _dt.float32):  # (MindSpore 2.10's text)
            raise TypeError(f"For 'Moments', the 'input x' should be one of [mindspore.float16, mindspore.float32], "
                            f"but got '{x.dtype!r}'.")
        half = x.dtype == _dt.float16
        x = _ops.cast(x, _dt.float32) if half else x
        axis = self.axis if self.axis != () else None
        mean = x.mean(axis, True)
        diff = x - _ops.stop_gradient(mean)
        variance = (diff * diff).mean(axis, self.keep_dims)
        mean = mean if self.keep_dims else x.mean(axis, False)
        if half:
            return _ops.cast(mean, _dt.float16), _ops.cast(variance, _dt.float16)
        return mean, variance
