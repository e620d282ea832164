"""ops.batch_dot(x1, x2, axes=None): per example of the first (batch) axis, the tensordot of x1 and x2 over
one axis each (axes: an int for both, or (a1, a2); default (x1.ndim - 1, x2.ndim - 2), or x2.ndim - 1 when
x2 is 2-D); the result [B, x1's other axes..., x2's other axes...], [B, 1] when nothing else is left (as
MindSpore 2.10's documentation and Keras' batch_dot). A batched matmul, so the derivative is matmul's."""
from __future__ import annotations

import math

from .._tensor import Tensor
from ._extra import P

__all__ = ["batch_dot"]


def _norm_axis(a, ndim: int, name: str) -> int:
    if isinstance(a, bool) or not isinstance(a, int) or not -ndim <= a < ndim:
        raise ValueError(f"For 'batch_dot', axes entry for '{name}' {a!r} is out of range for rank {ndim}")
    a %= ndim
    if a == 0:
        raise ValueError(f"For 'batch_dot', axes cannot contract the batch axis 0 of '{name}'")
    return a


def batch_dot(x1, x2, axes=None):
    for name, t in (("x1", x1), ("x2", x2)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            raise ValueError(f"For 'batch_dot', '{name}' must be a Tensor of rank >= 2")
    if x1.shape[0] != x2.shape[0]:
        raise ValueError(f"For 'batch_dot', the batch axes differ: {list(x1.shape)} and {list(x2.shape)}")
    if axes is None:
        axes = (x1.ndim - 1, x2.ndim - 1 if x2.ndim == 2 else x2.ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    a1, a2 = _norm_axis(axes[0], x1.ndim, "x1"), _norm_axis(axes[1], x2.ndim, "x2")
    if x1.shape[a1] != x2.shape[a2]:
        raise ValueError(f"For 'batch_dot', contracted axes differ: x1 axis {a1} of {list(x1.shape)} and x2 axis "
                         f"{a2} of {list(x2.shape)}")
    b, k = x1.shape[0], x1.shape[a1]
    rest1 = [x1.shape[i] for i in range(1, x1.ndim) if i != a1]
    rest2 = [x2.shape[i] for i in range(1, x2.ndim) if i != a2]
    left = P.transpose(x1, (0, *[i for i in range(1, x1.ndim) if i != a1], a1))  # [B, rest1..., K]
    right = P.transpose(x2, (0, a2, *[i for i in range(1, x2.ndim) if i != a2]))  # [B, K, rest2...]
    out = P.matmul(P.reshape(left, (b, math.prod(rest1), k)), P.reshape(right, (b, k, math.prod(rest2))))
    shape = (b, *rest1, *rest2)
    return P.reshape(out, shape if len(shape) > 1 else (b, 1))
