"""Reused shared-memory segments: worker outputs (service.out_slots) and request bodies (shm.BufferPool).

Both sides run in this process here (segment names are global), playing the worker with
SlotWriter and the server with OutputSlots exactly as service.worker and service.pools do.
"""
from __future__ import annotations

import gc
import os

import numpy as np

from service import codec, shm
from service.out_slots import OutputSlots, SlotWriter

THRESHOLD = 1024


def _exists(name: str) -> bool:
    return os.path.exists(f"/dev/shm/{name}")


def _job(server: OutputSlots, writer: SlotWriter, outputs: list) -> tuple[list, list]:
    """One job: the worker writes `outputs` given the server's listing; the server takes the refs."""
    owned: list = []
    free = writer.sync(server.listing())
    refs = [writer.put(a, THRESHOLD, free, owned) for a in outputs]
    shm.close_all(owned)  # the worker closes its fresh segments, as service.worker does
    return refs, server.take_all(refs)


def _arr(seed: int, n: int = 4096) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def test_a_fresh_output_is_adopted_then_reused_once_its_views_are_gone():
    server, writer = OutputSlots(cap=1 << 20), SlotWriter()
    try:
        refs1, (out1,) = _job(server, writer, [_arr(1)])
        name = refs1[0][1]
        assert np.array_equal(out1, _arr(1)) and _exists(name)  # adopted: the name is kept
        assert server.listing() == [(name, _arr(1).nbytes, False)]  # busy while out1 lives
        # while busy, the next job's output goes to a fresh segment
        refs2, (out2,) = _job(server, writer, [_arr(2)])
        assert refs2[0][1] != name and np.array_equal(out1, _arr(1)) and np.array_equal(out2, _arr(2))
        del out1
        gc.collect()
        assert (name, _arr(1).nbytes, True) in server.listing()
        refs3, (out3,) = _job(server, writer, [_arr(3)])
        assert refs3[0][1] == name  # written into the freed slot: no new segment
        assert np.array_equal(out3, _arr(3)) and np.array_equal(out2, _arr(2))
    finally:
        server.close()
    assert not _exists(name)  # close unlinks every slot


def test_derived_views_keep_the_slot_busy():
    """What the HTTP adapter streams is a memoryview of a reshaped output: the slot stays busy until it goes."""
    server, writer = OutputSlots(cap=1 << 20), SlotWriter()
    try:
        _, (out,) = _job(server, writer, [_arr(4).reshape(64, 64)])
        raw = codec.tensor_to_bytes(out.reshape(-1)[::1])
        del out
        gc.collect()
        assert [free for *_, free in server.listing()] == [False]
        refs, (other,) = _job(server, writer, [_arr(5).reshape(64, 64)])
        assert np.array_equal(np.frombuffer(raw, np.float32), _arr(4))  # not overwritten by the next job
        del raw
        gc.collect()
        assert sorted(free for *_, free in server.listing()) == [False, True]
    finally:
        server.close()


def test_one_output_per_slot_and_small_outputs_stay_inline():
    server, writer = OutputSlots(cap=1 << 20), SlotWriter()
    try:
        _job(server, writer, [_arr(1), _arr(2)])  # two slots adopted, their views dropped at once
        gc.collect()
        assert [free for *_, free in server.listing()] == [True, True]
        small = np.arange(4, dtype=np.float32)
        refs, outs = _job(server, writer, [_arr(6), _arr(7), _arr(8), small])
        names = [r[1] for r in refs[:3]]
        assert len(set(names)) == 3 and refs[3][0] == "inline"
        assert sum(n in server.slots for n in names) == 3  # two reused, the third adopted
        for got, want in zip(outs, [_arr(6), _arr(7), _arr(8), small]):
            assert np.array_equal(got, want)
    finally:
        server.close()


def test_the_cap_evicts_least_recently_used_free_slots_and_never_busy_ones():
    n = 4096 * 4  # bytes of _arr(i)
    server, writer = OutputSlots(cap=3 * n), SlotWriter()
    try:
        r1, (a,) = _job(server, writer, [_arr(1)])
        r2, (b,) = _job(server, writer, [_arr(2)])
        assert server.nbytes == 2 * n
        del a
        gc.collect()
        # twice as big: the free slot is too small, so it is evicted to adopt the new one within the cap
        r3, (c,) = _job(server, writer, [_arr(3, 2 * 4096)])
        assert r1[0][1] not in server.slots and not _exists(r1[0][1])
        assert r3[0][1] in server.slots and server.nbytes == 3 * n
        # every slot busy and the cap reached: not adopted, its name unlinked at once
        r4, (d,) = _job(server, writer, [_arr(4)])
        assert r4[0][1] not in server.slots and not _exists(r4[0][1])
        # over the cap by itself: never adopted, and nothing evicted for it
        del b
        gc.collect()
        r5, (e,) = _job(server, writer, [_arr(5, 4 * 4096)])
        assert r5[0][1] not in server.slots and r2[0][1] in server.slots
        for got, want in ((c, _arr(3, 2 * 4096)), (d, _arr(4)), (e, _arr(5, 4 * 4096))):
            assert np.array_equal(got, want)
    finally:
        server.close()


def test_the_number_of_slots_is_bounded_too():
    server, writer = OutputSlots(cap=1 << 20, max_slots=2), SlotWriter()
    try:
        r1, outs1 = _job(server, writer, [_arr(1, 1024), _arr(2, 2048)])
        assert len(server.slots) == 2
        r2, (c,) = _job(server, writer, [_arr(3, 4096)])  # both busy: not adopted
        assert r2[0][1] not in server.slots and len(server.slots) == 2
        del outs1
        gc.collect()
        r3, (d,) = _job(server, writer, [_arr(4, 4096)])  # too big for both free ones: the older goes
        assert set(server.slots) == {r1[1][1], r3[0][1]} and not _exists(r1[0][1])
        assert np.array_equal(c, _arr(3, 4096)) and np.array_equal(d, _arr(4, 4096))
    finally:
        server.close()


def test_cap_zero_is_a_fresh_segment_per_output():
    server, writer = OutputSlots(cap=0), SlotWriter()
    refs, (a,) = _job(server, writer, [_arr(1)])
    assert not server.slots and not _exists(refs[0][1]) and np.array_equal(a, _arr(1))


def test_the_worker_unmaps_slots_the_listing_no_longer_names():
    server, writer = OutputSlots(cap=1 << 20), SlotWriter()
    try:
        _job(server, writer, [_arr(1)])
        gc.collect()
        _job(server, writer, [_arr(2)])  # written into the slot: the worker maps it
        assert list(writer.mapped) == list(server.slots)
        server.close()  # e.g. the pool retired them
        writer.sync(server.listing())
        assert writer.mapped == {}
    finally:
        server.close()


def test_buffer_pool_reuses_fitting_buffers_within_its_cap():
    pool = shm.BufferPool(cap=3 * 4096)
    a = pool.acquire(4096)
    pool.give_back(a)
    assert pool.acquire(4000) is a  # fits, not more than twice the size asked for
    pool.give_back(a)
    b = pool.acquire(1000)  # a is over twice the size: a new buffer
    assert b is not a
    pool.give_back(b)
    c = pool.acquire(8192)
    pool.give_back(c)  # 4096 + 1000 + 8192 > cap: the oldest (a) goes
    assert a.released and not _exists(a.name) and not b.released and not c.released
    big = pool.acquire(4 * 4096)
    pool.give_back(big)  # over the cap alone: released
    assert big.released
    pool.close()
    assert b.released and c.released and not _exists(c.name)
