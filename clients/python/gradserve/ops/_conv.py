"""MindSpore's convolution and pooling over the engine's N-d conv, max_pool and avg_pool, for 1, 2 and 3
spatial axes (NCL / NCHW / NCDHW, weight [out, in / group, *kernel]): ops.Conv2D / conv2d / conv1d,
Conv3D / conv3d, MaxPool / AvgPool, MaxPool3D / AvgPool3D, max_pool2d / 3d, avg_pool1d / 2d / 3d.

One definition per idea, whatever the rank: `ntuple` reads a window / stride / dilation argument,
`window_padding` turns MindSpore's pad modes into the engine's explicit [[lo, hi], ...] padding ('valid'
none, 'pad' the given amounts, 'same' the TensorFlow split: output ceil(n / stride), the odd pixel at the
end), `conv_nd` and `pool_nd` build the op.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from .._trace import apply
from ._primitives import Primitive

__all__ = ["Conv2D", "conv1d", "conv2d", "MaxPool", "AvgPool", "max_pool2d", "avg_pool2d",
           "Conv3D", "conv3d", "MaxPool3D", "AvgPool3D", "max_pool3d", "avg_pool3d", "avg_pool1d", "MaxPoolWithArgmaxV2"]

_FORMATS = {1: "NCL", 2: "NCHW", 3: "NCDHW"}
_AXES = {1: "(l)", 2: "(h, w)", 3: "(d, h, w)"}


def ntuple(v, n: int, name: str) -> tuple[int, ...]:
    """An int, or n ints (MindSpore also takes one int in a tuple, and (1, 1, *window))."""
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(x) for x in v)
    if len(v) == n + 2 and v[:2] == (1, 1):
        v = v[2:]
    if len(v) == 1:
        v = v * n
    if len(v) != n:
        raise ValueError(f"{name} must be an int or {n} ints {_AXES.get(n, '')}, got {v}")
    return v


def _pair(v, name: str) -> tuple[int, ...]:
    return ntuple(v, 2, name)


def _triple(v, name: str) -> tuple[int, ...]:
    return ntuple(v, 3, name)


def explicit_padding(pad, n: int, name: str) -> list[list[int]]:
    """'pad' mode amounts: an int (every side), n ints (both sides of each axis) or 2n ints (lo, hi per axis:
    (top, bottom, left, right) in 2-d, (head, tail, top, bottom, left, right) in 3-d)."""
    pad = (int(pad),) * n if isinstance(pad, int) else tuple(int(p) for p in pad)
    if len(pad) == n:
        pad = tuple(p for p in pad for _ in range(2))
    if len(pad) != 2 * n or any(p < 0 for p in pad):
        raise ValueError(f"{name}: padding must be a non-negative int, {n} or {2 * n} ints, got {pad}")
    return [[pad[2 * i], pad[2 * i + 1]] for i in range(n)]


def window_padding(name, pad_mode, pad, spatial, window, strides, dilation) -> list[list[int]]:
    n, mode = len(window), str(pad_mode).lower()
    if mode == "same":
        out = []
        for size, k, s, d in zip(spatial, window, strides, dilation):
            total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
            out.append([total // 2, total - total // 2])
        return out
    if mode not in ("valid", "pad"):
        raise ValueError(f"{name}: pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")
    pads = explicit_padding(pad, n, name)
    if mode == "valid" and any(p for lo_hi in pads for p in lo_hi):
        raise ValueError(f"{name}: padding {pad} needs pad_mode 'pad', got '{pad_mode}'")
    return pads


def check_data_format(name: str, n: int, data_format) -> None:
    """A constructor's data_format: MindSpore's channels-first layout, its exact spelling (None and 'nchw' are
    MindSpore's ValueErrors too; NHWC is GPU-only there and not supported here)."""
    fmt = _FORMATS[n]
    if data_format != fmt:
        raise ValueError(f"For '{name}', the 'data_format' must be '{fmt}' (the one layout gradserve supports), "
                         f"but got {data_format!r}.")


def check_conv_pad_mode(name: str, pad_mode) -> None:
    """MindSpore 2.10's Conv2D (so conv1d / conv2d, nn.Conv1d / Conv2d and their transposes) takes pad_mode in
    lower case only ('VALID' is its ValueError); its 3-D convolutions and the pools take any case."""
    if pad_mode not in ("valid", "same", "pad"):
        raise ValueError(f"For '{name}', the 'pad_mode' must be str and must be in '['valid', 'same', 'pad']', "
                         f"but got {pad_mode!r}.")


def check_layout(name: str, x, n: int) -> None:
    """x (when given) of rank n + 2, MindSpore's channels-first layout."""
    fmt = _FORMATS[n]
    if x is not None and len(x.shape) != n + 2:
        raise ValueError(f"{name}: x must be {n + 2}-d [N, C, {', '.join(fmt[2:])}], got shape {tuple(x.shape)}")


def conv_nd(name: str, n: int, input, weight, bias, stride, pad_mode, padding, dilation, groups):  # noqa: A002
    """Cross-correlation of input [N, C, *spatial] with weight [O, C / groups, *kernel] over n spatial axes,
    plus bias [O]."""
    if isinstance(padding, str):  # MindSpore 2.3+: padding='same' / 'valid'
        pad_mode, padding = padding, 0
    check_layout(name, input, n)
    if n < 3:
        check_conv_pad_mode(name, pad_mode)
    if len(weight.shape) != n + 2:
        raise ValueError(f"{name}: weight must be {n + 2}-d [out, in / groups, {', '.join(_FORMATS[n][2:]).lower()}]"
                         f", got shape {tuple(weight.shape)}")
    strides, dil = ntuple(stride, n, f"{name}: stride"), ntuple(dilation, n, f"{name}: dilation")
    pads = window_padding(name, pad_mode, padding, input.shape[2:], weight.shape[2:], strides, dil)
    y = apply("conv", [input, weight], {"strides": list(strides), "padding": pads, "dilation": list(dil),
                                        "groups": int(groups)})[0]
    return y if bias is None else y + bias.reshape((1, -1) + (1,) * n)


def conv2d(input, weight, bias=None, stride: Any = 1, pad_mode="valid", padding: Any = 0, dilation: Any = 1,  # noqa: A002
           groups=1):
    """ops.conv2d: cross-correlation of input [N, C, H, W] with weight [O, C / groups, kh, kw], plus bias [O]."""
    return conv_nd("conv2d", 2, input, weight, bias, stride, pad_mode, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride: Any = 1, pad_mode="valid", padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups=1):
    """ops.conv3d: input [N, C, D, H, W] with weight [O, C / groups, kd, kh, kw], plus bias [O]."""
    return conv_nd("conv3d", 3, input, weight, bias, stride, pad_mode, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0, dilation=1, groups=1):  # noqa: A002
    """ops.conv1d: input [N, C, L] with weight [O, C / groups, k]; padding an int, or (left, right) in 'pad'."""
    return conv_nd("conv1d", 1, input, weight, bias, stride, pad_mode, padding, dilation, groups)


class Conv2D(Primitive):
    """ops.Conv2D(out_channel, kernel_size, mode=1, pad_mode='valid', pad=0, stride=1, dilation=1, group=1,
    data_format='NCHW')(x, weight)."""

    op = "conv"
    _rank = 2

    def __init__(self, out_channel, kernel_size, mode=1, pad_mode="valid", pad=0, stride=1, dilation=1, group=1,
                 data_format="NCHW"):
        name, n = type(self).__name__, self._rank
        check_data_format(name, n, data_format)
        if n < 3:
            check_conv_pad_mode(name, pad_mode)
        self.attrs = {}
        self.out_channel, self.kernel_size = int(out_channel), ntuple(kernel_size, n, f"{name}: kernel_size")
        self.pad_mode, self.pad, self.group = pad_mode, pad, int(group)
        self.stride, self.dilation = ntuple(stride, n, f"{name}: stride"), ntuple(dilation, n, f"{name}: dilation")

    def __call__(self, x, weight, bias=None):
        self._check_weight(weight)
        return conv_nd(type(self).__name__, self._rank, x, weight, bias, self.stride, self.pad_mode, self.pad, self.dilation,
                       self.group)


    def _check_weight(self, weight) -> None:
        """MindSpore 2.10 refuses a weight whose out-channels or kernel differ from the constructor's out_channel /
        kernel_size (Conv2D a RuntimeError, Conv3D a ValueError); the op would otherwise run on the weight's."""
        shape = tuple(int(v) for v in weight.shape)
        if len(shape) != self._rank + 2:
            return  # conv_nd's rank error
        err = RuntimeError if self._rank < 3 else ValueError
        name = type(self).__name__
        if shape[0] != self.out_channel:
            raise err(f"For '{name}', 'w_shape[0]' must be equal to 'out_channel', but got 'w_shape[0]': {shape[0]}, "
                      f"'out_channel': {self.out_channel}.")
        for i, k in enumerate(self.kernel_size):
            if shape[2 + i] != k:
                raise err(f"For '{name}', 'w_shape[{2 + i}]' must be equal to 'kernel_size[{i}]', but got "
                          f"'w_shape[{2 + i}]': {shape[2 + i]}, 'kernel_size[{i}]': {k}.")


class Conv3D(Conv2D):
    """ops.Conv3D(out_channel, kernel_size, mode=1, pad_mode='valid', pad=0, stride=1, dilation=1, group=1,
    data_format='NCDHW')(x, weight, bias=None)."""

    _rank = 3

    def __init__(self, out_channel, kernel_size, mode=1, pad_mode="valid", pad=0, stride=1, dilation=1, group=1,
                 data_format="NCDHW"):
        super().__init__(out_channel, kernel_size, mode, pad_mode, pad, stride, dilation, group, data_format)


def _ceil_extra(size: int, k: int, s: int, d: int, lo: int, hi: int) -> int:
    """ceil_mode's extra padding at the end of an axis: one more window when the last stride falls short, unless
    that window would start past the input and its left padding (MindSpore 2.10's rule, PyTorch's too)."""
    span = size + lo + hi - d * (k - 1) - 1
    out = -(-span // s) + 1
    if (out - 1) * s >= size + lo:
        out -= 1
    return max((out - 1) * s + d * (k - 1) + 1 - (size + lo + hi), 0)


def _window_counts(spatial, window, strides, pads) -> np.ndarray:
    """Elements of each window inside the input and its given padding (not ceil_mode's extra; pads: (lo, hi,
    extra) per axis): the divisor of an average that counts padding, [1, 1, *out]."""
    per_axis = []
    for size, k, s, (lo, hi, extra) in zip(spatial, window, strides, pads):
        starts = np.arange((size + lo + hi + extra - k) // s + 1) * s - lo
        per_axis.append(np.minimum(starts + k, size + hi) - starts)
    counts = per_axis[0]
    for c in per_axis[1:]:
        counts = np.multiply.outer(counts, c)
    return counts.reshape(1, 1, *counts.shape)


def pool_nd(name: str, op: str, x, n: int, window, strides, pad_mode, pad, extra: dict, ceil_mode: bool = False,
            divisor_override=None):
    """The engine's max_pool / avg_pool over the last n axes of x [N, C, *spatial]. ceil_mode: a last, partial
    window per axis (padded: -inf for max, not counted by an average unless it counts padding, and then only
    the given padding counts); divisor_override: each window's sum over that number."""
    check_layout(name, x, n)
    window = ntuple(window, n, f"{name}: kernel_size")
    strides = window if strides is None else ntuple(strides, n, f"{name}: stride")
    dil = extra.get("dilation", (1,) * n)
    pads = window_padding(name, pad_mode, pad, x.shape[2:], window, strides, dil)
    extras = [_ceil_extra(size, k, s, d, lo, hi) if ceil_mode else 0
              for size, k, s, d, (lo, hi) in zip(x.shape[2:], window, strides, dil, pads)]
    whole = op == "avg_pool" and (extra.get("count_include_pad") or divisor_override)
    attrs = {"window": list(window), "strides": list(strides),
             "padding": [[lo, hi + e] for (lo, hi), e in zip(pads, extras)],
             **extra, **({"count_include_pad": True} if whole else {})}
    y = apply(op, [x], attrs)[0]
    if divisor_override:  # the engine's mean over the whole window, times its size: the sum
        return y * (math.prod(window) / float(divisor_override))
    if whole and any(extras):
        counts = _window_counts(x.shape[2:], window, strides, [(lo, hi, e) for (lo, hi), e in zip(pads, extras)])
        y = y * Tensor((math.prod(window) / counts).astype(x.dtype.name))
    return y


def _max_pool(name: str, n: int, x, kernel_size, stride, padding, dilation, ceil_mode: bool,
              return_indices: bool = False):
    """ops.max_pool{n}d: explicit symmetric padding; with return_indices (values, int64 indices: ops/_pool_indices)."""
    extra = {"dilation": list(ntuple(dilation, n, f"{name}: dilation"))}

    def pool(t):
        return pool_nd(name, "max_pool", t, n, kernel_size, stride, "pad", padding, extra, ceil_mode)

    if not return_indices:
        return pool(x)
    from ._pool_indices import max_pool_indices  # (it uses jvp, which imports this module's neighbours)
    return pool(x), max_pool_indices(pool, x, n)


def _avg_pool(name: str, n: int, x, kernel_size, stride, padding, count_include_pad: bool, divisor_override,
              ceil_mode: bool):
    """ops.avg_pool{n}d: explicit symmetric padding; divisor_override: each window's sum over that number."""
    return pool_nd(name, "avg_pool", x, n, kernel_size, stride, "pad", padding,
                   {"count_include_pad": bool(count_include_pad)}, ceil_mode, divisor_override)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
    """ops.max_pool2d (explicit symmetric padding; return_indices: (values, int64 flat H*W indices))."""
    return _max_pool("max_pool2d", 2, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """ops.max_pool3d (explicit symmetric padding; return_indices: (values, int64 flat D*H*W indices))."""
    return _max_pool("max_pool3d", 3, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool1d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True):
    """ops.avg_pool1d over x [N, C, L]: padding an int (both ends)."""
    return _avg_pool("avg_pool1d", 1, input_x, kernel_size, stride, padding, count_include_pad, None, ceil_mode)


def avg_pool2d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=0):
    """ops.avg_pool2d (explicit symmetric padding; divisor_override: each window's sum over that number)."""
    return _avg_pool("avg_pool2d", 2, input_x, kernel_size, stride, padding, count_include_pad, divisor_override,
                     ceil_mode)


def avg_pool3d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=0):
    """ops.avg_pool3d (explicit symmetric padding)."""
    return _avg_pool("avg_pool3d", 3, input_x, kernel_size, stride, padding, count_include_pad, divisor_override,
                     ceil_mode)


class _Pool(Primitive):
    """MindSpore's pooling primitives: window, strides and a pad mode, over n spatial axes."""

    _extra: dict = {}
    _rank = 2

    def __init__(self, kernel_size=1, strides=1, pad_mode="valid", data_format="NCHW"):
        check_data_format(type(self).__name__, self._rank, data_format)
        self.attrs = {}
        self.kernel_size, self.strides, self.pad_mode, self.pad = kernel_size, strides, pad_mode, 0
        self.ceil_mode, self.divisor_override = False, None

    def __call__(self, x):
        return pool_nd(type(self).__name__, self.op, x, self._rank, self.kernel_size, self.strides, self.pad_mode,
                       self.pad, self._extra, self.ceil_mode, self.divisor_override)


class MaxPool(_Pool):
    """ops.MaxPool(kernel_size=1, strides=1, pad_mode='valid', data_format='NCHW')(x)."""

    op = "max_pool"
    _extra = {"dilation": [1, 1]}


class AvgPool(_Pool):
    """ops.AvgPool(kernel_size=1, strides=1, pad_mode='valid', data_format='NCHW')(x): 'same' padding is
    not counted in the average (MindSpore's)."""

    op = "avg_pool"
    _extra = {"count_include_pad": False}

    def __init__(self, kernel_size=1, strides=1, pad_mode="VALID", data_format="NCHW"):  # (MindSpore's spelling)
        super().__init__(kernel_size, strides, pad_mode, data_format)


class MaxPool3D(_Pool):
    """ops.MaxPool3D(kernel_size=1, strides=1, pad_mode='VALID', pad_list=0, ceil_mode=None,
    data_format='NCDHW')(x)."""

    op = "max_pool"
    _extra = {"dilation": [1, 1, 1]}
    _rank = 3

    def __init__(self, kernel_size=1, strides=1, pad_mode="VALID", pad_list=0, ceil_mode=None, data_format="NCDHW"):
        super().__init__(kernel_size, strides, pad_mode, data_format)
        self.pad, self.ceil_mode = pad_list, bool(ceil_mode)


class AvgPool3D(_Pool):
    """ops.AvgPool3D(kernel_size=1, strides=1, pad_mode='valid', pad=0, ceil_mode=False, count_include_pad=True,
    divisor_override=0, data_format='NCDHW')(x)."""

    op = "avg_pool"
    _rank = 3

    def __init__(self, kernel_size=1, strides=1, pad_mode="valid", pad=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=0, data_format="NCDHW"):
        super().__init__(kernel_size, strides, pad_mode, data_format)
        self.pad, self._extra = pad, {"count_include_pad": bool(count_include_pad)}
        self.ceil_mode, self.divisor_override = bool(ceil_mode), divisor_override or None


class MaxPoolWithArgmaxV2(Primitive):
    """ops.MaxPoolWithArgmaxV2(kernel_size, strides=None, pads=0, dilation=(1, 1), ceil_mode=False,
    argmax_type=int64)(x) -> (values, flat H * W indices of each window's first max, int64 or int32)."""

    op = "max_pool"

    def __init__(self, kernel_size, strides=None, pads=0, dilation=(1, 1), ceil_mode=False,
                 argmax_type=_dt.int64):
        self.attrs = {}
        self.kernel_size, self.strides, self.pads, self.dilation = kernel_size, strides, pads, dilation
        self.ceil_mode = bool(ceil_mode)
        self.argmax_type = "int64" if argmax_type is None else _dt.to_name(argmax_type)
        if self.argmax_type not in ("int32", "int64"):
            raise TypeError(f"MaxPoolWithArgmaxV2: argmax_type must be int32 or int64, got {self.argmax_type}")

    def __call__(self, x):
        values, indices = _max_pool("MaxPoolWithArgmaxV2", 2, x, self.kernel_size, self.strides, self.pads,
                                    self.dilation, self.ceil_mode, True)
        if self.argmax_type == "int32":
            indices = apply("cast", [indices], {"dtype": "int32"})[0]
        return values, indices
