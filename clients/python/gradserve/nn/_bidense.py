"""nn.BiDense: a bilinear layer, out[o] = x1^T W[o] x2 + b[o]."""
from __future__ import annotations

import math

from .. import dtype as _dt
from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter
from ..common.initializer import Uniform, initializer

__all__ = ["BiDense"]


class BiDense(Cell):
    """nn.BiDense(in1_channels, in2_channels, out_channels, weight_init=None, bias_init=None, has_bias=True,
    dtype=float32)(x1 [..., in1], x2 [..., in2]) -> [..., out]: out[o] = x1^T W[o] x2 + b[o], W of shape
    [out, in1, in2]; both initialised uniform(-1/sqrt(in1), 1/sqrt(in1)) by default, as MindSpore does."""

    def __init__(self, in1_channels, in2_channels, out_channels, weight_init=None, bias_init=None,
                 has_bias=True, dtype=None):
        super().__init__()
        for name, v in (("in1_channels", in1_channels), ("in2_channels", in2_channels),
                        ("out_channels", out_channels)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"BiDense: {name} must be a positive int, got {v!r}")
        self.in1_channels, self.in2_channels, self.out_channels = in1_channels, in2_channels, out_channels
        dt = dtype if dtype is not None else _dt.float32
        bound = 1.0 / math.sqrt(in1_channels)
        self.weight = Parameter(initializer(Uniform(bound) if weight_init is None else weight_init,
                                            (out_channels, in1_channels, in2_channels), dt))
        self.has_bias = bool(has_bias)
        if self.has_bias:
            self.bias = Parameter(initializer(Uniform(bound) if bias_init is None else bias_init,
                                              (out_channels,), dt))

    def construct(self, input1, input2):
        s1, s2 = tuple(input1.shape), tuple(input2.shape)
        if s1[-1] != self.in1_channels or s2[-1] != self.in2_channels or s1[:-1] != s2[:-1]:
            raise ValueError(f"BiDense: inputs must be [..., {self.in1_channels}] and [..., {self.in2_channels}] "
                             f"with the same leading sizes, got shapes {list(s1)} and {list(s2)}")
        return _ops.bidense(input1, input2, self.weight, self.bias if self.has_bias else None)
