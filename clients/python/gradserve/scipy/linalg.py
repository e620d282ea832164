"""`mindspore.scipy.linalg` (so far): solve_triangular, cholesky, cho_factor, cho_solve, inv and det, with
scipy.linalg's arguments, over the engine's triangular_solve / cholesky / matrix_inverse / slogdet (which
give their derivatives to any order; triangular_solve reads only the named triangle of a).
cho_factor returns the factor with zeros in its other triangle (scipy leaves arbitrary values there)."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._tensor import Tensor
from .._trace import apply

__all__ = ["solve_triangular", "cholesky", "cho_factor", "cho_solve", "inv", "det"]

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}  # real matrices: C is T


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, debug=None,
                     check_finite=True):
    """x with op(A) x = b, A the lower (upper) triangle of a [..., n, n], op the transpose for trans 1 / 'T' /
    2 / 'C'; unit_diagonal takes A's diagonal as ones. b: [..., n] or [..., n, k]."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"solve_triangular: a and b must be Tensors, got {type(a).__name__} and {type(b).__name__}")
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"solve_triangular: a must be square matrices [..., n, n], got shape {list(a.shape)}")
    if a._dtype not in ("float32", "float64"):
        a = _ops.cast(a, "float32")
    b = _ops.cast(b, a._dtype) if b._dtype != a._dtype else b
    if unit_diagonal:
        eye = Tensor(np.eye(a.shape[-1], dtype=a._dtype))
        a = _ops.add(_ops.mul(a, _ops.sub(1.0, eye)), eye)
    vector = b.ndim == a.ndim - 1
    rhs = _ops.expand_dims(b, -1) if vector else b
    x = apply("triangular_solve", [a, rhs], {"lower": bool(lower), "transpose_a": _TRANS[trans]})[0]
    return _ops.squeeze(x, -1) if vector else x


def _square(a, where: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{where}: a must be a Tensor, got {type(a).__name__}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{where}: a must be square matrices [..., n, n], got shape {list(a.shape)}")
    return a if a._dtype in ("float32", "float64") else _ops.cast(a, "float32")


def cholesky(a, lower=False, overwrite_a=False, check_finite=True) -> Tensor:
    """The Cholesky factor of a symmetric positive-definite a: L (lower) or U = L^T."""
    return _ops.cholesky(_square(a, "cholesky"), upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower): cholesky's factor and the triangle it is in, for cho_solve."""
    return cholesky(a, lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True) -> Tensor:
    """x with A x = b from cho_factor's (c, lower) of A."""
    c, lower = c_and_lower
    y = solve_triangular(c, b, trans=0 if lower else 1, lower=lower)
    return solve_triangular(c, y, trans=1 if lower else 0, lower=lower)


def inv(a, overwrite_a=False, check_finite=True) -> Tensor:
    return _ops.inverse(_square(a, "inv"))


def det(a, overwrite_a=False, check_finite=True) -> Tensor:
    return _ops.det(_square(a, "det"))
