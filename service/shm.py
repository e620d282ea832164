"""Large tensors between the server and its workers through POSIX shared memory.

A tensor ref is either ("inline", bytes, shape, dtype_str) (small: its raw bytes travel with the message;
("inline", ndarray) is accepted too) or
("shm", name, shape, dtype_str[, offset]) (large: a view on the other side), or
("made", path, shape, dtype_str, offset, ident) (a view inside a sealed region the server made for a client,
its /proc fd path and (st_dev, st_ino): `Sealed`, service.client_shm; workers map it, service.worker.InputMaps).
Segments are not handed to multiprocessing's resource tracker: their owner unlinks them
(the server for inputs once the job is over, the server for outputs as soon as it has
mapped them: the mapping outlives the name, and goes with the last array viewing it), unless
they are kept for reuse (`BufferPool` for request bodies, service.out_slots for outputs).

Zero-copy inputs: the HTTP adapter reads a large binary body straight into a `Buffer`
(a segment of Content-Length bytes, from a `BufferPool`); its tensors are views on it, and
`put` recognises such a view and sends (name, offset) instead of copying the tensor into a
new segment.
"""
from __future__ import annotations

import mmap
import os
import secrets
import threading

import _posixshmem

import ml_dtypes  # (np.dtype("bfloat16") reads a ref's tag once ml_dtypes is imported)
import numpy as np

_buffers: dict[str, tuple[int, int]] = {}  # name -> (address, size) of live Buffers in this process
_buffers_lock = threading.Lock()


def _address(buf) -> int:
    a = np.frombuffer(buf, dtype=np.uint8)
    try:
        return a.ctypes.data
    finally:
        del a


class Buffer:
    """A writable shared-memory segment owned by this process (e.g. a request body read into it).

    Arrays viewing it travel to workers as (name, offset) refs, without a copy. `release()`
    unlinks the name (workers that already mapped it keep their mapping); the memory goes
    when the last view on `mv` does.
    """

    def __init__(self, nbytes: int):
        self.size = max(1, nbytes)
        self.name, self._mmap = _new_segment(self.size)
        self.mv = memoryview(self._mmap)
        with _buffers_lock:
            _buffers[self.name] = (_address(self.mv), self.size)
        self.released = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        with _buffers_lock:
            _buffers.pop(self.name, None)
        unlink_name(self.name)

    def __del__(self):  # a forgotten release must not leave the name in /dev/shm
        try:
            self.release()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class BufferPool:
    """Request-body Buffers kept for the next request instead of unlinked: a fresh 64 MiB segment
    costs ~30 ms of page allocation on the benchmark machine, a reused one nothing. At most `cap`
    bytes are kept; buffers go back only once their job is over (workers only read inputs)."""

    def __init__(self, cap: int):
        self.cap = cap
        self.free: list[Buffer] = []

    def acquire(self, nbytes: int) -> Buffer:
        fits = [b for b in self.free if nbytes <= b.size <= 2 * nbytes]  # not a huge one for a small body
        if fits:
            buf = min(fits, key=lambda b: b.size)
            self.free.remove(buf)
            return buf
        return Buffer(nbytes)

    def give_back(self, buf: Buffer) -> None:
        if buf.released:
            return
        kept = sum(b.size for b in self.free)
        while self.free and kept + buf.size > self.cap:  # the oldest go first
            old = self.free.pop(0)
            kept -= old.size
            old.release()
        if kept + buf.size <= self.cap:
            self.free.append(buf)
        else:
            buf.release()

    def close(self) -> None:
        for b in self.free:
            b.release()
        self.free.clear()


class Sealed:
    """This process's mapping of a region the server made for a client (a memfd sealed against shrinking,
    service.out_memfd): mapped whole, so that its input tensors are views here and travel to workers as
    ("made", ...) refs, never copied by the server. Safe to map because no one can shrink it (no SIGBUS);
    the client may still write into it: see service.client_shm.RegionIO.tensor for what may be used so."""

    def __init__(self, fd: int, size: int, path: str, ident: tuple):
        self.path, self.ident = path, tuple(ident)
        self._mmap = mmap.mmap(fd, size)  # (the region's fd stays the owner's: the mapping holds its own reference)
        self.mv = memoryview(self._mmap)
        with _buffers_lock:
            _sealed[id(self)] = (_address(self.mv), size, path, self.ident)

    def close(self) -> None:
        """No new refs from now on; the mapping goes now, or with the last view on it (a job in flight)."""
        with _buffers_lock:
            _sealed.pop(id(self), None)
        try:
            self.mv.release()
            self._mmap.close()
        except BufferError:  # arrays of a job in flight still view it
            pass


