"""ops.gaussian_nll_loss(x, target, var, full=False, eps=1e-6, reduction='mean'): the negative log-likelihood
of target under N(x, var), 0.5 (log(max(var, eps)) + (x - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) when
full), reduced; var may lack x's last axis or have size 1 there (one variance per row), as MindSpore 2.10's
documentation. The derivative is that of the ops it is made of."""
from __future__ import annotations

import math

from .._tensor import Tensor
from ._extra import P
from ._ms_names import _reduced

__all__ = ["gaussian_nll_loss"]


def gaussian_nll_loss(x, target, var, full=False, eps=1e-6, reduction="mean"):
    for name, t in (("x", x), ("target", target), ("var", var)):
        if not isinstance(t, Tensor):
            raise TypeError(f"For 'gaussian_nll_loss', '{name}' must be a Tensor, got {type(t).__name__}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"For 'gaussian_nll_loss', 'reduction' must be 'mean', 'sum' or 'none', got {reduction!r}")
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or eps <= 0:
        raise ValueError(f"For 'gaussian_nll_loss', 'eps' must be a number > 0, got {eps!r}")
    if tuple(var.shape) != tuple(x.shape) and tuple(var.shape) == tuple(x.shape)[:-1]:
        var = P.expand_dims(var, -1)  # one variance per row of x
    var = P.maximum(var, float(eps))
    loss = P.mul(P.add(P.log(var), P.div(P.square(P.sub(x, target)), var)), 0.5)
    if full:
        loss = P.add(loss, 0.5 * math.log(2 * math.pi))
    return _reduced(loss, reduction)
