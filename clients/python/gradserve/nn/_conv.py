"""nn.Conv2d, nn.Conv2dTranspose / Conv1dTranspose, nn.MaxPool2d, nn.AvgPool2d: MindSpore's layer cells over ops.conv2d / MaxPool / AvgPool."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter, Tensor
from ..common.initializer import initializer
from .._trace import apply
from ..ops import _conv as _ops_conv
from ..ops._conv import _pair, explicit_padding
from ._lr_checks import positive_int


def _init(init, shape, dt, bound: float, seed: int):
    """MindSpore 2.x's default (None): HeUniform(sqrt(5)) for the weight and Uniform(1/sqrt(fan_in)) for
    the bias, both uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)); seeded here so runs repeat."""
    if init is None:
        return initializer(np.random.default_rng(seed).uniform(-bound, bound, shape).astype(dt), shape, dt)
    if isinstance(init, np.ndarray):
        return initializer(init.astype(dt), shape, dt)
    return initializer(init, shape, dt)


class Conv2d(Cell):
    """nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, pad_mode='same', padding=0, dilation=1,
    group=1, has_bias=False, weight_init=None, bias_init=None, data_format='NCHW', dtype=float32)."""

    _format = "NCHW"  # the one data_format supported; Conv3d: NCDHW
    _channels = ("in_channels", "out_channels")  # the names of __init__'s first two (a transpose swaps them)

    def __init__(self, in_channels, out_channels, kernel_size: Any, stride: Any = 1, pad_mode="same",
                 padding: Any = 0, dilation: Any = 1, group=1, has_bias=False, weight_init=None, bias_init=None,
                 data_format="NCHW", dtype=None, seed: int = 0):
        super().__init__()
        name = f"nn.{type(self).__name__}"
        _ops_conv.check_data_format(name, len(self._format) - 2, data_format)
        k = self._kernel(kernel_size, f"{name}: kernel_size")
        self._check(name, in_channels, out_channels, k, stride, pad_mode, padding, dilation, group)
        dt = getattr(dtype, "name", dtype) or "float32"
        shape = (out_channels, in_channels // group) + tuple(k)
        bound = 1.0 / math.sqrt(shape[1] * math.prod(k))
        self.stride, self.pad_mode, self.padding = stride, pad_mode, padding
        self.dilation, self.group, self.has_bias = dilation, group, has_bias
        # MindSpore's attributes of the layer (read back by programs that rebuild one: mindspore.rewrite's users);
        # a Parameter given as an init stays out (an attribute would make it a second Parameter of the cell)
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, tuple(k)
        self.data_format = data_format
        for attr, init in (("weight_init", weight_init), ("bias_init", bias_init)):
            if not isinstance(init, Parameter):
                setattr(self, attr, init)
        # named by the attribute and prefixed by the cell holding this one ("conv1.weight"), as Dense's
        self.weight = Parameter(_init(weight_init, shape, dt, bound, seed))
        self.bias = Parameter(_init(bias_init, (out_channels,), dt, bound, seed + 1)) \
            if has_bias else None

    @staticmethod
    def _kernel(kernel_size, what: str) -> tuple:
        return _pair(kernel_size, what)

    def _check(self, name, in_channels, out_channels, kernel, stride, pad_mode, padding, dilation, group) -> None:
        """MindSpore's checks of a convolution layer's arguments: a non-int is a TypeError, a value out of range
        (channels, group, kernel / stride / dilation items below 1, a negative padding, an unknown pad_mode, a
        padding without pad_mode 'pad', channels not divisible by group) a ValueError."""
        for v, what in zip((in_channels, out_channels), self._channels):
            positive_int(v, what, name)
        positive_int(group, "group", name)
        for what, v in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
            for item in ((v,) if isinstance(v, int) else tuple(v)):
                positive_int(item, f"{what} item", name)
        if not isinstance(pad_mode, str) or pad_mode.lower() not in ("same", "valid", "pad"):
            raise ValueError(f"For '{name}', the 'pad_mode' must be 'same', 'valid' or 'pad', but got {pad_mode!r}.")
        if len(kernel) < 3:  # (MindSpore's Conv3d takes any case; Conv2D, under Conv1d / Conv2d, lower case only)
            _ops_conv.check_conv_pad_mode(name, pad_mode)
        pads = explicit_padding(padding, len(kernel), f"{name}: padding")
        if pad_mode.lower() != "pad" and any(p for lohi in pads for p in lohi):
            raise ValueError(f"For '{name}', the 'padding' must be 0 unless 'pad_mode' is 'pad', but got {padding} "
                             f"with pad_mode {pad_mode!r}.")
        if in_channels % group or out_channels % group:
            raise ValueError(f"{name}: {self._channels[0]} {in_channels} and {self._channels[1]} {out_channels} "
                             f"must be divisible by group {group}")

    def construct(self, x):
        return _ops.conv2d(x, self.weight, self.bias, self.stride, self.pad_mode, self.padding, self.dilation,
                           self.group)


def _height_one(weight_init):
    """A 1-D convolution's weight given as [out, in, k] (MindSpore 2.10 takes it: its Conv1d / Conv1dTranspose
    expand it to the layers' [.., .., 1, k]); other inits as they are."""
    if isinstance(weight_init, np.ndarray) and weight_init.ndim == 3:
        return np.expand_dims(weight_init, 2)
    if isinstance(weight_init, Tensor) and len(weight_init.shape) == 3:
        return _ops.expand_dims(weight_init, 2)
    return weight_init


