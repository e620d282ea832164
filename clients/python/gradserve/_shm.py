"""Large tensors through shared memory when the server is on this host (its system shared memory extension).

A job whose tensors total at least `threshold` bytes (or whose last outputs did) leases a pair of
regions: its large input tensors are written into the input region and named in the body
({"parameters": {"shared_memory_region", "shared_memory_offset", "shared_memory_byte_size"}}), and
`shared_memory_output` asks the server to write the outputs into the output region. The arrays the
call returns are views on that region (no copy: on a VM each fresh page of a copy costs a fault,
~1.3 ms for W2's 2.7 MB of gradients), and the pair goes back to the pool only once the last of them
is gone (a finalizer on the array they all view). While VIEW_PAIRS pairs are held that way (a caller
that keeps its results), outputs are copied out instead and the pair is reused at once. Only the
JSON header crosses the socket.

Unchanged inputs are not copied again (issue #13: parameter values are data, uploaded once). A pair's
input region keeps the last call's layout while the body's large inputs keep their shapes and dtypes
(`Slots`); an input whose bytes already lie in its place (compared with memcmp: as cheap as the copy it
saves, and it sees every change, also one made in place through NumPy; not compared where it is the very
array last placed there and no user code can have written into it since: gradserve._private_arrays) is not
written again, and its
tensor says so with `shared_memory_generation`, the number that names its bytes; a written one gets a new
number, or none when it is written on every call (`Slots`). The server keeps its copy of the bytes it read
under a generation and reads the region again only for a new one (service.client_shm). A pair whose call
ended without an answer (a timeout, a dropped connection: the server may still be reading it) is
discarded, never reused.

Regions are made by the server when it can (POST .../region/<gsi|gso>_<pid>_<random>/create: a sealed
memfd, see service.out_memfd; this process maps it through the /proc path the server answers): its
workers keep them mapped, so writing the gradients costs a copy into resident pages, and a float input
written into an input region is read by the worker where it lies, never copied by the server
(service.client_shm.MAPPED_KINDS). Else (an older server, another user or PID namespace, the server's cap)
regions are POSIX shared memory objects this process creates (gsc_<pid>_<random>), registered with
POST /v2/systemsharedmemory/region/<name>/register, which the server reads and writes with preadv /
pwrite. A region is replaced by a larger one when a call needs more; `close` unregisters (and unlinks)
them all (objects of this process are unlinked when collected / at exit too).

What a caller can rely on: a result array is never overwritten by a later call. Its region is reused
only once every array viewing it is gone, and stays mapped (valid) even after `close` or after the
server dropped the region; a training loop may keep its gradients across steps. Pairs are leased one
per call, so threads sharing a client never share a region. Whenever registration fails (a remote
or older server, a server with client_shm=off, too many regions) the client stops trying and sends
bytes, as it does when the URL's host is not loopback or the option is off.
"""
from __future__ import annotations

import importlib
import ipaddress
import json
import mmap
import os
import secrets
import sys
import threading
import weakref
from typing import Any, Callable
from urllib.parse import urlsplit

import numpy as np

from . import _private_arrays
from ._wire import from_bytes  # (a relative import inside `read` cost ~4 us per output)

_posixshmem: Any
try:  # CPython's POSIX shared memory calls (what multiprocessing.shared_memory uses; no type stub)
    _posixshmem = importlib.import_module("_posixshmem")
except ImportError:  # pragma: no cover - not POSIX
    _posixshmem = None

THRESHOLD = 64 * 1024
JOB_OPS = frozenset({"eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp"})
ALIGN = 64
MIN_REGION = 1 << 20
MAX_PAIRS = 8  # concurrent calls beyond this send bytes
VIEW_PAIRS = 2  # pairs at most held by the caller's result arrays (a training step keeps the last grads)


