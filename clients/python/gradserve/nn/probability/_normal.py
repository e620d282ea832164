"""nn.probability.distribution.Normal(mean=None, sd=None, seed=None, dtype=mstype.float32, name='Normal'):
MindSpore 2.10's methods and arguments (mean / sd given when made or at each call, a call's win; the other
distribution's mean_b / sd_b for kl_loss and cross_entropy), closed forms composed of ops so that each is
differentiable in the value and the parameters. Drawing samples is not supported."""
from __future__ import annotations

import math

import numpy as np

from ... import dtype as _dt
from ... import ops
from ..._tensor import Tensor
from ._distributions import Distribution, checked_name_seed

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_NOT_GIVEN = "the type {} must be subclass of Tensor. It can not be None since it is not specified during initialization."


def normal_kl(mean_a, sd_a, mean_b, sd_b):
    """KL(N(mean_a, sd_a) || N(mean_b, sd_b)) (LogNormal's too: that of the two normals of the logs)."""
    d = mean_a - mean_b
    return ops.log(sd_b / sd_a) + (sd_a * sd_a + d * d) / (2.0 * sd_b * sd_b) - 0.5


def refuse_sample(cls: str):
    raise NotImplementedError(f"{cls}.sample is not implemented by gradserve (its closed forms are: prob, log_prob, "
                              "cdf, survival_function and their logs, mean, mode, sd, var, entropy, kl_loss, "
                              "cross_entropy)")


class Normal(Distribution):
    """See the module's doc."""

    def __init__(self, mean=None, sd=None, seed=None, dtype=_dt.float32, name="Normal"):
        super().__init__()
        seed = checked_name_seed("Normal", name, seed)
        if not _dt.is_float(dtype):
            raise TypeError(f"For '{name}', the 'dtype' should be a float type (float16, float32 or float64), "
                            f"but got '{dtype}'.")
        self._dt, self.dtype, self.name, self.seed = _dt.to_name(dtype), dtype, name, seed
        self._mean = None if mean is None else self._tensor(mean)
        self._sd = None if sd is None else self._positive(self._tensor(sd))
        if self._mean is not None and self._sd is not None:
            try:
                np.broadcast_shapes(self._mean.shape, self._sd.shape)
            except ValueError:
                raise ValueError(f"For '{name}', the shapes of mean {self._mean.shape} and sd {self._sd.shape} must "
                                 "broadcast") from None

    def _tensor(self, v) -> Tensor:
        return v.astype(self._dt) if isinstance(v, Tensor) else Tensor(np.asarray(v, self._dt))

    @staticmethod
    def _positive(sd: Tensor) -> Tensor:
        if sd._data is not None and not np.all(np.asarray(sd._data) > 0):
            raise ValueError("Standard deviation must be greater than zero.")
        return sd

    def _params(self, mean=None, sd=None) -> tuple[Tensor, Tensor]:
        mean_t = self._mean if mean is None else self._tensor(mean)
        sd_t = self._sd if sd is None else self._tensor(sd)
        if mean_t is None:
            raise TypeError(_NOT_GIVEN.format("mean"))
        if sd_t is None:
            raise TypeError(_NOT_GIVEN.format("sd"))
        return mean_t, sd_t

    def _z(self, value, mean, sd):
        return (self._tensor(value) - mean) / sd

    def log_prob(self, value, mean=None, sd=None):
        mean, sd = self._params(mean, sd)
        z = self._z(value, mean, sd)
        return -0.5 * z * z - ops.log(sd) - _HALF_LOG_2PI

    def prob(self, value, mean=None, sd=None):
        return ops.exp(self.log_prob(value, mean, sd))

    def cdf(self, value, mean=None, sd=None):
        return 0.5 * ops.erfc(-self._z(value, *self._params(mean, sd)) / math.sqrt(2.0))

    def log_cdf(self, value, mean=None, sd=None):
        return ops.log(self.cdf(value, mean, sd))

    def survival_function(self, value, mean=None, sd=None):
        return 0.5 * ops.erfc(self._z(value, *self._params(mean, sd)) / math.sqrt(2.0))

    def log_survival(self, value, mean=None, sd=None):
        return ops.log(self.survival_function(value, mean, sd))

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
        return ops.log(sd) + 0.5 + _HALF_LOG_2PI + ops.zeros_like(mean)

    def kl_loss(self, dist, mean_b, sd_b, mean=None, sd=None):
        """KL(a || b) = log(sd_b / sd_a) + (sd_a^2 + (mean_a - mean_b)^2) / (2 sd_b^2) - 1/2."""
        if dist != "Normal":
            raise ValueError(f"Expected dist input is Normal, but got {dist}.")
        return normal_kl(*self._params(mean, sd), self._tensor(mean_b), self._tensor(sd_b))

    def cross_entropy(self, dist, mean_b, sd_b, mean=None, sd=None):
        """H(a, b) = H(a) + KL(a || b)."""
        return self.entropy(mean, sd) + self.kl_loss(dist, mean_b, sd_b, mean, sd)

    def sample(self, shape=(), mean=None, sd=None):
        refuse_sample("Normal")
