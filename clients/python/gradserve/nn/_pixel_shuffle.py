"""nn.PixelShuffle(upscale_factor) / nn.PixelUnshuffle(downscale_factor): ops.pixel_shuffle / pixel_unshuffle."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Cell):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def construct(self, input):  # noqa: A002
        return _ops.pixel_shuffle(input, self.upscale_factor)


class PixelUnshuffle(Cell):
    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def construct(self, input):  # noqa: A002
        return _ops.pixel_unshuffle(input, self.downscale_factor)
