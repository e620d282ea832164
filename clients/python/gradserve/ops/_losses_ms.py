"""MindSpore's functional losses composed from engine ops: smooth_l1_loss, hinge_embedding_loss,
multilabel_soft_margin_loss. Each
derivative is that of the ops it is made of."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._math_more import full_like

__all__ = ["smooth_l1_loss", "hinge_embedding_loss", "multilabel_soft_margin_loss"]


def smooth_l1_loss(input, target, beta: float = 1.0, reduction: str = "none"):  # noqa: A002
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target); 'none' / 'mean' / 'sum'."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"smooth_l1_loss: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    if float(beta) <= 0:
        raise ValueError(f"smooth_l1_loss: beta must be > 0, got {beta}")
    d = P.sub(input, target)
    a = P.abs(d)
    loss = P.select(P.less(a, full_like(a, float(beta))), P.div(P.mul(P.square(d), 0.5), float(beta)),
                    P.sub(a, 0.5 * float(beta)))
    return loss if reduction == "none" else P.sum(loss) if reduction == "sum" else P.mean(loss)


def hinge_embedding_loss(inputs, targets, margin=1.0, reduction="mean"):
    """ops.hinge_embedding_loss: inputs where targets > 0, max(0, margin - inputs) where targets < 0, 0 where
    targets == 0 (MindSpore 2.10's rule, by the targets' sign; torch's counts a 0 target both ways), reduced by
    'mean' | 'sum' | 'none'."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"hinge_embedding_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if not isinstance(margin, (int, float)) or isinstance(margin, bool):
        raise TypeError(f"hinge_embedding_loss: margin must be a float, got {type(margin).__name__}")
    zeros = P.zeros_like(inputs)
    zero = P.zeros_like(targets)
    pos = P.select(P.greater(targets, zero), inputs, zeros)
    neg = P.select(P.less(targets, zero), P.relu(P.sub(P.cast(Tensor(np.array(float(margin))), inputs.dtype), inputs)),
                   zeros)
    loss = P.add(pos, neg)
    if reduction == "mean":
        return P.mean(loss)
    return P.sum(loss) if reduction == "sum" else loss


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):  # noqa: A002
    """-(1/C) sum_c weight_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)) per sample (C: input's last
    axis), reduced over the samples by 'mean' | 'sum' | 'none'. log sigmoid(x) is -softplus(-x) (no overflow)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"multilabel_soft_margin_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"multilabel_soft_margin_loss: input {list(input.shape)} and target {list(target.shape)} "
                         "must have one shape")
    target = P.cast(target, input.dtype)
    per = P.add(P.mul(target, P.softplus(P.neg(input))), P.mul(P.sub(1.0, target), P.softplus(input)))
    if weight is not None:
        per = P.mul(per, weight)
    loss = P.mean(per, -1)
    if reduction == "mean":
        return P.mean(loss)
    return P.sum(loss) if reduction == "sum" else loss
