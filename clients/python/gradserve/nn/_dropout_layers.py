"""nn.Dropout1d: ops.dropout1d while training."""
from __future__ import annotations

from .._cellbase import Cell
from ..ops._dropout_channels import dropout1d

__all__ = ["Dropout1d"]


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
