"""ops.Unique / unique and mint.unique's `distinct` (their output shape depends on the values: read where traced)
and UniqueWithPad / unique_with_pad (static shapes: runs traced too)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["Unique", "unique", "UniqueWithPad", "unique_with_pad"]


def unique(input):  # noqa: A002
    """(y, idx): the distinct values in order of first appearance and, per element, its position in y (int64
    for an int64 input, else int32: MindSpore 2.10). y's length depends on the values (see `distinct`); y is the
    input gathered at each value's first appearance (the derivative where the values are distinct; MindSpore's
    CPU has no UniqueGrad kernel)."""
    if isinstance(input, Tensor) and input._dtype in ("bool", "uint32", "uint64"):  # (its CPU kernel's dtypes)
        raise TypeError(f"Select CPU operator[Unique] fail! Unsupported data type! (For 'Unique', the input's dtype "
                        f"must not be {input.dtype}.)")
    y, inverse, _ = distinct(input, None, False, "unique: its output shape depends on the values, which this trace "
                             "does not know (an exported graph, a loop body, vmap); call it on concrete Tensors",
                             equal_nan=False)
    return y, Tensor(inverse.astype(np.int64 if input._dtype == "int64" else np.int32))


def distinct(input, dim, ascending: bool, unknown: str, equal_nan: bool = True):  # noqa: A002
    """(values, inverse, counts) of input (flattened where dim is None; else its slices along dim): the distinct
    values (slices) ascending or in order of first appearance, input gathered at each one's first appearance
    (a concrete input: a constant); per element (slice) its position among them, input's shape (dim's length);
    each one's count (NumPy arrays). The output shape depends on the values: a traced input needs its value in
    this call (gradserve._value_reads; the trace is specialised on it), else TypeError `unknown`. equal_nan False
    (ops.unique, flattened): each NaN a value of its own, as MindSpore 2.10's Unique ([nan, 1, nan] -> 3 values)."""
    known = input._value()
    if known is None:
        raise TypeError(unknown)
    arr = np.asarray(known)
    axis = None if dim is None else int(dim) % max(arr.ndim, 1)
    nan_kw = {} if axis is not None or equal_nan else {"equal_nan": False}
    _, first, inverse, counts = np.unique(arr.reshape(-1) if axis is None else arr, return_index=True,
                                          return_inverse=True, return_counts=True, axis=axis, **nan_kw)
    inverse = inverse.reshape(arr.shape if axis is None else (arr.shape[axis],))
    if not ascending:
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        first, inverse, counts = first[order], rank[inverse], counts[order]
    whole = P.reshape(input, (-1,)) if axis is None else input
    if input._data is not None:
        return Tensor(np.take(arr.reshape(-1) if axis is None else arr, first, axis=axis or 0)), inverse, counts
    return P.gather(whole, Tensor(first.astype(np.int64)), axis or 0), inverse, counts


class Unique:
    def __call__(self, input_x):
        return unique(input_x)


_UNIQUE_PAD_MAX = 4096  # a length-n input compares every pair (n x n): a clear refusal beyond this


def unique_with_pad(x, pad_num):
    """UniqueWithPad()(x [n], pad_num) -> (y [n], idx [n]): y the distinct values in order of first
    appearance, then pad_num; idx[i] the position of x[i] in y (int32). Made of static-shape ops (every
    pair compared), so it also runs traced (graph mode, vmap)."""
    if x.ndim != 1:
        raise ValueError(f"UniqueWithPad: x must be 1-D, got shape {list(x.shape)} (vmap it for a batch)")
    n = int(x.shape[0])
    if n > _UNIQUE_PAD_MAX:
        raise ValueError(f"UniqueWithPad: x has {n} elements, more than the {_UNIQUE_PAD_MAX} this "
                         f"all-pairs form handles; use ops.unique on a concrete tensor")
    same = P.equal(P.expand_dims(x, 1), P.expand_dims(x, 0))  # [i, j]: x[i] == x[j]
    first = P.argmax(P.cast(same, "int32"), axis=1)  # the first j with x[j] == x[i]
    position = Tensor(np.arange(n, dtype=np.int32))
    is_first = P.equal(P.cast(first, "int32"), position)
    slot = P.sub(P.cumsum(P.cast(is_first, "int32"), axis=0), P.cast(Tensor(np.array(1)), "int32"))
    idx = P.gather(slot, P.cast(first, "int32"), 0)
    # y[k] = the x[i] that is a first appearance with slot k; pad_num where no i has slot k
    owner = P.logical_and(P.expand_dims(is_first, 0), P.equal(P.expand_dims(slot, 0), P.expand_dims(position, 1)))
    zero = P.zeros_like(x)
    y = P.cast(P.sum(P.select(owner, P.broadcast_to(P.expand_dims(x, 0), (n, n)),
                              P.broadcast_to(P.expand_dims(zero, 0), (n, n))), 1), x.dtype)  # sum widens ints
    filled = P.greater(P.sum(P.cast(owner, "int32"), 1), P.cast(Tensor(np.array(0)), "int32"))
    pad = P.cast(Tensor(np.array(pad_num)), x.dtype)
    return P.select(filled, y, P.broadcast_to(pad, (n,))), P.cast(idx, "int32")


class UniqueWithPad:
    def __call__(self, x, pad_num):
        return unique_with_pad(x, pad_num)
