"""Cauchy's loc / scale plumbing: the parameters given when made or at each call (a call's win), cast to the
distribution's float dtype, scale checked positive when its value is known, with MindSpore 2.10's texts. (Normal
and LogNormal hold the same plumbing; main's _location_scale.LocationScale now shares it between them, and Cauchy
should take that base when this branch is merged.)"""
from __future__ import annotations

import numpy as np

from ... import dtype as _dt
from ..._tensor import Tensor
from ._distributions import Distribution, checked_name_seed

_NOT_GIVEN = "the type {} must be subclass of Tensor. It can not be None since it is not specified during initialization."


class LocScale(Distribution):
    """A distribution of a location and a scale (subclasses: _NAMES, MindSpore's names of the two; _SCALE_ERROR,
    its text for a scale <= 0)."""

    _NAMES = ("loc", "scale")
    _SCALE_ERROR = "scale must be greater than zero."

    def __init__(self, loc, scale, seed, dtype, name: str):
        super().__init__()
        seed = checked_name_seed(type(self).__name__, name, seed)
        if not _dt.is_float(dtype):
            raise TypeError(f"For '{name}', the 'dtype' should be a float type (float16, float32 or float64), "
                            f"but got '{dtype}'.")
        self._dt, self.dtype, self.name, self.seed = _dt.to_name(dtype), dtype, name, seed
        self._loc = None if loc is None else self._tensor(loc)
        self._scale = None if scale is None else self._tensor(scale)
        if self._scale is not None:
            self._positive(self._scale)
        if self._loc is not None and self._scale is not None:
            try:
                np.broadcast_shapes(self._loc.shape, self._scale.shape)
            except ValueError:
                raise ValueError(f"For '{name}', the shapes of {self._NAMES[0]} {self._loc.shape} and {self._NAMES[1]} "
                                 f"{self._scale.shape} must broadcast") from None

    @property
    def loc(self):
        return self._loc

    @property
    def scale(self):
        return self._scale

    def _tensor(self, v) -> Tensor:
        return v.astype(self._dt) if isinstance(v, Tensor) else Tensor(np.asarray(v, self._dt))

    def _positive(self, scale: Tensor) -> None:
        if scale._data is not None and not np.all(np.asarray(scale._data) > 0):
            raise ValueError(self._SCALE_ERROR)

    def _params(self, loc=None, scale=None) -> tuple[Tensor, Tensor]:
        loc_t = self._loc if loc is None else self._tensor(loc)
        scale_t = self._scale if scale is None else self._tensor(scale)
        if loc_t is None:
            raise TypeError(_NOT_GIVEN.format(self._NAMES[0]))
        if scale_t is None:
            raise TypeError(_NOT_GIVEN.format(self._NAMES[1]))
        return loc_t, scale_t
