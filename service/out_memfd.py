"""Output regions the server makes for a client on its host: sealed memfds, kept mapped by the workers.

Why: a worker that writes a /v1 job's outputs into a region the client made (service.client_shm) must
use pwrite, never a mapping, because the client could shrink its object and fault (SIGBUS) the worker.
pwrite through tmpfs costs ~1 ms for W2's 2.7 MB of gradients; a copy into a mapping the worker keeps
across calls (pages resident, page tables filled) costs a fraction of that. A region the server makes
can be mapped safely: it is a memfd sealed with F_SEAL_SHRINK (no one, the client included, can make it
smaller than the mapping), F_SEAL_GROW (its size is what the caps counted) and F_SEAL_SEAL (nobody can
add F_SEAL_WRITE and make the worker's writes fail). Its pages are allocated when it is made
(posix_fallocate): an out-of-memory is the create's 413, not a fault later.

    POST /v2/systemsharedmemory/region/<name>/create  {"byte_size": N, "pid": P}
      -> {"name", "path": "/proc/<server pid>/fd/<n>", "byte_size", "ident": [st_dev, st_ino]}

The client opens `path` (the same user may open another process's fds through /proc), checks the inode
is `ident`, and maps it; the region is then a registered region like any other (status, unregister,
/v1 `shared_memory_output`). What a client can still do to it hurts only its own results: write into
it, punch holes (the worker's next write faults pages back in). The server closes its fd on
unregister, when the client's process (`pid`, with its start time) is gone, or when the region has
not been used for `idle_s` (checked on each create and register, and every SWEEP_S while made
regions exist); the memory goes with the last
mapping (the client's views stay valid). Bounds: every made region counts in `client_shm_max_regions`
and one client (its API key, else its host, as jobs.client_of; and its pid if it names one) may make at most a quarter
of that many; their bytes in
all at most `client_shm_made_bytes`, one client's at most a quarter of that. A flood of creates past
those is a 413 to the flooder; other clients may find the total full and use regions of their own.

Workers (`OutMaps`): the first job writing into a region opens its path, checks the inode and the seals,
maps it, and keeps the mapping (at most MAX_MAPS mappings / MAX_MAP_BYTES, least recently used first;
mappings of regions the server has closed are dropped when a new one is mapped).
"""
from __future__ import annotations

import fcntl
import functools
import math
import mmap
import os
import time
from collections import OrderedDict
from typing import Any

import numpy as np

from .client_identity import plain_host
from . import client_shm, shm
from .client_shm import Region, RegionError, Regions, layout
from .errors import InvalidRequest, LimitExceeded

SEALS = getattr(fcntl, "F_SEAL_SHRINK", 0) | getattr(fcntl, "F_SEAL_GROW", 0) | getattr(fcntl, "F_SEAL_SEAL", 0)
# one client may hold at most 1/OWNER_SHARE of client_shm_made_bytes (and of the region count)
OWNER_SHARE = client_shm.OWNER_SHARE
# made regions together hold at most 1/MADE_SHARE of the region count: a client is told apart by the pid it
# names, so one naming several pids could else take every place and leave others no region of their own
MADE_SHARE = 2
MAX_MAPS = 16  # a worker's kept mappings
MAX_MAP_BYTES = 1 << 30
MAX_VIEWS = 8  # a mapping's kept output views (out_memfd.views): per target and output signature
SWEEP_S = 10.0  # dead or idle clients' made regions are dropped this often (service.client_shm_http arms it)
PROC = "/proc/"
MADV_POPULATE_WRITE = getattr(mmap, "MADV_POPULATE_WRITE", 23)  # (Linux's value; Python < 3.13 lacks the name)


@functools.cache
def available() -> bool:
    """memfd with sealing (Linux >= 3.17 and Python >= 3.8); elsewhere clients keep their own regions."""
    return hasattr(os, "memfd_create") and hasattr(fcntl, "F_ADD_SEALS") and os.path.isdir(f"/proc/{os.getpid()}/fd")


