"""ops.Unique / unique (its output shape depends on the values: read where traced) and UniqueWithPad /
unique_with_pad (static shapes: runs traced too)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["Unique", "unique", "UniqueWithPad", "unique_with_pad"]


def unique(input):  # noqa: A002
    """(y, idx): the distinct values in order of first appearance and, per element, its position in y.
    y's length depends on the values: a traced input needs its value in this call (gradserve._value_reads;
    the trace is specialised on it), and y is then the input gathered at each value's first appearance
    (the derivative where the values are distinct; MindSpore's CPU has no UniqueGrad kernel)."""
    known = input._value()
    if known is None:
        raise TypeError("unique: its output shape depends on the values, which this trace does not know "
                        "(an exported graph, a loop body, vmap); call it on concrete Tensors")
    flat = np.asarray(known).reshape(-1)
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    kind = np.int64 if input._dtype == "int64" else np.int32  # (MindSpore 2.10: int64 input -> Int64, else Int32)
    idx = Tensor(rank[inverse.reshape(-1)].reshape(input.shape).astype(kind))
    if input._data is not None:
        return Tensor(flat[np.sort(first)]), idx
    return P.gather(P.reshape(input, (-1,)), Tensor(np.sort(first).astype(np.int64)), 0), idx


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
