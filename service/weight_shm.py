"""Weights named by hash shared by a pool's workers: one sealed memfd per value, mapped read-only (reliab10).

Why: each worker received a value's bytes as pipe frames into a buffer of its own (service.weight_refs), so
two workers running one model held two copies of its weights (a 192 MiB MLP: +231 MiB private in each worker,
benchmarks/weights_per_worker.py). Now the server writes a value once into a memfd, seals it (F_SEAL_WRITE:
nobody, the server included, can change its bytes; SHRINK / GROW: its size is fixed, a mapping never faults) and
names it to a worker as (path, ident); the worker opens /proc/<server pid>/fd/<n>, checks the inode is `ident`
(a closed fd's number may be reused) and maps it read-only: every worker's mapping is the same pages.

The server keeps the memfds of the values it last handed out, least recently used first, within `max_bytes`;
closing one frees nothing a worker still maps (its pages go with the last mapping). A worker that finds the fd
closed or another file behind it keeps no buffer for the key, and its job asks for the values again
(weight_refs.MissingWeight -> need_graph): the server makes the memfd again. Where a memfd cannot be made (no
memfd_create, tmpfs full), the value goes as pipe frames as before."""
from __future__ import annotations

import fcntl
import logging
import mmap
import os
from collections import OrderedDict

log = logging.getLogger("gradserve.pools")
SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL
CHUNK = 16 << 20  # bytes a write hands the kernel at once


class SharedWeights:
    """The server's sealed memfds by weight key: (path, ident) to name to a worker."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.nbytes = max_bytes, 0
        self.fds: OrderedDict = OrderedDict()  # key -> (fd, nbytes, ident)

    def region(self, key: str, data: memoryview, keep=()) -> tuple | None:
        """(path, ident) of the memfd holding `data` (made on first need); None when none can be made. `keep`: the
        keys of the message being written (this one's included), none closed for another: a worker maps them only
        once the message arrives (a model above the budget would map none and go by pipe)."""
        got = self.fds.get(key)
        if got is None:
            try:
                got = self.fds[key] = _sealed_copy(data)
            except OSError as e:
                log.warning("weight %s goes by pipe: no shared memfd (%s)", key, e)
                return None
            self.nbytes += got[1]
            self._trim(keep={key, *keep})
        self.fds.move_to_end(key)
        return f"/proc/{os.getpid()}/fd/{got[0]}", got[2]

    def _trim(self, keep: set) -> None:
        for key in [k for k in self.fds if k not in keep]:  # least recently used first
            if self.nbytes <= self.max_bytes:
                break
            fd, n, _ = self.fds.pop(key)
            self.nbytes -= n
            os.close(fd)

    def close(self) -> None:
        for fd, _, _ in self.fds.values():
            os.close(fd)
        self.fds.clear()
        self.nbytes = 0


def _sealed_copy(data: memoryview) -> tuple:
    fd = os.memfd_create("gradserve-weight", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        os.posix_fallocate(fd, 0, len(data))  # tmpfs full: an error here, never a fault in a worker
        done = 0
        while done < len(data):
            done += os.pwrite(fd, data[done:done + CHUNK], done)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd, len(data), (st.st_dev, st.st_ino)


def mapped(path: str, ident: tuple, nbytes: int) -> memoryview | None:
    """In a worker: the value's read-only mapping; None when the server's fd is gone or is another file now, or
    is not sealed against writes (then the server sends the value again)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != tuple(ident) or st.st_size != nbytes:
            return None
        if fcntl.fcntl(fd, fcntl.F_GET_SEALS) & SEALS != SEALS:
            return None
        return memoryview(mmap.mmap(fd, nbytes, prot=mmap.PROT_READ))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
