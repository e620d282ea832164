"""PyNative views: Tensors that share storage, as MindSpore 2.10's PyNative Tensors do (checked on CPU: `x[0]`,
`x[:, 1:]`, `x[None]`, `x[..., 0]`, reshape / view / flatten / ravel / view_as (of a contiguous Tensor), transpose /
T / permute / swapaxes / movedim, expand_dims / unsqueeze / squeeze, narrow / chunk / select give a view of x:
an item assignment through the view is seen in x, and a later one into x (or another view of it) is seen by the
view; a reshape of a transposed Tensor is a copy there).

gradserve's arrays are never written once made (see _private_arrays), so a group of Tensors sharing storage
keeps one root array and each member the NumPy view function that gives its value from it (no copies: each
member's array is a NumPy view of the root). A write into a member (an item assignment, an in-place method)
puts the member's new value into a copy of the root through that function and hands every live member its view
of the new root. A member given a new buffer (MindSpore's item assignment with a list / mask / Tensor index)
leaves the group (`leave`). Concrete Tensors only: inside a trace (construct, jit, grad) values are not linked.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from . import _private_arrays

View = Callable[[np.ndarray], np.ndarray]
# the Tensor types never linked: Parameter (its value is written by assign / set_data; set by _tensor, which imports
# this module)
UNLINKED: tuple = ()


class _Storage:
    """The root array of a group of Tensors sharing storage, and its live members (id -> (weak Tensor, view))."""

    def __init__(self, root: np.ndarray) -> None:
        self.root = root
        self.members: dict[int, tuple[weakref.ref, View]] = {}

    def add(self, t: Any, fn: View) -> None:
        key = id(t)
        members = self.members

        def gone(ref, key=key):
            if members.get(key, (None,))[0] is ref:
                del members[key]
        self.members[key] = (weakref.ref(t, gone), fn)
        t.__dict__["_gs_storage"] = (self, fn)

    def move_to(self, root: np.ndarray) -> None:
        """The group's storage is root now: every live member gets its view of it."""
        self.root = root
        for ref, fn in list(self.members.values()):
            m = ref()
            if m is not None:
                m._data = fn(root)


def _same(a: np.ndarray) -> np.ndarray:
    return a


def link(out: Any, parent: Any, fn: View, contiguous_only: bool = False, read_only: bool = False) -> None:
    """out, just computed from parent (both concrete, PyNative), is the view fn(parent) of parent's storage:
    its array becomes that NumPy view. contiguous_only: a view only where parent's array is C-contiguous
    (MindSpore's reshape / view copies a non-contiguous Tensor). Nothing is linked where fn does not give a view
    of out's shape (a copy). read_only: fn gives a read-only view (a broadcast: it sees writes into its source,
    and a write into it gives it a buffer of its own)."""
    if (parent._data is None or out._data is None or isinstance(parent, UNLINKED) or isinstance(out, UNLINKED)
            or out is parent):
        return
    if contiguous_only and not parent._data.flags.c_contiguous:
        return
    info = parent.__dict__.get("_gs_storage")
    if info is None or info[0].members.get(id(parent), (None,))[0] is None:
        storage = _Storage(parent._data)
        storage.add(parent, _same)
        info = parent.__dict__["_gs_storage"]
    storage, pfn = info

    def member(a: np.ndarray) -> np.ndarray:
        return fn(pfn(a))
    try:
        v = member(storage.root)
    except (ValueError, IndexError):
        return
    if (v.shape != tuple(out.shape) or v.dtype != out._data.dtype or not (v.flags.writeable or read_only)
            or not np.may_share_memory(v, storage.root)):
        return
    out._data = v
    storage.add(out, member)


def leave(t: Any) -> None:
    """t takes a buffer of its own (MindSpore's item assignment with an advanced index): the others keep theirs."""
    info = t.__dict__.pop("_gs_storage", None)
    if info is not None:
        info[0].members.pop(id(t), None)
        if t._data is not None and np.may_share_memory(t._data, info[0].root):
            t._data = t._data.copy()


