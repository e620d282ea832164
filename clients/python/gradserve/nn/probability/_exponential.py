"""nn.probability.distribution.Exponential: density rate * exp(-rate * x) on x >= 0, MindSpore 2.10's methods and
arguments (rate given when made or at each call, a call's win; the other distribution's rate_b for kl_loss and
cross_entropy), closed forms composed of ops so that each is differentiable in the rate. Below 0 the density is 0
(log_prob -inf), cdf 0 and survival 1, as MindSpore 2.10 gives; prob is exp(log_prob) as MindSpore computes it (at
x = 0 and rate 2 both give 2.0000005 in float32). Drawing samples is not supported."""
from __future__ import annotations

import numpy as np

from ... import dtype as _dt
from ... import ops
from ..._tensor import Tensor
from ._bijectors import _FLOATS
from ._distributions import Distribution, checked_name_seed

_NOT_GIVEN = "the type rate must be subclass of Tensor. It can not be None since it is not specified during initialization."


class Exponential(Distribution):
    """Exponential(rate=None, seed=None, dtype=mstype.float32, name='Exponential')."""

    def __init__(self, rate=None, seed=None, dtype=_dt.float32, name="Exponential"):
        super().__init__()
        seed = checked_name_seed("Exponential", name, seed)
        if not _dt.is_float(dtype):
            raise TypeError(f"For 'Exponential', the 'dtype' should be one of {_FLOATS}, but got "
                            f"'mindspore.{_dt.to_name(dtype)}'.")
        self._dt, self.dtype, self.name, self.seed = _dt.to_name(dtype), dtype, name, seed
        self._rate = None if rate is None else self._tensor(rate)
        if self._rate is not None and np.any(self._rate._host_copy() <= 0):
            raise ValueError("rate must be greater than zero.")  # (MindSpore 2.10's text; a rate at a call is not checked)

    @property
    def rate(self):
        return self._rate

    def __repr__(self) -> str:
        if self._rate is not None and self._rate.shape:
            return f"Exponential(batch_shape = {tuple(self._rate.shape)})"
        return f"Exponential(rate = {self._rate})"

    __str__ = __repr__

    def _r(self, rate=None) -> Tensor:
        if rate is not None:
            return self._tensor(rate)
        if self._rate is None:
            raise TypeError(_NOT_GIVEN)
        return self._rate

    def _on_support(self, value, inside_at):
        """inside_at(x) where x >= 0 (the density's support), 0 below it."""
        x = self._tensor(value)
        inside = inside_at(x)
        return ops.select(ops.broadcast_to(ops.lt(x, 0.0), inside.shape), ops.zeros_like(inside), inside)

    def log_prob(self, value, rate=None):
        r = self._r(rate)
        x = self._tensor(value)
        # + log(1) on the support, + log(0) = -inf below it (computed: a -inf constant has no JSON form)
        return ops.log(r) - r * x + ops.log(ops.cast(ops.greater_equal(x, ops.zeros_like(x)), self._dt))

    def prob(self, value, rate=None):
        return ops.exp(self.log_prob(value, rate))

    def cdf(self, value, rate=None):
        r = self._r(rate)
        return self._on_support(value, lambda x: 1.0 - ops.exp(-r * x))

    def log_cdf(self, value, rate=None):
        return ops.log(self.cdf(value, rate))

    def log_survival(self, value, rate=None):
        r = self._r(rate)
        return self._on_support(value, lambda x: -r * x)

    def survival_function(self, value, rate=None):
        return ops.exp(self.log_survival(value, rate))

    def mean(self, rate=None):
        return 1.0 / self._r(rate)

    sd = mean

    def mode(self, rate=None):
        return ops.zeros_like(self._r(rate))

    def var(self, rate=None):
        r = self._r(rate)
        return 1.0 / (r * r)

    def entropy(self, rate=None):
        return 1.0 - ops.log(self._r(rate))

    def kl_loss(self, dist, rate_b, rate=None):
        """KL(a || b) = log(a / b) + b / a - 1."""
        if dist != "Exponential":
            raise ValueError(f"Expected dist input is Exponential, but got {dist}.")
        a, b = self._r(rate), self._tensor(rate_b)
        return ops.log(a) - ops.log(b) + b / a - 1.0

    def cross_entropy(self, dist, rate_b, rate=None):
        """H(a, b) = H(a) + KL(a || b)."""
        return self.entropy(rate) + self.kl_loss(dist, rate_b, rate)

    def sample(self, shape=(), rate=None):
        raise NotImplementedError("Exponential.sample is not implemented by gradserve (its closed forms are: prob, "
                                  "log_prob, cdf, survival_function, mean, var, sd, entropy, kl_loss, cross_entropy)")
