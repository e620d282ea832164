"""nn.FractionalMaxPool2d / FractionalMaxPool3d(kernel_size, output_size=None, output_ratio=None,
return_indices=False, _random_samples=None): ops.fractional_max_pool2d / fractional_max_pool3d."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


class FractionalMaxPool2d(Cell):
    _pool = staticmethod(_ops.fractional_max_pool2d)

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        if output_size is None and output_ratio is None:
            raise ValueError(f"For '{type(self).__name__}', 'output_size' or 'output_ratio' must be given")
        self.kernel_size, self.output_size, self.output_ratio = kernel_size, output_size, output_ratio
        self.return_indices, self._random_samples = return_indices, _random_samples

    def construct(self, x):
        return self._pool(x, self.kernel_size, self.output_size, self.output_ratio,
                          self.return_indices, self._random_samples)


class FractionalMaxPool3d(FractionalMaxPool2d):
    _pool = staticmethod(_ops.fractional_max_pool3d)
