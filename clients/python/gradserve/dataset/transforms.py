"""`mindspore.dataset.transforms`: the type-agnostic steps a Dataset.map runs on a column's NumPy arrays
(TypeCast, Fill; Compose chains steps). Each is a callable on arrays, as Dataset.map takes."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from ._checks import typed

__all__ = ["TypeCast", "Fill", "Compose"]


class TypeCast:
    """TypeCast(data_type): the array as data_type (a mindspore dtype or a NumPy one)."""

    def __init__(self, data_type):
        try:
            self._np = np.dtype(_dt.to_name(data_type) if not isinstance(data_type, (type, np.dtype)) else data_type)
        except (TypeError, ValueError, KeyError) as err:
            raise TypeError(f"TypeCast: data_type must be a mindspore or NumPy dtype, got {data_type!r}") from err

    def __call__(self, x):
        return np.asarray(x).astype(self._np)


def _kind(dt: np.dtype) -> str:
    """MindSpore dataset's name of an array's type (its error texts name them so)."""
    return {"U": "string", "S": "bytes"}.get(dt.kind, dt.name)


class Fill:
    """Fill(fill_value): an array of the input's shape and type, every element fill_value cast to that type as C
    casts (MindSpore 2.10: Fill(-3) on uint8 is 253, Fill(3.7) on int32 is 3, Fill(300) on int8 is 44); a string
    or bytes value only onto an array of its own kind (MindSpore's RuntimeError otherwise)."""

    def __init__(self, fill_value):
        typed("fill_value", fill_value, (str, float, bool, int, bytes))
        self._value = fill_value

    def __call__(self, x):
        x = np.asarray(x)
        value = np.asarray(self._value)
        if (value.dtype.kind in "US" or x.dtype.kind in "US") and value.dtype.kind != x.dtype.kind:
            raise RuntimeError("Fill: fill_value and the input tensor must be of the same data type when involving "
                               f"strings or bytes, but got fill_value data type {_kind(value.dtype)} and input "
                               f"tensor data type {_kind(x.dtype)}")
        if x.dtype.kind in "US":  # the value whole (MindSpore 2.10: Fill(b'abc') onto [b'A'] is [b'abc'])
            return np.full(x.shape, value)
        if x.dtype == np.float16:  # MindSpore 2.10 fills no float16 column (Fill(2.5) too)
            raise RuntimeError("map operation: [Fill] failed. Template type and Tensor type are not compatible")
        with np.errstate(over="ignore", invalid="ignore"):  # (1e39 onto float32 is inf, as MindSpore's)
            return np.full(x.shape, value.astype(x.dtype), dtype=x.dtype)


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
