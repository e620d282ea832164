"""image_ops.RGBToHSV: RGB images (last dimension 3, values in [0, 1]) to HSV, every channel in [0, 1], by the
rule of Python's colorsys.rgb_to_hsv (and TensorFlow's rgb_to_hsv, whose kernel MindSpore 2.10's is): v the
largest channel, s its spread over v (0 where v is 0), h the sextant of the largest channel plus the difference of
the other two over the spread, in turns (0 where the channels are equal). MindSpore 2.10 on CPU, checked:
[0.25, 0.5, 0.5] -> [0.5, 0.5, 0.5], [0.9, 0.1, 0.3] -> [0.9583333, 0.8888889, 0.9]."""
from __future__ import annotations

from .._late import late

__all__ = ["RGBToHSV"]


class RGBToHSV:
    """RGBToHSV()(images [..., 3] float16 / float32 / float64) -> HSV of the same shape and dtype."""

    def __call__(self, images):
        o = late.ops
        if images.dtype.name not in ("float16", "float32", "float64"):
            raise TypeError(f"For primitive[RGBToHSV], the input 'images' must be a float16, float32 or float64 "
                            f"Tensor, but got {images.dtype}")
        if images.ndim < 1 or images.shape[-1] != 3:
            raise ValueError(f"For primitive[RGBToHSV], the last dimension of input 'images' must be equal to 3, "
                             f"but got shape {list(images.shape)}")
        r, g, b = o.split(images, 1, axis=-1)
        v = o.maximum(o.maximum(r, g), b)
        spread = o.sub(v, o.minimum(o.minimum(r, g), b))
        zero, one = o.zeros_like(v), o.ones_like(v)
        grey = o.equal(spread, zero)
        safe = o.select(grey, one, spread)  # no 0 / 0 where the channels are equal (h and s are 0 there)
        s = o.select(o.equal(v, zero), zero, o.div(spread, o.select(o.equal(v, zero), one, v)))
        sextant = o.select(o.equal(v, r), o.div(o.sub(g, b), safe),
                           o.select(o.equal(v, g), o.add(o.div(o.sub(b, r), safe), 2.0),
                                    o.add(o.div(o.sub(r, g), safe), 4.0)))
        turns = o.div(sextant, 6.0)
        h = o.select(grey, zero, o.sub(turns, o.floor(turns)))  # in [0, 1): a negative red sextant wraps round
        return o.concat((h, s, v), axis=-1)
