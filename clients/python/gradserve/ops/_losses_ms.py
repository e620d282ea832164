"""MindSpore's functional losses composed from engine ops: smooth_l1_loss, hinge_embedding_loss,
multilabel_soft_margin_loss, soft_margin_loss; the op classes SparseSoftmaxCrossEntropyWithLogitsV2 and NLLLoss. Each
derivative is that of the ops it is made of."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._math_more import full_like
from ._extra import one_hot

__all__ = ["smooth_l1_loss", "hinge_embedding_loss", "multilabel_soft_margin_loss", "soft_margin_loss", "SparseSoftmaxCrossEntropyWithLogitsV2", "NLLLoss"]


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
    """ops.hinge_embedding_loss: inputs where targets > 0, maximum(margin - inputs, 0) where targets < 0, 0 where
    targets == 0 (MindSpore 2.10's rule, by the targets' sign; torch's counts a 0 target both ways), reduced by
    'mean' | 'sum' | 'none'."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"hinge_embedding_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if not isinstance(margin, (int, float)) or isinstance(margin, bool):
        raise TypeError(f"hinge_embedding_loss: margin must be a float, got {type(margin).__name__}")
    zeros = P.zeros_like(inputs)
    zero = P.zeros_like(targets)
    pos = P.select(P.greater(targets, zero), inputs, zeros)
    # MindSpore 2.10's clip_by_value(margin - inputs, 0), a maximum: at inputs == margin a tie, half the gradient
    # (-0.5 there, not relu's 0)
    neg = P.select(P.less(targets, zero), P.maximum(P.sub(P.cast(Tensor(np.array(float(margin))), inputs.dtype), inputs),
                                                     zeros), zeros)
    loss = P.add(pos, neg)
    if reduction == "mean":
        return P.mean(loss)
    return P.sum(loss) if reduction == "sum" else loss


def soft_margin_loss(input, target, reduction="mean"):  # noqa: A002
    """ops.soft_margin_loss: log(1 + exp(-target * input)) elementwise (as softplus: no overflow), reduced by
    'mean' | 'sum' | 'none' (MindSpore 2.10 documents it; its CPU kernel is not registered)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"soft_margin_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"soft_margin_loss: input {list(input.shape)} and target {list(target.shape)} must have "
                         "one shape")
    loss = P.softplus(P.neg(P.mul(P.cast(target, input.dtype), input)))
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


class SparseSoftmaxCrossEntropyWithLogitsV2:
    """(logits [N, C], labels [N]) -> (loss [N] = -log softmax(logits)[labels], backprop [N, C] = softmax -
    one_hot(labels)): the loss and its gradient with respect to the logits, as TensorFlow's op."""

    def __call__(self, logits, labels):
        if logits.ndim != 2 or labels.ndim != 1 or labels.shape[0] != logits.shape[0]:
            raise ValueError(f"For 'SparseSoftmaxCrossEntropyWithLogitsV2', logits must be [N, C] and labels [N], "
                             f"got shapes {list(logits.shape)} and {list(labels.shape)}")
        hot = P.cast(one_hot(labels, int(logits.shape[1]), 1.0, 0.0), logits.dtype)
        loss = P.neg(_pick(P.log_softmax(logits, -1), labels))
        return loss, P.sub(P.softmax(logits, -1), hot)


def _pick(x, classes):
    """x[i, classes[i]] of an [N, C] x, gathered: a one-hot product would make 0 * -inf = NaN of a log(0)
    elsewhere in the row (MindSpore's kernels read the one element)."""
    from ._movement_ms import gather_elements

    idx = P.reshape(P.cast(classes, "int64"), (-1, 1))
    return P.reshape(gather_elements(x, 1, idx), (-1,))


def mean_over_weights(loss_sum, total):
    """loss_sum / total, the 'mean' of a weighted loss with ignored targets. When every target is ignored both are 0:
    the value is NaN (MindSpore's), its gradient 0 as MindSpore's and torch's kernels give (they skip ignored rows),
    not the 0 * inf = NaN of differentiating the quotient."""
    smooth = P.div(loss_sum, P.where(P.equal(total, 0), P.ones_like(total), total))
    return P.add(smooth, P.stop_gradient(P.sub(P.div(loss_sum, total), smooth)))


class NLLLoss:
    """NLLLoss(reduction='mean', ignore_index=-100)(logits [N, C], target [N], weight [C]) -> (loss,
    total_weight): loss_i = -weight[t_i] logits[i, t_i] (0 where t_i == ignore_index), total_weight = the sum of
    the weights counted; 'mean' divides the sum by it."""

    def __init__(self, reduction="mean", ignore_index=-100):
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"For 'NLLLoss', 'reduction' must be in ['none', 'mean', 'sum'], but got {reduction!r}")
        self.reduction, self.ignore_index = reduction, int(ignore_index)

    def __call__(self, logits, labels, weight):
        kept = P.not_equal(labels, self.ignore_index)
        safe = P.where(kept, labels, P.zeros_like(labels))
        picked = _pick(logits, safe)
        picked = P.where(kept, picked, P.zeros_like(picked))  # an ignored row's element may be -inf: 0 * -inf
        w = P.where(kept, P.gather(weight, safe, 0), P.zeros_like(P.gather(weight, safe, 0)))
        loss = P.neg(P.mul(w, picked))
        total = P.sum(w)
        if self.reduction == "sum":
            loss = P.sum(loss)
        elif self.reduction == "mean":
            loss = mean_over_weights(P.sum(loss), total)
        return loss, total
