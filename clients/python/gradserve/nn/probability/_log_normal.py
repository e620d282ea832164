"""nn.probability.distribution.LogNormal: log X ~ Normal(loc, scale), MindSpore 2.10's methods and arguments (loc /
scale given when made or at each call, a call's win; the other distribution's loc_b / scale_b for kl_loss and
cross_entropy), closed forms composed of ops so that each is differentiable in the parameters. Outside the support
(x <= 0) the density is NaN and cdf 0, as MindSpore 2.10 gives. Drawing samples is not supported."""
from __future__ import annotations

import math

from ... import dtype as _dt
from ... import ops
from ._location_scale import HALF_LOG_2PI, LocationScale


class LogNormal(LocationScale):
    """LogNormal(loc=None, scale=None, seed=0, dtype=mstype.float32, name='LogNormal')."""

    def __init__(self, loc=None, scale=None, seed=None, dtype=_dt.float32, name="LogNormal"):
        super().__init__("LogNormal", loc, scale, seed, dtype, name)

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
        return -0.5 * z * z - ops.log(scale) - HALF_LOG_2PI - lx

    def cdf(self, value, loc=None, scale=None):
        inside, z, x = self._z(value, *self._params(loc, scale))
        return ops.select(inside, 0.5 * ops.erfc(-z / math.sqrt(2.0)), ops.zeros_like(z))

    def survival_function(self, value, loc=None, scale=None):
        inside, z, x = self._z(value, *self._params(loc, scale))
        return ops.select(inside, 0.5 * ops.erfc(z / math.sqrt(2.0)), ops.ones_like(z))

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
        return loc + 0.5 + ops.log(scale) + HALF_LOG_2PI

    def kl_loss(self, dist, loc_b, scale_b, loc=None, scale=None):
        return self._kl(dist, loc_b, scale_b, loc, scale)

    def cross_entropy(self, dist, loc_b, scale_b, loc=None, scale=None):
        """H(a, b) = H(a) + KL(a || b)."""
        return self.entropy(loc, scale) + self.kl_loss(dist, loc_b, scale_b, loc, scale)
