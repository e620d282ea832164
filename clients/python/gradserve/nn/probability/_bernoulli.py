"""nn.probability.distribution.Bernoulli: the Bernoulli distribution's closed forms (MindSpore 2.10's methods and
arguments: probs given at construction or to each call, the other distribution's probs_b for kl_loss and
cross_entropy), composed of ops so that each is differentiable in the probabilities. Drawing samples is not
supported (gradserve's random draws are its own: ops/_random_draws)."""
from __future__ import annotations

import numpy as np

from ... import dtype as _dt
from ... import ops
from ..._tensor import Tensor
from ._distributions import Distribution, checked_name_seed

_DTYPES = _dt.FLOAT + ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")  # (MindSpore 2.10's)
_EPS = float(np.finfo(np.float32).eps)  # prob / log_prob clamp the probability into [eps, 1 - eps] (MindSpore 2.10)


class Bernoulli(Distribution):
    """Bernoulli(probs=None, seed=None, dtype=mstype.int32, name='Bernoulli'): P(1) = probs."""

    def __init__(self, probs=None, seed=None, dtype=_dt.int32, name="Bernoulli"):
        super().__init__()
        seed = checked_name_seed("Bernoulli", name, seed)
        if _dt.to_name(dtype) not in _DTYPES:
            raise TypeError(f"For 'Bernoulli', the 'dtype' should be an int or float type, but got '{dtype}'.")
        if probs is not None:
            probs = probs if isinstance(probs, Tensor) else Tensor(np.asarray(probs, np.float32))
            p = probs._host_copy()
            if np.any(p <= 0):  # (MindSpore 2.10's check and texts: 0 and 1 refused when made, clamped when given)
                raise ValueError("Probabilities must be greater than zero")
            if np.any(p >= 1):
                raise ValueError("Probabilities must be less than one")
        self._probs, self.seed, self.dtype, self.name = probs, seed, dtype, name

    @property
    def probs(self):
        return self._probs

    def _p(self, probs1=None):
        if probs1 is not None:
            return probs1 if isinstance(probs1, Tensor) else Tensor(np.asarray(probs1, np.float32))
        if self._probs is None:
            raise TypeError("the type probs must be subclass of Tensor. It can not be None since it is not "
                            "specified during initialization.")
        return self._probs

    @staticmethod
    def _other(dist, probs1_b):
        if dist != "Bernoulli":
            raise ValueError(f"Expected dist input is Bernoulli, but got {dist}.")
        return probs1_b if isinstance(probs1_b, Tensor) else Tensor(np.asarray(probs1_b, np.float32))

    def mean(self, probs1=None):
        return self._p(probs1)

    def mode(self, probs1=None):
        p = self._p(probs1)
        return ops.cast(ops.gt(p, 0.5), self.dtype)

    def var(self, probs1=None):
        p = self._p(probs1)
        return p * (1 - p)

    def sd(self, probs1=None):
        return ops.sqrt(self.var(probs1))

    def entropy(self, probs1=None):
        p = self._p(probs1)
        return -(ops.xlogy(p, p) + ops.xlogy(1 - p, 1 - p))

    def log_prob(self, value, probs1=None):
        p, x = ops.clamp(self._p(probs1), _EPS, 1.0 - _EPS), ops.cast(value, "float32")
        return ops.xlogy(x, p) + ops.xlogy(1 - x, 1 - p)

    def prob(self, value, probs1=None):
        return ops.exp(self.log_prob(value, probs1))

    def cdf(self, value, probs1=None):
        """P(X <= value): 0 below 0, 1 - p on [0, 1), 1 from 1."""
        p, x = self._p(probs1), ops.cast(value, "float32")
        return ops.select(ops.lt(x, 0.0), ops.zeros_like(x * p), ops.select(ops.lt(x, 1.0), (1 - p) + 0 * x,
                                                                              ops.ones_like(x * p)))

    def log_cdf(self, value, probs1=None):
        return ops.log(self.cdf(value, probs1))

    def survival_function(self, value, probs1=None):
        return 1 - self.cdf(value, probs1)

    def log_survival(self, value, probs1=None):
        return ops.log(self.survival_function(value, probs1))

    def kl_loss(self, dist, probs1_b, probs1_a=None):
        """KL(a || b) = a log(a / b) + (1 - a) log((1 - a) / (1 - b))."""
        b, a = self._other(dist, probs1_b), self._p(probs1_a)
        return ops.xlogy(a, a) - ops.xlogy(a, b) + ops.xlogy(1 - a, 1 - a) - ops.xlogy(1 - a, 1 - b)

    def cross_entropy(self, dist, probs1_b, probs1_a=None):
        """H(a, b) = H(a) + KL(a || b)."""
        return self.entropy(probs1_a) + self.kl_loss(dist, probs1_b, probs1_a)

    def sample(self, shape=(), probs1=None):
        raise NotImplementedError("Bernoulli.sample is not implemented by gradserve (its closed forms are: "
                                  "prob, log_prob, cdf, mean, var, sd, entropy, kl_loss, cross_entropy)")

