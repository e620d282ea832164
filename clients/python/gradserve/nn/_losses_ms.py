"""MindSpore 2.10's loss cells over gradserve.ops: nn.SmoothL1Loss, nn.HingeEmbeddingLoss, nn.MarginRankingLoss
(and its margin_ranking_loss), nn.KLDivLoss, nn.MultiLabelSoftMarginLoss, nn.GaussianNLLLoss, nn.NLLLoss."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Tensor
from .._training import LossBase
from ..ops._loss_gaussian_nll import gaussian_nll_loss
from ..ops._loss_nll import nll_loss
from ..ops._losses_ms import hinge_embedding_loss, multilabel_soft_margin_loss, smooth_l1_loss
from ..ops._ms_names import kl_div

__all__ = ["SmoothL1Loss", "HingeEmbeddingLoss", "MarginRankingLoss", "margin_ranking_loss", "KLDivLoss",
           "MultiLabelSoftMarginLoss", "GaussianNLLLoss", "NLLLoss"]


class SmoothL1Loss(Cell):
    """nn.SmoothL1Loss(beta=1.0, reduction='none')(logits, labels)."""

    def __init__(self, beta=1.0, reduction="none"):
        super().__init__()
        self.beta, self.reduction = float(beta), reduction

    def construct(self, logits, labels):
        return smooth_l1_loss(logits, labels, self.beta, self.reduction)


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


# ops.margin_ranking_loss, MindSpore 2.10's clamp(..., min=0): its tie at 0 passes the gradient (relu's gave 0)
margin_ranking_loss = _ops.margin_ranking_loss


class MarginRankingLoss(LossBase):
    """nn.MarginRankingLoss(margin=0.0, reduction='mean')(input1, input2, target)."""

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = float(margin)

    def construct(self, input1, input2, target):
        return margin_ranking_loss(input1, input2, target, self.margin, self.reduction)


class KLDivLoss(Cell):
    """nn.KLDivLoss(reduction='mean')(logits, labels): ops.kl_div."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def construct(self, logits, labels):
        return kl_div(logits, labels, self.reduction)


class MultiLabelSoftMarginLoss(LossBase):
    """nn.MultiLabelSoftMarginLoss(weight=None, reduction='mean')(x, target): ops.multilabel_soft_margin_loss."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def construct(self, x, target):
        return multilabel_soft_margin_loss(x, target, self.weight, self.reduction)


class GaussianNLLLoss(LossBase):
    """nn.GaussianNLLLoss(*, full=False, eps=1e-6, reduction='mean')(logits, labels, var): ops.gaussian_nll_loss."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"For 'GaussianNLLLoss', 'reduction' must be 'mean', 'sum' or 'none', got {reduction!r}")
        super().__init__(reduction)
        if not isinstance(eps, float):
            raise TypeError(f"For 'GaussianNLLLoss', 'eps' must be a float, got {type(eps).__name__}")
        if not eps > 0:
            raise ValueError(f"For 'GaussianNLLLoss', 'eps' must be > 0, got {eps!r}")
        if not isinstance(full, bool):
            raise TypeError(f"For 'GaussianNLLLoss', 'full' must be a bool, got {type(full).__name__}")
        self.full, self.eps = full, eps

    def construct(self, logits, labels, var):
        return gaussian_nll_loss(logits, labels, var, self.full, self.eps, self.reduction)


class NLLLoss(LossBase):
    """nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean')(logits, labels): ops.nll_loss (no
    label_smoothing: MindSpore 2.10's cell has none)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        if not isinstance(ignore_index, int) or isinstance(ignore_index, bool):
            raise TypeError(f"For 'NLLLoss', 'ignore_index' must be an int, got {type(ignore_index).__name__}")
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"For 'NLLLoss', 'weight' must be a Tensor or None, got {type(weight).__name__}")
        if weight is not None and str(weight.dtype).lower() not in ("float16", "float32"):
            raise TypeError(f"For 'NLLLoss', 'weight' must be float16 or float32, got {weight.dtype}")
        self.weight, self.ignore_index = weight, ignore_index

    def construct(self, logits, labels):
        return nll_loss(logits, labels, self.weight, self.ignore_index, self.reduction)
