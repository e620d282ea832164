"""nn.MatMul, nn.SparseTensorDenseMatmul, nn.Range: MindSpore's Cells over ops.matmul, ops.SparseTensorDenseMatmul and
numpy.arange."""
from __future__ import annotations

import numpy as np

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
