"""nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None):
ops.interpolate with its arguments fixed at construction; as in MindSpore 2.10, they are checked when it is
called (ops/_interpolate.py has the modes and rules)."""
from __future__ import annotations

from .._cellbase import Cell
from ..ops._interpolate import interpolate

__all__ = ["Upsample"]


class Upsample(Cell):
    """nn.Upsample: ops.interpolate(x, size, scale_factor, mode, align_corners, recompute_scale_factor)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def construct(self, x):
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)
