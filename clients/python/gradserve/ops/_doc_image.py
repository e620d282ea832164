"""MindSpore 2.10's image colour primitives over the last axis of (..., 3) images: RGBToHSV, HSVToRGB,
AdjustSaturation, AdjustHue, composed of engine ops (select, min / max, floor), so each is differentiable
where its formula is (MindSpore registers gradients for the HSV conversions too). Hue is in [0, 1), as
TensorFlow's and MindSpore's kernels; the RGB values need not be in [0, 1] (the docs' AdjustSaturation example
passes 1..12): the conversions are relative to the pixel's maximum."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["rgb_to_hsv", "hsv_to_rgb", "RGBToHSV", "HSVToRGB", "AdjustSaturation", "AdjustHue"]


def _channels(images, where: str):
    """The three channels of a float (..., 3) Tensor, each (...)."""
    if not isinstance(images, Tensor) or not images._dtype.startswith("float"):
        raise TypeError(f"For '{where}', the input must be a float Tensor, got "
                        f"{getattr(images, 'dtype', type(images).__name__)}")
    if images.ndim < 1 or images.shape[-1] != 3:
        raise ValueError(f"For '{where}', the last dimension of the input must be 3, got shape {list(images.shape)}")
    return [images[..., k] for k in range(3)]


def _const(value, like: Tensor) -> Tensor:
    return Tensor(np.asarray(value, like._dtype))


def _fraction(x: Tensor) -> Tensor:
    """x - floor(x): a hue wrapped into [0, 1)."""
    return late.ops.sub(x, late.ops.floor(x))


def _hsv(images, where: str):
    ops = late.ops
    r, g, b = _channels(images, where)
    zero = _const(0, r)
    value = ops.maximum(ops.maximum(r, g), b)
    chroma = ops.sub(value, ops.minimum(ops.minimum(r, g), b))
    grey, black = ops.equal(chroma, zero), ops.equal(value, zero)
    ones = ops.ones_like(chroma)
    safe_chroma = ops.select(grey, ones, chroma)
    saturation = ops.select(black, ops.zeros_like(value), ops.div(chroma, ops.select(black, ones, value)))
    # the sector of the largest channel: red in [-1, 1], green in [1, 3], blue in [3, 5] (sixths of the circle)
    hue = ops.select(ops.equal(value, r), ops.div(ops.sub(g, b), safe_chroma),
                     ops.select(ops.equal(value, g), ops.add(ops.div(ops.sub(b, r), safe_chroma), _const(2, r)),
                                ops.add(ops.div(ops.sub(r, g), safe_chroma), _const(4, r))))
    hue = ops.select(grey, ops.zeros_like(hue), _fraction(ops.div(hue, _const(6, r))))
    return hue, saturation, value


def _rgb(hue, saturation, value):
    """Each channel n (5 red, 3 green, 1 blue): v - v s clip(min(k, 4 - k), 0, 1), k = (n + 6 h) mod 6."""
    ops = late.ops
    six, four, zero, one = (_const(v, hue) for v in (6, 4, 0, 1))
    chroma = ops.mul(value, saturation)
    out = []
    for n in (5, 3, 1):
        k = ops.mul(_fraction(ops.div(ops.add(_const(n, hue), ops.mul(hue, six)), six)), six)
        ramp = ops.maximum(ops.minimum(ops.minimum(k, ops.sub(four, k)), one), zero)
        out.append(ops.sub(value, ops.mul(chroma, ramp)))
    return ops.stack(out, -1)


def rgb_to_hsv(images):
    """(..., 3) RGB -> (..., 3) HSV, hue in [0, 1)."""
    return late.ops.stack(list(_hsv(images, "RGBToHSV")), -1)


def hsv_to_rgb(images):
    """(..., 3) HSV (hue in [0, 1), wrapped) -> (..., 3) RGB."""
    return _rgb(*_channels(images, "HSVToRGB"))


def _scalar(value, like: Tensor, where: str, name: str) -> Tensor:
    t = value if isinstance(value, Tensor) else Tensor(np.asarray(value, like._dtype))
    if t.size != 1:
        raise ValueError(f"For '{where}', '{name}' must be a scalar, got shape {list(t.shape)}")
    return late.ops.cast(late.ops.reshape(t, ()), like._dtype)


class RGBToHSV:
    """ops.RGBToHSV()(images [..., 3] float16 / float32 / float64): HSV of the same shape and dtype, by the rule of
    Python's colorsys.rgb_to_hsv and TensorFlow's kernel, MindSpore 2.10's (checked on CPU: [0.25, 0.5, 0.5] ->
    [0.5, 0.5, 0.5], [0.9, 0.1, 0.3] -> [0.9583333, 0.8888889, 0.9]), with its primitive's errors."""

    def __call__(self, images):
        if images.dtype.name not in ("float16", "float32", "float64"):
            raise TypeError(f"For primitive[RGBToHSV], the input 'images' must be a float16, float32 or float64 "
                            f"Tensor, but got {images.dtype}")
        if images.ndim < 1 or images.shape[-1] != 3:
            raise ValueError(f"For primitive[RGBToHSV], the last dimension of input 'images' must be equal to 3, "
                             f"but got shape {list(images.shape)}")
        return rgb_to_hsv(images)


class HSVToRGB:
    """ops.HSVToRGB()(x)."""

    def __call__(self, x):
        return hsv_to_rgb(x)


class AdjustSaturation:
    """ops.AdjustSaturation()(image, scale): the saturation times scale, clipped to [0, 1]."""

    def __call__(self, image, scale):
        ops = late.ops
        hue, saturation, value = _hsv(image, "AdjustSaturation")
        scaled = ops.clip_by_value(ops.mul(saturation, _scalar(scale, saturation, "AdjustSaturation", "scale")),
                                   _const(0, saturation), _const(1, saturation))
        return _rgb(hue, scaled, value)


class AdjustHue:
    """ops.AdjustHue()(image, delta): the hue turned by delta (a fraction of the circle, in [-1, 1])."""

    def __call__(self, image, delta):
        hue, saturation, value = _hsv(image, "AdjustHue")
        turned = _fraction(late.ops.add(hue, _scalar(delta, hue, "AdjustHue", "delta")))
        return _rgb(turned, saturation, value)
