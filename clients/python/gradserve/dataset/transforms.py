"""`mindspore.dataset.transforms`: the type-agnostic steps a Dataset.map runs on a column's NumPy arrays
(TypeCast; Compose chains steps). Each is a callable on arrays, as Dataset.map takes."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt

__all__ = ["TypeCast", "Compose"]


class TypeCast:
    """TypeCast(data_type): the array as data_type (a mindspore dtype or a NumPy one)."""

    def __init__(self, data_type):
        try:
            self._np = np.dtype(_dt.to_name(data_type) if not isinstance(data_type, (type, np.dtype)) else data_type)
        except (TypeError, ValueError, KeyError) as err:
            raise TypeError(f"TypeCast: data_type must be a mindspore or NumPy dtype, got {data_type!r}") from err

    def __call__(self, x):
        return np.asarray(x).astype(self._np)


class Compose:
    """Compose(transforms): the steps one after the other (a step's tuple output is the next one's arguments)."""

    def __init__(self, transforms):
        if not isinstance(transforms, (list, tuple)) or not transforms or not all(callable(t) for t in transforms):
            raise TypeError("Compose: transforms must be a non-empty list of callables")
        self._steps = list(transforms)

    def __call__(self, *args):
        vals = args
        for step in self._steps:
            vals = step(*vals)
            vals = vals if isinstance(vals, tuple) else (vals,)
        return vals[0] if len(vals) == 1 else vals
