"""nn.probability.distribution.Normal(mean=None, sd=None, seed=None, dtype=mstype.float32, name='Normal'):
MindSpore 2.10's methods and arguments (mean / sd given when made or at each call, a call's win; the other
distribution's mean_b / sd_b for kl_loss and cross_entropy), closed forms composed of ops so that each is
differentiable in the value and the parameters. Drawing samples is not supported."""
from __future__ import annotations

import math

from ... import dtype as _dt
from ... import ops
from ._location_scale import HALF_LOG_2PI, LocationScale


class Normal(LocationScale):
    """See the module's doc."""

    NAMES = ("mean", "sd")

    def __init__(self, mean=None, sd=None, seed=None, dtype=_dt.float32, name="Normal"):
        super().__init__("Normal", mean, sd, seed, dtype, name)

    def _z(self, value, mean, sd):
        return (self._tensor(value) - mean) / sd

    def log_prob(self, value, mean=None, sd=None):
        mean, sd = self._params(mean, sd)
        z = self._z(value, mean, sd)
        return -0.5 * z * z - ops.log(sd) - HALF_LOG_2PI

    def cdf(self, value, mean=None, sd=None):
        return 0.5 * ops.erfc(-self._z(value, *self._params(mean, sd)) / math.sqrt(2.0))

    def survival_function(self, value, mean=None, sd=None):
        return 0.5 * ops.erfc(self._z(value, *self._params(mean, sd)) / math.sqrt(2.0))

    def mean(self, mean=None, sd=None):
        mean, sd = self._params(mean, sd)
        return mean * ops.ones_like(sd)

    def mode(self, mean=None, sd=None):
        return self.mean(mean, sd)

    def sd(self, mean=None, sd=None):
        mean, sd = self._params(mean, sd)
        return sd * ops.ones_like(mean)

    def var(self, mean=None, sd=None):
        s = self.sd(mean, sd)
        return s * s

    def entropy(self, mean=None, sd=None):
        mean, sd = self._params(mean, sd)
        return ops.log(sd) + 0.5 + HALF_LOG_2PI + ops.zeros_like(mean)

    def kl_loss(self, dist, mean_b, sd_b, mean=None, sd=None):
        return self._kl(dist, mean_b, sd_b, mean, sd)

    def cross_entropy(self, dist, mean_b, sd_b, mean=None, sd=None):
        """H(a, b) = H(a) + KL(a || b)."""
        return self.entropy(mean, sd) + self.kl_loss(dist, mean_b, sd_b, mean, sd)
