"""`mindspore.scipy.linalg` (so far): solve_triangular, as scipy.linalg's, over the engine's triangular_solve
(which reads only the named triangle of a, so the derivative in a lies on that triangle; any order)."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._tensor import Tensor
from .._trace import apply

__all__ = ["solve_triangular"]

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
