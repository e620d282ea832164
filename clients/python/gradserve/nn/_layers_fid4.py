"""nn.PReLU, nn.GroupNorm, nn.MarginRankingLoss (and ops.margin_ranking_loss): MindSpore 2.10's cells over
gradserve.ops (values checked against MindSpore 2.10 on CPU for this task)."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter, Tensor
from .._training import LossBase
from ..ops._ms_names import kl_div

__all__ = ["PReLU", "GroupNorm", "MarginRankingLoss", "margin_ranking_loss", "KLDivLoss"]


class PReLU(Cell):
    """nn.PReLU(channel=1, w=0.25, dtype=float32): x where x > 0, else w * x, one learnt slope per channel
    (axis 1), a Parameter named 'a'."""

    def __init__(self, channel: int = 1, w=0.25, dtype=None):
        super().__init__()
        dt = getattr(dtype, "name", dtype) or "float32"
        w = w.asnumpy() if isinstance(w, Tensor) else np.asarray(w)
        if w.ndim == 0:
            w = np.full((int(channel),), float(w))
        if w.shape != (int(channel),):
            raise ValueError(f"PReLU: w must be a number or have shape ({channel},), got {list(w.shape)}")
        self.w = Parameter(Tensor(w.astype(dt)), name="a")

    def construct(self, x):
        return _ops.prelu(x, self.w)


class GroupNorm(Cell):
    """nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, gamma_init='ones', beta_init='zeros',
    dtype=float32): x (N, C, *) normalised over each group of C / num_groups channels and the other axes
    (biased variance), then * gamma + beta per channel."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, gamma_init="ones", beta_init="zeros",
                 dtype=None):
        super().__init__()
        from . import _init_value  # (nn's initializer helper; nn imports this module after defining it)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be a multiple of num_groups "
                             f"({num_groups})")
        dt = getattr(dtype, "name", dtype) or "float32"
        self.num_groups, self.num_channels, self.eps, self.affine = int(num_groups), int(num_channels), eps, affine
        self.gamma = Parameter(_init_value(gamma_init, (num_channels,), dt), name="gamma", requires_grad=affine)
        self.beta = Parameter(_init_value(beta_init, (num_channels,), dt), name="beta", requires_grad=affine)

    def construct(self, x):
        shape = tuple(x.shape)
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: input must be (N, {self.num_channels}, ...), got {list(shape)}")
        g = _ops.reshape(x, (shape[0], self.num_groups, -1))
        mean = _ops.mean(g, 2, True)
        centred = g - mean
        var = _ops.mean(centred * centred, 2, True)
        y = _ops.reshape(centred * _ops.rsqrt(var + self.eps), shape)
        per_channel = (1, self.num_channels) + (1,) * (len(shape) - 2)
        return y * _ops.reshape(self.gamma, per_channel) + _ops.reshape(self.beta, per_channel)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin), reduced ('mean' | 'sum' | 'none')."""
    loss = _ops.relu(_ops.neg(target) * (input1 - input2) + float(margin))
    return LossBase(reduction).get_loss(loss)


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
