"""Laplace and HalfNormal of `mindspore.nn.probability.distribution`, with what MindSpore 2.10 implements for them:
log_prob and prob (its other methods raise NotImplementedError for these two, and so do they here).

Each distribution is a Cell: its parameters are given when it is made or at each call (a call's win), as
MindSpore's; the value and the parameters broadcast. HalfNormal's log_prob is computed in log space (MindSpore
takes the log of its prob, which underflows to -inf about 13 standard deviations out; the two agree inside)."""
from __future__ import annotations

import math

import numpy as np

from ... import dtype as _dt
from ..._cellbase import Cell
from ..._tensor import Tensor
from ... import ops as _ops


def _param(value, dtype: str, name: str, where: str):
    if value is None:
        return None
    t = value.astype(dtype) if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype))
    if t._data is not None and not np.all(t._data > 0) and name == "sd":
        raise ValueError(f"For '{where}', `sd` must be greater than zero, but got {np.asarray(t._data).tolist()}")
    return t


def checked_name_seed(cls: str, name, seed) -> int:
    """MindSpore 2.10's checks of distribution cls's name and seed (None: 0), with its texts; the seed."""
    if not isinstance(name, str):
        raise TypeError(f"For '{cls}', the type of 'name' should be 'str', but got type "
                        f"'{type(name).__name__}'.")
    seed = 0 if seed is None else seed
    if isinstance(seed, bool):
        raise TypeError(f"For '{name}', the 'seed' must be int and must >= 0, but got '{seed}' with type 'bool'.")
    if not isinstance(seed, int):
        raise TypeError(f"For '{name}', the 'seed' must be int, but got '{type(seed).__name__}'")
    if seed < 0:
        raise ValueError(f"For '{name}', the 'seed' must be int and must >= 0, but got '{seed}' with type 'int'.")
    return seed


class Distribution(Cell):
    """The base of the distributions (MindSpore's `Distribution(seed, dtype, name, param)`): a call's first argument
    names the method; a method the subclass does not define is MindSpore's NotImplementedError."""

    def __init__(self, seed=None, dtype=_dt.float32, name: str = "Distribution", param=None):
        super().__init__()
        self.seed, self.name, self.parameters = seed, name, dict(param or {})

    _dt: str  # the engine's name of the dtype, set by the subclasses that use _tensor

    def construct(self, name: str, *args, **kwargs):
        return getattr(self, name)(*args, **kwargs)

    def _tensor(self, value) -> Tensor:
        """value as a Tensor of the distribution's dtype (the same Tensor where it is one already)."""
        if isinstance(value, Tensor):
            return value if value._dtype == self._dt else value.astype(self._dt)
        return Tensor(np.asarray(value, self._dt))


def _not_implemented(method: str):
    def refuse(self, *args, **kwargs):
        raise NotImplementedError(f"{method} is not implemented for {self.name} distribution.")  # (MindSpore's text)
    refuse.__name__ = method
    return refuse


for _method in ("prob", "log_prob", "cdf", "log_cdf", "survival_function", "log_survival", "sd", "var", "mode", "mean",
                "entropy", "kl_loss", "cross_entropy", "sample"):
    setattr(Distribution, _method, _not_implemented(_method))


class _Distribution(Distribution):
    """Parameters (mean, sd) given when made or at the call; log_prob / prob only."""

    def __init__(self, mean=None, sd=None, seed=None, dtype=_dt.float32, name: str = "Distribution"):
        super().__init__()
        if not _dt.is_float(dtype):
            raise TypeError(f"For '{name}', the dtype must be a float type (float16, float32 or float64), "
                            f"but got {dtype}")
        self._dt, self.name, self.seed = _dt.to_name(dtype), name, seed
        self._mean = _param(mean, self._dt, "mean", name)
        self._sd = _param(sd, self._dt, "sd", name)

    def _params(self, mean, sd):
        mean = self._mean if mean is None else _param(mean, self._dt, "mean", self.name)
        sd = self._sd if sd is None else _param(sd, self._dt, "sd", self.name)
        if mean is None or sd is None:
            raise ValueError(f"For '{self.name}', mean and sd must be given when it is made or when it is called")
        return mean, sd

    def log_prob(self, value, mean=None, sd=None) -> Tensor:
        x = value.astype(self._dt) if isinstance(value, Tensor) else Tensor(np.asarray(value, self._dt))
        return self._log_prob(x, *self._params(mean, sd))

    def prob(self, value, mean=None, sd=None) -> Tensor:
        return _ops.exp(self.log_prob(value, mean, sd))

    def _log_prob(self, x, mean, sd):
        raise NotImplementedError


def _refused(what: str):
    def method(self, *a, **k):
        raise NotImplementedError(f"{what} is not implemented for {type(self).__name__} distribution.")
    method.__name__ = what
    return method


# MindSpore 2.10 implements log_prob / prob alone for these two: its other methods raise, and so do ours
for _what in ("cdf", "log_cdf", "survival_function", "log_survival", "mean", "mode", "sd", "var", "entropy", "sample"):
    setattr(_Distribution, _what, _refused(_what))


class Laplace(_Distribution):
    """Laplace(mean, sd): log_prob = -log(2 sd) - |x - mean| / sd."""

    def __init__(self, mean=None, sd=None, seed=None, dtype=_dt.float32, name: str = "Laplace"):
        super().__init__(mean, sd, seed, dtype, name)

    def _log_prob(self, x, mean, sd):
        return -_ops.log(sd * 2.0) - _ops.abs(x - mean) / sd


class HalfNormal(_Distribution):
    """HalfNormal(mean, sd): log_prob = log(sqrt(2 / pi) / sd) - (x - mean)^2 / (2 sd^2) for x >= 0, -inf below 0.
    MindSpore 2.10's support is x >= 0 whatever the mean (scipy's halfnorm's is x >= loc; they agree for mean 0)."""

    def __init__(self, mean=None, sd=None, seed=None, dtype=_dt.float32, name: str = "HalfNormal"):
        super().__init__(mean, sd, seed, dtype, name)

    def _log_prob(self, x, mean, sd):
        z = (x - mean) / sd
        inside = 0.5 * math.log(2.0 / math.pi) - _ops.log(sd) - 0.5 * z * z
        # + log(1) on the support, + log(0) = -inf below it (computed: a -inf constant has no JSON form)
        return inside + _ops.log(_ops.cast(_ops.greater_equal(x, _ops.zeros_like(x)), inside.dtype))


__all__ = ["Distribution", "Laplace", "HalfNormal"]
