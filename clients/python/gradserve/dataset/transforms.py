"""`mindspore.dataset.transforms`: the type-agnostic steps a Dataset.map runs on a column's NumPy arrays
(TypeCast, Fill, Slice; Compose chains steps). Each is a callable on arrays, as Dataset.map takes."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from ._checks import typed
from .audio import _pipeline_error

__all__ = ["TypeCast", "Fill", "Slice", "Compose"]


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


# MindSpore 2.10's list of the option types in its TypeError text (its own module path included)
_SLICE_TYPES = ("[<class 'int'>, <class 'list'>, <class 'slice'>, <class 'bool'>, <class 'ellipsis'>, "
                "<class 'mindspore.dataset.transforms.transforms._SliceOption'>]")


def _slice_option(opt):
    """One Slice option checked as MindSpore 2.10 checks it (its TypeError texts; a slice without a stop, or with
    step 0, is its RuntimeError "Wrong slice object"); True / None / Ellipsis stand for the whole axis."""
    if opt is True or opt is None or opt is Ellipsis:
        return None
    if opt is False:
        return []
    if isinstance(opt, int):
        return [opt]
    if isinstance(opt, slice):
        if opt.stop is None or opt.step == 0:
            raise _pipeline_error("Wrong slice object")
        return opt
    if not isinstance(opt, list):
        raise TypeError(f"Argument slice with value {opt} is not of type {_SLICE_TYPES}, but got {type(opt)}.")
    for i, v in enumerate(opt):
        if isinstance(v, bool):
            raise TypeError(f"Argument slice[{i}] with value {v} is not of type (<class 'int'>,), but got {type(v)}.")
        if not isinstance(v, int):
            name = "slice_option" if isinstance(v, (list, slice, np.integer)) else "slice"
            raise TypeError(f"Argument {name}[{i}] with value {v} is not of type [<class 'int'>], but got {type(v)}.")
    return list(opt)


def _axis_index(opt, size: int) -> np.ndarray:
    """The positions one option keeps along an axis of `size` (an index keeps its axis: [i])."""
    if opt is None:
        return np.arange(size)
    if isinstance(opt, slice):
        return np.arange(*opt.indices(size))
    out = []
    for i in opt:
        j = i + size if i < 0 else i
        if not 0 <= j < size:  # (MindSpore names the index after adding the size: -6 of 5 is "-1")
            raise _pipeline_error(f"map operation: [Slice] failed. Index {j} is out of bounds.")
        out.append(j)
    return np.asarray(out, dtype=np.int64)


class Slice:
    """Slice(*slices): one option an axis from the first (an int, a list of ints, a slice with a stop; True / None /
    Ellipsis: the whole axis), the rest whole; each axis indexed on its own (outer indexing) and an int keeps its
    axis. MindSpore 2.10's values and texts (probes /work/ms_suite61/probe/p1.py, p2.py): Slice(0) of [1, 2] is [1],
    Slice([1, 0], [3, 0]) of [[1, 2, 3, 4], [5, 6, 7, 8]] is [[8, 5], [4, 1]]."""

    def __init__(self, *slices):
        self._opts = [_slice_option(o) for o in slices]

    def __call__(self, x):
        x = np.asarray(x)
        opts = self._opts
        if any(isinstance(o, list) and not o for o in opts):
            raise _pipeline_error("map operation: [Slice] failed. Both indices and slices can not be empty.")
        if x.ndim == 0 and all(o is None for o in opts):
            raise _pipeline_error("Illegal index: 0, valid range: [0, 0).")
        if len(opts) > x.ndim:
            raise _pipeline_error("map operation: [Slice] failed. Invalid shape, should be greater than slices index.")
        axes = [_axis_index(o, n) for o, n in zip(opts, x.shape)] + [np.arange(n) for n in x.shape[len(opts):]]
        return x[np.ix_(*axes)] if axes else x
