"""nn.GroupNorm: normalised over groups of channels, then an affine per channel."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter

__all__ = ["GroupNorm"]


class GroupNorm(Cell):
    """nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, gamma_init='ones', beta_init='zeros',
    dtype=float32): x (N, C, *) normalised over each group of C / num_groups channels and the other axes
    (biased variance), then * gamma + beta per channel."""

    _names = ("gamma", "beta")  # the scale's and shift's Parameter names (mint.nn.GroupNorm: weight, bias)

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, gamma_init="ones", beta_init="zeros",
                 dtype=None):
        super().__init__()
        from . import _init_value  # (nn's initializer helper; nn imports this module after defining it)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be a multiple of num_groups "
                             f"({num_groups})")
        dt = getattr(dtype, "name", dtype) or "float32"
        self.num_groups, self.num_channels, self.eps, self.affine = int(num_groups), int(num_channels), eps, affine
        scale, shift = self._names
        setattr(self, scale, Parameter(_init_value(gamma_init, (num_channels,), dt), name=scale, requires_grad=affine))
        setattr(self, shift, Parameter(_init_value(beta_init, (num_channels,), dt), name=shift, requires_grad=affine))

    def construct(self, x):
        shape = tuple(x.shape)
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: input must be (N, {self.num_channels}, ...), got {list(shape)}")
        g = _ops.reshape(x, (shape[0], self.num_groups, -1))
        mean = _ops.mean(g, 2, True)
        centred = g - mean
        var = _ops.mean(centred * centred, 2, True)
        y = _ops.reshape(centred * _ops.rsqrt(var + self.eps), shape)
        per_channel = (1, self.num_channels) + (1,) * (len(shape) - 2)
        scale, shift = (getattr(self, n) for n in self._names)
        return y * _ops.reshape(scale, per_channel) + _ops.reshape(shift, per_channel)
