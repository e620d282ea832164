"""Client shared memory: tensors in POSIX shared-memory regions that a client on the same host registered.

The Open Inference Protocol's "system shared memory" extension (Triton's): a client creates a shared
memory object, registers it under a region name (key, offset, byte_size), and an input tensor names
(shared_memory_region, shared_memory_offset, shared_memory_byte_size) instead of carrying bytes; a requested
output names where it goes. `Regions` is the server's registry (one per Core: the HTTP routes of
service.client_shm_http, service.oip_http, service.oip_grpc and /v1 share it); `RegionIO` is one request's
use of it (its inputs read, its outputs placed).

Safety, against a hostile client on the same host (docs/API.md, "Shared memory"):
- only loopback peers, and only while the setting `client_shm` is "loopback" (the default);
- a key is a plain name (one or more leading '/' as POSIX spells them, then [A-Za-z0-9_.-], no '..'),
  never one of the server's own segments (service.shm's prefix, multiprocessing's), opened with
  O_NOFOLLOW, and must be a regular object of the server's own user;
- no client object is mapped: inputs are read with preadv and outputs written with pwrite on the object's fd,
  so a region the client shrinks or removes meanwhile can never fault (SIGBUS) the server (regions the
  server makes itself, sealed against shrinking, are mapped: by workers for outputs, service.out_memfd, and
  by the server and workers for float inputs, read where the client wrote them: MAPPED_KINDS); before
  each use the object's size is checked with fstat and the name must still be the registered object
  (a removed or replaced one is a 400 naming the region);
- at most `client_shm_max_regions` regions (regions whose object is gone are dropped first);
- every byte size is checked against the tensor's shape and datatype.
Inputs are copied once in the server (preadv into a reused shared-memory buffer of service.shm, from
where workers map them without another copy), and not at all when unchanged: a tensor whose parameters
carry `shared_memory_generation` (gradserve's addition: the client's number for the bytes it wrote there;
the SDK gives a new one to every write) is read once per generation, and the copy is kept (`Kept`, within
`Regions.kept_cap` bytes, per registered region) for the next request that names the same place and
generation. A client that reuses a generation for new bytes gets its own stale values, nobody else's: the
copies belong to its region's registration and go with it. Those buffers are read-only here and in workers
(requests share them). A /v1 job that a worker runs has its outputs written by
that worker straight into the client's region (`write_target`: the object opened by name, checked to be
the registered one by device and inode, pwrite as here), so the server never touches their bytes; the
server checks the region again once the job is over (`RegionIO.taken`). Otherwise (the inline lane, the
OIP adapters) outputs are copied once, from where they are into the client's region (`place_all`).
"""
from __future__ import annotations

import fcntl
import math
import os
import re
import stat
import threading
from typing import Any
from urllib.parse import unquote

import numpy as np

from . import shm
from .client_identity import ip_of
from .codec import BF16
from .local_socket import UNIX_PEER
from .errors import Forbidden, InvalidRequest, LimitExceeded, NotFound, RegionInUse

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}")
# segments of this server (service.shm: request buffers, output slots, job inputs), multiprocessing's,
# and glibc's named semaphores: never a client's to register
RESERVED_PREFIXES = (shm.PREFIX, "psm_", "mp-", "sem.")
SEAL_SHRINK = getattr(fcntl, "F_SEAL_SHRINK", 0)  # what makes a region safe to map (service.out_memfd)
ALIGN = 64  # outputs placed one after another in a /v1 output region start at multiples of this


def check_peer(host: str | None, setting: str) -> None:
    """Refuse shared memory to a peer that is not on this host (or when the setting turns it off)."""
    if setting == "off":
        raise InvalidRequest("system shared memory is turned off on this server (setting client_shm=off)",
                             setting="client_shm", shared_memory=True)
    if not is_loopback_peer(host):
        raise InvalidRequest(f"system shared memory is only for clients on the server's host (loopback); this "
                             f"request came from {host or 'an unknown peer'}", peer=host or "", shared_memory=True)


def is_loopback_peer(host: str | None) -> bool:
    if not host:
        return False
    if host == UNIX_PEER:  # a connection on the server's Unix socket (service.local_socket): this host
        return True
    ip = ip_of(host)  # (::ffff:127.0.0.1 on a dual-stack socket: 127.0.0.1)
    return ip is not None and ip.is_loopback


def grpc_peer_host(peer: str | None) -> str | None:
    """The address of a gRPC peer string: ipv4:127.0.0.1:5000, ipv6:[::1]:5000 (unix: none)."""
    return (grpc_peer_address(peer) or (None,))[0]


