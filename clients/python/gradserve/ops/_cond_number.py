"""ops.cond(A, p=None): the condition number of a matrix (or a batch of them, the last two axes). p None / 2 / -2:
the ratio of the largest to the smallest singular value (-2 its inverse); 'fro', 'nuc', inf, -inf, 1, -1:
norm(A, p) * norm(inv(A), p), as MindSpore 2.10 (values checked in its venv)."""
from __future__ import annotations

import math

from ._extra import P

__all__ = ["cond"]

_NORMS = ("fro", "nuc", math.inf, -math.inf, 1, -1)


def cond(A, p=None):  # noqa: N803  (MindSpore's name)
    from . import inverse, norm, svd  # the ops namespace (this module is imported while it is built)
    if p is None or p in (2, -2):
        s = svd(A, compute_uv=False)
        hi, lo = P.amax(s, -1), P.amin(s, -1)
        return P.div(lo, hi) if p == -2 else P.div(hi, lo)
    if p not in _NORMS:
        raise ValueError(f"ops.cond: p must be one of None, 'fro', 'nuc', inf, -inf, 1, -1, 2, -2; got {p!r}")
    dims = (-2, -1)
    return P.mul(norm(A, p, dims), norm(inverse(A), p, dims))