def _start_time(pid: int) -> str | None:
    """A process's start time (field 22 of /proc/<pid>/stat): with the pid, the process itself."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]  # fields after the command name start at 3


class MemfdRegion(Region):
    """A region the server made: its fd is the memfd, its size sealed (no fstat needed per use)."""

    made = True
    __slots__ = ("owner", "started", "used", "idle_s", "share")

    def alive(self) -> bool:
        """False once its client's process is gone or it sat unused for idle_s: the next register or
        create drops it (Regions._add)."""
        if time.monotonic() - self.used > self.idle_s:
            return False
        return self.started is None or _start_time(self.owner) == self.started

    def within(self, offset: int, nbytes: int, path: str) -> None:
        super().within(offset, nbytes, path)
        self.used = time.monotonic()  # (each job that writes into it, and the check after it)

    def check(self, offset: int, nbytes: int, path: str) -> int:
        self.within(offset, nbytes, path)
        return self.offset + offset


def _make(name: str, size: int) -> tuple[int, tuple]:
    """A sealed memfd of `size` bytes, its pages allocated: (fd, (st_dev, st_ino))."""
    fd = os.memfd_create(f"gradserve-out-{name}", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        os.ftruncate(fd, size)
        os.posix_fallocate(fd, 0, size)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd, (st.st_dev, st.st_ino)


def _owner(pid: Any, peer: str | None) -> tuple[Any, str | None]:
    if pid is None:
        return peer, None
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        raise InvalidRequest("pid must be the client's process id (a positive integer)", path="pid")
    started = _start_time(pid)
    if started is None:
        raise InvalidRequest(f"no process {pid} on the server's host", path="pid")
    try:  # a client maps the region through /proc/<server>/fd: only a process of the server's user can
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        uid = None
    if uid != os.geteuid():
        raise InvalidRequest(f"process {pid} is not the server's user's: pid must be the client's own process id",
                             path="pid")
    return pid, started


def _sweep(regions: Regions) -> None:
    """Drop made regions whose client is gone or that sat idle (as Regions._add does on register)."""
    with regions.lock:
        gone = [r for r in regions.regions.values() if isinstance(r, MemfdRegion) and not r.alive()]
        for r in gone:
            del regions.regions[r.name]
    for r in gone:
        r.close()


def create(regions: Regions, name: Any, byte_size: Any, pid: Any, peer: str | None, client: str | None = None) -> dict:
    """Make, register and describe an output region for the client at `peer` (see the module doc)."""
    regions.allow(peer)
    if not available():
        raise InvalidRequest("this server cannot make shared memory regions (no sealed memfd): register one of "
                             "your own", path="name", shared_memory=True)
    if not isinstance(name, str) or not client_shm._NAME.fullmatch(name):
        raise InvalidRequest("a region name is 1-200 of letters, digits, '_', '.', '-'", path="name")
    size = client_shm._int(byte_size, "byte_size", "byte_size")
    if size == 0:
        raise InvalidRequest("byte_size must be at least 1", path="byte_size")
    owner, started = _owner(pid, peer)
    # whose share it takes: the client as every share counts it (its API key, else its host: jobs.client_of), and
    # its process. The peer's address as written (::ffff:127.0.0.1 apart from 127.0.0.1) or a pid alone let one
    # client's creates fill another's share (the pid of another client's process, or another key on one host).
    share = (client if client is not None else plain_host(peer or ""), pid if started is not None else None)
    _sweep(regions)
    made = [r for r in regions.regions.values() if isinstance(r, MemfdRegion)]
    total, mine = sum(r.byte_size for r in made), sum(r.byte_size for r in made if r.share == share)
    cap = regions.made_bytes
    if sum(r.share == share for r in made) >= max(1, regions.max_regions // OWNER_SHARE):
        raise LimitExceeded(f"this client holds {regions.max_regions // OWNER_SHARE} made shared memory regions, "
                            f"the most one may (client_shm_max_regions / {OWNER_SHARE}): unregister some",
                            limit="client_shm_max_regions", value=regions.max_regions)
    if total + size > cap or mine + size > cap // OWNER_SHARE:
        raise LimitExceeded(f"made shared memory regions hold {total} bytes ({mine} for this client); {size} more "
                            f"would pass client_shm_made_bytes={cap} (a client at most 1/{OWNER_SHARE}): unregister "
                            "some, or register a region of your own", limit="client_shm_made_bytes", value=cap)
    if len(made) >= max(1, regions.max_regions // MADE_SHARE):
        raise LimitExceeded(f"made shared memory regions take {len(made)} of the client_shm_max_regions="
                            f"{regions.max_regions} places, the most they may (1/{MADE_SHARE}): register a region of "
                            "your own", limit="client_shm_max_regions", value=regions.max_regions)
    try:
        fd, ident = _make(name, size)
    except OSError as e:
        raise LimitExceeded(f"cannot make a shared memory region of {size} bytes: {e.strerror}",
                            limit="memory", value=size) from None
    path = f"{PROC}{os.getpid()}/fd/{fd}"
    region = MemfdRegion(name, path, path, 0, size, fd, ident)
    region.owner, region.started, region.used, region.idle_s = owner, started, time.monotonic(), regions.idle_s
    region.share = share
    region.client = client  # (only it may unregister it: Regions.unregister)
    try:
        regions._add(region)
    except BaseException:
        region.close()
        raise
    return {"name": name, "path": path, "byte_size": size, "ident": list(ident)}


def watch(regions: Regions, loop) -> None:
    """Sweep every SWEEP_S on `loop` while made regions exist: a client that died or went idle frees its
    memory without waiting for the next register or create."""
    if regions.sweeping:
        return
    regions.sweeping = True

    def tick() -> None:
        _sweep(regions)
        if any(isinstance(r, MemfdRegion) for r in list(regions.regions.values())):
            loop.call_later(SWEEP_S, tick)
        else:
            regions.sweeping = False
    loop.call_later(SWEEP_S, tick)


class OutMaps:
    """A worker's mappings of made regions, kept across jobs: {ident: (path, mmap)}."""

    def __init__(self, max_count: int = MAX_MAPS, max_bytes: int = MAX_MAP_BYTES):
        self.max_count, self.max_bytes = max_count, max_bytes
        self.maps: OrderedDict = OrderedDict()
        self.views: dict = {}  # ident -> {(target, avals): views()'s answer}, dropped with the mapping
        self.swept = time.monotonic()

    def fresh(self, ident: tuple) -> bool:
        """Whether the mapping of `ident` is kept and, once a second, still the server's region (as get)."""
        if time.monotonic() - self.swept > 1.0:
            self._stale()
        hit = self.maps.get(ident)
        if hit is None:
            return False
        self.maps.move_to_end(ident)
        return True

    def get(self, path: str, ident: tuple, need: int, name: str) -> mmap.mmap:
        """The mapping of the made region at `path`, which must be the inode `ident`, sealed, >= need bytes."""
        ident = tuple(ident)
        if time.monotonic() - self.swept > 1.0:  # (at most once a second: one stat per mapping)
            self._stale()
        hit = self.maps.get(ident)
        if hit is not None:
            self.maps.move_to_end(ident)
            mm = hit[1]
        else:
            mm = self._map(path, ident, name)
        if len(mm) < need:
            raise RegionError(f"the outputs need {need} bytes of region {name!r}; it has {len(mm)}", name)
        return mm

    def _map(self, path: str, ident: tuple, name: str) -> mmap.mmap:
        fd, size = open_made(path, ident, name)
        try:
            mm = mmap.mmap(fd, size)
            _populate(mm, MADV_POPULATE_WRITE)
        finally:
            os.close(fd)
        self._room(size)
        self.maps[ident] = (path, mm)
        return mm

    def _room(self, size: int) -> None:
        self._stale()
        while self.maps and (len(self.maps) >= self.max_count or self.nbytes + size > self.max_bytes):
            self._drop(next(iter(self.maps)))

    def _stale(self) -> None:
        """Drop the mappings of regions the server has closed (their memory goes with the last mapping)."""
        self.swept = time.monotonic()
        for ident, (path, _) in list(self.maps.items()):
            try:
                st = os.stat(path)
                if (st.st_dev, st.st_ino) == ident:
                    continue
            except OSError:
                pass
            self._drop(ident)

    @property
    def nbytes(self) -> int:
        return sum(len(mm) for _, mm in self.maps.values())

    def _drop(self, ident: tuple) -> None:
        self.views.pop(ident, None)  # (its views first: a view alive would keep the mapping)
        _, mm = self.maps.pop(ident)
        try:
            mm.close()
        except BufferError:  # an output computed in place in it still alive: the mapping goes with the last one
            pass


