"""Shared memory between the server and its workers: zero-copy refs for arrays in a request Buffer,
output segments mapped as views, names unlinked by their owner."""
from __future__ import annotations

import os

import numpy as np
import pytest

from service import shm


def _exists(name: str) -> bool:
    return os.path.exists(f"/dev/shm/{name}")


def test_a_view_in_a_buffer_travels_as_name_and_offset_without_a_copy():
    buf = shm.Buffer(4096 + 64)
    try:
        a = np.frombuffer(buf.mv[64:64 + 4096], dtype="<f4").reshape(32, 32)
        a[...] = np.arange(1024, dtype=np.float32).reshape(32, 32)
        owned: list = []
        ref = shm.put(a, 1024, owned)
        assert ref[0] == "shm" and ref[1] == buf.name and ref[4] == 64 and owned == []  # no new segment
        attached: list = []
        b = shm.get(ref, attached)  # what a worker sees
        assert np.array_equal(a, b) and b.shape == (32, 32)
        del b
        shm.close_all(attached)
        # a copy of the array is not in the buffer: it goes to a new segment
        ref2 = shm.put(a.copy(), 1024, owned)
        assert ref2[1] != buf.name and len(owned) == 1
        shm.close_all(owned, unlink_too=True)
    finally:
        buf.release()
    assert not _exists(buf.name)
    assert shm.put(a, 1024, [])[1] != buf.name  # released: no longer recognised


def test_output_segment_taken_as_a_view_and_unlinked_at_once():
    owned: list = []
    a = np.random.default_rng(0).standard_normal((300, 200)).astype(np.float32)
    ref = shm.put(a, 1024, owned)
    shm.close_all(owned)  # the worker's side: closed, not unlinked
    assert _exists(ref[1])
    v = shm.take_view(ref)
    assert not _exists(ref[1])  # the name is gone; the mapping lives with the view
    assert np.array_equal(v, a) and v.dtype == a.dtype and v.shape == a.shape
    assert shm.take_view(("inline", a)) is a


def test_small_and_empty_arrays_are_inline():
    assert shm.put(np.float32(3.0), 1024, [])[0] == "inline"
    assert shm.put(np.zeros((0, 4), np.float32), 0, [])[0] == "inline"


def test_a_failed_job_does_not_pin_its_tensors_in_a_reference_cycle():
    """run_watching re-raises a job's error; the request's arrays must go with the error, not wait for
    the cyclic GC (under overload that pinned ~1 GiB of request bodies per round)."""
    import asyncio
    import gc
    import weakref

    from service.errors import Overloaded
    from service.http_app import AsgiBody, run_watching

    class FakeRequest:
        async def receive(self):
            await asyncio.sleep(3600)

    async def job(arr):
        await asyncio.sleep(0)
        raise Overloaded("full", retry_after=1)

    async def main():
        arr = np.ones(10, np.float32)
        ref = weakref.ref(arr)
        coro = job(arr)
        del arr
        try:
            await run_watching(coro, AsgiBody(FakeRequest()).gone)
        except Overloaded:
            pass
        await asyncio.sleep(0)
        return ref

    gc.disable()
    try:
        ref = asyncio.run(main())
        assert ref() is None
    finally:
        gc.enable()


def test_small_arrays_travel_as_raw_bytes_and_come_back_exact():
    """Small tensors go with the worker message as raw bytes (cheaper than a pickled ndarray) and come
    back with their dtype, shape (0-d and empty too) and values, writable like before."""
    import pickle

    cases = [np.float32(3.0), np.zeros((0, 4), np.float32), np.arange(6, dtype=np.int64).reshape(2, 3),
             np.array([True, False]), np.arange(3, dtype=">f4"), np.ones((2, 2), np.float16),
             np.arange(12, dtype=np.float64).reshape(3, 4)[:, 1]]
    for a in cases:
        a = np.asarray(a)
        ref = pickle.loads(pickle.dumps(shm.put(a, 1024, [])))
        assert ref[0] == "inline" and isinstance(ref[1], bytes)
        for back in (shm.get(ref, []), shm.take_view(ref)):
            assert back.dtype == a.dtype and back.shape == a.shape and np.array_equal(back, a)
            assert back.flags.writeable


# serial: a server another xdist worker starts meanwhile would sweep the dead pid's segment before this test does
@pytest.mark.serial
def test_segments_of_a_dead_server_are_swept_and_live_ones_kept():
    """Names carry the owning server's pid: a server that starts unlinks what a killed one left."""
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()  # a pid that has exited
    live: list = []
    shm.put(np.ones(4096, np.float32), 1024, live)  # named after this (live) process
    try:
        shm.set_owner(int(dead))
        left: list = []
        shm.put(np.ones(4096, np.float32), 1024, left)  # as a worker of the dead server would name it
        shm.close_all(left)
    finally:
        shm.set_owner(os.getpid())
    orphans = [n for n in os.listdir("/dev/shm") if n.startswith(f"{shm.PREFIX}{dead}_")]
    assert len(orphans) == 1
    swept = shm.sweep_stale()
    assert orphans[0] in swept and not _exists(orphans[0])
    assert _exists(live[0].name) and live[0].name.startswith(f"{shm.PREFIX}{os.getpid()}_")
    shm.close_all(live, unlink_too=True)


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                                   "float16", "float32", "float64", "complex64", "complex128", ">f8", ">c8", "<i2"])
def test_the_raw_tensor_codec_round_trips_every_dtype_through_a_pipe(dtype):
    """The small-tensor form of a worker message (raw bytes, shape, dtype: no pickled ndarray) through a
    real multiprocessing Pipe: dtype (byte order too), shape and values come back exactly, for 0-d,
    empty, C-ordered, Fortran-ordered and strided arrays."""
    import multiprocessing

    rng = np.random.default_rng(0)
    dt = np.dtype(dtype)
    base = rng.normal(size=(4, 6)) * 50
    if dt.kind == "c":
        base = base + 1j * rng.normal(size=(4, 6))
    full = (base > 0) if dt.kind == "b" else base.astype(dt)
    cases = [full, full[1, 2], np.asarray(full[1, 2]), full[:0], full.reshape(2, 3, 4)[:, ::2, 1:3], full.T,
             np.asfortranarray(full), full[::-1, ::3]]
    parent, child = multiprocessing.Pipe()
    try:
        for a in cases:
            a = np.asarray(a)
            parent.send(("job", [shm.put(a, 1 << 20, [])]))
            (ref,) = child.recv()[1]
            assert ref[0] == "inline" and isinstance(ref[1], bytes) and len(ref[1]) == a.nbytes
            for back in (shm.get(ref, []), shm.take_view(ref)):
                assert back.dtype == a.dtype and back.shape == a.shape and back.flags.c_contiguous
                assert back.flags.writeable and back.tobytes() == np.ascontiguousarray(a).tobytes()
    finally:
        parent.close()
        child.close()
