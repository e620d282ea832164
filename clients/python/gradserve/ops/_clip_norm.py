"""MindSpore 2.10's ops.clip_by_norm, composed from the SDK's ops (its derivative is theirs)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["clip_by_norm"]


def _norm(t, p: float):
    """The p-norm of all of t's elements (p = inf: the largest magnitude)."""
    a = P.abs(t)
    if p == float("inf"):
        return P.amax(a)
    s = P.sum(P.pow(a, float(p)))
    # a zero sum's root has an infinite slope: root a safe 1 there, so that a zero Tensor's gradient is the
    # identity MindSpore 2.10 gives (clip_coef is then above 1: x itself), not 0 * inf = NaN
    nonzero = P.greater(s, 0.0)
    root = P.pow(P.select(nonzero, s, P.ones_like(s)), 1.0 / float(p))
    return P.select(nonzero, root, P.zeros_like(s))


def clip_by_norm(x, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """x (a Tensor, or a list / tuple of Tensors) times max_norm / (total_norm + 1e-6) when that is below 1, the
    total norm being the norm_type-norm of every Tensor's norm_type-norm (MindSpore 2.10's clip_func)."""
    single = isinstance(x, Tensor)
    xs = [x] if single else list(x)
    if not xs or not all(isinstance(t, Tensor) for t in xs):
        raise TypeError(f"For clip_by_norm, 'x' must be a Tensor or a list / tuple of Tensors, got {x!r}")
    p = float(norm_type)
    norms = [_norm(t, p) for t in xs]
    total = norms[0] if len(norms) == 1 else _norm(P.stack(norms), p)
    if error_if_nonfinite and not total.is_symbolic and not np.all(np.isfinite(total._host_copy())):
        raise RuntimeError(f"For clip_by_norm, the total norm of order {norm_type} from input is non-finite.")
    coef = P.div(P.cast(max_norm, total.dtype) if isinstance(max_norm, Tensor) else float(max_norm),
                 P.add(total, 1e-6))
    coef = P.select(P.less(coef, 1.0), coef, P.ones_like(coef))  # (not scaled up when below max_norm)
    out = [P.mul(t, P.cast(coef, t.dtype)) for t in xs]
    return out[0] if single else tuple(out)  # (MindSpore 2.10 gives a tuple for a list too)


class ClipByNorm:
    """`_inner_ops.ClipByNorm(axis=None)(x, clip_norm)`: x * clip_norm / max(l2norm(x, axis), clip_norm), the norm of
    each slice along axis (None: of all of x; MindSpore 2.10's values and gradients there). Over some axes only,
    MindSpore 2.10's CPU kernel gives values that are not that formula (checked: ClipByNorm(0) of
    [[1, 2, 3, 4], [0.5, 0.2, 2, 1], [3, 0.1, 0.4, 0.5]], clip 1, scales column 3 by 1 / 2.0125, column 1's norm,
    where its own norm is 4.1533); gradserve keeps the documented per-slice formula there."""

    def __init__(self, axis=None):
        if axis is not None and not isinstance(axis, (int, tuple, list)) or isinstance(axis, bool):
            raise TypeError(f"For 'ClipByNorm', the 'axis' must be None, an int or a tuple, but got {type(axis)}.")
        self.axis = axis

    def __call__(self, x, clip_norm):
        rank = len(x.shape)
        axes = tuple(range(rank)) if self.axis is None else (self.axis,) if isinstance(self.axis, int) else \
            tuple(self.axis)
        norm = P.sqrt(P.sum(x * x, axis=axes, keepdims=True))
        return x * clip_norm / P.maximum(norm, clip_norm)
