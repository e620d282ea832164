"""`x[index]` and `x[index] = value` where the index holds traced integer arrays (a construct's Tensor input
used as an index), with NumPy's advanced-indexing rules, as MindSpore's graph mode allows.

Which elements are named depends on the arrays' values, but the result's shape does not (the arrays'
broadcast shape, the slices' lengths), so the flat positions are computed in the graph: each advanced part
(an integer array or integer) adds index * stride over the broadcast shape, each slice adds its host
range * stride over its own axis of the result. A read gathers x flattened at those positions; a write
scatters value (broadcast to the result's shape) there, so derivatives flow as for gather / scatter.
Negative indices count from the end; out-of-range ones are the caller's (the engine's gather clamps).
Writes through repeated indices keep one of the values (which one is not defined, as in MindSpore)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._scatter_ms import tensor_scatter_update


def has_traced_array(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(it, Tensor) and it._data is None and it.ndim > 0 and it._dtype.startswith(("int", "uint"))
               for it in parts)


def without_none(x: Tensor, index):
    """(x with a length-1 axis where each None of a read's index stands, the index with those Nones as full
    slices): NumPy's and MindSpore's result (a None is a new axis and, like a slice, parts advanced indices)."""
    items = list(index if isinstance(index, tuple) else (index,))
    if not any(it is None for it in items) or sum(it is Ellipsis for it in items) > 1:
        return x, index
    used = sum(1 for it in items if it is not None and it is not Ellipsis)
    shape, axis = list(x.shape), 0
    for it in items:
        if it is Ellipsis:
            axis += max(x.ndim - used, 0)
        elif it is None:
            shape.insert(axis, 1)
            axis += 1
        else:
            axis += 1
    return P.reshape(x, tuple(shape)), tuple(slice(None) if it is None else it for it in items)


def _parts(x: Tensor, index, where: str) -> list:
    items = list(index if isinstance(index, tuple) else (index,))
    if sum(it is Ellipsis for it in items) > 1:
        raise IndexError(f"{where}: an index can only have a single ellipsis ('...')")
    if any(it is None or isinstance(it, (bool, np.bool_)) for it in items):  # (a read's Nones: without_none)
        raise IndexError(f"{where}: None and bool beside a traced index array are not supported")
    if Ellipsis in items:
        k = items.index(Ellipsis)
        items[k:k + 1] = [slice(None)] * (x.ndim - len(items) + 1)
    if len(items) > x.ndim:
        raise IndexError(f"{where}: too many indices for a Tensor of shape {list(x.shape)}: {len(items)}")
    return items + [slice(None)] * (x.ndim - len(items))


def _advanced(it) -> bool:
    return not isinstance(it, slice)


def _as_index(it, n: int) -> Tensor:
    """An advanced part as an int64 Tensor, negative values counted from the end."""
    if isinstance(it, list):
        it = np.asarray([v._host_copy() if isinstance(v, Tensor) else v for v in it])
    if not isinstance(it, Tensor):
        arr = np.asarray(it)
        if arr.dtype.kind not in "iu":
            raise IndexError(f"index arrays beside a traced index must hold integers, got {arr.dtype}")
        return Tensor(np.where(arr < 0, arr + n, arr).astype(np.int64))
    if not it._dtype.startswith(("int", "uint")):
        raise IndexError(f"index Tensors beside a traced index array must hold integers, got {it.dtype}")
    t = P.cast(it, "int64")
    return P.select(P.less(t, 0), P.add(t, n), t)


def positions(x: Tensor, index, where: str):
    """(flat positions Tensor of the result's shape, the result's shape)."""
    items = _parts(x, index, where)
    strides = np.cumprod((list(x.shape[1:]) + [1])[::-1])[::-1].astype(np.int64)
    adv_axes = [a for a, it in enumerate(items) if _advanced(it)]
    adv = {a: _as_index(items[a], x.shape[a]) for a in adv_axes}
    bshape = tuple(np.broadcast_shapes(*(tuple(t.shape) for t in adv.values())))
    adjacent = adv_axes == list(range(adv_axes[0], adv_axes[-1] + 1))
    # the result's axes: the slices' in order, with the broadcast block first or at the first advanced part
    layout: list[tuple[str, int]] = []  # ("adv", -1): the broadcast block of the advanced parts
    placed = False
    for a, it in enumerate(items):
        if _advanced(it):
            if adjacent and not placed:
                layout.append(("adv", -1))
                placed = True
            continue
        layout.append(("slice", a))
    if not adjacent:
        layout.insert(0, ("adv", -1))
    shape: list[int] = []
    offsets: list = []
    for kind, a in layout:
        shape.extend(bshape if kind == "adv" else [len(range(*items[a].indices(x.shape[a])))])
    pos = None
    dim = 0
    for kind, a in layout:
        if kind == "adv":
            lead, tail = dim, len(shape) - dim - len(bshape)
            for ax in adv_axes:
                t = P.broadcast_to(adv[ax], bshape) if tuple(adv[ax].shape) != bshape else adv[ax]
                t = P.reshape(P.mul(t, int(strides[ax])), (1,) * lead + bshape + (1,) * tail)
                offsets.append(t)
            dim += len(bshape)
        else:
            r = np.arange(*items[a].indices(x.shape[a]), dtype=np.int64) * strides[a]
            view = [1] * len(shape)
            view[dim] = r.size
            offsets.append(Tensor(r.reshape(view)))
            dim += 1
    for t in offsets:
        pos = t if pos is None else P.add(pos, t)
    return P.broadcast_to(pos, tuple(shape)), tuple(shape)


def getitem(x: Tensor, index) -> Tensor:
    x, index = without_none(x, index)
    pos, shape = positions(x, index, "Tensor indexing")
    flat = P.gather(P.reshape(x, (-1,)), P.reshape(pos, (-1,)), 0)
    return P.reshape(flat, shape)


def setitem(x: Tensor, index, value) -> Tensor:
    """x with x[index] = value, as a new Tensor."""
    pos, shape = positions(x, index, "Tensor item assignment")
    if isinstance(value, (tuple, list)):
        value = P.stack([v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=x._dtype)) for v in value], 0) \
            if any(isinstance(v, Tensor) for v in value) else Tensor(np.asarray(value, dtype=x._dtype))
    v = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=x._dtype))
    v = P.cast(v, x._dtype) if v._dtype != x._dtype else v
    try:
        v = P.broadcast_to(v, shape) if tuple(v.shape) != shape else v
    except Exception as e:  # noqa: BLE001 - re-raised with the shapes named
        raise ValueError(f"Tensor item assignment: a value of shape {list(v.shape)} does not broadcast to the "
                         f"indexed shape {list(shape)} of a Tensor of shape {list(x.shape)}") from e
    flat = tensor_scatter_update(P.reshape(x, (-1,)), P.reshape(pos, (-1, 1)), P.reshape(v, (-1,)))
    return P.reshape(flat, tuple(x.shape))