def _libc_memcmp() -> Callable | None:
    try:
        import ctypes

        f = ctypes.CDLL(None).memcmp
        f.restype, f.argtypes = ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        return f
    except (ImportError, OSError, AttributeError):  # pragma: no cover - no C library to call: always write
        return None


_memcmp = _libc_memcmp() if sys.byteorder == "little" else None  # (regions hold little-endian bytes)


def is_local(url: str) -> bool:
    if url.lower().startswith("http+unix://"):  # the server's Unix socket: its host by construction
        return True
    host = (urlsplit(url).hostname or "").strip("[]")
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def enabled(url: str, option: bool | None) -> bool:
    """Whether a client at `url` tries shared memory: option True / False, or None: on for loopback
    URLs unless GRADSERVE_SHARED_MEMORY=0."""
    if _posixshmem is None or not os.path.isdir("/dev/shm"):
        return False
    if option is not None:
        return bool(option)
    return os.environ.get("GRADSERVE_SHARED_MEMORY", "1") not in ("0", "false", "off") and is_local(url)


def _unlink(name: str) -> None:
    try:
        _posixshmem.shm_unlink("/" + name)
    except OSError:
        pass


class Region:
    """A shared memory object of this process, mapped here."""

    def __init__(self, nbytes: int):
        self.name = f"gsc_{os.getpid()}_{secrets.token_hex(6)}"
        self.size = nbytes
        fd = _posixshmem.shm_open("/" + self.name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
        try:
            os.ftruncate(fd, nbytes)
            # the pages now: a full /dev/shm is an OSError here (bytes are sent), not a SIGBUS on a later write
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(fd, 0, nbytes)
            self.mm = mmap.mmap(fd, nbytes)
            view = np.frombuffer(self.mm, dtype=np.uint8)
            self.address = view.ctypes.data  # (for memcmp; the view goes at once: close() may unmap)
            del view
        except BaseException:
            _unlink(self.name)
            raise
        finally:
            os.close(fd)
        self._gone = weakref.finalize(self, _unlink, self.name)  # never left in /dev/shm
        self.slots = Slots()  # (an input region) what its bytes hold from earlier calls

    def close(self) -> None:
        self._gone()
        try:
            self.mm.close()
        except BufferError:  # pragma: no cover - a view still alive: the mapping goes with it
            pass


class Slots:
    """An input region's layout for a run of calls whose large inputs keep their shapes and dtypes: per
    input (in the body's order) its offset, whether its bytes are a whole earlier write (`known`), the
    generation that names them (0: none) and whether the last call wrote it (`hot`). A call with other
    inputs lays the region out anew: everything is written.

    Generations: a slot written again call after call (a weight a training step updates) goes without one:
    the server reads it each time anyway, and its tensor's parameters, so the whole JSON header, stay the
    same from call to call (the server's header memo, service.head_memo, keys on the header's bytes). A
    slot written after a call that kept it, or kept for the first time since, gets a new generation."""

    def __init__(self):
        self.sig: list = []  # (shape, dtype) per input of the layout
        self.offsets: list[int] = []
        self.known: list[bool] = []
        self.gens: list[int] = []
        self.hot: list[bool] = []
        self.last: list = []  # per input: a weak reference to the sealed array its bytes were placed from, or None
        self.gen = 0  # the last generation given out in this region (never reused)

    def unchanged(self, i: int, a: np.ndarray, address: int) -> bool:
        """Whether slot i (at `address`) holds a's bytes: the sealed array last placed there (nothing wrote
        into it since: gradserve._private_arrays), else compared byte for byte."""
        if not self.known[i]:
            return False
        last = self.last[i]
        return last is not None and last() is a and _private_arrays.sealed(a) or _same(a, address)

    def placed(self, i: int, a: np.ndarray) -> None:
        """Slot i's bytes are a's now."""
        self.last[i] = weakref.ref(a) if _private_arrays.sealed(a) else None

    def kept(self, i: int) -> int:
        """Slot i's bytes stay for this call: their generation (a new one when they had none)."""
        self.hot[i] = False
        if not self.gens[i]:
            self.gen += 1
            self.gens[i] = self.gen
        return self.gens[i]

    def written(self, i: int) -> int:
        """Slot i was just written whole: its generation, 0 when the last call wrote it too."""
        self.known[i] = True
        if self.hot[i]:
            self.gens[i] = 0
        else:
            self.gen += 1
            self.gens[i] = self.gen
        self.hot[i] = True
        return self.gens[i]

    def plan(self, arrays: list) -> int:
        """Lay out `arrays` (kept as it is when their shapes and dtypes are the last layout's); its end."""
        sig = [(a.shape, a.dtype) for a in arrays]
        if sig != self.sig:
            self.sig, self.offsets, pos = sig, [], 0
            for a in arrays:
                self.offsets.append(_aligned(pos))
                pos = self.offsets[-1] + a.nbytes
            self.known, self.gens, self.hot = [False] * len(arrays), [0] * len(arrays), [False] * len(arrays)
            self.last = [None] * len(arrays)
        return self.offsets[-1] + arrays[-1].nbytes if arrays else 0


def _same(a: np.ndarray, address: int) -> bool:
    """Whether `a`'s bytes are those at `address` (a C-contiguous array of native, little-endian order)."""
    return (_memcmp is not None and a.flags.c_contiguous and a.dtype.byteorder in "=|<"
            and _memcmp(a.ctypes.data, address, a.nbytes) == 0)


class MadeRegion:
    """An output region the server made (a sealed memfd of its own), mapped here through its /proc path."""

    def __init__(self, name: str, size: int, path: str, ident: list):
        self.name, self.size = name, size
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            if [st.st_dev, st.st_ino] != list(ident) or st.st_size < size:
                raise OSError(f"{path} is not the region the server made")
            self.mm = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        try:  # page tables now, not a fault per page when the first results are read (Linux >= 5.14)
            self.mm.madvise(getattr(mmap, "MADV_POPULATE_READ", 22))
        except (OSError, ValueError):
            pass
        view = np.frombuffer(self.mm, dtype=np.uint8)
        self.address = view.ctypes.data  # (an input region: for memcmp)
        del view
        self.slots = Slots()

    def close(self) -> None:
        try:
            self.mm.close()
        except BufferError:  # a view still alive: the mapping goes with it
            pass


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _large(x: Any, threshold: int, out: list) -> list:
    """The arrays of a body at least `threshold` bytes large."""
    if isinstance(x, np.ndarray):
        if x.nbytes >= threshold:
            out.append(x)
        return out
    if isinstance(x, dict):
        x = x.values()
    elif not isinstance(x, (list, tuple)):
        return out
    for v in x:  # a job body's arrays and strings checked here, containers by a call (called on every job)
        t = type(v)
        if t is np.ndarray:
            if v.nbytes >= threshold:
                out.append(v)
        elif not (t is str or t is bool or t is int or v is None):  # (a job body's flags: no call)
            _large(v, threshold, out)
    return out


class Lease:
    """One call's use of a pair of regions: `place` writes an input, `read` reads an output."""

    def __init__(self, owner: "SharedMemory", pair: list, views: bool, arrays: list):
        self.owner, self.pair = owner, pair
        self.inp: Region | MadeRegion = pair[0]
        self.out: Region | MadeRegion = pair[1]
        self.slots = self.inp.slots
        self.pos = self.slots.plan(arrays)  # (an input the plan did not foresee goes after its end)
        self.at: dict[int, list[int]] = {}  # id of a planned array -> its indices in the layout, in order
        for i, a in enumerate(arrays):
            self.at.setdefault(id(a), []).append(i)
        self.arrays = arrays  # (their ids stay theirs while the call lasts)
        self.wrote = self.kept = 0  # input bytes written into the region, and those already there
        self.placed_out = 0  # output bytes read from the region, each counted 64-byte aligned
        self.views = views  # outputs as views on the region (else copies)
        self.anchor: np.ndarray | None = None  # what every view handed out views: the pair is busy while it lives

    def place(self, a: np.ndarray) -> dict | None:
        """The tensor parameters of input `a` written into the input region (None: send it as bytes)."""
        if a.nbytes < self.owner.threshold:
            return None
        region, slots = self.inp, self.slots
        where = self.at.get(id(a))
        if not where:  # not in the plan (e.g. an array subclass the encoder converted): after it, no generation
            start = _aligned(self.pos)
            if start + a.nbytes > region.size:
                return None
            self._write(a, start)
            self.pos = start + a.nbytes
            return {"shared_memory_region": region.name, "shared_memory_offset": start,
                    "shared_memory_byte_size": a.nbytes}
        i = where.pop(0)
        start = slots.offsets[i]
        if slots.unchanged(i, a, region.address + start):
            self.kept += a.nbytes
            gen = slots.kept(i)
        else:
            slots.known[i] = False  # (until written whole)
            self._write(a, start)
            gen = slots.written(i)
        slots.placed(i, a)
        params = {"shared_memory_region": region.name, "shared_memory_offset": start,
                  "shared_memory_byte_size": a.nbytes}
        if gen:
            params["shared_memory_generation"] = gen
        return params

    def _write(self, a: np.ndarray, start: int) -> None:
        dst = np.ndarray(a.shape, dtype=a.dtype.newbyteorder("<"), buffer=self.inp.mm, offset=start)
        dst[...] = a
        del dst
        self.wrote += a.nbytes

    def output_spec(self) -> dict:
        return {"region": self.out.name, "offset": 0, "byte_size": self.out.size}

    def read(self, params: dict, shape: list, datatype: str) -> np.ndarray:
        """An output the server wrote into the output region: a view on it, or a copy."""
        region = self.out
        if params.get("shared_memory_region") != region.name:
            raise ValueError(f"an output in shared memory region {params.get('shared_memory_region')!r}, "
                             f"not this call's {region.name!r}")
        off, n = int(params.get("shared_memory_offset", 0)), int(params["shared_memory_byte_size"])
        if off < 0 or off + n > region.size:
            raise ValueError(f"an output at [{off}, {off + n}) outside the region's {region.size} bytes")
        self.placed_out += _aligned(n)
        if not self.views:
            return from_bytes(memoryview(region.mm)[off:off + n], shape, datatype)
        if self.anchor is None:
            # views of views lead back to this array (NumPy stops at the mmap): it dies with the last of them
            self.anchor = np.frombuffer(region.mm, dtype=np.uint8)
            weakref.finalize(self.anchor, self.owner.returned, self.pair)
        return from_bytes(self.anchor[off:off + n], shape, datatype, copy=False)

    def done(self, outputs: list | None = None) -> None:
        """Back to the pool (once its views are gone); outputs that did not fit the output region size it
        for the next call."""
        inline = sum(_aligned(t["array"].nbytes) for t in outputs or () if isinstance(t, dict) and "array" in t
                     and "shared_memory_region" not in (t.get("parameters") or {}))
        anchor, self.anchor = self.anchor, None
        self.arrays = []
        self.owner.release(self.pair, self.placed_out + inline, held=anchor is not None, inputs=(self.wrote, self.kept))
        del anchor  # no view left (e.g. the caller dropped them): its finalizer frees the pair now

    def discard(self) -> None:
        """The call ended without an answer: the server may still read (or its worker write) these regions, so
        they are never reused: regions of this process unlinked (the server drops a region whose object is
        gone), regions the server made unregistered (a job still using one keeps its mapping: safe)."""
        self.arrays = []
        self.owner.discard(self.pair)


class SharedMemory:
    """A client's regions on one server. `send(method, path, content, headers)` -> (status, headers, body)."""

    def __init__(self, send: Callable, threshold: int = THRESHOLD):
        self.send, self.threshold = send, threshold
        # reentrant: a view's finalizer (returned) may run inside a locked block, when a collection happens there
        self.lock = threading.RLock()
        self.free: list[list] = []
        self.held: list[list] = []  # pairs the caller's result arrays still view
        self.closed = False
        self.pairs = 0
        self.out_hint = 0  # bytes the last outputs took
        self.disabled = False
        self.input_bytes = [0, 0]  # large input bytes written into regions, and found already there (not copied)
        self.made: bool | None = None  # whether the server makes output regions (None: not asked yet)
        self.lost = 0  # made output regions the server dropped in a row (idle, restarted)

    def wanted(self, op: str, body: dict) -> bool:
        return not self.disabled and op in JOB_OPS and (
            self.out_hint >= self.threshold or bool(_large(body, self.threshold, [])))

    def small(self, arrays: list, params: dict | None) -> bool:
        """Whether a job body whose arrays are `arrays` and `params`' values is one `wanted` refuses (its
        answer without the walk: gradserve._lane)."""
        return self.small_upto(max([a.nbytes for a in arrays] + ([a.nbytes for a in params.values()] if params else []),
                                   default=0))

    def small_upto(self, largest: int) -> bool:
        """`small` of a job whose largest array has `largest` bytes (gradserve._lane's pin knows it)."""
        if self.disabled or self.out_hint >= self.threshold:
            return self.disabled
        return largest < self.threshold

    def _needs(self, body: dict) -> tuple[list, int, int]:
        """(the body's large arrays, input bytes, output bytes) a pair must hold for this call."""
        arrays = _large(body, self.threshold, [])
        return arrays, sum(_aligned(a.nbytes) for a in arrays), _aligned(max(self.out_hint, self.threshold))

    def lease_now(self, body: dict) -> Lease | None:
        """`lease` when the last free pair already holds this call (no registration, so it never blocks:
        what the async client asks before it hands `lease` to a thread), else None."""
        arrays, need_in, need_out = self._needs(body)
        with self.lock:
            pair = self.free[-1] if self.free else None
            if pair is None or pair[0].size < need_in or pair[1].size < need_out:
                return None
            self.free.pop()
        return Lease(self, pair, len(self.held) < VIEW_PAIRS, arrays)

    def lease(self, body: dict) -> Lease | None:
        """A pair of regions large enough for this body's inputs (and the last call's outputs), or None."""
        arrays, need_in, need_out = self._needs(body)
        pair: list[Region | MadeRegion | None] | None
        with self.lock:
            pair = self.free.pop() if self.free else None
            if pair is None:
                if self.pairs >= MAX_PAIRS:
                    return None
                self.pairs += 1
                pair = [None, None]
        try:
            for i, need in ((0, need_in), (1, need_out)):
                cur = pair[i]
                if cur is None or cur.size < need:
                    pair[i] = self._replace(cur, max(MIN_REGION, need, 2 * (cur.size if cur is not None else 0)),
                                            out=i == 1)
        except RuntimeError:
            self.disabled = True  # registration refused: bytes from now on
            self._drop(pair)
            return None
        except OSError:  # /dev/shm full, the server unreachable: bytes this time
            self._drop(pair)
            return None
        return Lease(self, pair, len(self.held) < VIEW_PAIRS, arrays)

    def _replace(self, old: Region | MadeRegion | None, size: int, out: bool = False) -> Region | MadeRegion:
        if old is not None:
            self._unregister(old)
        if self.made is not False:
            made = self._made(size, "gso" if out else "gsi")
            if made is not None:
                return made
        region = Region(size)
        body = json.dumps({"key": "/" + region.name, "offset": 0, "byte_size": size}).encode()
        try:
            status, _, content = self.send("POST", f"/v2/systemsharedmemory/region/{region.name}/register", body,
                                           {"content-type": "application/json"})
        except Exception as e:  # noqa: BLE001 - a transport error: not this time
            region.close()
            raise ConnectionError(f"registering a shared memory region failed: {e}") from e
        if status != 200:
            region.close()
            raise RuntimeError(f"the server refused a shared memory region ({status}): {bytes(content)[:300]!r}")
        return region

    def _made(self, size: int, prefix: str) -> MadeRegion | None:
        """A region the server makes, or None (then one of this process)."""
        name = f"{prefix}_{os.getpid()}_{secrets.token_hex(6)}"
        body = json.dumps({"byte_size": size, "pid": os.getpid()}).encode()
        try:
            status, _, content = self.send("POST", f"/v2/systemsharedmemory/region/{name}/create", body,
                                           {"content-type": "application/json"})
        except Exception as e:  # noqa: BLE001 - a transport error: not this time
            raise ConnectionError(f"making a shared memory region failed: {e}") from e
        if status != 200:
            if status in (400, 404, 405):  # an older server, one that cannot, or our pid is not one of its host's
                self.made = False  # (another PID namespace): regions of our own from now on
            return None  # (its cap, say: one of our own this time)
        try:
            info = json.loads(bytes(content))
            region = MadeRegion(name, size, info["path"], info["ident"])
        except (OSError, ValueError, KeyError, TypeError):  # another user or PID namespace: not openable here
            self.made = False
            self.send("POST", f"/v2/systemsharedmemory/region/{name}/unregister", b"",
                      {"content-type": "application/json"})
            return None
        self.made = True
        return region

    def _unregister(self, region: Region | MadeRegion) -> None:
        try:
            self.send("POST", f"/v2/systemsharedmemory/region/{region.name}/unregister", b"",
                      {"content-type": "application/json"})
        except Exception:  # noqa: BLE001 - the server is gone: nothing to unregister
            pass
        region.close()

    def _drop(self, pair: list) -> None:
        for r in pair:
            if r is not None:
                self._unregister(r)
        with self.lock:
            self.pairs -= 1

    def release(self, pair: list, out_bytes: int, held: bool = False, inputs: tuple = (0, 0)) -> None:
        """A call is over: the pair is free again, or `held` until the views it handed out are gone."""
        with self.lock:
            self.out_hint, self.lost = out_bytes, 0
            self.input_bytes[0] += inputs[0]
            self.input_bytes[1] += inputs[1]
            (self.held if held else self.free).append(pair)

    def discard(self, pair: list) -> None:
        for r in pair:
            if isinstance(r, MadeRegion):  # the server holds its memory until told (or until this process ends)
                self._unregister(r)
            elif r is not None:  # unlinked: the server drops a region whose object is gone
                r.close()
        with self.lock:
            self.pairs -= 1

    def returned(self, pair: list) -> None:
        """The last view on a held pair's output region is gone: the pair is free again."""
        with self.lock:
            if not self.closed and any(p is pair for p in self.held):
                self.held = [p for p in self.held if p is not pair]
                self.free.append(pair)

    def failed(self, lease: Lease, region: str | None = None) -> None:
        """The server refused this call's regions (e.g. one it no longer has): bytes from now on; but a made
        region it dropped (idle too long) is made again on the next call (twice in a row at most), and so
        are the free pairs' (idle as long: likely dropped too)."""
        gone = [lease.pair]
        if any(isinstance(r, MadeRegion) and r.name == region for r in lease.pair) and self.lost < 2:
            self.lost += 1
            with self.lock:
                gone, self.free = gone + self.free, []
        else:
            self.disabled = True
        for pair in gone:
            self._drop(pair)

    def close(self) -> None:
        """Unregister and unlink every region; views still alive keep their mapping (and stay valid)."""
        with self.lock:
            pairs, self.free, self.held = self.free + self.held, [], []
            self.closed = True
        for p in pairs:
            self._drop(p)
