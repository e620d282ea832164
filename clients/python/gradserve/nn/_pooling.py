"""nn.MaxPool3d, nn.AvgPool3d (over ops._conv.pool_nd) and nn.LPPool1d (ops.lp_pool1d): MindSpore 2.10's
pooling cells (values checked against MindSpore 2.10 on CPU when written)."""
from __future__ import annotations

from .._cellbase import Cell
from ..ops._conv import _triple, pool_nd
from ..ops._lp_pool import lp_pool1d

__all__ = ["MaxPool3d", "AvgPool3d", "LPPool1d"]


class _Pool3d(Cell):
    _op = "max_pool"

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, extra=None):
        super().__init__()
        if ceil_mode:
            raise ValueError(f"nn.{type(self).__name__}: ceil_mode is not supported")
        self.window, self.strides = _triple(kernel_size, "kernel_size"), _triple(stride, "stride")
        self.pad_mode, self.padding, self.extra = pad_mode, padding, extra or {}

    def construct(self, x):
        return pool_nd(f"nn.{type(self).__name__}", self._op, x, 3, self.window, self.strides, self.pad_mode,
                       self.padding, self.extra)


class MaxPool3d(_Pool3d):
    """nn.MaxPool3d(kernel_size=1, stride=1, pad_mode='valid', padding=0, dilation=1, return_indices=False,
    ceil_mode=False)."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        if return_indices:
            raise ValueError("nn.MaxPool3d: return_indices is not supported")
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode,
                         {"dilation": list(_triple(dilation, "nn.MaxPool3d: dilation"))})


class AvgPool3d(_Pool3d):
    """nn.AvgPool3d(kernel_size=1, stride=1, pad_mode='valid', padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)."""

    _op = "avg_pool"

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        if divisor_override:
            raise ValueError("nn.AvgPool3d: divisor_override is not supported")
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode,
                         {"count_include_pad": bool(count_include_pad)})


class LPPool1d(Cell):
    """nn.LPPool1d(norm_type, kernel_size, stride=None, ceil_mode=False)(x): ops.lp_pool1d."""

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def construct(self, x):
        return lp_pool1d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)