def grpc_peer_address(peer: str | None) -> tuple[str, int] | None:
    """(host, port: 0 when none) of a gRPC peer string: ipv4:127.0.0.1:5000, ipv6:[::1]:5000 (also %-escaped:
    grpc writes ipv6:%5B::1%5D:5000 as a URI); None for another kind (unix:)."""
    if not peer or ":" not in peer:
        return None
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    host, _, port = unquote(rest).rpartition(":")
    return host.strip("[]"), int(port) if port.isdigit() else 0


OWNER_SHARE = 4  # one API key may hold at most 1/OWNER_SHARE of the places (service.out_memfd: and of made bytes)


def keyed(client: str | None) -> str | None:
    """Who holds a registered region: an API key's client (service.jobs.client_of), else None. Shared memory is
    for this host's peers only, so without keys every peer is this host: one client, as Triton's global names."""
    return client if client is not None and client.startswith("key:") else None


def _other_key(region: Region, client: str | None) -> bool:
    """A region registered or made under another API key than `client`'s: not its to use or see."""
    return keyed(region.client) != keyed(client)


def _theirs(region: Region, client: str | None) -> bool:
    """A region not `client`'s to unregister: another API key's, or one the server made for another client
    (without keys, named regions are everyone's: Triton's model)."""
    return region.client != client if region.made else _other_key(region, client)


def _not_yours(name: str, path: str) -> Forbidden:
    return Forbidden(f"shared memory region {name!r} is another client's (registered or made under another API "
                     "key): only it may use, unregister or see it", path=path, shared_memory_region=name)


def object_name(key: Any) -> str:
    """The /dev/shm name of a shm_open key, validated."""
    if not isinstance(key, str):
        raise InvalidRequest("key must be a string (the shm_open name of the shared memory object)", path="key")
    name = key.lstrip("/")
    if not _NAME.fullmatch(name) or ".." in name or name in (".",):
        raise InvalidRequest(f"key {key!r} is not a plain shared-memory name: '/' then letters, digits, '_', '.', "
                             "'-' (no other '/', no '..', at most 200)", path="key")
    if name.startswith(RESERVED_PREFIXES):
        raise InvalidRequest(f"key {key!r} names one of the server's own segments (prefixes "
                             f"{', '.join(RESERVED_PREFIXES)}): register an object of your own", path="key")
    return name


