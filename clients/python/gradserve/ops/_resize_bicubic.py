"""ops.ResizeBicubic(align_corners=False, half_pixel_centers=False)(image, size) (h-opsgap): MindSpore 2.10's CPU
kernel, TensorFlow's resize_bicubic. Each output pixel is 4 x 4 taps with separable cubic weights, so the resize
is two constant matrices, out = Wh @ image @ Ww^T, and its derivative is theirs. The weights, as the kernel:
the source point o * scale (legacy) or (o + 0.5) * scale - 0.5 (half_pixel_centers), in float32, scale
in / out or (in - 1) / (out - 1) (align_corners); its fraction rounded to 1/1024 (the kernel's weight table);
Keys' cubic with a = -0.75 and taps clamped to the edge (legacy), a = -0.5 with taps outside the image dropped
and the rest renormalised (half_pixel_centers). Checked against MindSpore 2.10 on CPU to float32 rounding,
values and gradients (tests/clients/test_opsgap.py)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["ResizeBicubic"]

_TABLE = 1024  # the kernel's weight table: a fraction is rounded to a multiple of 1 / 1024


def _cubic(t: np.ndarray, a: float) -> np.ndarray:
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0)).astype(np.float32)


def _weights(n_in: int, n_out: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """The [n_out, n_in] matrix of one axis."""
    f32 = np.float32
    scale = f32((n_in - 1) / (n_out - 1)) if align_corners and n_out > 1 else f32(n_in / n_out)
    o = np.arange(n_out, dtype=f32)
    src = (o + f32(0.5)) * scale - f32(0.5) if half_pixel else o * scale
    base = np.floor(src)
    frac = np.rint((src - base) * f32(_TABLE)) / _TABLE
    taps = base.astype(np.int64)[:, None] + np.arange(-1, 3)[None, :]
    w = _cubic(frac[:, None] - np.arange(-1, 3)[None, :], -0.5 if half_pixel else -0.75).astype(np.float64)
    if half_pixel:
        w = np.where((taps >= 0) & (taps < n_in), w, 0.0)
        w /= w.sum(axis=1, keepdims=True)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), 4), np.clip(taps, 0, n_in - 1).reshape(-1)), w.reshape(-1))
    return m


def _size(size) -> tuple[int, int]:
    values = size._value() if isinstance(size, Tensor) else np.asarray(size)
    if values is None:
        raise RuntimeError("For 'ResizeBicubic', the value of size is not known in this trace: give it as a "
                           "constant")
    pair = [int(v) for v in np.asarray(values).reshape(-1)]
    if len(pair) != 2:
        raise ValueError(f"For primitive[ResizeBicubic], the number of size must be equal to 2, but got {len(pair)}.")
    if min(pair) <= 0:
        raise ValueError(f"For primitive[ResizeBicubic], the size value must be greater than 0, but got {min(pair)}.")
    return pair[0], pair[1]


class ResizeBicubic:
    def __init__(self, align_corners: bool = False, half_pixel_centers: bool = False):
        self.align_corners, self.half_pixel_centers = bool(align_corners), bool(half_pixel_centers)

    def __call__(self, image, size):
        ops = late.ops
        if self.align_corners and self.half_pixel_centers:  # (MindSpore 2.10 refuses at the call, not at __init__)
            raise ValueError("For ResizeBicubic, the half_pixel_centers must be false when align_corners is true, "
                             "but half_pixel_centers got True.")
        if len(image.shape) != 4:
            raise ValueError(f"For primitive[ResizeBicubic], the image rank must be equal to 4, but got "
                             f"{len(image.shape)}.")
        (h, w), (out_h, out_w) = image.shape[2:], _size(size)
        dtype = np.dtype(str(image._dtype))
        wh = Tensor(_weights(h, out_h, self.align_corners, self.half_pixel_centers).astype(dtype))
        ww = Tensor(_weights(w, out_w, self.align_corners, self.half_pixel_centers).T.astype(dtype))
        return ops.matmul(ops.matmul(wh, image), ww)
