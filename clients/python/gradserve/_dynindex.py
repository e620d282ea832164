"""Indexing by traced integers: `x[i, :, 0:2]` read or written where i is a value of the trace (a loop
counter in a while, say), as MindSpore's graph mode allows.

A read is the engine's dynamic_slice (then the indexed axes dropped); a write `x[i, ...] = v` (rewritten
by _rewrite into `x = setitem(x, (i, ...), v)`) is dynamic_update_slice of v broadcast to the region. The
index may hold ints, traced or constant integer scalars, `...` and slices of step 1. A negative integer
counts from the end; start indices past the end are clamped, as the engine's dynamic ops do.
"""
from __future__ import annotations

import numpy as np

from . import ops
from ._late import late
from ._tensor import Tensor
from .ops import _traced_index


def _int_scalar(it) -> bool:
    return isinstance(it, Tensor) and it.ndim == 0 and it._dtype.startswith("int")


def has_traced_int(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(_int_scalar(it) and it._data is None for it in items)


def _plan(t: Tensor, index):
    """(starts, sizes, axes the ints drop) of an index over t."""
    items = list(index if isinstance(index, tuple) else (index,))
    if sum(it is Ellipsis for it in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in items:
        k = items.index(Ellipsis)
        items[k:k + 1] = [slice(None)] * (t.ndim - len(items) + 1)
    if len(items) > t.ndim:
        raise IndexError(f"too many indices for a Tensor of shape {list(t.shape)}: {len(items)}")
    items += [slice(None)] * (t.ndim - len(items))
    starts, sizes, drop = [], [], []
    for axis, (it, n) in enumerate(zip(items, t.shape)):
        if _int_scalar(it):
            i = ops.cast(it, "int64")
            starts.append(ops.select(i < 0, i + n, i))  # negative: from the end
            sizes.append(1)
            drop.append(axis)
        elif isinstance(it, (int, np.integer)) and not isinstance(it, bool):
            if not -n <= int(it) < n:
                raise IndexError(f"index {int(it)} is out of bounds for axis {axis} with size {n}")
            starts.append(int(it) % n)
            sizes.append(1)
            drop.append(axis)
        elif isinstance(it, slice):
            lo, hi, step = it.indices(n)
            if step != 1:
                raise IndexError(f"a slice with step {step} beside a traced index is not supported (step 1 only)")
            starts.append(lo)
            sizes.append(max(hi - lo, 0))
        else:
            raise IndexError(f"unsupported index {it!r} beside a traced index: use ints, slices of step 1, ... or "
                             "integer scalars")
    starts = [s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype="int64")) for s in starts]
    return starts, sizes, drop


def getitem(t: Tensor, index) -> Tensor:
    t, index = _traced_index.without_none(t, index)
    if any(isinstance(it, slice) and it.step not in (None, 1) for it in
           (index if isinstance(index, tuple) else (index,))):  # a strided slice: gathered positions instead
        return _traced_index.getitem(t, index)
    starts, sizes, drop = _plan(t, index)
    out = ops.dynamic_slice(t, *starts, sizes=tuple(sizes))
    keep = tuple(s for a, s in enumerate(sizes) if a not in drop)
    return ops.reshape(out, keep) if drop else out


def setitem(x, index, value):
    """x with x[index] = value, as a new Tensor (x itself unchanged)."""
    if not isinstance(x, Tensor):
        x[index] = value  # a list, a dict, a NumPy array: Python's own item assignment
        return x
    starts, sizes, drop = _plan(x, index)
    keep = tuple(s for a, s in enumerate(sizes) if a not in drop)
    v = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=x._dtype))
    v = ops.cast(v, x._dtype) if v._dtype != x._dtype else v
    v = ops.reshape(ops.broadcast_to(v, keep), tuple(sizes))
    return ops.dynamic_update_slice(x, v, *starts)


late.bind(dyn_getitem=getitem, dyn_setitem=setitem)
