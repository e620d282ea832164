"""nn.MaxUnpool1d / 2d / 3d(kernel_size, stride=None, padding=0)(x, indices, output_size=None):
ops.max_unpool1d / 2d / 3d."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell

__all__ = ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


class _MaxUnpool(Cell):
    _fn = ""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def construct(self, x, indices, output_size=None):
        return getattr(_ops, self._fn)(x, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool1d(_MaxUnpool):
    _fn = "max_unpool1d"


class MaxUnpool2d(_MaxUnpool):
    _fn = "max_unpool2d"


class MaxUnpool3d(_MaxUnpool):
    _fn = "max_unpool3d"
