"""nn.AdaptiveMaxPool1d(output_size, return_indices=False) and nn.AdaptiveAvgPool1d(output_size): cells over
ops/_adaptive_pool1d.py."""
from __future__ import annotations

from .._cellbase import Cell
from ..ops._adaptive_pool1d import adaptive_avg_pool1d, adaptive_max_pool1d

__all__ = ["AdaptiveMaxPool1d", "AdaptiveAvgPool1d"]


class AdaptiveMaxPool1d(Cell):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, bool(return_indices)

    def construct(self, input):  # noqa: A002 - MindSpore's names
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(Cell):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def construct(self, input):  # noqa: A002
        return adaptive_avg_pool1d(input, self.output_size)
