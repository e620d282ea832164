"""nn.probability.distribution.LogNormal: log X ~ Normal(loc, scale), MindSpore 2.10's methods and arguments (loc /
scale given when made or at each call, a call's win; the other distribution's loc_b / scale_b for kl_loss and
cross_entropy), closed forms composed of ops so that each is differentiable in the parameters. Outside the support
(x <= 0) the density is NaN and cdf 0, as MindSpore 2.10 gives. Drawing samples is not supported."""
from __future__ import annotations

import math

import numpy as np

from ... import dtype as _dt
from ... import ops
from ..._tensor import Tensor
from ._distributions import Distribution, checked_name_seed
from ._normal import normal_kl, refuse_sample

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_NOT_GIVEN = "the type {} must be subclass of Tensor. It can not be None since it is not specified during initialization."


class LogNormal(Distribution):
    """LogNormal(loc=None, scale=None, seed=0, dtype=mstype.float32, name='LogNormal')."""

    def __init__(self, loc=None, scale=None, seed=None, dtype=_dt.float32, name="LogNormal"):
        super().__init__()
        seed = checked_name_seed("LogNormal", name, seed)
        if not _dt.is_float(dtype):
            raise TypeError(f"For '{name}', the 'dtype' should be a float type (float16, float32 or float64), "
                            f"but got '{dtype}'.")
        self._dt, self.dtype, self.name, self.seed = _dt.to_name(dtype), dtype, name, seed
        self._loc = None if loc is None else self._tensor(loc)
        self._scale = None if scale is None else self._tensor(scale)
        if self._scale is not None:
            self._positive(self._scale)
        if self._loc is not None and self._scale is not None:
            try:
                np.broadcast_shapes(self._loc.shape, self._scale.shape)
            except ValueError:
                raise ValueError(f"For '{name}', the shapes of loc {self._loc.shape} and scale {self._scale.shape} "
                                 "must broadcast") from None

    @property
    def loc(self):
        return self._loc

    @property
    def scale(self):
        return self._scale

    def _tensor(self, v) -> Tensor:
        return v.astype(self._dt) if isinstance(v, Tensor) else Tensor(np.asarray(v, self._dt))

    @staticmethod
    def _positive(scale: Tensor) -> None:
        if scale._data is not None and not np.all(np.asarray(scale._data) > 0):
            raise ValueError("Standard deviation must be greater than zero.")

    def _params(self, loc=None, scale=None) -> tuple[Tensor, Tensor]:
        loc_t = self._loc if loc is None else self._tensor(loc)
        scale_t = self._scale if scale is None else self._tensor(scale)
        if loc_t is None:
            raise TypeError(_NOT_GIVEN.format("loc"))
        if scale_t is None:
            raise TypeError(_NOT_GIVEN.format("scale"))
        return loc_t, scale_t

    def _z(self, value, loc, scale):
        """(x > 0, the standardised log of x where x > 0 (1 elsewhere, so no NaN reaches a gradient))."""
        x = self._tensor(value)
        inside = ops.gt(x, 0.0)
        return inside, (ops.log(ops.select(inside, x, ops.ones_like(x))) - loc) / scale, x

    def log_prob(self, value, loc=None, scale=None):
        loc, scale = self._params(loc, scale)
        x = self._tensor(value)
        lx = ops.log(x)  # (NaN below 0, -inf at 0: the density there is NaN, as MindSpore 2.10's)
        z = (lx - loc) / scale
        return -0.5 * z * z - ops.log(scale) - _HALF_LOG_2PI - lx

    def prob(self, value, loc=None, scale=None):
        return ops.exp(self.log_prob(value, loc, scale))

    def cdf(self, value, loc=None, scale=None):
        inside, z, x = self._z(value, *self._params(loc, scale))
        return ops.select(inside, 0.5 * ops.erfc(-z / math.sqrt(2.0)), ops.zeros_like(z))

    def log_cdf(self, value, loc=None, scale=None):
        return ops.log(self.cdf(value, loc, scale))

    def survival_function(self, value, loc=None, scale=None):
        inside, z, x = self._z(value, *self._params(loc, scale))
        return ops.select(inside, 0.5 * ops.erfc(z / math.sqrt(2.0)), ops.ones_like(z))

    def log_survival(self, value, loc=None, scale=None):
        return ops.log(self.survival_function(value, loc, scale))

    def mean(self, loc=None, scale=None):
        loc, scale = self._params(loc, scale)
        return ops.exp(loc + 0.5 * scale * scale)

    def mode(self, loc=None, scale=None):
        loc, scale = self._params(loc, scale)
        return ops.exp(loc - scale * scale)

    def var(self, loc=None, scale=None):
        loc, scale = self._params(loc, scale)
        s2 = scale * scale
        return (ops.exp(s2) - 1.0) * ops.exp(2.0 * loc + s2)

    def sd(self, loc=None, scale=None):
        return ops.sqrt(self.var(loc, scale))

    def entropy(self, loc=None, scale=None):
        loc, scale = self._params(loc, scale)
        return loc + 0.5 + ops.log(scale) + _HALF_LOG_2PI

    def kl_loss(self, dist, loc_b, scale_b, loc=None, scale=None):
        """KL(a || b): that of the two normals, log(sb / sa) + (sa^2 + (la - lb)^2) / (2 sb^2) - 1/2."""
        if dist != "LogNormal":
            raise ValueError(f"Expected dist input is LogNormal, but got {dist}.")
        return normal_kl(*self._params(loc, scale), self._tensor(loc_b), self._tensor(scale_b))

    def cross_entropy(self, dist, loc_b, scale_b, loc=None, scale=None):
        """H(a, b) = H(a) + KL(a || b)."""
        return self.entropy(loc, scale) + self.kl_loss(dist, loc_b, scale_b, loc, scale)

    def sample(self, shape=(), loc=None, scale=None):
        refuse_sample("LogNormal")
