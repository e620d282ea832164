"""MindSpore's elementwise scatter along an axis (torch's scatter): ops.scatter(input, axis, index, src),
ops.tensor_scatter_elements(input_x, indices, updates, axis=0, reduction="none") and its class
TensorScatterElements(axis=0, reduction="none"), over the engine's scatter (ONNX ScatterElements):
out[..index[i, j]..] = src[i, j] along axis (reduction "add": added). MindSpore 2.10's CPU kernel wants index and
src of one shape, no larger than input on the other axes; a repeated index keeps the last value written in
index's row-major order (MindSpore 2.10's CPU kernel: `ops.scatter` / `mint.scatter` of rows [1, 1] give src's second
row; was their sum), while the gradient reaches every src value written there (MindSpore 2.10 and torch: src's
gradient is the output's gathered at index; the losing duplicates' was 0 here)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from .._trace import apply
from ._extra import P
from ._assign import zero_carrying_gradient
from ._primitives import _out, stop_gradient

__all__ = ["scatter", "tensor_scatter_elements", "TensorScatterElements"]


def _elements(x, indices, updates, axis, reduction: str, where: str):
    for name, t in (("input", x), ("index", indices), ("src", updates)):
        if not isinstance(t, Tensor):
            raise TypeError(f"For '{where}', '{name}' must be a Tensor, got {type(t).__name__}")
    if indices._dtype not in ("int32", "int64"):
        raise TypeError(f"For '{where}', 'index' must be int32 or int64, got {indices._dtype}")
    if tuple(indices.shape) != tuple(updates.shape):
        raise ValueError(f"For '{where}', the shape of 'index' and the shape of 'src' should be same, but got "
                         f"index shape: {list(indices.shape)}; src shape: {list(updates.shape)}")
    if indices.ndim != x.ndim:
        raise ValueError(f"For '{where}', 'index' must have the rank of 'input' ({x.ndim}), got {indices.ndim}")
    if reduction not in ("none", "add"):
        raise ValueError(f"For '{where}', 'reduction' must be 'none' or 'add', got {reduction!r}")
    if isinstance(axis, bool) or not isinstance(axis, int) or not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"For '{where}', 'axis' must be an int in [-{x.ndim}, {x.ndim}), got {axis!r}")
    if updates._dtype != x._dtype:
        raise TypeError(f"For '{where}', 'src' must have the dtype of 'input' ({x._dtype}), got {updates._dtype}")
    ax = axis % max(x.ndim, 1)
    if any(int(i) > int(n) for d, (i, n) in enumerate(zip(indices.shape, x.shape)) if d != ax):
        raise ValueError(f"For '{where}', 'index' {list(indices.shape)} must not be larger than 'input' "
                         f"{list(x.shape)} on an axis but {ax}")
    if reduction == "none":
        return _last_written(x, indices, updates, ax)
    # index may be smaller than input on the other axes (the engine's scatter wants them equal): pad it and src
    # with zeros there
    idx, vals = _pad(indices, x, ax), _pad(updates, x, ax)
    spec = {"shape": [int(n) for n in x.shape], "axis": ax}
    return P.add(x, _out(apply("scatter_add_along", [vals, idx], spec)))


def _last_written(x, indices, updates, ax: int):
    """x with updates written at indices along ax, a repeated target keeping the last write: each element's flat
    position in x (its index along ax, its own coordinates elsewhere) through tensor_scatter_update, whose
    repeated rows keep the last."""
    shape = [int(n) for n in x.shape]
    strides = np.cumprod([1] + shape[:0:-1])[::-1]
    grid = np.indices(tuple(indices.shape))
    others = sum(grid[d] * strides[d] for d in range(len(shape)) if d != ax)
    idx = P.select(P.less(indices, 0), indices + shape[ax], indices)  # (a negative index counts from the end)
    flat = P.add(P.mul(idx, int(strides[ax])), Tensor(np.asarray(others, np.dtype(indices._dtype))))
    carry = updates._dtype != "bool"  # (bool: no gradient, and no sub)
    last = P.reshape(late.ops.tensor_scatter_update(P.reshape(x, (-1,)), P.reshape(flat, (-1, 1)),
                                                    P.reshape(stop_gradient(updates) if carry else updates, (-1,))),
                     tuple(shape))
    if not carry:
        return last
    # the values: the last write; src's gradient: every write's (zeros carrying each src value's gradient, summed
    # where written; a src value that is not finite gets none)
    zeros = zero_carrying_gradient(updates)
    return P.add(last, _out(apply("scatter_add_along", [_pad(zeros, x, ax), _pad(idx, x, ax)], {"shape": shape, "axis": ax})))



def _pad(t, like, ax: int):
    for d in range(t.ndim):
        short = int(like.shape[d]) - int(t.shape[d])
        if d != ax and short > 0:
            shape = list(t.shape)
            shape[d] = short
            t = P.concat((t, Tensor(np.zeros(shape, np.dtype(t._dtype)))), d)
    return t


def scatter(input, axis, index, src):  # noqa: A002 - MindSpore's names
    return _elements(input, index, src, axis, "none", "scatter")


def tensor_scatter_elements(input_x, indices, updates, axis=0, reduction="none"):
    return _elements(input_x, indices, updates, axis, reduction, "tensor_scatter_elements")


class TensorScatterElements:
    def __init__(self, axis=0, reduction="none"):
        self.axis, self.reduction = axis, reduction

    def __call__(self, data, indices, updates):  # MindSpore's names
        return _elements(data, indices, updates, self.axis, self.reduction, "TensorScatterElements")
