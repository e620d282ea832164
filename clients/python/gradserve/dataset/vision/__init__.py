"""`mindspore.dataset.vision`: image steps on HWC NumPy arrays (a Dataset.map's callables): Rescale, Normalize,
HWC2CHW, Resize (Inter.LINEAR: bilinear on pixel centers, OpenCV's INTER_LINEAR mapping, uint8 in OpenCV's fixed-point
arithmetic bit for bit (_bilinear_u8); Inter.NEAREST: OpenCV's INTER_NEAREST; the other Inter
values are refused), RandomHorizontalFlip,
RandomCrop (constant padding first). Random steps draw from dataset.config.set_seed's generator (or NumPy's).
read_image / ImageReadMode / Decode: _image_read."""
from __future__ import annotations

from enum import Enum

import numpy as np

from .. import config
from .._image_read import Decode, ImageReadMode, read_image

__all__ = ["Inter", "Rescale", "Normalize", "HWC2CHW", "Resize", "RandomHorizontalFlip", "RandomCrop", "ImageReadMode",
           "read_image", "Decode"]


class Inter(Enum):
    """MindSpore 2.10's interpolation modes (values as its enum's; LINEAR and CUBIC are aliases)."""

    NEAREST = 0
    ANTIALIAS = 1
    BILINEAR = LINEAR = 2
    BICUBIC = CUBIC = 3
    AREA = 4
    PILCUBIC = 5


def _rng():
    return config._generator() or np.random


def _randint(high: int) -> int:
    """A uniform int in [0, high) from the dataset's generator (a Generator, or NumPy's global functions)."""
    rng = _rng()
    draw = getattr(rng, "integers", None) or rng.randint
    return int(draw(0, high))


def _pair(v, name: str) -> tuple[int, int]:
    vals = (v, v) if isinstance(v, int) else tuple(v)
    if len(vals) != 2 or not all(isinstance(d, int) and d > 0 for d in vals):
        raise ValueError(f"{name}: size must be a positive int or (height, width), got {v!r}")
    return vals  # type: ignore[return-value]


class Rescale:
    """Rescale(rescale, shift): x * rescale + shift, float32."""

    def __init__(self, rescale, shift):
        self.rescale, self.shift = float(rescale), float(shift)

    def __call__(self, img):
        return (np.asarray(img, np.float32) * np.float32(self.rescale) + np.float32(self.shift)).astype(np.float32)


class Normalize:
    """Normalize(mean, std, is_hwc=True): (x - mean) / std per channel, float32."""

    def __init__(self, mean, std, is_hwc=True):
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        if self.mean.shape != self.std.shape or self.mean.ndim != 1 or (self.std <= 0).any():
            raise ValueError(f"Normalize: mean and std must be lists of one length, std > 0, got {mean}, {std}")
        self.is_hwc = bool(is_hwc)

    def __call__(self, img):
        x = np.asarray(img, np.float32)
        shape = (1, 1, -1) if self.is_hwc else (-1, 1, 1)
        return ((x - self.mean.reshape(shape)) / self.std.reshape(shape)).astype(np.float32)


class HWC2CHW:
    def __call__(self, img):
        x = np.asarray(img)
        return np.ascontiguousarray(x.transpose(2, 0, 1) if x.ndim == 3 else x[None])


def _axis_weights(n_in: int, n_out: int):
    """Source indices and weights along one axis: pixel centers mapped (dst + 0.5) * in / out - 0.5, clamped."""
    src = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (src - lo).astype(np.float32)


class Resize:
    """Resize(size, interpolation=Inter.LINEAR): to (height, width); an int size scales the shorter side to it,
    keeping the ratio."""

    def __init__(self, size, interpolation=Inter.LINEAR):
        self.size = size if isinstance(size, int) else _pair(size, "Resize")
        if isinstance(size, int) and size <= 0:
            raise ValueError(f"Resize: size must be positive, got {size}")
        if interpolation is None:  # (MindSpore 2.10's KeyError and texts)
            raise KeyError("Interpolation should not be None")
        if not isinstance(interpolation, Inter):
            raise TypeError(f"Argument interpolation with value {interpolation} is not of type [<enum 'Inter'>], but "
                            f"got {type(interpolation)}.")
        if interpolation not in (Inter.NEAREST, Inter.LINEAR):
            raise ValueError(f"Resize: interpolation {interpolation.name} is not implemented (Inter.NEAREST and "
                             f"Inter.LINEAR / BILINEAR are)")
        self.interpolation = interpolation

    def __call__(self, img):
        x = np.asarray(img)
        h, w = x.shape[:2]
        if isinstance(self.size, int):
            oh, ow = (self.size, int(w * self.size / h)) if h <= w else (int(h * self.size / w), self.size)
        else:
            oh, ow = self.size
        if self.interpolation is Inter.NEAREST:  # OpenCV's INTER_NEAREST: source floor(dst * in / out)
            rows = np.minimum(np.floor(np.arange(oh) * (h / oh)).astype(np.int64), h - 1)
            cols = np.minimum(np.floor(np.arange(ow) * (w / ow)).astype(np.int64), w - 1)
            return np.ascontiguousarray(x[rows][:, cols])
        return _bilinear_u8(x, oh, ow) if x.dtype == np.uint8 else _bilinear(x, oh, ow)


_COEF_SCALE = 2048  # OpenCV's INTER_RESIZE_COEF_SCALE (11 fractional bits)