def open_made(path: str, ident: tuple, name: str, where: str = "$.shared_memory_output") -> tuple[int, int]:
    """(fd, size) of the made region at `path` (the server's /proc fd link), checked to be the inode `ident`
    and sealed as the server made it, so safe to map; the caller closes the fd. A worker's way in, for the
    outputs it writes (OutMaps) and the inputs it reads (service.worker.InputMaps). Raises RegionError
    (`where`: the request's field that named the region)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)  # (a /proc fd link: O_NOFOLLOW would refuse it)
    except OSError as e:
        raise RegionError(f"region {name!r} is gone from the server ({e.strerror}): register it again", name,
                          where) from None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != tuple(ident):
            raise RegionError(f"region {name!r} is gone from the server (its fd is another file now)", name, where)
        if fcntl.fcntl(fd, fcntl.F_GET_SEALS) & SEALS != SEALS:  # (never: the server made it so)
            raise RegionError(f"region {name!r} is not sealed against shrinking: not mapped", name, where)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _populate(mm: mmap.mmap, advice: int) -> None:
    """Page tables filled now (Linux >= 5.14), so that the first job's copy takes no fault per page.
    (MAP_POPULATE maps a shared mapping read-only: the first write still faults on every page; measured
    CPU for W2's 3.4 MB, map and first copy: 2.5 ms with it, 1.8 ms with MADV_POPULATE_WRITE.)"""
    try:
        mm.madvise(advice)
    except (OSError, ValueError):  # an older kernel: the pages fault in on the first copy
        pass


def is_made(target: tuple) -> bool:
    """Whether a job's output target (RegionIO.target) is a made region (its object a /proc fd path)."""
    return target[1].startswith(PROC)


def _places(maps: OutMaps, target: tuple, sizes: list) -> tuple:
    """Where outputs of `sizes` bytes go in the made region (laid out as place_all would): (its mapping,
    the region's base offset in it, {index: offset in the region}); no mapping when none fits."""
    name, path, ident, base, first, size = target
    where = layout(sizes, first, first + size)
    if not where:
        return None, base, where
    return maps.get(path, ident, base + max(where[i] + sizes[i] for i in where), name), base, where


def _nbytes(shape: tuple, dtype: np.dtype) -> int:
    """An output's bytes in the region's layout (an object array's: none, it goes in the response)."""
    return 0 if dtype.hasobject else math.prod(shape) * dtype.itemsize


def views(maps: OutMaps, target: tuple, avals: tuple) -> tuple[list, dict]:
    """Before a run: per flat output (shape, dtype), the view of the made region write_target would copy
    it into, or None (it does not fit), for the engine to compute it there (Engine.run's outs); and the
    layout, which write_target checks. Kept with the mapping (OutMaps.views: a call like the last costs a
    lookup, not ~30 us of views). Raises RegionError."""
    key = (target, avals)
    hit = maps.views.get(tuple(target[2]), {}).get(key)
    if hit is not None and maps.fresh(tuple(target[2])):
        return hit
    mm, base, where = _places(maps, target, [_nbytes(s, d) for s, d in avals])
    if mm is None:
        return [None] * len(avals), where
    # (shm.view: outputs computed in place hold the mapping, so a drop of it (_stale, _room) never unmaps them)
    got = ([shm.view(mm, s, d.newbyteorder("<"), base + where[i]) if i in where else None
            for i, (s, d) in enumerate(avals)], where)
    kept = maps.views.setdefault(tuple(target[2]), {})
    if len(kept) >= MAX_VIEWS:
        kept.clear()
    kept[key] = got
    return got


def write_target(maps: OutMaps, target: tuple, outputs: list, placed: tuple | None = None) -> dict[int, int]:
    """client_shm.write_target for a made region: the outputs that fit copied into the worker's kept
    mapping, laid out as place_all would; {index: offset in the region}. Raises RegionError.
    placed: views()'s answer before the run: an output that is its view there (the engine computed it in
    place) at the same offset is not copied."""
    arrays = [np.asarray(a) for a in outputs]
    mm, base, where = _places(maps, target, [0 if a.dtype.hasobject else a.nbytes for a in arrays])
    into, planned = placed if placed is not None else ((), {})
    for i, off in where.items():
        a = arrays[i]
        if i < len(into) and a is into[i] and planned.get(i) == off:
            continue  # computed in place
        _copy_into(mm, base + off, a)
    return where


def _copy_into(mm: mmap.mmap, at: int, a: np.ndarray) -> None:
    """One output copied into the mapping at byte `at` (little-endian, as the client reads it)."""
    dst = np.ndarray(a.shape, dtype=a.dtype.newbyteorder("<"), buffer=mm, offset=at)
    np.copyto(dst, a, casting="equiv")
    del dst
