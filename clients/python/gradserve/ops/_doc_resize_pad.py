"""MindSpore 2.10 padding, reversal, unpooling and resize primitives from its documented examples, over existing
ops: mirror_pad (MirrorPad), MaxUnpool2D / MaxUnpool3D, ResizeNearestNeighbor
(V2) and ResizeLinear1D. Gathers of computed positions, so the gradient is the gather's."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["mirror_pad", "MirrorPad", "MaxUnpool2D", "MaxUnpool3D",
           "ResizeNearestNeighbor", "ResizeNearestNeighborV2", "ResizeLinear1D"]


def _mirror_positions(n: int, before: int, after: int, symmetric: bool) -> np.ndarray:
    """Source positions along an axis of size n padded by reflection (REFLECT: the edge not repeated;
    SYMMETRIC: repeated)."""
    limit = n if symmetric else n - 1
    if before > limit or after > limit:
        raise ValueError(f"For 'mirror_pad', a padding of {max(before, after)} is more than the {limit} an axis of "
                         f"size {n} allows in this mode.")
    pos = np.arange(-before, n + after)
    shift = 1 if symmetric else 0
    pos = np.where(pos < 0, -pos - shift, pos)
    return np.where(pos >= n, 2 * n - 2 - pos + shift, pos)


def mirror_pad(input_x, paddings, mode):
    """input_x padded by [[before, after], ...] per axis with its reflection ('REFLECT' or 'SYMMETRIC')."""
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"For 'mirror_pad', 'mode' must be 'REFLECT' or 'SYMMETRIC', but got {mode!r}.")
    pads = np.asarray(paddings._host_copy() if isinstance(paddings, Tensor) else paddings, np.int64)
    if pads.shape != (len(input_x.shape), 2) or (pads < 0).any():
        raise ValueError(f"For 'mirror_pad', 'paddings' must be non-negative and of shape ({len(input_x.shape)}, 2), "
                         f"but got {pads.tolist()}.")
    out = input_x
    for axis, (before, after) in enumerate(pads):
        if before or after:
            where = _mirror_positions(int(input_x.shape[axis]), int(before), int(after), mode == "SYMMETRIC")
            out = late.ops.gather(out, Tensor(where), axis)
    return out


class MirrorPad:
    """ops.MirrorPad(mode='REFLECT')(input_x, paddings)."""

    def __init__(self, mode="REFLECT"):
        self.mode = mode

    def __call__(self, input_x, paddings):
        return mirror_pad(input_x, paddings, self.mode)


class _MaxUnpool:
    _fn = ""

    def __init__(self, ksize, strides=0, pads=0, output_shape=(), data_format=None):
        if data_format not in (None, "NCHW", "NCDHW"):
            raise ValueError(f"For '{type(self).__name__}', only the channels-first data_format is supported, but "
                             f"got {data_format!r}.")
        self.ksize, self.strides, self.pads = ksize, strides or ksize, pads
        self.output_shape = tuple(output_shape) or None

    def __call__(self, x, argmax):
        size = self.output_shape[2:] if self.output_shape else None
        return getattr(late.ops, self._fn)(x, argmax, self.ksize, self.strides, self.pads, size)


class MaxUnpool2D(_MaxUnpool):
    """ops.MaxUnpool2D(ksize, strides=0, pads=0, output_shape=(), data_format='NCHW')(x, argmax)."""

    _fn = "max_unpool2d"


class MaxUnpool3D(_MaxUnpool):
    """ops.MaxUnpool3D(ksize, strides=0, pads=0, output_shape=(), data_format='NCDHW')(x, argmax)."""

    _fn = "max_unpool3d"


def nearest_index(n_in: int, n_out: int, align_corners: bool, half_pixel: bool = False) -> np.ndarray:
    """Which input row ResizeNearestNeighbor(V2) reads for each of n_out output rows (MindSpore 2.10's CPU kernel:
    floor(o * in / out), or with align_corners floor(o * float32((in - 1) / (out - 1)) + 0.5); fitted to its
    ResizeNearestNeighborGrad on sizes 2..9 in its venv; V2's half_pixel_centers floor((o + 0.5) * in / out),
    checked against its ResizeNearestNeighborV2 and V2Grad)."""
    o = np.arange(n_out)
    if half_pixel:
        src = np.floor((o.astype(np.float32) + np.float32(0.5)) * np.float32(n_in / n_out))
    elif align_corners:
        scale = np.float32((n_in - 1) / (n_out - 1)) if n_out > 1 else np.float32(0)
        src = np.floor(o * scale + 0.5)
    else:
        src = np.floor(o * (n_in / n_out))
    return np.minimum(src, n_in - 1).astype(np.int64)


def _nearest(x, size, align_corners: bool, half_pixel_centers: bool, v2: bool = False):
    if align_corners and half_pixel_centers:
        raise ValueError(f"For ResizeNearestNeighbor{'V2' if v2 else ''}, the half_pixel_centers must be false when "
                         "align_corners is true, but half_pixel_centers got True.")
    if not v2:  # V1's CPU kernel in MindSpore 2.10 reads floor(o * in / out) with half_pixel_centers too (its rows
        half_pixel_centers = False  # for every in, out in 1..12 and its gradient, checked in its venv)
    size = tuple(int(s) for s in size)
    if not (align_corners or half_pixel_centers):
        return late.ops.interpolate(x, size=size, mode="nearest")
    if x.ndim != 4 or len(size) != 2:
        raise ValueError(f"ResizeNearestNeighbor: x must be 4-D (NCHW) and size two ints, got x of shape "
                         f"{list(x.shape)} and size {list(size)}")
    # a gather per axis: exact values (inf / nan kept), its gradient the sum over the pixels that read each one
    for axis, n in ((2, size[0]), (3, size[1])):
        rows = nearest_index(int(x.shape[axis]), n, align_corners, half_pixel_centers)
        x = late.ops.gather(x, Tensor(rows), axis)
    return x


class ResizeNearestNeighbor:
    """ops.ResizeNearestNeighbor(size, align_corners=False, half_pixel_centers=False)(input_x): floor(i * in / out)."""

    def __init__(self, size, align_corners=False, half_pixel_centers=False):
        self.size, self.align_corners, self.half_pixel_centers = tuple(size), align_corners, half_pixel_centers

    def __call__(self, input_x):
        return _nearest(input_x, self.size, self.align_corners, self.half_pixel_centers)


class ResizeNearestNeighborV2:
    """ops.ResizeNearestNeighborV2(align_corners=False, half_pixel_centers=False)(image, size)."""

    def __init__(self, align_corners=False, half_pixel_centers=False):
        self.align_corners, self.half_pixel_centers = align_corners, half_pixel_centers

    def __call__(self, image, size):
        size = size._host_copy().tolist() if isinstance(size, Tensor) else list(size)
        return _nearest(image, size, self.align_corners, self.half_pixel_centers, v2=True)


class ResizeLinear1D:
    """ops.ResizeLinear1D(coordinate_transformation_mode='align_corners')(x, size): linear resize of the last axis
    of (N, C, W) ('align_corners' or 'half_pixel')."""

    def __init__(self, coordinate_transformation_mode="align_corners"):
        if coordinate_transformation_mode not in ("align_corners", "half_pixel"):
            raise ValueError(f"For 'ResizeLinear1D', coordinate_transformation_mode must be 'align_corners' or "
                             f"'half_pixel', but got {coordinate_transformation_mode!r}.")
        self.align_corners = coordinate_transformation_mode == "align_corners"

    def __call__(self, x, size):
        size = size._host_copy().tolist() if isinstance(size, Tensor) else list(size)
        return late.ops.interpolate(x, size=(int(size[0]),), mode="linear", align_corners=self.align_corners)
