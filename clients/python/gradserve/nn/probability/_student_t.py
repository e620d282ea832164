"""nn.probability.distribution.StudentT(df, mean, sd): MindSpore 2.10 implements log_prob and prob alone (its other
methods raise NotImplementedError, as the base Distribution's here). log_prob is the closed form
-(df + 1) / 2 log1p(y^2 / df) - log|sd| - log(df) / 2 - log(pi) / 2 - lgamma(df / 2) + lgamma((df + 1) / 2),
y = (x - mean) / sd, composed of ops so that it is differentiable in the value and the parameters (given when
made or at each call, a call's win)."""
from __future__ import annotations

import math

import numpy as np

from ... import dtype as _dt
from ... import ops
from ._bijectors import _FLOATS
from ._distributions import Distribution, checked_name_seed
from ._gamma import _not_given


class StudentT(Distribution):
    """StudentT(df=None, mean=None, sd=None, seed=None, dtype=mstype.float32, name='StudentT')."""

    def __init__(self, df=None, mean=None, sd=None, seed=None, dtype=_dt.float32, name="StudentT"):
        seed = checked_name_seed("StudentT", name, seed)
        if not _dt.is_float(dtype):
            raise TypeError(f"For 'StudentT', the 'dtype' should be one of {_FLOATS}, but got "
                            f"'mindspore.{_dt.to_name(dtype)}'.")
        super().__init__(seed, dtype, name, {"df": df, "mean": mean, "sd": sd})
        self._dt, self.dtype = _dt.to_name(dtype), dtype
        self._df, self._mean, self._sd = (None if v is None else self._tensor(v) for v in (df, mean, sd))
        # MindSpore 2.10's order and texts
        for t, what in ((self._sd, "Standard deviation"), (self._df, "Degrees of freedom")):
            if t is not None and np.any(t._host_copy() <= 0):
                raise ValueError(f"{what} must be greater than zero.")

    def _params(self, df, mean, sd):
        out = []
        for name, given, made in (("df", df, self._df), ("mean", mean, self._mean), ("sd", sd, self._sd)):
            t = self._tensor(given) if given is not None else made
            if t is None:
                raise _not_given(name)
            out.append(t)
        return out

    def log_prob(self, value, df=None, mean=None, sd=None):
        df, mean, sd = self._params(df, mean, sd)
        y = (self._tensor(value) - mean) / sd
        # lgamma((df + 1) / 2) - lgamma(df / 2) in float64: in float32 the two cancel to noise for a large df
        # (df 1e6: prob 0.368 at 0.5, MindSpore 2.10's 0.327, SciPy's 0.35207)
        wide = ops.cast(df, _dt.float64)
        ratio = ops.cast(ops.lgamma(0.5 * (wide + 1.0)) - ops.lgamma(0.5 * wide), df.dtype)
        return (-0.5 * (df + 1.0) * ops.log1p(y * y / df) - ops.log(ops.abs(sd)) - 0.5 * ops.log(df)
                - 0.5 * math.log(math.pi) + ratio)

    def prob(self, value, df=None, mean=None, sd=None):
        return ops.exp(self.log_prob(value, df, mean, sd))
