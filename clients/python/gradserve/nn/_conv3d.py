"""nn.Conv3d: Conv2d's parameters and initialisation over three spatial axes."""
from __future__ import annotations

from ..ops._conv import _triple, conv3d
from ._conv import Conv2d

__all__ = ["Conv3d"]


class Conv3d(Conv2d):
    """nn.Conv3d(in_channels, out_channels, kernel_size, stride=1, pad_mode='same', padding=0, dilation=1,
    group=1, has_bias=False, weight_init=None, bias_init=None, data_format='NCDHW', dtype=float32): Conv2d's
    parameters and initialisation over three spatial axes."""

    _format = "NCDHW"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, data_format="NCDHW", dtype=None,
                 seed: int = 0):
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, data_format, dtype, seed)

    @staticmethod
    def _kernel(kernel_size, what: str) -> tuple:
        return _triple(kernel_size, what)

    def construct(self, x):
        return conv3d(x, self.weight, self.bias, self.stride, self.pad_mode, self.padding, self.dilation,
                      self.group)
