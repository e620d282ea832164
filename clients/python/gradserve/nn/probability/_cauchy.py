"""nn.probability.distribution.Cauchy(loc=None, scale=None, seed=None, dtype=mstype.float32, name='Cauchy'):
MindSpore 2.10's methods and arguments (loc / scale when made or at each call; the other distribution's loc_b /
scale_b for kl_loss and cross_entropy), closed forms composed of ops so that each is differentiable. Its mean,
variance and standard deviation are undefined (MindSpore's ValueErrors). Drawing samples is not supported."""
from __future__ import annotations

import math

from ... import dtype as _dt
from ... import ops
from ._location_scale import LocationScale


class Cauchy(LocationScale):
    """See the module's doc."""

    SCALE_ERROR = "scale must be greater than zero."

    def __init__(self, loc=None, scale=None, seed=None, dtype=_dt.float32, name="Cauchy"):
        super().__init__("Cauchy", loc, scale, seed, dtype, name)

    def _z(self, value, loc, scale):
        return (self._tensor(value) - loc) / scale

    def log_prob(self, value, loc=None, scale=None):
        """-log(pi scale) - log(1 + z^2)."""
        loc, scale = self._params(loc, scale)
        z = self._z(value, loc, scale)
        return -math.log(math.pi) - ops.log(scale) - ops.log1p(z * z)

    def prob(self, value, loc=None, scale=None):
        loc, scale = self._params(loc, scale)
        z = self._z(value, loc, scale)
        return 1.0 / (math.pi * scale * (1.0 + z * z))

    def cdf(self, value, loc=None, scale=None):
        return ops.atan(self._z(value, *self._params(loc, scale))) / math.pi + 0.5

    def survival_function(self, value, loc=None, scale=None):
        return -ops.atan(self._z(value, *self._params(loc, scale))) / math.pi + 0.5

    def mean(self, loc=None, scale=None):
        raise ValueError("mean is undefined for Cauchy distribution.")

    def var(self, loc=None, scale=None):
        raise ValueError("variance is undefined for Cauchy distribution.")

    def sd(self, loc=None, scale=None):
        raise ValueError("standard deviation is undefined for Cauchy distribution.")

    def mode(self, loc=None, scale=None):
        loc, scale = self._params(loc, scale)
        return loc * ops.ones_like(scale)

    def entropy(self, loc=None, scale=None):
        """log(4 pi scale)."""
        loc, scale = self._params(loc, scale)
        return ops.log(scale * (4.0 * math.pi)) + ops.zeros_like(loc)

    def kl_loss(self, dist, loc_b, scale_b, loc=None, scale=None):
        """KL(a || b) = log((scale_a + scale_b)^2 + (loc_a - loc_b)^2) - log(4 scale_a scale_b)."""
        if dist != "Cauchy":
            raise ValueError(f"Expected dist input is Cauchy, but got {dist}.")
        loc_a, scale_a = self._params(loc, scale)
        loc_b, scale_b = self._tensor(loc_b), self._tensor(scale_b)
        d, s = loc_a - loc_b, scale_a + scale_b
        return ops.log(s * s + d * d) - ops.log(4.0 * scale_a * scale_b)

    def cross_entropy(self, dist, loc_b, scale_b, loc=None, scale=None):
        """H(a, b) = H(a) + KL(a || b)."""
        return self.entropy(loc, scale) + self.kl_loss(dist, loc_b, scale_b, loc, scale)

    def sample(self, shape=(), loc=None, scale=None):
        raise NotImplementedError("Cauchy.sample is not implemented by gradserve (its closed forms are: prob, "
                                  "log_prob, cdf, survival_function and their logs, mode, entropy, kl_loss, "
                                  "cross_entropy)")
