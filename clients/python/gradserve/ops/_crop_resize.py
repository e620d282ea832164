"""ops.crop_and_resize / ops.CropAndResize (MindSpore's, TensorFlow's crop_and_resize): boxes of an NHWC image
cut out and resampled to crop_size, as float32. A box (y1, x1, y2, x2) is in [0, 1] image coordinates (y2 < y1
flips); crop row i samples y1 (H - 1) + i (y2 - y1) (H - 1) / (h - 1) (the box's middle when h = 1), columns
alike; a sample outside the image is extrapolation_value. 'bilinear' mixes the four neighbours, 'nearest'
takes the rounded one (half away from zero). Gathers over the flattened image, so boxes and box indices may be
traced; the gradient reaches the image (and the boxes through the bilinear weights)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["crop_and_resize", "CropAndResize"]

_METHODS = ("bilinear", "nearest")


def _coords(lo, hi, size: int, n_out: int):
    """[N, n_out] sample positions along one axis of `size` for the box sides lo, hi [N]."""
    if n_out > 1:
        steps = Tensor(np.arange(n_out, dtype=np.float32).reshape(1, -1))
        scale = P.mul(P.sub(hi, lo), float(size - 1) / (n_out - 1))
        return P.add(P.mul(P.reshape(lo, (-1, 1)), float(size - 1)), P.mul(P.reshape(scale, (-1, 1)), steps))
    return P.reshape(P.mul(P.add(lo, hi), 0.5 * (size - 1)), (-1, 1))


def _inside(pos, size: int):
    return P.logical_and(P.greater_equal(pos, 0.0), P.less_equal(pos, float(size - 1)))


def _index(pos, size: int):
    """int32 positions clipped into [0, size - 1] (the ones outside are masked after the gather)."""
    return P.cast(P.minimum(P.maximum(pos, 0.0), float(size - 1)), "int32")


def _check(image, boxes, box_indices, crop_size, method):
    if method not in _METHODS:
        raise ValueError(f"crop_and_resize: method must be one of {list(_METHODS)}, got {method!r}")
    if image.ndim != 4 or boxes.ndim != 2 or boxes.shape[1] != 4 or box_indices.ndim != 1 or \
            box_indices.shape[0] != boxes.shape[0]:
        raise ValueError(f"crop_and_resize: image [B, H, W, C], boxes [N, 4] and box_indices [N] expected, got "
                         f"{list(image.shape)}, {list(boxes.shape)} and {list(box_indices.shape)}")
    size = tuple(int(v) for v in crop_size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"crop_and_resize: crop_size must be (height, width) of positive ints, got {crop_size!r}")
    if not box_indices.is_symbolic and box_indices.size:
        v = box_indices._host_copy()
        if v.min() < 0 or v.max() >= image.shape[0]:
            raise ValueError(f"crop_and_resize: box_indices must lie in [0, {image.shape[0]}), got "
                             f"{int(v.min() if v.min() < 0 else v.max())}")
    return size


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear", extrapolation_value=0.0):
    h, w = _check(image, boxes, box_indices, crop_size, method)
    b, height, width, c = image.shape
    flat = P.reshape(P.cast(image, "float32"), (b * height * width, c))
    boxes = P.cast(boxes, "float32")
    y1, x1, y2, x2 = (P.reshape(P.gather(boxes, Tensor(np.array([i], np.int32)), 1), (-1,)) for i in range(4))
    ys, xs = _coords(y1, y2, height, h), _coords(x1, x2, width, w)  # [N, h], [N, w]
    plane = P.reshape(P.mul(P.cast(box_indices, "int32"), height * width), (-1, 1, 1))

    def pick(yi, xi):  # [N, h] and [N, w] int rows / columns -> [N, h, w, C]
        at = P.add(P.add(plane, P.mul(P.reshape(yi, (-1, h, 1)), width)), P.reshape(xi, (-1, 1, w)))
        return P.reshape(P.gather(flat, P.reshape(at, (-1,)), 0), (-1, h, w, c))

    if method == "nearest":
        def rnd(t):  # round half away from zero
            return P.mul(P.sign(t), P.floor(P.add(P.abs(t), 0.5)))
        out = pick(_index(rnd(ys), height), _index(rnd(xs), width))
    else:
        top, left = P.floor(ys), P.floor(xs)
        dy = P.reshape(P.sub(ys, top), (-1, h, 1, 1))
        dx = P.reshape(P.sub(xs, left), (-1, 1, w, 1))
        t, bt = _index(top, height), _index(P.ceil(ys), height)
        lf, rt = _index(left, width), _index(P.ceil(xs), width)
        upper = P.add(pick(t, lf), P.mul(P.sub(pick(t, rt), pick(t, lf)), dx))
        lower = P.add(pick(bt, lf), P.mul(P.sub(pick(bt, rt), pick(bt, lf)), dx))
        out = P.add(upper, P.mul(P.sub(lower, upper), dy))
    valid = P.logical_and(P.reshape(_inside(ys, height), (-1, h, 1, 1)), P.reshape(_inside(xs, width), (-1, 1, w, 1)))
    fill = P.mul(P.ones_like(out), float(extrapolation_value))
    return P.where(P.broadcast_to(valid, tuple(out.shape)), out, fill)


class CropAndResize:
    """ops.CropAndResize(method='bilinear', extrapolation_value=0.0)(image, boxes, box_indices, crop_size)."""

    def __init__(self, method="bilinear", extrapolation_value=0.0):
        if method not in _METHODS:
            raise ValueError(f"CropAndResize: method must be one of {list(_METHODS)}, got {method!r}")
        self.method, self.extrapolation_value = method, float(extrapolation_value)

    def __call__(self, image, boxes, box_indices, crop_size):
        return crop_and_resize(image, boxes, box_indices, crop_size, self.method, self.extrapolation_value)
