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
    return P.pow(P.sum(P.pow(a, float(p))), 1.0 / float(p))


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
    """`_inner_ops.ClipByNorm(axis=None)(x, clip_norm)` over all of x's axes: x * clip_norm / max(l2norm, clip_norm)
    (MindSpore 2.10's values and gradients). Over some axes only, MindSpore 2.10's CPU kernel gives values that are
    not that formula per slice (checked: ClipByNorm(0) of a (3, 4) x scales column 1 by 0.5 / 1.91, its norm being
    1.13); gradserve refuses those rather than give other numbers."""

    def __init__(self, axis=None):
        self.axis = axis

    def __call__(self, x, clip_norm):
        rank = len(x.shape)
        axes = range(rank) if self.axis is None else (self.axis,) if isinstance(self.axis, int) else self.axis
        if sorted(a % rank if rank else a for a in axes) != list(range(rank)):
            raise NotImplementedError(f"ClipByNorm over axis {self.axis} of a rank-{rank} input: gradserve takes the "
                                      "norm of all axes only (MindSpore 2.10's CPU values over some axes are not "
                                      "reproduced); use ops.clip_by_norm or the formula")
        norm = P.sqrt(P.sum(x * x, axis=tuple(range(rank)), keepdims=True))
        return x * clip_norm / P.maximum(norm, clip_norm)
