"""MindSpore's older nn primitives still in 2.10's `ops` / `ops.operations`: MaxPoolWithArgmax (its indices count
over C * H * W of each image, int32) and DepthwiseConv2dNative (MindSpore 2.10 has no CPU kernel for it: its
argument checks, then the same refusal)."""
from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from .._tensor import Tensor
from .._trace import apply
from ._conv import MaxPool, pool_nd
from ._pool_indices import max_pool_indices

__all__ = ["MaxPoolWithArgmax", "DepthwiseConv2dNative"]


class MaxPoolWithArgmax(MaxPool):
    """ops.MaxPoolWithArgmax(kernel_size=1, strides=1, pad_mode='valid', data_format='NCHW')(x) -> (values, int32
    indices of each window's first max into its image's C * H * W values), as MindSpore 2.10's CPU kernel gives."""

    def __call__(self, x):
        name = "For primitive[MaxPoolWithArgmax], "  # (MindSpore 2.10's checks and texts)
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}the type of input argument[input] must be Tensor but got {type(x).__name__}.")
        if x.dtype.name in ("bool", "int32") or x.dtype.name.startswith("complex"):
            raise TypeError(f"{name}the input argument[input] must be a Tensor of float16 / 32 / 64, int8 / 16 / 64 "
                            f"or uint8 / 16 / 32 / 64, but got Tensor[{x.dtype}].")
        if len(x.shape) != 4:
            raise ValueError(f"{name}the x_rank must be equal to 4, but got {len(x.shape)}.")
        values = super().__call__(x)  # (MaxPool's checks, named MaxPoolWithArgmax)
        flat = max_pool_indices(lambda t: pool_nd(type(self).__name__, self.op, t, 2, self.kernel_size, self.strides,
                                                  self.pad_mode, self.pad, self._extra), x, 2)
        c, h, w = (int(s) for s in x.shape[1:])
        offsets = Tensor((np.arange(c, dtype=np.int64) * (h * w)).reshape(1, c, 1, 1))
        return values, apply("cast", [flat + offsets], {"dtype": "int32"})[0]


class DepthwiseConv2dNative:
    """ops.DepthwiseConv2dNative(channel_multiplier, kernel_size, mode=3, pad_mode='valid', pad=0, stride=1,
    dilation=1, group=1)(x, w): MindSpore 2.10's checks of x and w (class and text), then its CPU's refusal (no
    kernel: "Unsupported op [DepthwiseConv2dNative] on CPU"), where gradserve refuses too rather than guess."""

    def __init__(self, channel_multiplier, kernel_size, mode=3, pad_mode="valid", pad=0, stride=1, dilation=1,
                 group=1):
        self.channel_multiplier = channel_multiplier
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)

    def __call__(self, x: Any, w: Any) -> NoReturn:
        name = "For 'DepthwiseConv2dNative', "
        for arg, what in ((x, "x"), (w, "w")):
            if not isinstance(arg, Tensor) or arg.dtype.name == "bool":
                got = arg.dtype if isinstance(arg, Tensor) else type(arg).__name__
                raise TypeError(f"{name}the element of '{what}' must be a Tensor of a number dtype, but got {got}.")
        if x.dtype != w.dtype:
            raise TypeError(f"{name}the type of 'w' should be same as 'x', but got 'x' with type {x.dtype} and 'w' "
                            f"with type {w.dtype}.")
        for arg, what in ((x, "x rank"), (w, "weight rank")):
            if len(arg.shape) != 4:
                raise ValueError(f"{name}the '{what}' must be int and must = 4, but got '{len(arg.shape)}' with type "
                                 "'int'.")
        if x.shape[1] != w.shape[1]:
            raise ValueError(f"{name}the 'x_shape[1]' should be = w_shape[1]: {w.shape[1]}, but got {x.shape[1]}.")
        if tuple(w.shape[2:]) != self.kernel_size:
            raise ValueError(f"{name}the 'kernel_size' should be = w_shape[2:4]: {tuple(w.shape[2:])}, but got "
                             f"{self.kernel_size}.")
        if w.shape[0] != 1:
            raise ValueError(f"{name}the batch of 'weight' must be 1, but got {w.shape[0]}")
        raise RuntimeError("Unsupported op [DepthwiseConv2dNative] on CPU (MindSpore 2.10 has no CPU kernel for it "
                           "either); ops.Conv2D with group equal to the input's channels is a depthwise convolution")
