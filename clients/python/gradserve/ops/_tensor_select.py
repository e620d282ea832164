"""Tensor.select, MindSpore 2.10's two forms: x.select(dim, index) (the slice at index along dim, that axis
dropped) and x.select(condition, y) (ops.select(condition, x, y): x where condition, else y; a Python y must
match x's dtype: int with int32, float with float32)."""
from __future__ import annotations

import numbers

from .._late import late
from .._tensor import Tensor

__all__ = ["tensor_select"]

_SCALAR_DTYPE = {int: "int32", float: "float32"}


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def tensor_select(self, *args, **kwargs):
    if "dim" in kwargs or "index" in kwargs or (len(args) >= 1 and _is_int(args[0])):
        return _slice_at(self, *args, **kwargs)
    condition, y = _where_args(args, kwargs)
    if not isinstance(condition, Tensor):
        raise TypeError(f"For 'Tensor.select', the argument 'condition' must be a bool Tensor, but got "
                        f"{type(condition).__name__}")
    kind = type(y) if type(y) in _SCALAR_DTYPE else None
    if kind is not None and self.dtype.name != _SCALAR_DTYPE[kind]:
        raise TypeError(f"For 'Tensor.select', if the argument 'y' is {kind.__name__}, then the tensor type should be "
                        f"{_SCALAR_DTYPE[kind]} but got {self.dtype}")
    if kind is None and not isinstance(y, Tensor):
        raise TypeError(f"For 'Tensor.select', the argument 'y' must be a Tensor, int or float, but got "
                        f"{type(y).__name__}")
    return late.ops.select(condition, self, y)


def _where_args(args, kwargs):
    names = ("condition", "y")
    if len(args) > 2:
        raise TypeError(f"Tensor.select takes (dim, index) or (condition, y), got {len(args)} arguments")
    got = dict(zip(names, args), **kwargs)
    missing = [n for n in names if n not in got]
    if missing:
        raise TypeError(f"Tensor.select: missing argument {missing[0]!r}")
    return got["condition"], got["y"]


def _slice_at(self, dim=None, index=None):
    if not _is_int(dim) or not _is_int(index):
        raise TypeError(f"For 'Tensor.select', dim and index must be ints, but got {type(dim).__name__} and "
                        f"{type(index).__name__}")
    rank = self.ndim
    if not -rank <= dim < rank:
        raise ValueError(f"For 'Tensor.select', dim must be in [{-rank}, {rank}), but got {dim}")
    dim %= rank
    size = self.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"For 'Tensor.select', index {index} is out of range for dim {dim} of size {size}")
    return self[(slice(None),) * dim + (index,)]
