"""What Normal, LogNormal and Cauchy share: a distribution of a location and a positive scale (Normal's mean / sd, LogNormal's
loc / scale of log X), made with them or given at each call (a call's win), checked as MindSpore 2.10 checks them,
and what follows from the closed forms each defines (prob, the logs of cdf and survival function, the KL of the two
normals, no sampling)."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ... import dtype as _dt
from ... import ops
from ..._tensor import Tensor
from ._distributions import Distribution, checked_name_seed

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_NOT_GIVEN = "the type {} must be subclass of Tensor. It can not be None since it is not specified during initialization."


def normal_kl(mean_a, sd_a, mean_b, sd_b):
    """KL(N(mean_a, sd_a) || N(mean_b, sd_b)) (LogNormal's too: that of the two normals of the logs)."""
    d = mean_a - mean_b
    return ops.log(sd_b / sd_a) + (sd_a * sd_a + d * d) / (2.0 * sd_b * sd_b) - 0.5


class LocationScale(Distribution):
    """The base of Normal, LogNormal and Cauchy; NAMES: what their errors call the two parameters; SCALE_ERROR:
    MindSpore 2.10's text for a scale <= 0."""

    NAMES = ("loc", "scale")
    SCALE_ERROR = "Standard deviation must be greater than zero."
    # each subclass's closed forms, with its own parameter names (what prob and the logs below are made of)
    log_prob: Callable[..., Tensor]
    cdf: Callable[..., Tensor]
    survival_function: Callable[..., Tensor]

    def __init__(self, kind: str, loc, scale, seed, dtype, name: str):
        super().__init__()
        seed = checked_name_seed(kind, name, seed)
        if not _dt.is_float(dtype):
            raise TypeError(f"For '{name}', the 'dtype' should be a float type (float16, float32 or float64), "
                            f"but got '{dtype}'.")
        self._kind = kind
        self._dt, self.dtype, self.name, self.seed = _dt.to_name(dtype), dtype, name, seed
        self._loc = None if loc is None else self._tensor(loc)
        self._scale = None if scale is None else self._positive(self._tensor(scale))
        if self._loc is not None and self._scale is not None:
            try:
                np.broadcast_shapes(self._loc.shape, self._scale.shape)
            except ValueError:
                a, b = self.NAMES
                raise ValueError(f"For '{name}', the shapes of {a} {self._loc.shape} and {b} {self._scale.shape} "
                                 "must broadcast") from None

    @property
    def loc(self):
        return self._loc

    @property
    def scale(self):
        return self._scale

    def _tensor(self, value) -> Tensor:
        return value.astype(self._dt) if isinstance(value, Tensor) else Tensor(np.asarray(value, self._dt))

    def _positive(self, scale: Tensor) -> Tensor:
        if scale._data is not None and not np.all(np.asarray(scale._data) > 0):
            raise ValueError(self.SCALE_ERROR)
        return scale

    def _params(self, loc=None, scale=None) -> tuple[Tensor, Tensor]:
        loc_t = self._loc if loc is None else self._tensor(loc)
        scale_t = self._scale if scale is None else self._tensor(scale)
        if loc_t is None:
            raise TypeError(_NOT_GIVEN.format(self.NAMES[0]))
        if scale_t is None:
            raise TypeError(_NOT_GIVEN.format(self.NAMES[1]))
        return loc_t, scale_t

    # (*params, **named: the subclass's own parameter names, mean / sd or loc / scale, passed on as given)
    def prob(self, value, *params, **named):
        return ops.exp(self.log_prob(value, *params, **named))

    def log_cdf(self, value, *params, **named):
        return ops.log(self.cdf(value, *params, **named))

    def log_survival(self, value, *params, **named):
        return ops.log(self.survival_function(value, *params, **named))

    def _kl(self, dist, loc_b, scale_b, loc, scale):
        """KL(a || b) = log(sb / sa) + (sa^2 + (la - lb)^2) / (2 sb^2) - 1/2, b of the same kind."""
        if dist != self._kind:
            raise ValueError(f"Expected dist input is {self._kind}, but got {dist}.")
        return normal_kl(*self._params(loc, scale), self._tensor(loc_b), self._tensor(scale_b))

    def sample(self, shape=(), *params, **named):
        raise NotImplementedError(f"{self._kind}.sample is not implemented by gradserve (its closed forms are: prob, "
                                  "log_prob, cdf, survival_function and their logs, mean, mode, sd, var, entropy, "
                                  "kl_loss, cross_entropy)")
