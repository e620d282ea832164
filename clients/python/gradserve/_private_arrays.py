"""Arrays only the SDK holds: a Tensor's own copy of the array it was made from, never handed out since.

The shared memory path (gradserve._shm) compares an unchanged large input's bytes with those already in its
region before it skips writing them (issue #13: parameter values are data, uploaded once). For a sealed array
that compare is skipped when it is the very array last placed there: nothing can have written into it since.
The SDK never writes into a sealed array (its in-place methods, item assignment, set_data and the optimizers
give the Tensor a new one; only an array already handed out is written, kept_through_write), and user code can reach a Tensor's own array only through `t.asnumpy()` (shared,
as MindSpore's on CPU), `Tensor.from_numpy` or `np.asarray(t)`, which release the array, and every array it
views, for good (asnumpy() first gives the Tensor a copy of its own, and an eager op's view of a released array
is copied: no other Tensor sees a write through it): from then on it is compared byte for byte, as every other
array is (a user's own array, a result viewing a shared region, an op's result).

A Parameter seals its own array whatever its size: a frozen Parameter's value is part of its registered graph
(gradserve._trace._frozen), so a trace reused call after call must learn of a NumPy write into it. `releases`
counts the arrays handed out; only when it moved does a program look for frozen Parameters whose array is
sealed no more (and makes them data with each job: gradserve._trace.Program.ref), never comparing bytes.
"""
from __future__ import annotations

import weakref
from typing import Any, TypeVar, cast

import numpy as np

SEAL_BYTES = 64 * 1024  # smaller arrays never go by shared memory (gradserve._shm.THRESHOLD): not worth sealing


class _Ref(weakref.ref):
    """A weak reference to an array that knows its key (its id), so that one module-level callback removes its
    entry: no closure made per entry, as WeakValueDictionary's Python-level pop and a closure per entry cost
    an L1 step ~3 us (its loss's asnumpy(): three pops and two entries)."""
    __slots__ = ("key",)
    key: int


def _entry(table: dict, a: np.ndarray) -> None:
    """table[id(a)] = a weak reference to a, removed once a is gone."""
    r = _Ref(a, _forget_sealed if table is _sealed else _forget_released)
    r.key = id(a)
    table[r.key] = r


def _forget_sealed(r: _Ref) -> None:
    if _sealed.get(r.key) is r:  # (the id may name a newer array already: keep its entry)
        del _sealed[r.key]


def _forget_released(r: _Ref) -> None:
    if _released.get(r.key) is r:
        del _released[r.key]


# Sealed arrays: id -> a weak reference to the array. Arrays handed out (any size): the same. Plain dicts, not
# WeakValueDictionary: a cached trace looks up each captured Tensor on every call, and asnumpy() of each answer
# releases it, while WeakValueDictionary's get and pop are Python code (~0.3-0.5 us each).
_sealed: "dict[int, _Ref]" = {}
_released: "dict[int, _Ref]" = {}
releases = [0]  # how many times a sealed array was handed to user code (release)


def seal(a: np.ndarray, any_size: bool = False) -> None:
    """a, an array the caller just made and owns alone (a copy; no view of it exists), is the SDK's own.
    any_size: sealed however small (a Parameter's: its value may be part of a registered graph)."""
    if (any_size or a.nbytes >= SEAL_BYTES) and a.base is None:
        _entry(_sealed, a)


def sealed(a: np.ndarray) -> bool:
    """Whether nothing outside the SDK can hold a, or any view of its memory."""
    r = _sealed.get(id(a))
    return r is not None and r() is a


def release(a) -> None:
    """a is handed to user code: it, and the arrays it views (its base chain, through memoryviews and NumPy's
    stride-trick wrappers), are sealed no more."""
    seen, unsealed = 0, False
    while a is not None and seen < 64:
        r = _sealed.pop(id(a), None)  # (an entry of a dead array: none; callbacks run when an array goes)
        unsealed = r is not None and r() is a or unsealed
        if isinstance(a, np.ndarray) and not handed_out(a):
            _entry(_released, a)
        a = a.obj if isinstance(a, memoryview) else getattr(a, "base", None)
        seen += 1
    if unsealed:  # (only then can a frozen Parameter's array have gone: asnumpy() of a loss each step costs nothing)
        releases[0] += 1


def handed_out(a: np.ndarray) -> bool:
    """Whether a itself (not an array it views) went to user code: Tensor.asnumpy() gives it out again as it is."""
    r = _released.get(id(a))
    return r is not None and r() is a


def released(a: np.ndarray) -> bool:
    """Whether a, or an array it views, went to user code (asnumpy(), np.asarray(t)): it may have been written."""
    if not _released:
        return False
    seen, cur = 0, cast(Any, a)
    while cur is not None and seen < 64:
        r = _released.get(id(cur))
        if r is not None and r() is cur:
            return True
        cur = cur.obj if isinstance(cur, memoryview) else getattr(cur, "base", None)
        seen += 1
    return False


_Kept = TypeVar("_Kept", bound="np.ndarray | None")


def kept_through_write(old: "np.ndarray | None", new: _Kept) -> _Kept:
    """The array a Tensor keeps when an in-place write replaces its array old by new: old itself, now holding
    new's values, when old went to user code (asnumpy() / np.asarray()) and is memory of its own of new's shape
    and dtype (MindSpore 2.10's CPU Tensor keeps its buffer through item assignment and a Parameter's Assign, so
    an array obtained before sees the write); else new. old is released already: nothing sealed is written."""
    if (old is None or new is None or old is new or not handed_out(old) or old.base is not None
            or not old.flags.writeable or old.shape != new.shape or old.dtype != new.dtype):
        return new
    np.copyto(old, new)
    return cast(_Kept, old)
