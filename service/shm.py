"""Large tensors between the server and its workers through POSIX shared memory.

A tensor ref is either ("inline", ndarray) (small: pickled with the message) or
("shm", name, shape, dtype_str) (large: one copy into a segment, a view on the other side).
Segments are not handed to multiprocessing's resource tracker: their owner unlinks them
(the server for inputs once the job is over, the server for outputs once it has read them).
"""
from __future__ import annotations

from multiprocessing import resource_tracker
from multiprocessing.shared_memory import SharedMemory

import _posixshmem

import numpy as np


def _untrack(shm: SharedMemory) -> SharedMemory:
    try:
        resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - tracker not running
        pass
    return shm


def create(nbytes: int) -> SharedMemory:
    return _untrack(SharedMemory(create=True, size=max(1, nbytes)))


def attach(name: str) -> SharedMemory:
    return _untrack(SharedMemory(name=name))


def _unlink(seg: SharedMemory) -> None:
    """shm_unlink without SharedMemory.unlink's second unregister (the tracker never knew the segment)."""
    try:
        _posixshmem.shm_unlink(seg._name)  # type: ignore[attr-defined]
    except FileNotFoundError:
        pass


def put(a: np.ndarray, threshold: int, owned: list) -> tuple:
    """A ref for `a`; segments created are appended to `owned` (SharedMemory objects) for the caller to free."""
    a = np.asarray(a)
    if a.nbytes < threshold or a.nbytes == 0:
        # ascontiguousarray returns ndim >= 1: keep 0-d tensors 0-d
        return ("inline", np.ascontiguousarray(a).reshape(a.shape))
    seg = create(a.nbytes)
    dst = np.ndarray(a.shape, dtype=a.dtype, buffer=seg.buf)
    np.copyto(dst, a, casting="no")
    del dst
    owned.append(seg)
    return ("shm", seg.name, a.shape, a.dtype.str)


def get(ref: tuple, attached: list) -> np.ndarray:
    """The array of a ref: a view on the segment for shm refs (attached segments appended to `attached`)."""
    if ref[0] == "inline":
        return ref[1]
    _, name, shape, dt = ref
    seg = attach(name)
    attached.append(seg)
    return np.ndarray(shape, dtype=np.dtype(dt), buffer=seg.buf)


def take(ref: tuple) -> np.ndarray:
    """Copy a ref's array out and unlink its segment (the receiver owns output segments)."""
    if ref[0] == "inline":
        return ref[1]
    _, name, shape, dt = ref
    seg = attach(name)
    try:
        out = np.empty(shape, dtype=np.dtype(dt))
        src = np.ndarray(shape, dtype=np.dtype(dt), buffer=seg.buf)
        np.copyto(out, src)
        del src
    finally:
        seg.close()
        _unlink(seg)
    return out


def close_all(segs: list, unlink_too: bool = False) -> None:
    for seg in segs:
        try:
            seg.close()
        except BufferError:  # a view is still alive somewhere; the mapping goes with the process
            pass
        if unlink_too:
            _unlink(seg)
    segs.clear()