def member(t: Any) -> bool:
    info = t.__dict__.get("_gs_storage")
    return info is not None and info[0].members.get(id(t), (None,))[0] is not None


def wrote(t: Any) -> None:
    """t (a member) was given a new value by an in-place write: into the storage, seen by every member."""
    if not member(t) or t._data is None:
        return
    storage, fn = t.__dict__["_gs_storage"]
    if not fn(storage.root).flags.writeable:  # (a broadcast's view)
        leave(t)
        return
    old = storage.root
    root = old.copy()
    fn(root)[...] = t._data
    # an array handed to user code (asnumpy()) keeps its buffer through the write, as MindSpore's CPU Tensor
    storage.move_to(_private_arrays.kept_through_write(old, root))


def own_array(t: Any) -> np.ndarray | None:
    """The array asnumpy() hands out for a member, as MindSpore 2.10's (checked): a view's is a copy (a write into it
    changes neither the view nor its source); the source's is the storage itself (a write into it is seen by every
    view, made before or after). The storage first moves to a fresh root (no array the SDK made before is handed
    out), members refreshed. None: t is no member."""
    if not member(t):
        return None
    storage, fn = t.__dict__["_gs_storage"]
    if fn is not _same:
        return t._data.copy()
    if not _private_arrays.handed_out(storage.root):
        storage.move_to(storage.root.copy())
    return storage.root


def _sliced(axis: int, lo: int, hi: int) -> View:
    at = (slice(None),) * axis + (slice(lo, hi),)
    return lambda a: a[at]


def _transposed(perm):
    return lambda a: a.transpose(tuple(reversed(range(a.ndim))) if perm is None else tuple(perm))


def eager_op(op: str, inputs: list, attrs: dict, outs: list) -> list:
    """An eager op's results, those of a view op (reshape, expand_dims, squeeze, transpose, broadcast_to, split:
    so split / chunk / unbind) linked to its input."""
    if op == "split" and inputs:
        axis = attrs["axis"] % max(inputs[0].ndim, 1)
        lo = 0
        for out in outs:  # (its parts in order: each one's extent along axis, whether sections or indices)
            link(out, inputs[0], _sliced(axis, lo, lo + out.shape[axis]))
            lo += out.shape[axis]
    elif op in VIEW_OPS and len(outs) == 1 and inputs and not isinstance(outs[0], (list, tuple)):
        out = outs[0]
        if op == "transpose":
            link(out, inputs[0], _transposed(attrs.get("perm")))
        elif op == "broadcast_to":
            shape = tuple(out.shape)
            link(out, inputs[0], lambda a: np.broadcast_to(a, shape), read_only=True)
        else:
            shape = tuple(out.shape)
            link(out, inputs[0], lambda a: a.reshape(shape), contiguous_only=op == "reshape")
    return outs


VIEW_OPS = frozenset({"reshape", "expand_dims", "squeeze", "transpose", "broadcast_to", "split"})


def basic_index(index) -> tuple | None:
    """index as a NumPy basic index where MindSpore 2.10's getitem gives a view (ints, slices, None, ...), else None
    (a list, a Tensor, a bool: a copy there)."""
    parts = index if isinstance(index, tuple) else (index,)
    out: list[Any] = []
    for i in parts:
        if isinstance(i, (bool, np.bool_)):
            return None
        if isinstance(i, (int, np.integer)) or i is None or i is Ellipsis:
            out.append(i)
        elif isinstance(i, slice) and all(p is None or isinstance(p, (int, np.integer)) and not isinstance(p, bool)
                                          for p in (i.start, i.stop, i.step)):
            out.append(i)
        else:
            return None
    return tuple(out)


def diagonal(offset: int, dim1: int, dim2: int) -> View:
    """The view of ops.diagonal (NumPy's diagonal, made writable: a write through it is MindSpore's too)."""
    def view(a: np.ndarray) -> np.ndarray:
        v = a.diagonal(offset, dim1, dim2)
        v.flags.writeable = True  # (ValueError where a is read-only: then no view, link)
        return v
    return view
