"""nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None):
MindSpore 2.10's ops.interpolate for the modes 'linear' (3-D input), 'bilinear' (4-D) and 'area' (3-D / 4-D:
an adaptive average pool). Each spatial axis is resized by a constant matrix [out, in] built here (the
linear or averaging weights at MindSpore's / torch's source coordinates), applied with a matmul, so the
derivative is that of the matmul. Other modes are refused by name."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._cellbase import Cell
from ..ops._resize import linear_weights as _linear_weights, resize_axis as _resize_axis

__all__ = ["Upsample"]

_RANKS = {"linear": (3,), "bilinear": (4,), "area": (3, 4)}


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in]: the mean of in[floor(i n_in / n_out) : ceil((i + 1) n_in / n_out)] (adaptive pooling)."""
    w = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        w[i, lo:hi] = 1.0 / (hi - lo)
    return w


class Upsample(Cell):
    """nn.Upsample: see the module's doc for the modes done; size or scale_factor, not both."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if mode not in _RANKS:
            raise NotImplementedError(f"Upsample: mode {mode!r} is not supported here (supported: "
                                      f"{', '.join(_RANKS)})")
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of size and scale_factor")
        if scale_factor is not None and mode != "area" and not recompute_scale_factor:  # as MindSpore 2.10
            raise ValueError(f"Upsample: scale_factor with mode {mode!r} needs recompute_scale_factor=True")
        if align_corners and mode == "area":
            raise ValueError("Upsample: align_corners applies to 'linear' / 'bilinear' only")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners = bool(align_corners)

    def _plan(self, shape) -> list[tuple[int, int]]:
        """[(n_in, n_out)] for each spatial axis, from size or scale_factor (out = floor(in * factor); the
        weights then use in / out, MindSpore's recompute_scale_factor)."""
        spatial = [int(s) for s in shape[2:]]
        k = len(spatial)

        def per_axis(v, name) -> list[Any]:
            vals = list(v) if isinstance(v, (list, tuple)) else [v] * k
            if len(vals) != k:
                raise ValueError(f"Upsample: {name} needs {k} value(s) for a {len(shape)}-D input, got {v!r}")
            return vals

        if self.size is not None:
            return [(n, int(o)) for n, o in zip(spatial, per_axis(self.size, "size"))]
        sf = [float(f) for f in per_axis(self.scale_factor, "scale_factor")]
        return [(n, int(math.floor(n * f))) for n, f in zip(spatial, sf)]

    def construct(self, x):
        if x.ndim not in _RANKS[self.mode]:
            raise ValueError(f"Upsample: mode {self.mode!r} takes a {' or '.join(map(str, _RANKS[self.mode]))}-D "
                             f"input, got shape {list(x.shape)}")
        plan = self._plan(tuple(x.shape))
        for axis, (n_in, n_out) in zip(range(-len(plan), 0), plan):
            if n_out <= 0:
                raise ValueError(f"Upsample: the output size along axis {axis} would be {n_out}")
            if self.mode == "area" and x.ndim == 3 and n_in % n_out:  # MindSpore's adaptive_avg_pool1d's rule
                raise ValueError(f"Upsample: mode 'area' on a 3-D input needs the length {n_in} divisible by "
                                 f"the output size {n_out}")
            w = _area_weights(n_in, n_out) if self.mode == "area" else \
                _linear_weights(n_in, n_out, self.align_corners)
            x = _resize_axis(x, axis, w)
        return x
