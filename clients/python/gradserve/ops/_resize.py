"""Linear resizing by constant weight matrices: `linear_weights` (one spatial axis, [out, in]) and
ops.ResizeBilinearV2(align_corners, half_pixel_centers) over the last two axes of NCHW input. Each axis is a
matmul with its weights, so the derivative is the matmul's. The source coordinate of output i is
i * (in - 1) / (out - 1) with align_corners, (i + 0.5) * in / out - 0.5 with half-pixel centres (clamped at 0),
else i * in / out (TensorFlow's / MindSpore's rules; values checked against MindSpore 2.10)."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["ResizeBilinearV2"]


def linear_weights(n_in: int, n_out: int, align_corners: bool, half_pixel: bool = True,
                   scale: float | None = None) -> np.ndarray:
    """[n_out, n_in]: out[i] = (1 - t) in[i0] + t in[i1] at source coordinate src(i); `scale` (in / out when
    None) is the step of the half-pixel and plain rules (interpolate's 1 / scale_factor)."""
    scale = n_in / n_out if scale is None else scale
    w = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):
        if align_corners:
            src = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        elif half_pixel:
            src = max((i + 0.5) * scale - 0.5, 0.0)
        else:
            src = i * scale
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        t = src - i0
        w[i, i0] += 1.0 - t
        w[i, i1] += t
    return w


def resize_axis(x, axis: int, w: np.ndarray):
    """x with its axis (negative) of size in replaced by w [out, in] applied along it. A float x only (as
    MindSpore 2.10's kernels): an integer dtype would truncate the fractional weights."""
    if x._dtype not in ("float16", "float32", "float64"):
        raise TypeError(f"linear / area resize: the input must be float16, float32 or float64, got {x._dtype}")
    wt = Tensor(np.ascontiguousarray(w.T).astype(x._dtype))
    if axis == -1:
        return P.matmul(x, wt)
    perm = list(range(x.ndim))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return P.transpose(P.matmul(P.transpose(x, tuple(perm)), wt), tuple(perm))


class ResizeBilinearV2:
    """ResizeBilinearV2(align_corners=False, half_pixel_centers=False)(x, size): x [N, C, H, W] resized to
    size (height, width): a tuple, list or Tensor of two ints."""

    def __init__(self, align_corners=False, half_pixel_centers=False):
        if align_corners and half_pixel_centers:
            raise ValueError("ResizeBilinearV2: align_corners and half_pixel_centers cannot both be True")
        self.align_corners, self.half_pixel_centers = bool(align_corners), bool(half_pixel_centers)

    def __call__(self, image, size):
        out = [int(v) for v in (size.tolist() if isinstance(size, Tensor) else size)]
        if image.ndim != 4 or len(out) != 2 or min(out) <= 0:
            raise ValueError(f"ResizeBilinearV2: takes a 4-D input and two positive output sizes, got shape "
                             f"{list(image.shape)} and size {out}")
        for axis, n_out in zip((-2, -1), out):
            image = resize_axis(image, axis, linear_weights(int(image.shape[axis]), n_out, self.align_corners,
                                                            self.half_pixel_centers))
        return image
