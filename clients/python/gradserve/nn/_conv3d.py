"""nn.Conv3d and nn.Conv3dTranspose: Conv2d's and Conv2dTranspose's parameters and initialisation over three
spatial axes."""
from __future__ import annotations

from ..ops import _conv as _ops_conv
from ..ops._conv import _triple, conv3d
from ._conv import Conv2d, Conv2dTranspose

__all__ = ["Conv3d", "Conv3dTranspose"]


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


class Conv3dTranspose(Conv2dTranspose):
    """nn.Conv3dTranspose(in_channels, out_channels, kernel_size, stride=1, pad_mode='same', padding=0, dilation=1,
    group=1, output_padding=0, has_bias=False, weight_init=None, bias_init=None, data_format='NCDHW',
    dtype=float32): MindSpore's (note output_padding after group, unlike Conv2dTranspose), weight
    [in, out / group, kd, kh, kw]; Conv2dTranspose's output lengths per axis. As MindSpore's Conv3DTranspose, the
    depth dilation must be 1."""

    _format = "NCDHW"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, output_padding=0, has_bias=False, weight_init=None, bias_init=None, data_format="NCDHW",
                 dtype=None, seed: int = 0):
        _ops_conv.check_data_format("nn.Conv3dTranspose", 3, data_format)  # (Conv2dTranspose takes none)
        depth_dilation = _triple(dilation, "nn.Conv3dTranspose: dilation")[0]
        if depth_dilation != 1:
            raise ValueError(f"For 'Conv3DTranspose', the depth of parameter 'dilation' must be 1, but got "
                             f"{depth_dilation}.")
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, output_padding,
                         dilation, group, has_bias, weight_init, bias_init, dtype=dtype, seed=seed)

    @staticmethod
    def _kernel(kernel_size, what: str) -> tuple:
        return _triple(kernel_size, what)

    def _geometry(self, spatial):
        """Conv2dTranspose's, with output_padding extending the convolution at the end of each axis (MindSpore
        2.10's 3-d form, as torch's): the high crop shrinks by it, and what passes the full convolution's end is
        zeros before the bias."""
        strides, dil, crop, extra = super()._geometry(spatial)
        for axis, more in enumerate(self._output_padding(f"nn.{type(self).__name__}")):
            uncut = min(more, crop[axis][1])
            crop[axis][1] -= uncut
            extra[axis] += more - uncut
        return strides, dil, crop, extra

    def _tail_zeros(self, name: str) -> tuple:
        return (0, 0, 0)
