"""MindSpore's 2-d convolution and pooling (ops.Conv2D / conv2d, ops.MaxPool / AvgPool, max_pool2d /
avg_pool2d) over the engine's N-d conv, max_pool and avg_pool (NCHW, weight [out, in / group, kh, kw]).

MindSpore's pad modes become the engine's explicit [[lo, hi], ...] padding: 'valid' none, 'pad'
the given amounts, 'same' the TensorFlow split (output ceil(n / stride); the odd pixel at the end).
"""
from __future__ import annotations

import math
from typing import Any

from .._trace import apply
from ._primitives import Primitive

__all__ = ["Conv2D", "conv1d", "conv2d", "MaxPool", "AvgPool", "max_pool2d", "avg_pool2d"]


def _pair(v, name: str) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(x) for x in v)
    if len(v) == 4 and v[:2] == (1, 1):  # MindSpore also takes (1, 1, h, w)
        v = v[2:]
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair (h, w), got {v}")
    return v


def _explicit(pad, name: str) -> list[list[int]]:
    """'pad' mode amounts: an int (all sides), (h, w) (both sides of each) or (top, bottom, left, right)."""
    if isinstance(pad, int):
        return [[pad, pad], [pad, pad]]
    pad = tuple(int(p) for p in pad)
    if len(pad) == 2:
        return [[pad[0], pad[0]], [pad[1], pad[1]]]
    if len(pad) == 4:
        return [[pad[0], pad[1]], [pad[2], pad[3]]]
    raise ValueError(f"{name}: padding must be an int, 2 or 4 ints, got {pad}")


