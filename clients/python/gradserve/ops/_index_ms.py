"""Writes at index positions: ops.IndexAdd / index_add (slices added at indices along an axis) and
Tensor.fill_diagonal (numpy.fill_diagonal's positions). Each derivative is that of the ops it is made of."""
from __future__ import annotations

import numpy as np

from .._tensor import Parameter, Tensor
from .._trace import apply
from ._assign import assign
from ._extra import P

__all__ = ["IndexAdd", "index_add", "fill_diagonal"]


def index_add(x, indices, y, axis: int, use_lock: bool = True, check_index_bound: bool = True):
    """x with the slices of y added at `indices` along `axis` (repeated indices accumulate); d/dx the
    cotangent, d/dy its slices at `indices`."""
    ax = int(axis) % max(len(x.shape), 1)
    if len(indices.shape) != 1:
        raise ValueError(f"index_add: indices must be 1-D, got shape {tuple(indices.shape)}")
    want = tuple(x.shape[:ax]) + (indices.shape[0],) + tuple(x.shape[ax + 1:])
    if tuple(y.shape) != want:
        raise ValueError(f"index_add: y has shape {tuple(y.shape)}, need {want} (x {tuple(x.shape)}, axis {axis}, "
                         f"{indices.shape[0]} indices)")
    added = apply("scatter_add", [y, indices], {"shape": list(x.shape), "axis": ax})[0]
    return P.add(x, added)


class IndexAdd:
    """ops.IndexAdd(axis, use_lock=True, check_index_bound=True)(input_x, indices, y): index_add, the
    result also stored in input_x when it is a Parameter (as MindSpore; under vmap it is a batched value)."""

    def __init__(self, axis: int, use_lock: bool = True, check_index_bound: bool = True):
        self.axis = int(axis)

    def __call__(self, input_x, indices, y):
        out = index_add(input_x, indices, y, self.axis)
        if isinstance(input_x, Parameter):
            assign(input_x, out)
        return out


def fill_diagonal(input, fill_value, wrap=False):  # noqa: A002
    """Tensor.fill_diagonal(fill_value, wrap=False): input with its main diagonal set to fill_value (a new
    tensor; gradserve's Tensors are values). The positions are numpy.fill_diagonal's: a tall 2-D matrix
    with wrap=True starts the diagonal again one row below its end; above 2-D all sizes must be equal."""
    if not isinstance(fill_value, float):  # MindSpore 2.10's FillDiagonal takes a float only
        raise TypeError(f"fill_diagonal: fill_value must be a float, got {type(fill_value).__name__}")
    if input.ndim < 2:
        raise ValueError(f"fill_diagonal: expects a tensor of at least 2 dimensions, got {input.ndim}")
    shape = tuple(int(s) for s in input.shape)
    if input.ndim > 2 and len(set(shape)) != 1:
        raise ValueError(f"fill_diagonal: above 2 dimensions all sizes must be equal, got shape {list(shape)}")
    mask = np.zeros(shape, dtype=bool)
    np.fill_diagonal(mask, True, wrap=bool(wrap))
    return P.select(Tensor(mask), P.cast(Tensor(np.array(fill_value)), input.dtype), input)
