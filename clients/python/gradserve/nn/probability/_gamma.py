"""nn.probability.distribution.Gamma(concentration a, rate b): density b^a x^(a-1) exp(-b x) / Gamma(a) on x > 0, with
MindSpore 2.10's constructor checks and texts and its closed forms, composed of ops so that each is differentiable in
a and b (parameters given when made or at each call, a call's win). The formulas are applied as written, as MindSpore
2.10 CPU applies them: outside the support log_prob / cdf are nan (log and igamma of a negative), at x = 0 with a = 1
log_prob is nan (0 * log 0); mode is nan where a <= 1. Drawing samples is refused (MindSpore 2.10 CPU has no Gamma
sampling kernel: "Unsupported op [Gamma] on CPU")."""
from __future__ import annotations

import numpy as np

from ... import dtype as _dt
from ... import ops
from ..._tensor import Tensor
from ._bijectors import _FLOATS
from ._distributions import Distribution, checked_name_seed


def _not_given(name: str) -> TypeError:
    return TypeError(f"the type {name} must be subclass of Tensor. It can not be None since it is not specified "
                     "during initialization.")  # (MindSpore 2.10's text)


class Gamma(Distribution):
    """Gamma(concentration=None, rate=None, seed=None, dtype=mstype.float32, name='Gamma')."""

    def __init__(self, concentration=None, rate=None, seed=None, dtype=_dt.float32, name="Gamma"):
        super().__init__()
        seed = checked_name_seed("Gamma", name, seed)
        if not _dt.is_float(dtype):
            raise TypeError(f"For 'Gamma', the 'dtype' should be one of {_FLOATS}, but got "
                            f"'mindspore.{_dt.to_name(dtype)}'.")
        self._dt, self.dtype, self.name, self.seed = _dt.to_name(dtype), dtype, name, seed
        self._a = self._made("concentration", concentration)
        self._b = self._made("rate", rate)
        if self._a is not None and self._b is not None:
            try:
                np.broadcast_shapes(tuple(self._a.shape), tuple(self._b.shape))
            except ValueError:
                raise ValueError(f"For 'Gamma', concentration.shape {tuple(self._a.shape)} and rate.shape "
                                 f"{tuple(self._b.shape)} need to broadcast.") from None

    def _made(self, name: str, value):
        if value is None:
            return None
        if not isinstance(value, Tensor) and np.ndim(value) == 0:
            raise TypeError(f"Input {name} can't be scalar")  # (MindSpore 2.10's text)
        t = self._tensor(value)
        if np.any(t._host_copy() <= 0):
            raise ValueError(f"{name} must be greater than zero.")  # (MindSpore 2.10's text)
        return t

    @property
    def concentration(self):
        return self._a

    @property
    def rate(self):
        return self._b

    def __repr__(self) -> str:
        if self._a is not None and self._b is not None:
            return f"Gamma(batch_shape = {np.broadcast_shapes(tuple(self._a.shape), tuple(self._b.shape))})"
        return f"Gamma(concentration = {self._a}, rate = {self._b})"

    __str__ = __repr__

    def _ab(self, concentration=None, rate=None):
        a = self._tensor(concentration) if concentration is not None else self._a
        b = self._tensor(rate) if rate is not None else self._b
        if a is None:
            raise _not_given("concentration")
        if b is None:
            raise _not_given("rate")
        return a, b

    def log_prob(self, value, concentration=None, rate=None):
        a, b = self._ab(concentration, rate)
        x = self._tensor(value)
        return a * ops.log(b) + (a - 1.0) * ops.log(x) - b * x - ops.lgamma(a)

    def prob(self, value, concentration=None, rate=None):
        return ops.exp(self.log_prob(value, concentration, rate))

    def cdf(self, value, concentration=None, rate=None):
        a, b = self._ab(concentration, rate)
        return ops.igamma(a, b * self._tensor(value))

    def log_cdf(self, value, concentration=None, rate=None):
        return ops.log(self.cdf(value, concentration, rate))

    def survival_function(self, value, concentration=None, rate=None):
        return 1.0 - self.cdf(value, concentration, rate)

    def log_survival(self, value, concentration=None, rate=None):
        return ops.log(self.survival_function(value, concentration, rate))

    def mean(self, concentration=None, rate=None):
        a, b = self._ab(concentration, rate)
        return a / b

    def var(self, concentration=None, rate=None):
        a, b = self._ab(concentration, rate)
        return a / (b * b)

    def sd(self, concentration=None, rate=None):
        a, b = self._ab(concentration, rate)
        return ops.sqrt(a) / b

    def mode(self, concentration=None, rate=None):
        a, b = self._ab(concentration, rate)
        m = (a - 1.0) / b
        return ops.select(ops.greater(a, 1.0), m, ops.full_like(m, float("nan")))

    def entropy(self, concentration=None, rate=None):
        a, b = self._ab(concentration, rate)
        return a - ops.log(b) + ops.lgamma(a) + (1.0 - a) * ops.digamma(a)

    def kl_loss(self, dist, concentration_b, rate_b, concentration=None, rate=None):
        """KL(self || Gamma(a2, b2)) = (a1 - a2) digamma(a1) - lgamma(a1) + lgamma(a2) + a2 (log b1 - log b2)
        + a1 (b2 - b1) / b1."""
        if dist != "Gamma":
            raise ValueError(f"Expected dist input is Gamma, but got {dist}.")  # (MindSpore 2.10's text)
        a1, b1 = self._ab(concentration, rate)
        a2, b2 = self._tensor(concentration_b), self._tensor(rate_b)
        return ((a1 - a2) * ops.digamma(a1) - ops.lgamma(a1) + ops.lgamma(a2) + a2 * (ops.log(b1) - ops.log(b2))
                + a1 * (b2 - b1) / b1)

    def cross_entropy(self, dist, concentration_b, rate_b, concentration=None, rate=None):
        """H(a, b) = H(a) + KL(a || b)."""
        return (self.entropy(concentration, rate)
                + self.kl_loss(dist, concentration_b, rate_b, concentration, rate))

    def sample(self, shape=(), concentration=None, rate=None):
        raise NotImplementedError("Gamma.sample is not implemented by gradserve (MindSpore 2.10 CPU has no Gamma "
                                  "sampling kernel either; its closed forms are: prob, log_prob, cdf, "
                                  "survival_function, mean, var, sd, mode, entropy, kl_loss, cross_entropy)")