def window_padding(name, pad_mode, pad, spatial, window, strides, dilation) -> list[list[int]]:
    mode = str(pad_mode).lower()
    if mode == "valid":
        if pad not in (0, (0, 0, 0, 0), [0, 0, 0, 0]):
            raise ValueError(f"{name}: padding {pad} needs pad_mode 'pad', got '{pad_mode}'")
        return [[0, 0], [0, 0]]
    if mode == "pad":
        return _explicit(pad, name)
    if mode == "same":
        out = []
        for n, k, s, d in zip(spatial, window, strides, dilation):
            total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
            out.append([total // 2, total - total // 2])
        return out
    raise ValueError(f"{name}: pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")


def _check_nchw(name: str, data_format: str) -> None:
    if data_format != "NCHW":
        raise ValueError(f"{name}: data_format {data_format!r} is not supported (NCHW only)")


def conv2d(input, weight, bias=None, stride: Any = 1, pad_mode="valid", padding: Any = 0, dilation: Any = 1,  # noqa: A002
           groups=1):
    """ops.conv2d: cross-correlation of input [N, C, H, W] with weight [O, C / groups, kh, kw], plus bias [O]."""
    if isinstance(padding, str):  # MindSpore 2.3+: padding='same' / 'valid'
        pad_mode, padding = padding, 0
    strides, dil = _pair(stride, "conv2d: stride"), _pair(dilation, "conv2d: dilation")
    pads = window_padding("conv2d", pad_mode, padding, input.shape[2:], weight.shape[2:], strides, dil)
    y = apply("conv", [input, weight], {"strides": list(strides), "padding": pads, "dilation": list(dil),
                                        "groups": int(groups)})[0]
    return y if bias is None else y + bias.reshape((1, -1, 1, 1))


def conv1d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0, dilation=1, groups=1):  # noqa: A002
    """ops.conv1d: input [N, C, L] with weight [O, C / groups, k]; padding an int, or (left, right) in 'pad'."""
    if isinstance(padding, str):
        pad_mode, padding = padding, 0
    pad = (0, 0) + ((padding, padding) if isinstance(padding, int) else tuple(padding))
    x4 = input.reshape(tuple(input.shape[:2]) + (1,) + tuple(input.shape[2:]))
    w4 = weight.reshape(tuple(weight.shape[:2]) + (1,) + tuple(weight.shape[2:]))
    s, d = int(_pair(stride, "conv1d: stride")[-1]), int(_pair(dilation, "conv1d: dilation")[-1])
    y = conv2d(x4, w4, bias, (1, s), pad_mode, pad if str(pad_mode).lower() == "pad" else 0, (1, d), groups)
    return y.reshape(tuple(y.shape[:2]) + tuple(y.shape[3:]))


class Conv2D(Primitive):
    """ops.Conv2D(out_channel, kernel_size, mode=1, pad_mode='valid', pad=0, stride=1, dilation=1, group=1,
    data_format='NCHW')(x, weight)."""

    op = "conv"

    def __init__(self, out_channel, kernel_size, mode=1, pad_mode="valid", pad=0, stride=1, dilation=1, group=1,
                 data_format="NCHW"):
        _check_nchw("Conv2D", data_format)
        self.attrs = {}
        self.out_channel, self.kernel_size = int(out_channel), _pair(kernel_size, "Conv2D: kernel_size")
        self.pad_mode, self.pad, self.group = pad_mode, pad, int(group)
        self.stride, self.dilation = _pair(stride, "Conv2D: stride"), _pair(dilation, "Conv2D: dilation")

    def __call__(self, x, weight):
        return conv2d(x, weight, None, self.stride, self.pad_mode, self.pad, self.dilation, self.group)


def _pool(op: str, x, kernel_size, strides, pad_mode, extra: dict):
    window = _pair(kernel_size, f"{op}: kernel_size")
    strides = _pair(strides, f"{op}: strides")
    pads = window_padding(op, pad_mode, 0, x.shape[2:], window, strides, (1, 1))
    return apply(op, [x], {"window": list(window), "strides": list(strides), "padding": pads, **extra})[0]


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
    """ops.max_pool2d (explicit symmetric padding; indices are not returned)."""
    if return_indices or ceil_mode:
        raise ValueError("max_pool2d: return_indices and ceil_mode are not supported")
    window = _pair(kernel_size, "max_pool2d: kernel_size")
    strides = window if stride is None else _pair(stride, "max_pool2d: stride")
    pads = _explicit(_pair(padding, "max_pool2d: padding"), "max_pool2d")
    return apply("max_pool", [x], {"window": list(window), "strides": list(strides), "padding": pads,
                                   "dilation": list(_pair(dilation, "max_pool2d: dilation"))})[0]


def avg_pool2d(x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """ops.avg_pool2d (explicit symmetric padding); divisor_override: each window's sum over that number."""
    if ceil_mode:
        raise ValueError("avg_pool2d: ceil_mode is not supported")
    window = _pair(kernel_size, "avg_pool2d: kernel_size")
    pads = _explicit(_pair(padding, "avg_pool2d: padding"), "avg_pool2d")
    include = bool(count_include_pad) or bool(divisor_override)  # (the sum: the mean over the whole window)
    y = apply("avg_pool", [x], {"window": list(window), "strides": list(_pair(stride, "avg_pool2d: stride")),
                                "padding": pads, "count_include_pad": include})[0]
    return y * (window[0] * window[1] / float(divisor_override)) if divisor_override else y


class _Pool(Primitive):
    _extra: dict = {}

    def __init__(self, kernel_size=1, strides=1, pad_mode="valid", data_format="NCHW"):
        _check_nchw(type(self).__name__, data_format)
        self.attrs = {}
        self.kernel_size, self.strides, self.pad_mode = kernel_size, strides, pad_mode

    def __call__(self, x):
        return _pool(self.op, x, self.kernel_size, self.strides, self.pad_mode, self._extra)


class MaxPool(_Pool):
    """ops.MaxPool(kernel_size=1, strides=1, pad_mode='valid', data_format='NCHW')(x)."""

    op = "max_pool"
    _extra = {"dilation": [1, 1]}


class AvgPool(_Pool):
    """ops.AvgPool(kernel_size=1, strides=1, pad_mode='valid', data_format='NCHW')(x): 'same' padding is
    not counted in the average (MindSpore's)."""

    op = "avg_pool"
    _extra = {"count_include_pad": False}
