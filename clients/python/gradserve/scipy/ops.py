"""`mindspore.scipy.ops`: where MindSpore keeps its scipy primitives. Eig (the engine's eig: complex
outputs, no derivative, as MindSpore defines none), LinearSumAssignment (the engine's linear_sum_assignment:
int64 indices, not differentiable) and LU (scipy.linalg's lu over the engine's lu); a name imported from here
that gradserve lacks is a placeholder that raises a clear NotImplementedError when used
(ops/operations/_missing.py), so a program's other functions still run."""
from __future__ import annotations

import sys

from .. import ops as _ops
from .._tensor import Tensor
from .._trace import apply
from ..ops import _eigen
from ..ops._ms_more import _Fn
from ..ops.operations._missing import module_getattr
from . import linalg as _linalg

__all__ = ["Eig", "LinearSumAssignment", "LU"]


class Eig(_eigen.Eig):
    """mindspore.scipy.ops.Eig(compute_v=True)(a) -> (w, v): ops.Eig with MindSpore's other default."""

    def __init__(self, compute_v: bool = True):
        super().__init__(compute_v)


class LinearSumAssignment(_Fn):
    """LinearSumAssignment()(cost_matrix, dimension_limit, maximize) -> (row_idx, col_idx), int64 [min(m, n)]:
    the least-cost (maximize: greatest) matching of the rows of cost_matrix [m, n] to its first dimension_limit
    columns, -1 padded (scipy.optimize.linear_sum_assignment on cost[:, :dimension_limit])."""

    op = "linear_sum_assignment"

    def __call__(self, cost_matrix, dimension_limit=None, maximize=False):
        if not isinstance(maximize, bool):
            raise TypeError(f"For 'LinearSumAssignment', 'maximize' must be a bool, but got "
                            f"{type(maximize).__name__}")
        if not isinstance(cost_matrix, Tensor):
            raise TypeError(f"For 'LinearSumAssignment', 'cost_matrix' must be a Tensor, but got "
                            f"{type(cost_matrix).__name__}")
        if cost_matrix.ndim != 2:
            raise ValueError(f"For 'LinearSumAssignment', 'cost_matrix' must be 2-D, but got shape "
                             f"{list(cost_matrix.shape)}")
        limit = Tensor(sys.maxsize, "int64") if dimension_limit is None else dimension_limit
        if not isinstance(limit, Tensor):
            raise TypeError(f"For 'LinearSumAssignment', 'dimension_limit' must be an int64 Tensor, but got "
                            f"{type(limit).__name__}")
        row, col = apply("linear_sum_assignment", [cost_matrix, limit], {"maximize": maximize})
        return row, col


class LU(_Fn):
    """LU()(a) -> (lu, pivots, p): scipy.linalg.lu_factor's packed factor and 0-based int32 pivots of a [m, n]
    (m <= n), and the int32 permutation matrix p with a = p l u."""

    op = "lu"

    def __call__(self, a):
        packed, piv0, perm_t = _linalg.lu_parts("LU", a)
        return packed, piv0, _ops.cast(perm_t, "int32")


__getattr__ = module_getattr("mindspore.scipy.ops")
