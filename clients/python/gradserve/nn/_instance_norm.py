"""nn.InstanceNorm1d / 2d / 3d, MindSpore 2.x's: x (N, C, *) normalised per sample and channel over the other
axes (biased variance), in training and evaluation alike, then * gamma + beta per channel.

As MindSpore 2.10: there is no track_running_stats argument (a TypeError, as any unknown keyword); affine=False
keeps gamma and beta as parameters that do not train; moving_mean / moving_variance (parameters "mean" and
"variance", not trained) exist for checkpoints and are never read. MindSpore's CPU build has no InstanceNorm
kernel at all (its GPU one updates those two in training); here they keep their initial values."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


def _typed(where: str, name: str, v, kind: type):
    if not isinstance(v, kind) or (kind is not bool and isinstance(v, bool)):
        raise TypeError(f"For '{where}', the type of '{name}' should be '{kind.__name__}', but got type "
                        f"'{type(v).__name__}'.")
    return v


class _InstanceNorm(Cell):
    _rank = 4

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, gamma_init="ones", beta_init="zeros",
                 dtype=None):
        super().__init__()
        from . import _init_value  # (nn's initializer helper; nn imports this module after defining it)
        where = type(self).__name__
        _typed(where, "num_features", num_features, int)
        _typed(where, "eps", eps, float)
        _typed(where, "momentum", momentum, float)
        _typed(where, "affine", affine, bool)
        if num_features < 1:
            raise ValueError(f"For '{where}', the 'num_features' must be at least 1, but got {num_features}.")
        if not 0 <= momentum <= 1:
            raise ValueError(f"For '{where}', the 'momentum' must be a number in range [0, 1], but got {momentum}.")
        dt = getattr(dtype, "name", dtype) or "float32"
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        self.moving_mean = Parameter(_init_value("zeros", (num_features,), dt), name="mean", requires_grad=False)
        self.moving_variance = Parameter(_init_value("ones", (num_features,), dt), name="variance",
                                         requires_grad=False)
        self.gamma = Parameter(_init_value(gamma_init, (num_features,), dt), name="gamma", requires_grad=affine)
        self.beta = Parameter(_init_value(beta_init, (num_features,), dt), name="beta", requires_grad=affine)

    def construct(self, x):
        shape = tuple(x.shape)
        if len(shape) != self._rank:
            raise ValueError(f"For '{type(self).__name__}', the in_shape must have {self._rank} dims, but got "
                             f"{len(shape)}.")
        if shape[1] != self.num_features:
            raise ValueError(f"For '{type(self).__name__}', x's channel axis (1) must be num_features "
                             f"{self.num_features}, but got shape {list(shape)}.")
        axes = tuple(range(2, len(shape)))
        mean = _ops.mean(x, axes, True)
        centred = x - mean
        var = _ops.mean(centred * centred, axes, True)
        per_channel = (1, self.num_features) + (1,) * len(axes)
        return centred * _ops.rsqrt(var + self.eps) * _ops.reshape(self.gamma, per_channel) + \
            _ops.reshape(self.beta, per_channel)

    def extend_repr(self):
        return f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class InstanceNorm1d(_InstanceNorm):
    """nn.InstanceNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, gamma_init='ones',
    beta_init='zeros', dtype=float32): x (N, C, L)."""

    _rank = 3


class InstanceNorm2d(_InstanceNorm):
    """nn.InstanceNorm2d(...): x (N, C, H, W); InstanceNorm1d's arguments."""

    _rank = 4


class InstanceNorm3d(_InstanceNorm):
    """nn.InstanceNorm3d(...): x (N, C, D, H, W); InstanceNorm1d's arguments."""

    _rank = 5
