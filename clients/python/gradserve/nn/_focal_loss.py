"""nn.FocalLoss(weight=None, gamma=2.0, reduction='mean')(logits, labels), MindSpore 2.10's definition: logits
[N, C, *] (2 to 4 dims), labels of the same rank, either one-hot / probabilities [N, C, *] or class indices
[N, 1, *]. With p = softmax over C, the per-element loss is -(1 - p)**gamma * log(p) (times labels for [N, C, *];
taken at each position's class for indices); a class weight multiplies log(p) (not p). Before the reduction the
positions * are averaged: 'none' gives [N, C] for one-hot labels and [N] for indices (MindSpore's shapes)."""
from __future__ import annotations

from .. import dtype as _dt
from .. import ops as _ops
from .._tensor import Tensor
from .._training import LossBase


def _check_ranks(logits, labels) -> None:
    for what, t in (("logits", logits), ("labels", labels)):
        if not 2 <= t.ndim <= 4:  # (MindSpore 2.10's texts)
            raise ValueError(f"For 'FocalLoss', the dimensions of '{what}' must be in [2, 4], but got dimension of "
                             f"'{what}' {t.ndim}.")
    if logits.ndim != labels.ndim:
        raise ValueError(f"For 'FocalLoss', the dimensions of 'logits' and 'labels' must be equal, but got dimension "
                         f"of 'logits' {logits.ndim} and dimension of 'labels' {labels.ndim}.")
    c, lc = logits.shape[1], labels.shape[1]
    if c == 1:
        raise ValueError(f"For 'FocalLoss', the 'logits'.shape[1] cannot be one, but got {c}.")
    if lc not in (1, c):
        raise ValueError(f"For 'FocalLoss', the 'labels'.shape[1] must be one or equal to 'logits'.shape[1]: {c}, "
                         f"but got {lc}.")
    if labels.dtype not in (_dt.int32, _dt.int64, _dt.float16, _dt.float32):
        raise TypeError(f"For 'FocalLoss', the type of 'labels' should be one of [Int32, Int64, Float16, Float32], "
                        f"but got {labels.dtype}.")


class FocalLoss(LossBase):
    def __init__(self, weight=None, gamma=2.0, reduction="mean"):
        super().__init__(reduction)
        if type(gamma) is not float:
            raise TypeError(f"The type of 'gamma' should be 'float', but got type '{type(gamma).__name__}'.")
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"For 'FocalLoss', the type of 'weight' must be a Tensor, but got {type(weight).__name__}.")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"For 'FocalLoss', the dimension of 'weight' must be 1, but got {weight.ndim}.")
        self.gamma, self.weight = gamma, weight

    def construct(self, logits, labels):
        _check_ranks(logits, labels)
        n, c = logits.shape[0], logits.shape[1]
        indices = labels.shape[1] == 1
        target = labels.reshape((n, labels.shape[1], -1))
        logp = _ops.log_softmax(logits.reshape((n, c, -1)), 1)
        at = _ops.cast(target, _dt.int32) if indices else None
        if indices:
            logp = _ops.gather_elements(logp, 1, at).squeeze(1)  # [N, positions]: each position's class
        focus = (1.0 - _ops.exp(logp)) ** self.gamma  # (before the class weight: MindSpore weighs log(p) only)
        if self.weight is not None:
            w = _ops.broadcast_to(self.weight.reshape((1, c, 1)), (n, c, target.shape[2]))
            logp = logp * (_ops.gather_elements(w, 1, at).squeeze(1) if indices else w)
        if indices:
            return self.get_loss((-focus * logp).mean(1))
        return self.get_loss((-focus * target * logp).mean(-1))
