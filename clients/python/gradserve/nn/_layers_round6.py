"""nn.HingeEmbeddingLoss, nn.Dropout1d, nn.LPPool1d: MindSpore 2.10's cells over ops/_ms_round6.py."""
from __future__ import annotations

from .._cellbase import Cell
from .._training import LossBase
from ..ops._ms_round6 import dropout1d, hinge_embedding_loss, lp_pool1d

__all__ = ["HingeEmbeddingLoss", "Dropout1d", "LPPool1d"]


class HingeEmbeddingLoss(LossBase):
    """nn.HingeEmbeddingLoss(margin=1.0, reduction='mean')(logits, labels): logits where labels == 1,
    max(0, margin - logits) where labels == -1, reduced."""

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        if not isinstance(margin, (int, float)) or isinstance(margin, bool):
            raise TypeError(f"HingeEmbeddingLoss: margin must be a float, got {type(margin).__name__}")
        self.margin = float(margin)

    def construct(self, logits, labels):
        return hinge_embedding_loss(logits, labels, self.margin, self.reduction)


class Dropout1d(Cell):
    """nn.Dropout1d(p=0.5)(x): ops.dropout1d while training (set_train()), x itself otherwise."""

    def __init__(self, p=0.5):
        super().__init__()
        if not isinstance(p, float) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout1d: p must be a float in [0, 1], got {p!r}")
        self.prob = p

    def construct(self, x):
        if not self.training or self.prob == 0:
            return x
        return dropout1d(x, self.prob)


class LPPool1d(Cell):
    """nn.LPPool1d(norm_type, kernel_size, stride=None, ceil_mode=False)(x): ops.lp_pool1d."""

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def construct(self, x):
        return lp_pool1d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)
