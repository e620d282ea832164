"""mindspore.scipy.optimize.linear_sum_assignment(cost_matrix, maximize, dimension_limit): the assignment of rows
to columns of least (or most) total cost, solved in the client on NumPy (the Hungarian method with potentials,
shortest augmenting paths: O(n^2 m)). As MindSpore 2.10: only the first dimension_limit columns take part, and
the row / column indices come back as int64 Tensors of length min(rows, columns), padded with -1."""
from __future__ import annotations

import sys
import types

import numpy as np

from ..._tensor import Tensor


def _assign(cost: np.ndarray) -> np.ndarray:
    """For a cost matrix with rows <= columns, each row's column (a minimum-cost assignment)."""
    n, m = cost.shape
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    owner = np.zeros(m + 1, np.int64)  # owner[j]: the 1-based row holding column j (0: free); column 0 is the root
    way = np.zeros(m + 1, np.int64)
    padded = np.zeros((n + 1, m + 1))
    padded[1:, 1:] = cost
    for row in range(1, n + 1):
        owner[0], col = row, 0
        reach = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, bool)
        while owner[col] != 0:  # grow the tree of tight edges until a free column is reached
            used[col] = True
            i0 = owner[col]
            reduced = padded[i0] - u[i0] - v
            better = ~used & (reduced < reach)
            reach[better], way[better] = reduced[better], col
            free = np.where(used, np.inf, reach)
            nxt = int(np.argmin(free[1:])) + 1
            delta = free[nxt]
            u[owner[used]] += delta
            v[used] -= delta
            reach[~used] -= delta
            col = nxt
        while col:  # flip the augmenting path
            prev = way[col]
            owner[col] = owner[prev]
            col = prev
    out = np.full(n, -1, np.int64)
    out[owner[1:][owner[1:] > 0] - 1] = np.nonzero(owner[1:] > 0)[0]
    return out


def linear_sum_assignment(cost_matrix, maximize, dimension_limit=Tensor(sys.maxsize)):
    """(row indices, column indices) of an optimal assignment of the 2-D cost_matrix's first dimension_limit
    columns, rows ascending, each of length min(rows, columns) with -1 after the pairs found."""
    cost = cost_matrix._host_copy() if isinstance(cost_matrix, Tensor) else np.asarray(cost_matrix)
    if cost.ndim != 2 or not np.issubdtype(cost.dtype, np.floating):
        raise ValueError(f"For 'linear_sum_assignment', cost_matrix must be a 2-D float Tensor, but got "
                         f"{cost.dtype} of shape {cost.shape}.")
    if np.isnan(cost).any() or np.isposinf(cost if not maximize else -cost).any():
        raise ValueError("For 'linear_sum_assignment', cost_matrix holds NaN or an infinite cost to avoid "
                         "(+inf, or -inf with maximize): not supported.")
    limit = int(dimension_limit._host_copy()) if isinstance(dimension_limit, Tensor) else int(dimension_limit)
    size = min(cost.shape)
    work = (-cost if maximize else cost)[:, :max(limit, 0)].astype(np.float64)
    rows, cols = np.full(size, -1, np.int64), np.full(size, -1, np.int64)
    if work.size:
        if work.shape[0] <= work.shape[1]:
            r = np.arange(work.shape[0])
            c = _assign(work)
        else:  # more rows than columns: assign each column a row
            c = np.arange(work.shape[1])
            r = _assign(work.T)
            order = np.argsort(r)
            r, c = r[order], c[order]
        rows[:len(r)], cols[:len(c)] = r, c
    return Tensor(rows), Tensor(cols)


class _CallableModule(types.ModuleType):
    """This module called is linear_sum_assignment: MindSpore's package attribute of this name is the function,
    and an import system that aliases mindspore to gradserve (benchmarks/mindspore_suite/conftest.py) sets the
    attribute to this module once more when `import mindspore.scipy.optimize.linear_sum_assignment as f` runs."""

    def __call__(self, *args, **kwargs):
        return linear_sum_assignment(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
