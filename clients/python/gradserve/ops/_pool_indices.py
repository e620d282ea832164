"""The indices of max pooling (return_indices=True of ops.max_pool2d / max_pool3d and nn.MaxPool2d / MaxPool3d):
for each window, the flat position (over the input's spatial axes, per channel, int64) of its max, the first
one on ties (MindSpore 2.10 and torch's convention). Computed as the forward derivative of the pooling in the
direction of a constant Tensor of positions: the jvp of max pooling carries the direction's value at each
window's max (in float64, so positions are exact), so no new engine op is needed."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._autodiff import jvp
from ._extra import P


def max_pool_indices(pool, x, n: int):
    """pool: x -> pooled x (a function of one Tensor); n: the number of spatial axes."""
    spatial = tuple(int(s) for s in x.shape[-n:])
    if int(np.prod(spatial)) >= 2 ** 53:
        raise ValueError(f"max pooling indices: {list(spatial)} has too many positions for exact indices")
    positions = Tensor(np.broadcast_to(np.arange(int(np.prod(spatial)), dtype=np.float64).reshape(spatial),
                                       tuple(x.shape)).copy())
    wide = P.cast(x, "float64")
    return P.cast(jvp(pool, (wide,), (positions,))[1], "int64")
