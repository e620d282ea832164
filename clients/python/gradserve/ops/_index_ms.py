"""Writes at index positions: ops.IndexAdd / index_add (slices added at indices along an axis),
ops.index_fill / IndexFill (slices set to a value) and Tensor.fill_diagonal (numpy.fill_diagonal's
positions). Each derivative is that of the ops it is made of."""
from __future__ import annotations

import numpy as np

from .._tensor import Parameter, Tensor
from .._trace import apply
from ._assign import assign
from ._extra import P, any as reduce_any

__all__ = ["IndexAdd", "index_add", "fill_diagonal", "index_fill", "IndexFill"]


def index_add(x, indices, y, axis: int, use_lock: bool = True, check_index_bound: bool = True):
    """ops.index_add: x with the slices of y added at `indices` along `axis`, the result also stored in x when
    it is a Parameter (MindSpore 2.10 writes its input in place, eager and jit; a plain Tensor is left as it
    is here: gradserve's Tensors are values). MindSpore's IndexAdd takes int32 indices in [0, n) only."""
    return stored_index_add(x, _checked_indices(x, indices, axis), y, axis)


def _checked_indices(x, indices, axis: int):
    """MindSpore 2.10's IndexAdd: int32 indices (int64 is its TypeError) in [0, n): a negative one is out of range
    there (its RuntimeError "Launch kernel failed"; the engine's scatter_add would count it from the end), checked
    at run time, where the values are known."""
    if isinstance(indices, Tensor) and indices._dtype != "int32":
        raise TypeError("For primitive[IndexAdd], the input argument[indices type] must be a type of {Tensor[Int32]}, "
                        f"but got Tensor[{indices._dtype.capitalize()}].")
    if not isinstance(indices, Tensor) or not len(x.shape):
        return indices
    n = int(x.shape[int(axis) % len(x.shape)])
    outside = P.logical_or(P.less(indices, 0), P.greater_equal(indices, n))
    flag = reduce_any(outside)
    message = (f"For 'IndexAdd', the indices are out of range: they must lie in [0, {n}) along axis {axis} (MindSpore "
               "2.10: RuntimeError, Launch kernel failed, name: IndexAdd)")
    return apply("check_false", [flag, indices], {"message": message})[0]


def stored_index_add(x, indices, y, axis: int):
    """index_add without IndexAdd's index checks (the fused sparse optimizers' rows)."""
    out = index_added(x, indices, y, axis)
    if isinstance(x, Parameter):
        assign(x, out)
    return out


def index_added(x, indices, y, axis: int):
    """x with the slices of y added at `indices` along `axis` (repeated indices accumulate), x unchanged; d/dx
    the cotangent, d/dy its slices at `indices`."""
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
        return index_add(input_x, indices, y, self.axis)


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


def _filled_along(x, ax: int, index, fill):
    """x with the slices named by index (negatives from the end) along axis ax set to the 0-d fill."""
    n = x.shape[ax] if x.ndim else 1
    idx = P.reshape(P.cast(index, "int64"), (1, -1))
    idx = P.where(P.less(idx, 0), P.add(idx, n), idx)
    eq = P.equal(Tensor(np.arange(n, dtype=np.int64).reshape(-1, 1)), idx)
    hit = P.greater(P.sum(P.cast(eq, "int32"), 1), 0)  # [n]: position i is named by some index
    shape = [1] * x.ndim
    if x.ndim:
        shape[ax] = n
    return P.where(P.reshape(hit, tuple(shape)), P.broadcast_to(fill, tuple(x.shape)), x)


def index_fill(x, axis, index, value):
    """x with the slices at `index` (1-D int32, negatives from the end) along `axis` set to `value` (a number or
    a 0-d Tensor). Gradients: x's cotangent outside those slices; value the sum of the cotangent inside them
    (MindSpore 2.10 gives value none: its bprop returns zeros for it). A known index outside is MindSpore's
    RuntimeError; a traced one outside names no slice. A traced axis (a construct's input) picks among the
    fills along every axis."""
    if not isinstance(index, Tensor) or index.ndim > 1 or index.dtype.name not in ("int32", "int64"):
        raise TypeError(f"index_fill: index must be a 0-d or 1-D int32 / int64 Tensor, got {index!r}")
    fill = P.reshape(P.cast(value if isinstance(value, Tensor) else Tensor(np.asarray(value)), x.dtype), ())
    if isinstance(axis, Tensor) and axis.is_symbolic:
        out = x
        for ax in range(max(x.ndim, 1)):
            chosen = P.logical_or(P.equal(axis, ax), P.equal(axis, ax - x.ndim))
            out = P.where(chosen, _filled_along(x, ax, index, fill), out)
        return out
    ax = int(axis._host_copy()) if isinstance(axis, Tensor) else int(axis)
    if not -x.ndim <= ax < max(x.ndim, 1):
        raise ValueError(f"index_fill: axis {ax} is outside a rank-{x.ndim} input")
    ax %= max(x.ndim, 1)
    n = x.shape[ax] if x.ndim else 1
    if not index.is_symbolic and index.size:
        v = index._host_copy()
        if v.min() < -n or v.max() >= n:
            raise RuntimeError(f"index_fill: index {int(v.min() if v.min() < -n else v.max())} is outside "
                               f"[{-n}, {n - 1}] (axis {ax} of size {n})")
    return _filled_along(x, ax, index, fill)


class IndexFill:
    """ops.IndexFill()(x, dim, index, value): index_fill."""

    def __call__(self, x, dim, index, value):
        return index_fill(x, dim, index, value)
