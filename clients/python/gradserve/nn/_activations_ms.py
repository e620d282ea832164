"""nn.Softmax, nn.LogSoftmax, nn.FastGelu, nn.PReLU (a learnt slope per channel)."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter, Tensor
from ..ops._elementwise_ms import fast_gelu

__all__ = ["Softmax", "LogSoftmax", "FastGelu", "PReLU"]


class Softmax(Cell):
    """nn.Softmax(axis=-1)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = int(axis)

    def construct(self, x):
        return _ops.softmax(x, self.axis)


class LogSoftmax(Cell):
    """nn.LogSoftmax(axis=-1)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = int(axis)

    def construct(self, x):
        return _ops.log_softmax(x, self.axis)


class FastGelu(Cell):
    """nn.FastGelu(): ops.fast_gelu."""

    def construct(self, x):
        return fast_gelu(x)


class PReLU(Cell):
    """nn.PReLU(channel=1, w=0.25, dtype=float32): x where x > 0, else w * x, one learnt slope per channel
    (axis 1), a Parameter named 'a'."""

    def __init__(self, channel: int = 1, w=0.25, dtype=None):
        super().__init__()
        dt = getattr(dtype, "name", dtype) or "float32"
        w = w.asnumpy() if isinstance(w, Tensor) else np.asarray(w)
        if w.ndim == 0:
            w = np.full((int(channel),), float(w))
        if w.shape != (int(channel),):
            raise ValueError(f"PReLU: w must be a number or have shape ({channel},), got {list(w.shape)}")
        self.w = Parameter(Tensor(w.astype(dt)), name="a")

    def construct(self, x):
        return _ops.prelu(x, self.w)