def _int(v: Any, what: str, path: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise InvalidRequest(f"{what} must be a non-negative integer", path=path)
    return v


class Region:
    made = False  # (service.out_memfd.MemfdRegion: one the server made)
    __slots__ = ("name", "key", "obj", "offset", "byte_size", "fd", "ident", "lock", "kept", "mapped", "client",
                 "users")

    def __init__(self, name: str, key: str, obj: str, offset: int, byte_size: int, fd: int, ident: tuple):
        self.name, self.key, self.obj, self.offset, self.byte_size = name, key, obj, offset, byte_size
        self.fd, self.ident = fd, ident
        self.lock = threading.Lock()  # unregister closes the fd: not while a read or write uses it
        self.kept: dict[tuple[int, int], Kept] = {}  # (offset, bytes) -> the copy read there (Regions.lock)
        # a region sealed against shrinking (one the server made) mapped here: shm.Sealed; False: not sealed
        self.mapped: shm.Sealed | bool | None = None  # (None: not asked yet)
        self.client: str | None = None  # who registered it (service.jobs.client_of): only it may unregister a made one
        self.users = 0  # requests using it now (RegionIO; Regions.lock): it may not be unregistered meanwhile

    def status(self) -> dict:
        return {"name": self.name, "key": self.key, "offset": self.offset, "byte_size": self.byte_size}

    def alive(self) -> bool:
        try:
            st = os.stat(os.path.join(shm.SHM_DIR, self.obj), follow_symlinks=False)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.ident

    def check(self, offset: int, nbytes: int, path: str) -> int:
        """The absolute file offset of [offset, offset+nbytes) of the region, after checking that the
        object is still the one registered and still large enough (fstat: the client may shrink it)."""
        self.within(offset, nbytes, path)
        st = os.fstat(self.fd)
        # removed, or replaced (a new object under the name unlinks this one): its last link is gone. One
        # fstat says it and the size; a stat of the name each time cost one more syscall per tensor.
        if st.st_nlink == 0:
            raise InvalidRequest(f"the shared memory object {self.key!r} of region {self.name!r} was removed or "
                                 "replaced after registration: unregister the region and register it again",
                                 path=path, shared_memory_region=self.name)
        size = st.st_size
        if size < self.offset + offset + nbytes:
            raise InvalidRequest(f"the shared memory object {self.key!r} of region {self.name!r} shrank to {size} "
                                 f"bytes; this tensor needs bytes up to {self.offset + offset + nbytes}", path=path,
                                 shared_memory_region=self.name)
        return self.offset + offset

    def within(self, offset: int, nbytes: int, path: str) -> None:
        """[offset, offset+nbytes) lies inside the region, and the region is still registered (no syscall)."""
        if self.fd < 0:
            raise InvalidRequest(f"shared memory region {self.name!r} was unregistered", path=path,
                                 shared_memory_region=self.name)
        if offset + nbytes > self.byte_size:
            raise InvalidRequest(f"shared_memory_offset {offset} + {nbytes} bytes run past the end of region "
                                 f"{self.name!r} ({self.byte_size} bytes)", path=path, shared_memory_region=self.name)

    def _failed(self, e: OSError, what: str, path: str) -> InvalidRequest:
        return InvalidRequest(f"cannot {what} shared memory region {self.name!r}: {e.strerror}", path=path,
                              shared_memory_region=self.name)

    def read_into(self, dst: memoryview, offset: int, path: str) -> None:
        with self.lock:
            pos = self.check(offset, dst.nbytes, path)
            try:
                got = os.preadv(self.fd, [dst], pos)  # never a fault: a shorter object gives a short read
            except OSError as e:
                raise self._failed(e, "read", path) from None
        if got != dst.nbytes:
            raise InvalidRequest(f"region {self.name!r} gave {got} of {dst.nbytes} bytes (it shrank meanwhile)",
                                 path=path, shared_memory_region=self.name)

    def write(self, data: memoryview, offset: int, path: str) -> None:
        self.write_all([(data, offset, path)], offset, data.nbytes, path)

    def write_all(self, parts: list, start: int, nbytes: int, path: str) -> None:
        """pwrite each (data, offset, path) of `parts`, all within [start, start+nbytes) of the region:
        checked once for the whole span (two syscalls per request rather than per tensor)."""
        with self.lock:
            base = self.check(start, nbytes, path) - start
            try:
                pwrite_all(self.fd, [(data, offset) for data, offset, _ in parts], base)
            except OSError as e:  # e.g. ENOSPC: /dev/shm is full and the client's pages were never allocated
                raise self._failed(e, "write", path) from None

    def sealed_view(self, offset: int, nbytes: int, path: str) -> memoryview | None:
        """[offset, offset+nbytes) of the region as a read-only view on this process's mapping of it, when
        its object is sealed against shrinking (a memfd the server made: a mapping can never fault), else
        None (read it instead). Mapped once, on first use; the view travels to workers without a copy."""
        self.check(offset, nbytes, path)
        with self.lock:
            if self.mapped is None and self.fd >= 0:
                self.mapped = _map_sealed(self.fd, self.obj, self.ident)
            m = self.mapped
            if not m:
                return None
            # sliced under the lock: a concurrent close() (a dead client's regions swept) releases m.mv
            return m.mv[self.offset + offset:self.offset + offset + nbytes].toreadonly()

    def close(self) -> None:
        with self.lock:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
            if self.mapped:
                self.mapped.close()  # (the mapping lives on while a job in flight views it)
            self.mapped = False


def _map_sealed(fd: int, path: str, ident: tuple):
    """shm.Sealed of a region's fd when it carries F_SEAL_SHRINK (else False: a client's own object, which it
    could shrink under a mapping; it is read with preadv)."""
    try:
        if not fcntl.fcntl(fd, fcntl.F_GET_SEALS) & SEAL_SHRINK:
            return False
        return shm.Sealed(fd, os.fstat(fd).st_size, path, ident)
    except (OSError, AttributeError, ValueError):  # no sealing here, or an object that cannot be mapped
        return False


class Kept:
    """The server's copy of a client's input bytes at (offset, nbytes) of a region, read under generation
    `gen`; `users`: requests in flight that use it. Retired (replaced, evicted, its region gone): its buffer
    goes back to the pool once the last of them is over."""

    __slots__ = ("region", "offset", "nbytes", "gen", "buf", "users", "retired")

    def __init__(self, region: Region, offset: int, nbytes: int, gen: int, buf):
        self.region, self.offset, self.nbytes, self.gen, self.buf = region, offset, nbytes, gen, buf
        self.users, self.retired = 1, False


class Regions:
    """The registered regions of one server (thread-safe: bodies are decoded off the event loop)."""

    def __init__(self, setting: str = "loopback", max_regions: int = 64, keep_bytes: int = 64 << 20,
                 min_buffer_bytes: int = 65536, made_bytes: int = 256 << 20, idle_s: float = 600.0,
                 kept_cap: int | None = None):
        self.setting, self.max_regions = setting, max_regions
        self.made_bytes, self.idle_s = made_bytes, idle_s  # regions the server makes (service.out_memfd)
        self.sweeping = False  # (out_memfd.watch armed)
        self.regions: dict[str, Region] = {}
        self.lock = threading.Lock()
        self.buffers = shm.BufferPool(keep_bytes)  # large inputs land in these: workers map them, no copy
        self.min_buffer_bytes = min_buffer_bytes
        # copies of unchanged inputs, oldest first (at most kept_cap bytes), and what has been read / reused
        self.kept_cap = keep_bytes if kept_cap is None else kept_cap
        self.kept: dict[Kept, None] = {}
        self.kept_bytes = 0
        self.input_bytes = [0, 0]  # bytes read from regions into buffers, and bytes served from kept copies

    def reuse(self, region: Region, offset: int, nbytes: int, gen: int) -> Kept | None:
        """The kept copy of these bytes under this generation, now used by one more request (lock held)."""
        k = region.kept.get((offset, nbytes))
        if k is None or k.gen != gen:
            return None
        k.users += 1
        self.kept[k] = self.kept.pop(k)  # (most recently used last)
        self.input_bytes[1] += nbytes
        return k

    def keep(self, region: Region, offset: int, nbytes: int, gen: int, buf) -> Kept | None:
        """Keep `buf` (just read from the region, used by one request) as its copy under `gen`; copies of
        bytes it overlaps are stale (the client wrote there) and go (lock held). None: over the budget."""
        if buf.size > self.kept_cap or self.regions.get(region.name) is not region:  # (unregistered meanwhile)
            return None
        self.overwritten(region, offset, nbytes)
        while self.kept and self.kept_bytes + buf.size > self.kept_cap:  # (the buffers' sizes: what they hold)
            self.retire(next(iter(self.kept)))
        k = region.kept[(offset, nbytes)] = Kept(region, offset, nbytes, gen, buf)
        self.kept[k] = None
        self.kept_bytes += buf.size
        return k

    def overwritten(self, region: Region, offset: int, nbytes: int) -> None:
        """The client wrote these bytes anew: copies of any of them are stale (lock held)."""
        if region.kept:
            for k in [k for k in region.kept.values() if k.offset < offset + nbytes and offset < k.offset + k.nbytes]:
                self.retire(k)

    def retire(self, k: Kept) -> None:
        """(lock held)"""
        if k.retired:
            return
        k.retired = True
        del self.kept[k]
        del k.region.kept[(k.offset, k.nbytes)]
        self.kept_bytes -= k.buf.size
        if k.users == 0:
            self.buffers.give_back(k.buf)

    def done_with(self, k: Kept) -> None:
        """A request that used `k` is over (lock held)."""
        k.users -= 1
        if k.retired and k.users == 0:
            self.buffers.give_back(k.buf)

    def _forget(self, region: Region) -> None:
        """(lock held) A region that goes: its kept copies too."""
        for k in list(region.kept.values()):
            self.retire(k)

    def allow(self, peer: str | None) -> None:
        check_peer(peer, self.setting)

    def register(self, name: Any, key: Any, offset: Any, byte_size: Any, peer: str | None,
                 client: str | None = None) -> None:
        self.allow(peer)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidRequest("a region name is 1-200 of letters, digits, '_', '.', '-'", path="name")
        obj = object_name(key)
        offset, byte_size = _int(offset or 0, "offset", "offset"), _int(byte_size, "byte_size", "byte_size")
        try:
            fd = os.open(os.path.join(shm.SHM_DIR, obj), os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            # Triton's words (shared_memory_manager.cc OpenSharedMemoryRegion; its INTERNAL, a 500, blames the
            # server for the request's fault: a 400 here), then ours
            raise InvalidRequest(f"Unable to open shared memory region: '{key}' (no shared memory object {key!r}: "
                                 "create it with shm_open first)", path="key") from None
        except OSError as e:
            raise InvalidRequest(f"cannot open the shared memory object {key!r}: {e.strerror}", path="key") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
                raise InvalidRequest(f"{key!r} is not a shared memory object of the server's user", path="key")
            if st.st_size < offset + byte_size:
                raise InvalidRequest(f"the shared memory object {key!r} has {st.st_size} bytes; offset {offset} + "
                                     f"byte_size {byte_size} need {offset + byte_size}", path="byte_size")
            region = Region(name, key, obj, offset, byte_size, fd, (st.st_dev, st.st_ino))
            region.client = client
            self._add(region)
        except BaseException:
            os.close(fd)
            raise

    def _add(self, region: Region) -> None:
        with self.lock:
            if region.name in self.regions:
                # Triton's words and code (shared_memory_manager.cc: ALREADY_EXISTS, HTTP 400): a client that
                # registers idempotently tells this answer apart by its gRPC status
                raise InvalidRequest(f"shared memory region '{region.name}' already in manager (already registered; "
                                     "unregister it first)", code="region_exists", path="name",
                                     shared_memory_region=region.name)
            for r in [r for r in self.regions.values() if not r.alive()]:  # their client removed them (or died)
                self._forget(r)
                self.regions.pop(r.name).close()
            if len(self.regions) >= self.max_regions:
                raise LimitExceeded(f"{len(self.regions)} shared memory regions are registered, the most this server "
                                    f"allows (client_shm_max_regions={self.max_regions}): unregister some",
                                    limit="client_shm_max_regions", value=self.max_regions)
            owner, share = keyed(region.client), max(1, self.max_regions // OWNER_SHARE)
            # (made regions have their own share, service.out_memfd; without keys every peer is one client)
            if (not region.made and owner is not None
                    and sum(not r.made and keyed(r.client) == owner for r in self.regions.values()) >= share):
                raise LimitExceeded(f"this client (API key) holds {share} registered shared memory regions, the most "
                                    f"one may (client_shm_max_regions={self.max_regions} / {OWNER_SHARE}): "
                                    "unregister some", limit="client_shm_max_regions", value=self.max_regions)
            self.regions[region.name] = region

    def unregister(self, name: str | None, peer: str | None, client: str | None = None) -> None:
        """One region, or all (name None) that `client` may unregister. An unknown name is not an error (as
        Triton). Region names are global (Triton's model: any client may unregister a region it registered by
        name), except that a region belongs to the API key it was registered under, and one the server made to
        the client that made it (403 to another; "all" leaves it), and no region is unregistered while a request
        uses it (409 naming it: its job would fail)."""
        self.allow(peer)
        with self.lock:
            if name is None:
                gone = [r for r in self.regions.values() if not _theirs(r, client)]
            else:
                gone = [r for r in [self.regions.get(name)] if r]
                if gone and _theirs(gone[0], client):
                    raise _not_yours(name, "name")
            busy = [r.name for r in gone if r.users]
            if busy:
                raise RegionInUse(f"shared memory region(s) {', '.join(map(repr, busy))} are used by a request "
                                  "running now: unregister once it is answered", path="name",
                                  shared_memory_region=busy[0])
            for r in gone:
                self._forget(r)
                del self.regions[r.name]
        for r in gone:
            r.close()

    def status(self, name: str | None, peer: str | None, client: str | None = None) -> list[dict]:
        """The regions `client` may use (another API key's are not listed: their keys name its objects)."""
        self.allow(peer)
        with self.lock:
            if name is None:
                return [r.status() for r in self.regions.values() if not _other_key(r, client)]
            r = self.regions.get(name)
        if r is None:
            # Triton's words and code (server src/shared_memory_manager.cc GetStatus: NOT_FOUND)
            raise NotFound(f"Unable to find system shared memory region: '{name}'", code="region_not_found",
                           path="name", shared_memory_region=name)
        if _other_key(r, client):
            raise _not_yours(name, "name")
        return [r.status()]

    def get(self, name: Any, path: str, triton: bool = False) -> Region:
        """The region registered as `name`; none: for the Open Inference Protocol (`triton`) Triton's NOT_FOUND
        and text (server src/shared_memory_manager.cc GetMemoryInfo, HTTP 404), for /v1 a 400 (its SDK's
        InvalidRequest, as every other mistake in a job's shared memory)."""
        r = self.regions.get(name) if isinstance(name, str) else None
        if r is None and triton:
            raise NotFound(f"Unable to find shared memory region: '{name}': register it first",
                           code="region_not_found", path=path, shared_memory_region=str(name))
        if r is None:
            raise InvalidRequest(f"unknown shared memory region {name!r}: register it first "
                                 "(POST /v2/systemsharedmemory/region/<name>/register)", path=path,
                                 shared_memory_region=str(name))
        return r

    def use(self, name: Any, path: str, using: list, client: str | None = None, triton: bool = False) -> Region:
        """`get`, counted as used (by the request whose list `using` is) until `release(using)`; another API
        key's region is a 403 (its inputs are not this client's to read, its bytes not this client's to write)."""
        with self.lock:
            r = self.regions.get(name) if isinstance(name, str) else None
            if r is not None and _other_key(r, client):
                raise _not_yours(name, path)
            if r is not None and r not in using:
                r.users += 1
                using.append(r)
        if r is None:
            return self.get(name, path, triton)  # (the error)
        return r

    def release(self, using: list) -> None:
        with self.lock:
            for r in using:
                r.users -= 1
        using.clear()

    def close(self) -> None:
        with self.lock:
            gone = list(self.regions.values())
            for r in gone:
                self._forget(r)
            self.regions.clear()
        for r in gone:
            r.close()
        self.buffers.close()


def of(core, settings) -> Regions:
    """The Core's registry (made on first use), so that every adapter of the server shares it."""
    regs = getattr(core, "client_regions", None)
    if regs is None:
        regs = core.client_regions = Regions(settings.client_shm, settings.client_shm_max_regions,
                                             min(settings.input_cache_bytes, 64 << 20),
                                             max(1, settings.shm_threshold_bytes), settings.client_shm_made_bytes,
                                             settings.client_shm_idle_s)
    return regs


# Inputs used straight from a sealed region the server made (Region.sealed_view: no copy here, none in the
# worker, which maps it too), though its client can still write into it while the job runs: floating and
# complex tensors only. Values changing mid-job can only make that job's own numbers wrong: float values
# never become a shape, a size or an index without a cast that makes a private array first (which
# NumPy's take / take_along_axis bound-check where used), and the one kernel that orders floats in place,
# argsort (sort / top_k), is NumPy's stable sort (merge / timsort: every loop bounded by indices, never by
# a comparison sentinel, so inconsistent comparisons give a wrong order, never a read out of bounds).
# Integer, bool and other tensors (indices, masks, counts: what the engine validates and then uses) are
# copied into server memory first, as from a client's own region. (tests/service/test_client_shm_made_inputs.py)
MAPPED_KINDS = frozenset("fc")

SHM_PARAMS = ("shared_memory_region", "shared_memory_offset", "shared_memory_byte_size")


def _raw(a: np.ndarray) -> memoryview:
    """A tensor's little-endian bytes, without a copy when it is already contiguous and little-endian
    (a worker's output slot view: pwrite reads it directly)."""
    if a.dtype == BF16:  # (no buffer format for bfloat16: its bits)
        a = a.view(np.uint16)
    return memoryview(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))).cast("B")


def layout(sizes: list[int], pos: int, end: int) -> dict[int, int]:
    """Where outputs of these byte sizes go in [pos, end) of an output region: {index: offset}, one after
    another at multiples of ALIGN while they fit (empty ones and those that do not fit stay out: they go
    in the response). The one rule, for the server (place_all) and for a worker (write_target)."""
    where = {}
    for i, n in enumerate(sizes):
        start = -(-pos // ALIGN) * ALIGN
        if n == 0 or start + n > end:
            continue
        where[i] = start
        pos = start + n
    return where


def pwrite_all(fd: int, parts: list, base: int) -> None:
    """pwrite each (bytes, offset) at base + offset, whole (pwrite may write less than asked)."""
    for data, offset in parts:
        done = 0
        while done < data.nbytes:
            done += os.pwrite(fd, data[done:], base + offset + done)


class InRegion:
    """An output a worker wrote into the client's output region itself: its shape, dtype and place, and no
    data in this process. Only /v1's response reads it (RegionIO.taken); anything that would read its
    values fails loudly instead of sending something else."""

    __slots__ = ("shape", "dtype", "offset", "nbytes")

    def __init__(self, offset: int, shape: tuple, dtype: str):
        self.shape, self.dtype, self.offset = tuple(shape), np.dtype(dtype), offset
        self.nbytes = math.prod(self.shape) * self.dtype.itemsize

    def __array__(self, *args, **kwargs):
        raise TypeError("this output was written into the client's shared memory region by the worker; "
                        "the server holds no copy of its values")


class RegionError(Exception):
    """A worker could not write outputs into the client's region (or map the made region an input lies in):
    the job's 400 (as EngineError.to_dict)."""

    def __init__(self, message: str, region: str, path: str = "$.shared_memory_output"):
        super().__init__(message)
        self.region, self.path = region, path

    def to_dict(self) -> dict:
        return {"code": "invalid_request", "message": str(self),
                "detail": {"path": self.path, "shared_memory_region": self.region}}


def write_target(target: tuple, outputs: list) -> dict[int, int]:
    """Worker side: write the outputs that fit into the client's output region named by `target`
    (RegionIO.target), laid out as place_all would; {index: offset in the region}. The object is opened by
    name (O_NOFOLLOW) and must be the one the server registered (device and inode: the name cannot have
    been swapped for another file) and still large enough; pwrite, never a mapping, so a client that
    shrinks it meanwhile gets an error, not a fault. Raises RegionError."""
    name, obj, ident, base, first, size = target
    arrays = [np.asarray(a) for a in outputs]
    where = layout([0 if a.dtype.hasobject else a.nbytes for a in arrays], first, first + size)
    if not where:
        return where
    end = max(where[i] + arrays[i].nbytes for i in where)
    try:
        fd = os.open(os.path.join(shm.SHM_DIR, obj), os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:
        raise RegionError(f"the shared memory object of region {name!r} cannot be opened ({e.strerror}): it was "
                          "removed after registration; unregister the region and register it again", name) from None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != tuple(ident):
            raise RegionError(f"the shared memory object of region {name!r} was replaced after registration: "
                              "unregister the region and register it again", name)
        if st.st_size < base + end:
            raise RegionError(f"the shared memory object of region {name!r} shrank to {st.st_size} bytes; the "
                              f"outputs need bytes up to {base + end}", name)
        try:
            pwrite_all(fd, [(_raw(arrays[i]), off) for i, off in where.items()], base)
        except OSError as e:  # e.g. ENOSPC: /dev/shm is full and the client's pages were never allocated
            raise RegionError(f"cannot write shared memory region {name!r}: {e.strerror}", name) from None
    finally:
        os.close(fd)
    return where


def _placed(region: Region, offset: int, raw: memoryview) -> dict:
    return {"shared_memory_region": region.name, "shared_memory_offset": offset, "shared_memory_byte_size": raw.nbytes}


def params_of(params: Any, path: str) -> tuple[Any, int, int | None] | None:
    """(region, offset, byte_size or None) of a tensor's parameters, or None when it names no region."""
    if not isinstance(params, dict) or params.get("shared_memory_region") is None:
        return None
    off = _int(params.get("shared_memory_offset", 0), "shared_memory_offset", f"{path}.shared_memory_offset")
    size = params.get("shared_memory_byte_size")
    if size is not None:
        size = _int(size, "shared_memory_byte_size", f"{path}.shared_memory_byte_size")
    return params["shared_memory_region"], off, size


class RegionIO:
    """One request's use of the registry: the input tensors it reads (into buffers given back by
    `close` once the job is over), and where its outputs go."""

    def __init__(self, regions: Regions, peer: str | None, client: str | None = None, triton: bool = False):
        self.regions, self.peer, self.client = regions, peer, client  # (client: jobs.client_of, whose regions)
        self.triton = triton  # an Open Inference Protocol request: a region not registered is Triton's NOT_FOUND
        self.held: list = []  # Buffers and Kept copies this request's inputs are in
        self.using: list[Region] = []  # regions it reads or writes: not unregistered before close()
        self.checked = False
        self.output: tuple | None = None  # /v1: (region, offset, byte_size) all outputs are placed in

    def _allow(self) -> None:
        if not self.checked:
            self.regions.allow(self.peer)
            self.checked = True

    def tensor(self, params: dict, dt: np.dtype, shape: tuple, n: int, datatype: str, path: str) -> np.ndarray:
        """An input tensor read from the region its parameters name (codec.decode_tensor's hook)."""
        self._allow()
        name, off, size = params_of(params, f"{path}.parameters")
        need = n * dt.itemsize
        if size is not None and size != need:
            raise InvalidRequest(f"input {path}: shared_memory_byte_size {size}; shape {list(shape)} of {datatype} "
                                 f"needs {need}", code="shape_error", path=f"{path}.parameters",
                                 expected_bytes=need, got_bytes=size)
        gen = params.get("shared_memory_generation")
        if gen is not None:
            gen = _int(gen, "shared_memory_generation", f"{path}.parameters.shared_memory_generation")
        region = self.regions.use(name, f"{path}.parameters.shared_memory_region", self.using, self.client, self.triton)
        dst = None
        if (dt.kind in MAPPED_KINDS and need >= self.regions.min_buffer_bytes and region.mapped is not False
                and (region.offset + off) % dt.itemsize == 0):  # (aligned, as every kernel and backend expects)
            dst = region.sealed_view(off, need, f"{path}.parameters")  # no copy (MAPPED_KINDS says when)
        if dst is None and need >= self.regions.min_buffer_bytes:
            dst = self._large(region, off, need, gen, path)
        elif dst is None:
            dst = memoryview(bytearray(need))
            region.read_into(dst, off, path)
        a = np.frombuffer(dst, dtype=dt, count=n).reshape(shape)
        return a if dt.isnative else a.astype(dt.newbyteorder("="))

    def _large(self, region: Region, off: int, need: int, gen: int | None, path: str) -> memoryview:
        """A large input's bytes, read-only, in a server buffer that workers map: the copy kept from an earlier
        request when the client names the same place and generation, else read from the region now (and
        kept under its generation)."""
        regs = self.regions
        if gen is not None:
            with regs.lock:
                k = regs.reuse(region, off, need, gen)
            if k is not None:
                self.held.append(k)
                region.check(off, need, path)  # still registered, the same object, large enough: as a read
                return k.buf.mv[:need].toreadonly()
        with regs.lock:
            buf = regs.buffers.acquire(need)
        self.held.append(buf)
        region.read_into(buf.mv[:need], off, path)
        with regs.lock:
            regs.input_bytes[0] += need
            if gen is None:  # bytes the client does not name (e.g. written anew on every call): not kept
                regs.overwritten(region, off, need)
                k = None
            else:
                k = regs.keep(region, off, need, gen, buf)
        if k is not None:
            self.held[-1] = k
        return buf.mv[:need].toreadonly()

    def set_output(self, spec: Any, path: str = "$.shared_memory_output") -> None:
        """/v1's `shared_memory_output`: {region, offset?, byte_size?} to place the outputs in."""
        self._allow()
        if not isinstance(spec, dict) or set(spec) - {"region", "offset", "byte_size"}:
            raise InvalidRequest("shared_memory_output is {region, offset, byte_size}", path=path)
        region = self.regions.use(spec.get("region"), f"{path}.region", self.using, self.client)
        off = _int(spec.get("offset", 0), "offset", f"{path}.offset")
        if off > region.byte_size:  # (else an omitted byte_size would come out negative and pass the check below)
            raise InvalidRequest(f"offset {off} is past the end of region {region.name!r} ({region.byte_size} bytes)",
                                 path=f"{path}.offset", shared_memory_region=region.name)
        size = spec.get("byte_size")
        size = region.byte_size - off if size is None else _int(size, "byte_size", f"{path}.byte_size")
        if off + size > region.byte_size:
            raise InvalidRequest(f"offset {off} + byte_size {size} run past region {region.name!r} "
                                 f"({region.byte_size} bytes)", path=path, shared_memory_region=region.name)
        self.output = (region, off, size)

    def place_all(self, outputs: list) -> dict[int, dict]:
        """/v1: the outputs that fit, one after another (64-byte aligned) in the output region, written
        there; {index: tensor parameters}. The others go in the response as usual."""
        if self.output is None:
            return {}
        region, first, size = self.output
        arrays = [np.asarray(a) for _, a in outputs]
        where = layout([a.nbytes for a in arrays], first, first + size)
        parts, placed = [], {}
        for i, start in where.items():
            raw = _raw(arrays[i])
            parts.append((raw, start, f"$.outputs[{i}]"))
            placed[i] = _placed(region, start, raw)
        if parts:
            end = max(start + raw.nbytes for raw, start, _ in parts)
            region.write_all(parts, first, end - first, "$.shared_memory_output")
        return placed

    def target(self) -> tuple | None:
        """Where a worker may write this job's outputs itself (`write_target`), or None: /v1's output region
        as (region name, object name, (st_dev, st_ino), region offset in the object, offset, byte_size)."""
        if self.output is None:
            return None
        region, off, size = self.output
        return (region.name, region.obj, region.ident, region.offset, off, size)

    def taken(self, outputs: list) -> dict[int, dict] | None:
        """/v1: {index: tensor parameters} of the outputs a worker wrote into the output region (InRegion),
        once the region is checked to be still registered (the worker checked the object and its size:
        else the 400 that place_all gives); None when the worker wrote none (place_all then places them)."""
        mine = {i: a for i, (_, a) in enumerate(outputs) if isinstance(a, InRegion)}
        if not mine or self.output is None:
            return None
        region, first, _ = self.output
        end = max(a.offset + a.nbytes for a in mine.values())
        # the object's identity and size: the worker checked them itself on the fd it wrote through
        # (write_target, in this job); what only this process knows is whether it is still registered
        region.within(first, end - first, "$.shared_memory_output")
        return {i: {"shared_memory_region": region.name, "shared_memory_offset": a.offset,
                    "shared_memory_byte_size": a.nbytes} for i, a in mine.items()}

    def write(self, region: Region, offset: int, a: np.ndarray, path: str) -> dict:
        raw = _raw(a)
        region.write(raw, offset, path)
        return _placed(region, offset, raw)

    def write_requested(self, name: str, a: np.ndarray, params: dict, path: str) -> dict:
        """OIP: an output the client asked for in a region (too small a region: 400 naming the sizes)."""
        self._allow()
        rname, off, size = params_of(params, path)
        region = self.regions.use(rname, f"{path}.shared_memory_region", self.using, self.client, self.triton)
        a = np.asarray(a)
        if size is not None:  # the declared span lies in the region, whatever the answer's size (Triton's check)
            region.within(off, size, f"{path}.shared_memory_byte_size")
        if size is not None and size < a.nbytes:
            raise InvalidRequest(f"output {name!r} has {a.nbytes} bytes (shape {list(a.shape)}); "
                                 f"shared_memory_byte_size {size} is too small", path=path,
                                 shared_memory_region=region.name, expected_bytes=a.nbytes, got_bytes=size)
        return self.write(region, off, a, path)

    def close(self) -> None:
        if self.using:
            self.regions.release(self.using)
        if self.held:
            with self.regions.lock:
                for b in self.held:
                    if type(b) is Kept:
                        self.regions.done_with(b)
                    else:
                        self.regions.buffers.give_back(b)
            self.held.clear()
