"""nn.FractionalMaxPool2d(kernel_size, output_size=None, output_ratio=None, return_indices=False,
_random_samples=None): ops.fractional_max_pool2d."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell

__all__ = ["FractionalMaxPool2d"]


class FractionalMaxPool2d(Cell):
    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        if output_size is None and output_ratio is None:
            raise ValueError("For 'FractionalMaxPool2d', 'output_size' or 'output_ratio' must be given")
        self.kernel_size, self.output_size, self.output_ratio = kernel_size, output_size, output_ratio
        self.return_indices, self._random_samples = return_indices, _random_samples

    def construct(self, x):
        return _ops.fractional_max_pool2d(x, self.kernel_size, self.output_size, self.output_ratio,
                                          self.return_indices, self._random_samples)