_sealed: dict[int, tuple[int, int, str, tuple]] = {}  # id(Sealed) -> (address, size, path, ident), live ones
_sealed_hit = 0  # the key of the mapping _in_sealed found last


def _in_sealed(a: np.ndarray) -> tuple[str, tuple, int] | None:
    """(path, ident, byte offset) when `a` is a C-contiguous view inside a live Sealed mapping."""
    if not _sealed or not a.flags.c_contiguous:
        return None
    global _sealed_hit
    addr = a.__array_interface__["data"][0]
    end = addr + a.nbytes
    with _buffers_lock:
        last = _sealed.get(_sealed_hit)  # a client in a loop sends its inputs from the same mapping each call
        if last is not None and last[0] <= addr and end <= last[0] + last[1]:
            return last[2], last[3], addr - last[0]
        for k, (start, size, path, ident) in _sealed.items():
            if start <= addr and end <= start + size:
                _sealed_hit = k
                return path, ident, addr - start
    return None


def _in_buffer(a: np.ndarray) -> tuple[str, int] | None:
    """(buffer name, byte offset) when `a` is a C-contiguous view inside a live Buffer."""
    if not _buffers or not a.flags.c_contiguous:
        return None
    addr = a.__array_interface__["data"][0]
    with _buffers_lock:
        for name, (start, size) in _buffers.items():
            if start <= addr and addr + a.nbytes <= start + size:
                return name, addr - start
    return None


# Segment names carry the server's pid (gs_<pid>_<random>; workers use their server's), so a server
# that starts can unlink what a killed one left behind (`sweep_stale`): its kept buffers and slots,
# and the segments of jobs in flight when it died.
PREFIX = "gs_"
_owner = os.getpid()
SHM_DIR = "/dev/shm"


def set_owner(pid: int, worker: int | None = None) -> None:
    """Name new segments after `pid` (a worker: its server, and itself, so that what a worker killed
    mid-write leaves can be found: `sweep_workers`)."""
    global _owner
    _owner = f"{pid}_w{worker}" if worker is not None else pid


def sweep_workers(worker: int | None = None) -> list[str]:
    """Unlink the segments this server's workers made (all, or those of the worker with pid `worker`):
    for a worker that is dead. Its finished outputs are the server's to unlink already."""
    prefix = f"{PREFIX}{os.getpid()}_w" + (f"{worker}_" if worker is not None else "")
    try:
        names = os.listdir(SHM_DIR)
    except OSError:
        return []
    gone = [n for n in names if n.startswith(prefix)]
    for n in gone:
        unlink_name(n)
    return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_stale() -> list[str]:
    """Unlink the segments of servers that are no longer running; the names unlinked."""
    try:
        names = os.listdir(SHM_DIR)
    except OSError:  # no /dev/shm to list (not Linux): nothing to sweep
        return []
    gone = []
    for name in names:
        pid, sep, _ = name[len(PREFIX):].partition("_")
        if name.startswith(PREFIX) and sep and pid.isdigit() and len(pid) <= 9 and not _alive(int(pid)):
            unlink_name(name)
            gone.append(name)
    return gone


def _new_segment(nbytes: int) -> tuple[str, mmap.mmap]:
    """A new named segment, mapped with MAP_POPULATE: its pages are allocated in one pass at
    mmap time instead of one page fault each on first write (about half the cost of filling it)."""
    name = f"{PREFIX}{_owner}_{secrets.token_hex(8)}"
    fd = _posixshmem.shm_open("/" + name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
    try:
        try:
            os.ftruncate(fd, nbytes)
            mm = mmap.mmap(fd, nbytes, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0))
        except BaseException:
            _posixshmem.shm_unlink("/" + name)
            raise
    finally:
        os.close(fd)
    return name, mm


class Segment:
    """A mapped segment: one this process created (`create`) or another's (`attach`)."""

    def __init__(self, name: str, mm: mmap.mmap):
        self.name, self._mmap = name, mm
        self.buf = memoryview(mm)

    def close(self) -> None:
        self.buf.release()  # BufferError while an array still views it
        self._mmap.close()


def create(nbytes: int) -> Segment:
    return Segment(*_new_segment(max(1, nbytes)))


def map_segment(name: str) -> tuple[mmap.mmap | None, int]:
    """(mapping, size) of an existing segment, mapped with MAP_POPULATE (None for an empty one)."""
    fd = _posixshmem.shm_open("/" + name, os.O_RDWR, mode=0o600)
    try:
        size = os.fstat(fd).st_size
        return (mmap.mmap(fd, size, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)) if size else None), size
    finally:
        os.close(fd)


