"""ops.pixel_shuffle / pixel_unshuffle (and nn.PixelShuffle / PixelUnshuffle): [*, C r^2, H, W] <->
[*, C, H r, W r], channel c r^2 + i r + j going to pixel (h r + i, w r + j), as MindSpore (and torch)."""
from __future__ import annotations

from ._extra import P

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _factor(v, name: str, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"For '{where}', '{name}' must be a positive int, got {v!r}")
    return v


def pixel_shuffle(input, upscale_factor):  # noqa: A002 - MindSpore's names
    r = _factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    s = tuple(input.shape)
    if len(s) < 3 or s[-3] % (r * r):
        raise ValueError(f"For 'pixel_shuffle', the input must be [*, C, H, W] (rank >= 3) with C divisible by "
                         f"upscale_factor**2 = {r * r}, got shape {list(s)}")
    lead, c, h, w = s[:-3], s[-3] // (r * r), s[-2], s[-1]
    x = P.reshape(input, (-1, c, r, r, h, w))
    x = P.transpose(x, (0, 1, 4, 2, 5, 3))
    return P.reshape(x, (*lead, c, h * r, w * r))


def pixel_unshuffle(input, downscale_factor):  # noqa: A002
    r = _factor(downscale_factor, "downscale_factor", "pixel_unshuffle")
    s = tuple(input.shape)
    if len(s) < 3 or s[-2] % r or s[-1] % r:
        raise ValueError(f"For 'pixel_unshuffle', the input must be [*, C, H, W] (rank >= 3) with H and W "
                         f"divisible by downscale_factor = {r}, got shape {list(s)}")
    lead, c, h, w = s[:-3], s[-3], s[-2] // r, s[-1] // r
    x = P.reshape(input, (-1, c, h, r, w, r))
    x = P.transpose(x, (0, 1, 3, 5, 2, 4))
    return P.reshape(x, (*lead, c * r * r, h, w))
