"""nn.Pad: constant, REFLECT and SYMMETRIC padding (mirrors as gathers)."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Tensor
from ..ops._ms_prims import check_not_negative

__all__ = ["Pad"]


def _mirror_index(n: int, lo: int, hi: int, symmetric: bool) -> np.ndarray:
    """Source positions of the padded axis: REFLECT mirrors about the edge element, SYMMETRIC repeats it."""
    j = np.arange(-lo, n + hi)
    if symmetric:
        return np.where(j < 0, -j - 1, np.where(j >= n, 2 * n - 1 - j, j)).astype(np.int32)
    return np.where(j < 0, -j, np.where(j >= n, 2 * (n - 1) - j, j)).astype(np.int32)


def _check_pairs(paddings) -> None:
    """MindSpore 2.10's nn.Pad checks (and texts): a tuple of at most 4 (lo, hi) pairs."""
    if not isinstance(paddings, tuple):
        raise TypeError(f"For 'Pad', the type of 'paddings' must be tuple, but got {type(paddings).__name__}.")
    for item in paddings:
        if not isinstance(item, (tuple, list)):
            raise TypeError(f"For 'Pad', each item of 'paddings' must be a (lo, hi) pair, but got {item!r} "
                            f"in {paddings}.")
        if len(item) != 2:
            raise ValueError(f"For 'Pad', the dimension of 'paddings' must be (n, 2), but got {paddings}.")
    if len(paddings) > 4:
        raise ValueError(f"For 'Pad', only 'paddings' up to 4 dims is supported, but got {len(paddings)}.")


class Pad(Cell):
    """nn.Pad(paddings, mode='CONSTANT'): paddings ((lo, hi), ...) one pair per axis; 'CONSTANT' zeros,
    'REFLECT' (pads < the axis size) and 'SYMMETRIC' (pads <= it) mirror x, as gathers whose gradient
    adds the mirrored cotangents back."""

    def __init__(self, paddings, mode="CONSTANT"):
        super().__init__()
        self.mode = str(mode).upper()
        if self.mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
            raise ValueError(f"nn.Pad: mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC', got {mode!r}")
        _check_pairs(paddings)
        self.paddings = [(int(lo), int(hi)) for lo, hi in paddings]

    def construct(self, x):
        # MindSpore 2.10 builds the Cell and refuses negative pads when it runs
        check_not_negative(self.paddings)
        if len(self.paddings) != len(x.shape):
            raise ValueError(f"nn.Pad: {len(self.paddings)} (lo, hi) pairs for a tensor of rank {len(x.shape)}")
        if self.mode == "CONSTANT":
            return _ops.Pad(self.paddings)(x)
        symmetric = self.mode == "SYMMETRIC"
        for ax, (lo, hi) in enumerate(self.paddings):
            n = int(x.shape[ax])
            if max(lo, hi) > n - (0 if symmetric else 1):
                raise ValueError(f"nn.Pad: axis {ax} of size {n} cannot take pads ({lo}, {hi}) in mode {self.mode}")
            if lo or hi:
                x = _ops.gather(x, Tensor(_mirror_index(n, lo, hi, symmetric)), ax)
        return x