def _fixed_weights(n_in: int, n_out: int, clamp: bool):
    """OpenCV's INTER_LINEAR taps for 8-bit images along one axis: source indices and the two weights as int16
    (each (1 - f) * 2048 and f * 2048 rounded apart, so they may not add up to 2048). Columns (clamp): a source
    position outside the image takes its edge pixel with weight 2048; rows keep their fraction and read the edge row
    twice (OpenCV clamps the row indices only)."""
    f = ((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5).astype(np.float32)
    s = np.floor(f).astype(np.int64)
    f = (f - s).astype(np.float32)
    if clamp:
        edge = (s < 0) | (s >= n_in - 1)
        f = np.where(edge, np.float32(0), f)
        s = np.clip(s, 0, n_in - 1)
        s1 = np.minimum(s + 1, n_in - 1)
    else:
        s, s1 = np.clip(s, 0, n_in - 1), np.clip(s + 1, 0, n_in - 1)
    w0 = np.rint((np.float32(1) - f) * np.float32(_COEF_SCALE)).astype(np.int64)
    return s, s1, w0, np.rint(f * np.float32(_COEF_SCALE)).astype(np.int64)


def _bilinear_u8(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """cv::resize(INTER_LINEAR) of a uint8 image, as MindSpore 2.10's dataset runs it: a horizontal pass in int
    (pixel * weight), a vertical one ((b0 * (S0 >> 4)) >> 16) + ((b1 * (S1 >> 4)) >> 16) + 2) >> 2; an exact
    halving of both sides is OpenCV's 2 x 2 area mean, (sum + 2) >> 2."""
    h, w = x.shape[:2]
    xi = x.astype(np.int64)
    if h == 2 * oh and w == 2 * ow:
        return ((xi[0::2, 0::2] + xi[1::2, 0::2] + xi[0::2, 1::2] + xi[1::2, 1::2] + 2) >> 2).astype(np.uint8)
    rest = (1,) * (x.ndim - 2)
    c0, c1, a0, a1 = _fixed_weights(w, ow, clamp=True)
    rows = xi[:, c0] * a0.reshape((1, -1) + rest) + xi[:, c1] * a1.reshape((1, -1) + rest)
    r0, r1, b0, b1 = _fixed_weights(h, oh, clamp=False)
    b0, b1 = b0.reshape((-1, 1) + rest), b1.reshape((-1, 1) + rest)
    return ((((b0 * (rows[r0] >> 4)) >> 16) + ((b1 * (rows[r1] >> 4)) >> 16) + 2) >> 2).astype(np.uint8)


def _bilinear(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    r0, r1, fr = _axis_weights(x.shape[0], oh)
    c0, c1, fc = _axis_weights(x.shape[1], ow)
    xf = x.astype(np.float32)
    fr = fr.reshape((-1, 1) + (1,) * (x.ndim - 2))
    fc = fc.reshape((1, -1) + (1,) * (x.ndim - 2))
    top = xf[r0][:, c0] * (1 - fc) + xf[r0][:, c1] * fc
    bottom = xf[r1][:, c0] * (1 - fc) + xf[r1][:, c1] * fc
    out = top * (1 - fr) + bottom * fr
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(x.dtype)
    return out.astype(x.dtype)


class RandomHorizontalFlip:
    """RandomHorizontalFlip(prob=0.5): the image mirrored left-right with probability prob."""

    def __init__(self, prob=0.5):
        if not 0.0 <= float(prob) <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: prob must be in [0, 1], got {prob}")
        self.prob = float(prob)

    def __call__(self, img):
        x = np.asarray(img)
        return np.ascontiguousarray(x[:, ::-1]) if _rng().random() < self.prob else x


class RandomCrop:
    """RandomCrop(size, padding=None, pad_if_needed=False, fill_value=0): padding (an int, (left/right, top/bottom)
    or (left, top, right, bottom)) with fill_value, then a crop of `size` at a uniformly drawn corner."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill_value=0, padding_mode=None):
        self.size = _pair(size, "RandomCrop")
        pad = 0 if padding is None else padding
        pad = (pad,) * 4 if isinstance(pad, int) else tuple(pad)
        if len(pad) == 2:
            pad = (pad[0], pad[1], pad[0], pad[1])
        if len(pad) != 4 or any(p < 0 for p in pad):
            raise ValueError(f"RandomCrop: padding must be 1, 2 or 4 ints >= 0, got {padding!r}")
        self.pad, self.pad_if_needed, self.fill = pad, bool(pad_if_needed), fill_value

    def __call__(self, img):
        x = np.asarray(img)
        left, top, right, bottom = self.pad
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (x.ndim - 2)
        x = np.pad(x, widths, constant_values=self.fill)
        (th, tw), (h, w) = self.size, x.shape[:2]
        if self.pad_if_needed and (h < th or w < tw):
            x = np.pad(x, [(0, max(th - h, 0)), (0, max(tw - w, 0))] + [(0, 0)] * (x.ndim - 2),
                       constant_values=self.fill)
            h, w = x.shape[:2]
        if h < th or w < tw:
            raise RuntimeError(f"RandomCrop: the crop {th}x{tw} is larger than the padded image {h}x{w}")
        i, j = _randint(h - th + 1), _randint(w - tw + 1)
        return x[i:i + th, j:j + tw]
