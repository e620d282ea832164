"""nn.ConstantPad1d / 2d / 3d, ZeroPad2d, ReflectionPad1d / 2d / 3d, ReplicationPad1d / 2d / 3d: ops.pad as
Cells, with MindSpore 2.10's argument checks (padding an int or a tuple of (lo, hi) pairs, last axis first;
constant pads may be negative, a crop; reflect / replicate pads not)."""
from __future__ import annotations

from .. import ops as _ops
from ..ops._ms_prims import pad_any_rank
from .._cellbase import Cell

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad2d", "ReflectionPad1d", "ReflectionPad2d",
           "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d"]


def _padding_tuple(padding, axes: int, name: str, negative_ok: bool) -> tuple:
    """padding as a tuple of ints of even length <= 2 * axes (an int: the same pad on both sides of every axis)."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        padding = (padding,) * (2 * axes)
    if not isinstance(padding, tuple):
        raise TypeError(f"For '{name}', the type of parameter 'padding' must be in [int, tuple], "
                        f"but got {type(padding)}")
    if len(padding) % 2:
        raise ValueError(f"For '{name}', the length of parameter 'padding' with tuple type must be a multiple of 2, "
                         f"but got {len(padding)}")
    if len(padding) > 2 * axes:
        raise ValueError(f"For '{name}', the length of parameter 'padding' with tuple type must be no more than "
                         f"{2 * axes}, but got {len(padding)}")
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in padding):
        raise TypeError(f"For '{name}', every element in 'padding' must be an integer, but got {padding}")
    if not negative_ok and any(p < 0 for p in padding):
        raise ValueError(f"For '{name}', every element in 'padding' must be >= 0, but got {padding}")
    return padding


class _PadNd(Cell):
    axes = 1
    mode = "constant"

    def __init__(self, padding, value=0):
        super().__init__()
        name = type(self).__name__
        self.padding = _padding_tuple(padding, self.axes, name, negative_ok=self.mode == "constant")
        if self.mode == "constant" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise TypeError(f"For '{name}', the type of parameter 'value' must be in [int, float], "
                            f"but got {type(value)}")
        self.value = value

    def construct(self, x):
        name = type(self).__name__
        if len(x.shape) < len(self.padding) // 2:
            raise ValueError(f"For '{name}', the dimension of input must be at least len(padding) / 2 = "
                             f"{len(self.padding) // 2}, but got {len(x.shape)}")
        if self.mode == "constant":
            for k in range(len(self.padding) // 2):  # from the last axis
                n, lo, hi = x.shape[-1 - k], self.padding[2 * k], self.padding[2 * k + 1]
                if n + lo + hi <= 0:
                    raise ValueError(f"For '{name}', the shape of input after padding must be positive: axis "
                                     f"{len(x.shape) - 1 - k} of size {n} padded by {lo} and {hi}")
            return _ops.pad(x, self.padding, mode="constant", value=self.value)
        if self.mode == "replicate" and len(x.shape) not in (self.axes + 1, self.axes + 2):
            raise ValueError(f"For '{name}', the input must have {self.axes + 1} or {self.axes + 2} dims, "
                             f"but got {len(x.shape)}")
        if self.mode == "reflect":
            for k in range(len(self.padding) // 2):
                n, lo, hi = x.shape[-1 - k], self.padding[2 * k], self.padding[2 * k + 1]
                if max(lo, hi) >= n:
                    raise ValueError(f"For '{name}', reflection pads must be less than the size of the axis they "
                                     f"pad: axis {len(x.shape) - 1 - k} of size {n} padded by {lo} and {hi}")
        return pad_any_rank(x, self.padding, mode=self.mode)


class ConstantPad1d(_PadNd):
    """nn.ConstantPad1d(padding, value): the last axis padded with value (negative pads crop)."""


class ConstantPad2d(_PadNd):
    """nn.ConstantPad2d(padding, value): the last two axes padded with value (negative pads crop)."""
    axes = 2


class ConstantPad3d(_PadNd):
    """nn.ConstantPad3d(padding, value): the last three axes padded with value (negative pads crop)."""
    axes = 3


class ZeroPad2d(_PadNd):
    """nn.ZeroPad2d(padding): the last two axes padded with zeros (negative pads crop)."""
    axes = 2

    def __init__(self, padding):
        super().__init__(padding, 0)


class ReflectionPad1d(_PadNd):
    """nn.ReflectionPad1d(padding): the last axis mirrored about its edge elements."""
    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """nn.ReflectionPad2d(padding): the last two axes mirrored about their edge elements."""
    axes = 2


class ReflectionPad3d(ReflectionPad1d):
    """nn.ReflectionPad3d(padding): the last three axes mirrored about their edge elements."""
    axes = 3


class ReplicationPad1d(_PadNd):
    """nn.ReplicationPad1d(padding): the last axis extended by repeating its edge elements."""
    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """nn.ReplicationPad2d(padding): the last two axes extended by repeating their edge elements."""
    axes = 2


class ReplicationPad3d(ReplicationPad1d):
    """nn.ReplicationPad3d(padding): the last three axes extended by repeating their edge elements."""
    axes = 3
