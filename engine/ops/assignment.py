"""The linear sum assignment problem (MindSpore's scipy.ops.LinearSumAssignment, scipy.optimize's
linear_sum_assignment):

  linear_sum_assignment(cost [m, n], dimension_limit [], maximize) -> (row [k], col [k]), int64, k = min(m, n):
      the matching of rows to the first `dimension_limit` columns of cost with the least (maximize: the
      greatest) total cost, rows ascending, as scipy answers on cost[:, :dimension_limit]; where the limit
      leaves fewer than k pairs, the rest of both outputs is -1 (MindSpore's padding).

A dimension_limit at or past n means no limit (MindSpore's default is sys.maxsize); below 1 it is an error,
as is a cost that allows no matching (NaN, -inf when minimising, a row or column of infinities): a
ShapeError naming the op and the input, as MindSpore's kernel refuses them. The outputs are integers: the op
is not differentiable (a matching is piecewise constant in the cost); a cost read through them (cost[row,
col]) has its own derivative.
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ._infer import rule_infer
from .registry import Attr, defop, impl_rules


def _host(a) -> np.ndarray:
    a = a.detach().cpu().numpy() if hasattr(a, "detach") else (a.get() if hasattr(a, "get") else a)
    return np.asarray(a)


def _lsa_impl(xp, cost, dimension_limit, maximize=False):
    from scipy.optimize import linear_sum_assignment  # noqa: PLC0415  (scipy: a server dependency)

    c, limit = _host(cost).astype(np.float64), int(_host(dimension_limit))
    m, n = c.shape
    if limit < 1:
        raise ShapeError(f"linear_sum_assignment: dimension_limit must be >= 1 (input 1), got {limit}",
                         path="inputs[1]")
    try:
        rows, cols = linear_sum_assignment(c[:, :min(limit, n)], maximize=bool(maximize))
    except ValueError as e:  # NaN / -inf entries, or no complete matching of finite cost
        raise ShapeError(f"linear_sum_assignment: the cost matrix (input 0) admits no assignment: {e}",
                         path="inputs[0]") from None
    pad = np.full(min(m, n) - len(rows), -1, dtype=np.int64)
    out = [np.concatenate([np.asarray(r, np.int64), pad]) for r in (rows, cols)]
    if type(cost).__module__.startswith("torch"):
        import torch  # noqa: PLC0415

        return tuple(torch.from_numpy(o).to(cost.device) for o in out)
    return tuple(xp.asarray(o) for o in out)


defop("linear_sum_assignment", 2, rule_infer("linear_sum_assignment"), n_outputs=2, nondiff=True,
      attrs={"maximize": Attr("bool", False)},
      doc="(row, col) int64 [min(m, n)]: the least-cost (maximize: greatest) matching of cost [m, n]'s rows to "
          "its first dimension_limit columns (scipy.optimize.linear_sum_assignment), -1 padded; integer outputs, "
          "not differentiable")
impl_rules["linear_sum_assignment"] = _lsa_impl