def unlink_name(name: str) -> None:
    try:
        _posixshmem.shm_unlink("/" + name)
    except FileNotFoundError:
        pass


def attach(name: str) -> Segment:
    """Another process's segment, mapped with MAP_POPULATE: an input read in full is mapped in one
    pass instead of one page fault per 4 KiB page."""
    return Segment(name, map_segment(name)[0])


def _unlink(seg) -> None:
    unlink_name(seg.name)


_BF16 = np.dtype(ml_dtypes.bfloat16)


def tag(dt: np.dtype) -> str:
    """A ref's dtype as a string np.dtype() reads back: dtype.str, but bfloat16's is '|V2' (raw void)."""
    return "bfloat16" if dt == _BF16 else dt.str


def put(a: np.ndarray, threshold: int, owned: list) -> tuple:
    """A ref for `a`; segments created are appended to `owned` (Segments) for the caller to free."""
    a = np.asarray(a)
    if a.nbytes < threshold or a.nbytes == 0:
        if a.dtype.hasobject:  # pragma: no cover - tensors are numeric; pickle whatever else comes
            return ("inline", np.ascontiguousarray(a).reshape(a.shape))
        # raw bytes, not a pickled ndarray: measured ~130 us less per worker round trip (one small array
        # each way), which is most of a tiny job's hop
        return ("inline", a.tobytes(), a.shape, tag(a.dtype))
    where = _in_buffer(a)
    if where is not None:  # already in shared memory (e.g. a binary request body): no copy
        return ("shm", where[0], a.shape, tag(a.dtype), where[1])
    made = _in_sealed(a)
    if made is not None:  # in a client's sealed region the server made: the worker maps it, no copy
        return ("made", made[0], a.shape, tag(a.dtype), made[2], made[1])
    seg = create(a.nbytes)
    dst = np.ndarray(a.shape, dtype=a.dtype, buffer=seg.buf)
    np.copyto(dst, a, casting="no")
    del dst
    owned.append(seg)
    return ("shm", seg.name, a.shape, tag(a.dtype))


def _from_raw(ref: tuple) -> np.ndarray:
    _, raw, shape, dt = ref
    return np.frombuffer(bytearray(raw), dtype=np.dtype(dt)).reshape(shape)  # writable, like an unpickled one


def view(buf, shape, dt, offset: int = 0) -> np.ndarray:
    """An array of `shape` on a mapping (an mmap or a memoryview of one) that holds the mapping's buffer export
    while any view of it lives, so that closing the mapping meanwhile raises BufferError (the mapping then goes
    with the last view) instead of unmapping memory the array still reads. np.ndarray(buffer=...) keeps only a
    reference, no export: a close() unmapped under it, and a job read freed pages (a worker's SIGSEGV) or
    whatever the allocator put there next (wrong values)."""
    dtype = np.dtype(dt)
    count = 1
    for d in shape:
        count *= d
    return np.frombuffer(buf, dtype=dtype, count=count, offset=offset).reshape(shape)


def get(ref: tuple, attached: list) -> np.ndarray:
    """The array of a ref: a view on the segment for shm refs (attached segments appended to `attached`)."""
    if ref[0] == "inline":
        return ref[1] if len(ref) == 2 else _from_raw(ref)
    _, name, shape, dt, *off = ref
    seg = attach(name)
    attached.append(seg)
    return view(seg.buf, shape, dt, off[0] if off else 0)


def take_view(ref: tuple) -> np.ndarray:
    """A ref's array as a view on its segment, whose name is unlinked at once (the receiver owns
    output segments): no copy; the memory goes when the last view on the array does."""
    if ref[0] == "inline":
        return ref[1] if len(ref) == 2 else _from_raw(ref)
    _, name, shape, dt, *off = ref
    dtype = np.dtype(dt)
    count = int(np.prod(shape, dtype=np.int64))
    try:
        # MAP_POPULATE: the pages the worker wrote are mapped in one pass, not faulted in one by one
        mm, _ = map_segment(name)
    finally:
        unlink_name(name)
    if mm is None or count == 0:
        return np.empty(shape, dtype=dtype)
    return np.frombuffer(mm, dtype=dtype, count=count, offset=off[0] if off else 0).reshape(shape)


def close_all(segs: list, unlink_too: bool = False) -> None:
    for seg in segs:
        try:
            seg.close()
        except BufferError:  # a view is still alive somewhere; the mapping goes with the process
            pass
        if unlink_too:
            _unlink(seg)
    segs.clear()