class Conv1d(Conv2d):
    """nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, pad_mode='same', padding=0, dilation=1,
    group=1, has_bias=False, ...): MindSpore's, a Conv2d of height 1 (its weight is [out, in / group, 1, k])
    over x [N, C, L]."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, dtype=None, seed: int = 0):
        if not isinstance(kernel_size, int) or not isinstance(padding, int):
            raise TypeError("nn.Conv1d: kernel_size and padding must be ints (MindSpore's)")
        super().__init__(in_channels, out_channels, (1, kernel_size), (1, stride), pad_mode, (0, 0, padding, padding),
                         (1, dilation), group, has_bias, _height_one(weight_init), bias_init, dtype=dtype, seed=seed)

    def construct(self, x):
        y = super().construct(_ops.expand_dims(x, 2))
        return _ops.squeeze(y, 2)


class _Pool2d(Cell):
    _prim: type = _ops.MaxPool
    _DEFAULTS: dict = {}  # the functional form's options and their defaults

    def _functional(self, x, **options):  # the functional form (ops.max_pool2d / avg_pool2d)
        raise NotImplementedError

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, data_format="NCHW", **extras):
        super().__init__()
        _ops_conv.check_data_format(type(self).__name__, 2, data_format)
        if str(pad_mode).lower() != "pad" and padding != 0:
            raise ValueError(f"{type(self).__name__}: padding must be 0 unless pad_mode is 'pad', got {padding}")
        # pad_mode 'pad' (or the functional form's options): ops.max_pool2d / avg_pool2d, explicit padding
        self._fn_args = None
        if str(pad_mode).lower() == "pad" or any(v != self._DEFAULTS[k] for k, v in extras.items()):
            self._fn_args = dict(kernel_size=kernel_size, stride=stride, padding=padding, **extras)
        else:
            self.pool = self._prim(kernel_size, stride, pad_mode, data_format)

    def construct(self, x):
        return self.pool(x) if self._fn_args is None else self._functional(x, **self._fn_args)


def check_max_pool_options(name: str, pad_mode, padding, dilation, return_indices, ceil_mode) -> None:
    """MindSpore 2.10's nn.MaxPool1d / MaxPool2d take padding, dilation, return_indices and ceil_mode only with
    pad_mode 'pad' (its words; nn.AvgPool* take ceil_mode with any pad_mode)."""
    defaults = padding in (0, (0, 0), (0, 0, 0, 0)) and dilation in (1, (1, 1)) and not return_indices and not ceil_mode
    if str(pad_mode).lower() != "pad" and not defaults:
        raise ValueError(f"For {name}, the parameter 'padding', 'dilation', 'return_indices', 'ceil_mode' can not be "
                         f"set to non-default value when pad_mode is not 'pad', but got pad_mode:{pad_mode}.")


class MaxPool2d(_Pool2d):
    """nn.MaxPool2d(kernel_size=1, stride=1, pad_mode='valid', padding=0, dilation=1, return_indices=False,
    ceil_mode=False, data_format='NCHW')."""

    _prim = _ops.MaxPool
    _DEFAULTS = {"dilation": 1, "return_indices": False, "ceil_mode": False}

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding: Any = 0, dilation=1, return_indices=False,
                 ceil_mode=False, data_format="NCHW"):
        check_max_pool_options("MaxPool2d", pad_mode, padding, dilation, return_indices, ceil_mode)
        super().__init__(kernel_size, stride, pad_mode, padding, data_format, dilation=dilation,
                         return_indices=return_indices, ceil_mode=ceil_mode)

    def _functional(self, x, **options):
        return _ops.max_pool2d(x, **options)


class AvgPool2d(_Pool2d):
    """nn.AvgPool2d(kernel_size=1, stride=1, pad_mode='valid', padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None, data_format='NCHW')."""

    _prim = _ops.AvgPool
    _DEFAULTS = {"ceil_mode": False, "count_include_pad": True, "divisor_override": None}

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding: Any = 0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, data_format="NCHW"):
        super().__init__(kernel_size, stride, pad_mode, padding, data_format, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad, divisor_override=divisor_override)

    def _functional(self, x, **options):
        return _ops.avg_pool2d(x, **options)


__all__ = ["Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d"]


class Conv2dTranspose(Conv2d):
    """nn.Conv2dTranspose(in_channels, out_channels, kernel_size, stride=1, pad_mode='same', padding=0,
    output_padding=0, dilation=1, group=1, has_bias=False, ...): MindSpore's (weight [in, out / group, kh, kw]).
    Output length per axis, as MindSpore's: 'same' in * stride, 'valid' (in - 1) * stride + dk (at least
    in * stride), 'pad' (in - 1) * stride + dk - pad_lo - pad_hi, dk = dilation * (k - 1) + 1; 'same' crops
    dk - stride split low = half (rounded down), as Conv2D's 'same' pads. output_padding appends zeros
    ('pad' only; MindSpore pads the result, it does not extend the convolution)."""

    _channels = ("out_channels", "in_channels")  # (Conv2d's __init__ takes them swapped: the weight's layout)

    def __init__(self, in_channels, out_channels, kernel_size: Any, stride: Any = 1, pad_mode="same",
                 padding: Any = 0, output_padding: Any = 0, dilation: Any = 1, group=1, has_bias=False,
                 weight_init=None, bias_init=None, dtype=None, seed: int = 0):
        name = f"nn.{type(self).__name__}"
        if pad_mode not in ("same", "valid", "pad"):
            raise ValueError(f"{name}: pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")
        # the weight is Conv2d's with the channels swapped: [in, out / group, *kernel]
        super().__init__(out_channels, in_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, None, data_format=self._format, dtype=dtype, seed=seed)
        if has_bias:
            dt = self.weight.dtype
            bound = 1.0 / math.sqrt(self.weight.shape[1] * math.prod(self.weight.shape[2:]))
            self.bias = Parameter(_init(bias_init, (out_channels,), getattr(dt, "name", dt), bound, seed + 1))
        self.in_channels, self.out_channels, self.output_padding = in_channels, out_channels, output_padding

    def _geometry(self, spatial):
        """(crop [lo, hi] per axis, zeros the convolution adds at the end per axis): MindSpore's lengths."""
        name, n = f"nn.{type(self).__name__}", len(spatial)
        strides, dil = self._kernel(self.stride, f"{name}: stride"), self._kernel(self.dilation, f"{name}: dilation")
        pads = _ops_conv.explicit_padding(self.padding, n, f"{name}: padding")
        crop, extra = [], []
        for k, s, d, (lo, hi) in zip(self.weight.shape[2:], strides, dil, pads):
            dk = d * (k - 1) + 1
            cut = dk - s if self.pad_mode == "same" and dk >= s else 0
            crop.append([lo, hi] if self.pad_mode == "pad" else [cut // 2, cut - cut // 2])
            # 'same' / 'valid' with a kernel shorter than a stride: in * stride, the tail is zeros
            extra.append(s - dk if self.pad_mode != "pad" and dk < s else 0)
        return list(strides), list(dil), crop, extra

    def _output_padding(self, name: str) -> tuple:
        op = self._kernel(self.output_padding, f"{name}: output_padding")
        for a, s, d in zip(op, self._kernel(self.stride, name), self._kernel(self.dilation, name)):
            if not 0 <= a < max(s, d):
                raise ValueError(f"{name}: output_padding must be in [0, max(stride, dilation)), got {a}")
        if any(op) and self.pad_mode != "pad":
            raise ValueError(f"{name}: output_padding is not zero, so pad_mode must be 'pad', got {self.pad_mode!r}")
        return op

    def _tail_zeros(self, name: str) -> tuple:
        """Zeros appended per axis after the bias: MindSpore's 2-d output_padding (3-d extends the convolution)."""
        return self._output_padding(name)

    def construct(self, x):
        name = f"nn.{type(self).__name__}"
        n = len(self._format) - 2
        _ops_conv.check_layout(name, x, n)
        strides, dil, crop, extra = self._geometry(x.shape[2:])
        y = apply("conv_transpose", [x, self.weight], {"strides": strides, "padding": crop, "dilation": dil,
                                                       "groups": int(self.group), "output_padding": extra})[0]
        if self.bias is not None:
            y = y + self.bias.reshape((1, -1) + (1,) * n)
        tail = self._tail_zeros(name)
        # ops.pad's pairs run from the last axis back: (0, last's), (0, the one before's), ...
        return _ops.pad(y, tuple(v for a in reversed(tail) for v in (0, a))) if any(tail) else y


class Conv1dTranspose(Conv2dTranspose):
    """nn.Conv1dTranspose(in_channels, out_channels, kernel_size, stride=1, pad_mode='same', padding=0,
    dilation=1, group=1, has_bias=False, ...): MindSpore's, a Conv2dTranspose of height 1 over x [N, C, L]
    (its weight is [in, out / group, 1, k])."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, dtype=None, seed: int = 0):
        if not isinstance(kernel_size, int) or not isinstance(padding, int):
            raise TypeError("nn.Conv1dTranspose: kernel_size and padding must be ints (MindSpore's)")
        super().__init__(in_channels, out_channels, (1, kernel_size), (1, stride), pad_mode,
                         (0, 0, padding, padding), 0, (1, dilation), group, has_bias, _height_one(weight_init),
                         bias_init, dtype=dtype, seed=seed)

    def construct(self, x):
        return _ops.squeeze(super().construct(_ops.expand_dims(x, 2)), 2)
