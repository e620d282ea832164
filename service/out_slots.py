"""Reused shared-memory segments for large worker outputs.

Without them every large output costs a fresh segment: the worker allocates and faults in its
pages, the server maps them again, and both are thrown away after the response (about 80 ms of
S2's 64 MiB output on the benchmark machine, most of the job's time). With them a segment is
created once, stays mapped on both sides with its pages resident, and later outputs are a copy
into it.

The server owns the slots, one set per worker (a worker runs one job at a time, so a slot is
never written by two jobs). Ownership moves like this:

- A worker writes an output that fits no free slot into a fresh segment, as before; the server
  adopts that segment as a slot of the worker (within `cap` bytes, evicting the least recently
  used free slots), instead of unlinking its name.
- Each job message lists the worker's slots as (name, size, free). The worker may write only
  into the free ones, one output each; it unmaps slots the list no longer names.
- On the server a slot is busy while any array viewing its output is alive: the output arrays
  view an anchor array made for that job, and a finalizer on it frees the slot when the last view
  (a response being streamed, a gRPC message being built) is gone. No adapter has to remember
  to release anything; a leaked view only keeps one slot busy.
- When the worker dies or the pool stops, its slots' names are unlinked (mappings go with their
  last view).
"""
from __future__ import annotations

import math
import mmap
import weakref

import numpy as np

from . import shm
from .client_shm import InRegion


class _Slot:
    __slots__ = ("name", "size", "mm", "busy", "used")

    def __init__(self, name: str, mm: mmap.mmap, size: int):
        self.name, self.mm, self.size = name, mm, size
        self.busy = False
        self.used = 0  # a counter value: least recently used free slots are evicted first


class OutputSlots:
    """The server's side: one per worker. At most `cap` bytes in at most `max_slots` slots (every
    job message lists them all, so their number is bounded as well as their size)."""

    def __init__(self, cap: int, max_slots: int = 32):
        self.cap = cap
        self.max_slots = max_slots
        self.slots: dict[str, _Slot] = {}
        self._tick = 0

    @property
    def nbytes(self) -> int:
        return sum(s.size for s in self.slots.values())

    def listing(self) -> list[tuple[str, int, bool]]:
        """What a job message carries: every slot, and whether the job may write into it."""
        return [(s.name, s.size, not s.busy) for s in self.slots.values()]

    def take_all(self, refs: list) -> list[np.ndarray]:
        """The arrays of a finished job's output refs. Slot refs and adopted fresh segments are
        views on an anchor array of their own whose finalizer frees the slot; other refs as
        shm.take_view. Slots this job wrote are not evicted to adopt its other outputs."""
        written = {r[1] for r in refs if r[0] == "shm" and r[1] in self.slots}
        return [self._take(r, written) for r in refs]

    def _take(self, ref: tuple, keep: set) -> np.ndarray | InRegion:
        if ref[0] == "client":  # written into the client's shared memory region by the worker
            return InRegion(*ref[1:])
        if ref[0] != "shm":
            return shm.take_view(ref)
        _, name, shape, dt, *off = ref
        slot = self.slots.get(name)
        if slot is None:
            slot = self._adopt(name, keep)
            if slot is None:
                return shm.take_view(ref)
        dtype = np.dtype(dt)
        offset = off[0] if off else 0
        count = math.prod(shape)  # Python ints: no overflow, and ~10x cheaper than np.prod on a tuple
        self._tick += 1
        slot.busy, slot.used = True, self._tick
        # the anchor: every array derived from the result (reshapes, slices, memoryviews) refers back
        # to it (NumPy walks .base only through arrays viewing arrays), so it dies with the last of them
        anchor = np.frombuffer(slot.mm, dtype=dtype, count=count, offset=offset)
        weakref.finalize(anchor, _free, slot)
        return anchor.reshape(shape)

    def _adopt(self, name: str, keep: set) -> _Slot | None:
        mm, size = shm.map_segment(name)
        if mm is None or not self._make_room(size, keep):
            if mm is not None:
                mm.close()
            return None
        slot = self.slots[name] = _Slot(name, mm, size)
        return slot

    def _make_room(self, size: int, keep: set) -> bool:
        if size > self.cap:
            return False
        total, count = self.nbytes, len(self.slots)
        evictable = sorted((s for s in self.slots.values() if not s.busy and s.name not in keep), key=lambda s: s.used)
        if total - sum(s.size for s in evictable) + size > self.cap or count - len(evictable) >= self.max_slots:
            return False  # busy slots fill the cap: evicting the free ones would not make room
        for s in evictable:
            if total + size <= self.cap and count < self.max_slots:
                break
            self._drop(s)
            total, count = total - s.size, count - 1
        return True

    def _drop(self, slot: _Slot) -> None:
        self.slots.pop(slot.name, None)
        shm.unlink_name(slot.name)
        try:
            slot.mm.close()
        except BufferError:  # an array still views it: the mapping goes with that array
            pass

    def close(self) -> None:
        """The worker is gone (or the pool stops): unlink every slot."""
        for s in list(self.slots.values()):
            self._drop(s)


def _free(slot: _Slot) -> None:
    slot.busy = False


class SlotWriter:
    """The worker's side: its mappings of the server's slots, and where each output goes."""

    def __init__(self):
        self.mapped: dict[str, mmap.mmap] = {}

    def sync(self, listing: list) -> list[tuple[str, int]]:
        """Adopt a job's listing: unmap slots it no longer names; the free ones, smallest first."""
        names = {name for name, _, _ in listing}
        for name in [n for n in self.mapped if n not in names]:
            self._unmap(name)
        return sorted(((name, size) for name, size, free in listing if free), key=lambda x: x[1])

    def put(self, a: np.ndarray, threshold: int, free: list[tuple[str, int]], owned: list) -> tuple:
        """A ref for output `a`: into the smallest free slot it fits (taken off `free`), else as shm.put."""
        a = np.asarray(a)
        if a.nbytes >= threshold and a.nbytes and not a.dtype.hasobject:
            for i, (name, size) in enumerate(free):
                if size >= a.nbytes:
                    mm = self.mapped.get(name)
                    if mm is None:
                        try:
                            mm = self.mapped[name] = shm.map_segment(name)[0]
                        except OSError:  # retired meanwhile: try the next one
                            continue
                    del free[i]
                    dst = np.ndarray(a.shape, dtype=a.dtype, buffer=mm)
                    np.copyto(dst, a, casting="no")
                    del dst
                    return ("shm", name, a.shape, shm.tag(a.dtype), 0)
        return shm.put(a, threshold, owned)

    def _unmap(self, name: str) -> None:
        mm = self.mapped.pop(name)
        try:
            mm.close()
        except BufferError:  # pragma: no cover - the worker keeps no views past a job
            pass
