"""nn.MaxPool3d, nn.AvgPool3d (over ops._conv.pool_nd), nn.MaxPool1d / AvgPool1d (the 2-D cells over a height
of 1) and nn.LPPool1d (ops.lp_pool1d): MindSpore 2.10's
pooling cells (values checked against MindSpore 2.10 on CPU when written)."""
from __future__ import annotations

from typing import Any

from .._cellbase import Cell
from ..ops._conv import _triple, pool_nd
from ..ops._lp_pool import lp_pool1d, lp_pool2d

__all__ = ["MaxPool3d", "AvgPool3d", "LPPool1d", "LPPool2d", "MaxPool1d", "AvgPool1d"]


class _Pool3d(Cell):
    _op = "max_pool"

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, extra=None):
        super().__init__()
        if str(pad_mode).lower() != "pad" and padding not in (0, (0, 0, 0), (0, 0, 0, 0, 0, 0)):
            raise ValueError(f"For '{type(self).__name__}', the 'padding' must be zero when 'pad_mode' is not 'pad', "
                             f"but got padding {padding} and pad_mode {pad_mode!r}.")  # (MindSpore's, at construction)
        self.window, self.strides = _triple(kernel_size, "kernel_size"), _triple(stride, "stride")
        self.pad_mode, self.padding, self.extra = pad_mode, padding, extra or {}
        self.ceil_mode, self.divisor_override = bool(ceil_mode), None

    def _pool(self, x):
        return pool_nd(f"nn.{type(self).__name__}", self._op, x, 3, self.window, self.strides, self.pad_mode,
                       self.padding, self.extra, self.ceil_mode, self.divisor_override)

    def construct(self, x) -> Any:  # (MaxPool3d: values, or (values, indices))
        return self._pool(x)


class MaxPool3d(_Pool3d):
    """nn.MaxPool3d(kernel_size=1, stride=1, pad_mode='valid', padding=0, dilation=1, return_indices=False,
    ceil_mode=False)."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        dil = _triple(dilation, "nn.MaxPool3d: dilation")
        if (return_indices or dil != (1, 1, 1)) and str(pad_mode).lower() != "pad":
            raise ValueError("For MaxPool3d, the pad_mode must be 'pad' when dilation is not 1 or return_indices is "
                             f"True, but got pad_mode:{pad_mode}.")  # MindSpore 2.10's rule and words
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode, {"dilation": list(dil)})
        self.return_indices = bool(return_indices)

    def construct(self, x):
        if not self.return_indices:
            return self._pool(x)
        from ..ops._pool_indices import max_pool_indices  # (as ops._conv: it uses jvp)
        return self._pool(x), max_pool_indices(self._pool, x, 3)


class AvgPool3d(_Pool3d):
    """nn.AvgPool3d(kernel_size=1, stride=1, pad_mode='valid', padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)."""

    _op = "avg_pool"

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        if divisor_override is not None and (isinstance(divisor_override, bool) or
                                             not isinstance(divisor_override, int) or divisor_override <= 0):
            raise ValueError(f"nn.AvgPool3d: divisor_override must be a positive int, got {divisor_override!r}")
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode,
                         {"count_include_pad": bool(count_include_pad)})
        self.divisor_override = divisor_override


class LPPool1d(Cell):
    """nn.LPPool1d(norm_type, kernel_size, stride=None, ceil_mode=False)(x): ops.lp_pool1d."""

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def construct(self, x):
        return lp_pool1d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(LPPool1d):
    """nn.LPPool2d(norm_type, kernel_size, stride=None, ceil_mode=False)(x): ops.lp_pool2d."""

    def construct(self, x):
        return lp_pool2d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class _Pool1d(Cell):
    """A 1-D pool as the 2-D cell over [N, C, 1, L] ([1, C, 1, L] for a [C, L] input): the kernel, stride, padding
    and dilation act on the last axis only, so the values and max indices (positions along L) are the 1-D ones."""

    def __init__(self, cell):
        super().__init__()
        self.pool = cell

    def construct(self, x):
        if x.ndim not in (2, 3):
            raise ValueError(f"nn.{type(self).__name__}: takes a 2-D or 3-D input, got shape {list(x.shape)}")
        batched = x.ndim == 3
        out = self.pool((x if batched else x.expand_dims(0)).expand_dims(-2))
        outs = tuple(o.squeeze(-2) if batched else o.squeeze(-2).squeeze(0)
                     for o in (out if isinstance(out, tuple) else (out,)))
        return outs if isinstance(out, tuple) else outs[0]


def _on_length(v, name) -> Any:  # (1, n): the 2-D cells' height-1 form
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{name} takes one value for a 1-D pool, got {v!r}")
        v = v[0]
    return (1, int(v))


class MaxPool1d(_Pool1d):
    """nn.MaxPool1d(kernel_size=1, stride=1, pad_mode='valid', padding=0, dilation=1, return_indices=False,
    ceil_mode=False)."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        from ._conv import MaxPool2d, check_max_pool_options
        k, s = _on_length(kernel_size, "nn.MaxPool1d: kernel_size"), _on_length(stride, "nn.MaxPool1d: stride")
        p: Any = _on_length(padding, "nn.MaxPool1d: padding")[1]
        d: Any = _on_length(dilation, "nn.MaxPool1d: dilation")
        check_max_pool_options("MaxPool1d", pad_mode, p, d[1], return_indices, ceil_mode)
        super().__init__(MaxPool2d(k, s, pad_mode, (0, p) if p else 0, 1 if d == (1, 1) else d,
                                   return_indices, ceil_mode))  # (dilation 1: the 2-D cell's 'same' / 'valid' path)


class AvgPool1d(_Pool1d):
    """nn.AvgPool1d(kernel_size=1, stride=1, pad_mode='valid', padding=0, ceil_mode=False, count_include_pad=True)."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, count_include_pad=True):
        from ._conv import AvgPool2d
        k, s = _on_length(kernel_size, "nn.AvgPool1d: kernel_size"), _on_length(stride, "nn.AvgPool1d: stride")
        p: Any = _on_length(padding, "nn.AvgPool1d: padding")[1]  # (a padding without pad_mode 'pad': AvgPool2d's
        super().__init__(AvgPool2d(k, s, pad_mode, (0, p) if p else 0, ceil_mode, count_include_pad))  # ValueError)
