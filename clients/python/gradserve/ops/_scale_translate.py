"""ops.ScaleAndTranslate (MindSpore 2.10's; TensorFlow's raw_ops.ScaleAndTranslate): images [N, H, W, C] resampled
to `size` (out_h, out_w) with output pixel x + 0.5 read at (x + 0.5 - translation) / scale through a separable
kernel (lanczos1 / 3 / 5, gaussian, box, triangle, keyscubic, mitchellcubic), widened by 1 / scale when
antialiasing a downscale, its weights normalized per output pixel, none where the point falls outside the image.

The weights depend on size / scale / translation only, so they are built on the client (TensorFlow's span
computation, in float32) as one [out, in] matrix per axis and applied as two matmuls: the derivative w.r.t. the
images is theirs (MindSpore's ScaleAndTranslateGrad); scale and translation are read as values."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._primitives import Primitive

__all__ = ["ScaleAndTranslate"]

_WHERE = "ScaleAndTranslate"
_IMAGES = ("float16", "float32", "float64", "int16", "int32", "int64", "int8")


def _lanczos(r: float):
    def f(x):
        with np.errstate(invalid="ignore", divide="ignore"):
            v = r * np.sin(np.pi * x) * np.sin(np.pi * x / r) / (np.pi * np.pi * x * x)
        return np.where(x > r, 0.0, np.where(x <= 1e-3, 1.0, v))
    return f, r


def _cubic(far, near):
    return (lambda x: np.where(x >= 2, 0.0, np.where(x >= 1, far(x), near(x))), 2.0)


_KERNELS = {  # name: (weight of |distance|, radius): TensorFlow's sampling_kernels.h
    "lanczos1": _lanczos(1.0), "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0),
    "gaussian": (lambda x: np.where(x >= 1.5, 0.0, np.exp(-x * x / (2 * 0.5 * 0.5))), 1.5),
    # box: MindSpore's edge test is within float32 rounding (0.5000001 counts: 300 random cases agree with eps)
    "box": (lambda x: np.where(x < 0.5, 1.0, np.where(np.abs(x - 0.5) <= np.finfo(np.float32).eps, 0.5, 0.0)), 1.0),
    "triangle": (lambda x: np.where(x < 1, 1 - x, 0.0), 1.0),
    "keyscubic": _cubic(lambda x: ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, lambda x: ((1.5 * x - 2.5) * x) * x + 1.0),
    "mitchellcubic": _cubic(lambda x: (((-7 / 18) * x + 2) * x - 10 / 3) * x + 16 / 9,
                            lambda x: (((7 / 6) * x - 2) * x) * x + 8 / 9),
}


def _weights(kernel: str, antialias: bool, n_in: int, n_out: int, scale: float, translate: float) -> np.ndarray:
    """[n_out, n_in]: each output pixel's normalized kernel weights over the input pixels (float32 as TF)."""
    fn, radius = _KERNELS[kernel]
    f32 = np.float32
    inv_scale = f32(1.0) / f32(scale)
    kernel_scale = max(inv_scale, f32(1.0)) if antialias else f32(1.0)
    reach = f32(radius) * kernel_scale
    m = np.zeros((n_out, n_in), np.float32)
    for x in range(n_out):
        sample = f32(x + 0.5) * inv_scale - inv_scale * f32(translate)
        if sample < 0 or sample > n_in:
            continue
        start = min(max(math.ceil(sample - reach - f32(0.5)), 0), n_in - 1)
        end = min(max(math.floor(sample + reach - f32(0.5)), 0), n_in - 1) + 1
        pos = (np.arange(start, end, dtype=np.float32) + f32(0.5) - sample) * (f32(1.0) / kernel_scale)
        w = fn(np.abs(pos).astype(np.float64)).astype(np.float32)
        total = w.sum(dtype=np.float32)
        if abs(total) >= 1000 * np.finfo(np.float32).tiny:
            m[x, start:end] = w * (f32(1.0) / total)
    return m


def _pair(v, name: str, dtype: str) -> np.ndarray:
    if not isinstance(v, Tensor) or v._dtype != dtype or tuple(v.shape) != (2,):
        got = f"{v.dtype} of shape {list(v.shape)}" if isinstance(v, Tensor) else type(v).__name__
        raise TypeError(f"For '{_WHERE}', '{name}' must be a {dtype} Tensor of shape [2], but got {got}")
    a = v._concrete(f"{_WHERE}'s {name} (it fixes the sampling weights)")
    if name != "translation" and not (a > 0).all():
        raise ValueError(f"For primitive[{_WHERE}], the attribute[{name}] should be a vector with all positive "
                         f"item. but got {a.tolist()}.")
    return a


class ScaleAndTranslate(Primitive):
    """ops.ScaleAndTranslate(kernel_type='lanczos3', antialias=True)(images, size, scale, translation): float32."""

    def __init__(self, kernel_type="lanczos3", antialias=True):
        if not isinstance(kernel_type, str) or kernel_type not in _KERNELS:
            raise ValueError(f"For '{_WHERE}', the 'kernel_type' must be str and must be in '{list(_KERNELS)}', but "
                             f"got {kernel_type!r}.")
        if not isinstance(antialias, bool):
            raise TypeError(f"For '{_WHERE}', 'antialias' must be a bool, but got {type(antialias).__name__}")
        self.attrs = {}
        self.kernel_type, self.antialias = kernel_type, antialias

    def __call__(self, images, size, scale, translation):
        if not isinstance(images, Tensor) or images._dtype not in _IMAGES:
            raise input_dtype_error(_WHERE, "images", _IMAGES, tensor_type(images))
        if images.ndim != 4:
            raise ValueError(f"For primitive[{_WHERE}], the images's rank' must be equal to 4, but got {images.ndim}.")
        out = _pair(size, "size", "int32")
        sc, tr = _pair(scale, "scale", "float32"), _pair(translation, "translation", "float32")
        _, h, w, _ = images.shape
        wh, ww = (_weights(self.kernel_type, self.antialias, n, int(o), float(s), float(t))
                  for n, o, s, t in ((h, out[0], sc[0], tr[0]), (w, out[1], sc[1], tr[1])))
        planes = images.astype("float32").transpose(0, 3, 1, 2)  # [N, C, H, W]
        return (Tensor(wh) @ planes @ Tensor(ww.T.copy())).transpose(0, 2, 3, 1)  # [N, out_h, out_w, C]
