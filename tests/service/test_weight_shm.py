"""Weights shared by a pool's workers through sealed memfds (service.weight_shm, reliab10): what a worker maps is
the server's bytes, read-only for everyone; a memfd the server has closed, or another file behind its fd number,
is never mapped (the job asks for the values again); the server's memfds stay within their byte budget."""
from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from service.weight_refs import WeightCache
from service.weight_shm import SharedWeights, mapped


@pytest.fixture
def shared():
    s = SharedWeights(max_bytes=1 << 30)
    yield s
    s.close()


def values(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def test_a_worker_maps_the_servers_bytes_read_only(shared):
    a = values(1 << 16)
    path, ident = shared.region("k", memoryview(a).cast("B"))
    view = mapped(path, ident, a.nbytes)
    assert view is not None and view.readonly
    np.testing.assert_array_equal(np.frombuffer(view, np.float32), a)
    # sealed: nobody (a worker, the server) can write into it or change its size
    fd = os.open(path, os.O_RDWR)
    try:
        with pytest.raises(OSError) as e:
            os.pwrite(fd, b"x", 0)
        assert e.value.errno == errno.EPERM
        with pytest.raises(OSError):
            os.ftruncate(fd, 1)
    finally:
        os.close(fd)
    assert shared.region("k", memoryview(a).cast("B")) == (path, ident)  # made once, named again


def test_a_closed_or_replaced_memfd_is_not_mapped(shared):
    a = values(1 << 14)
    path, ident = shared.region("k", memoryview(a).cast("B"))
    assert mapped(path, (ident[0], ident[1] + 1), a.nbytes) is None  # another file behind the number
    assert mapped(path, ident, a.nbytes + 4) is None  # not the size announced
    shared.close()
    assert mapped(path, ident, a.nbytes) is None


def test_the_servers_memfds_stay_within_their_budget_newest_kept():
    s = SharedWeights(max_bytes=3 * (1 << 16))
    try:
        got = [s.region(f"k{i}", memoryview(values(1 << 14, i)).cast("B")) for i in range(5)]
        assert s.nbytes <= 3 * (1 << 16) and list(s.fds) == ["k2", "k3", "k4"]
        assert mapped(*got[0], 1 << 16) is None and mapped(*got[4], 1 << 16) is not None
        alone = SharedWeights(max_bytes=1)  # one value above the budget is still shared
        assert alone.region("big", memoryview(values(1 << 14)).cast("B")) is not None
        alone.close()
    finally:
        s.close()


def test_the_workers_cache_keeps_a_mapping_and_skips_one_it_could_not_map(shared):
    a, b = values(1 << 14, 1), values(1 << 14, 2)
    pa, ia = shared.region("a", memoryview(a).cast("B"))
    pb, ib = shared.region("b", memoryview(b).cast("B"))
    cache = WeightCache(1 << 30)
    cache.receive(None, [("a", a.nbytes, pa, ia), ("b", b.nbytes, pb, (ib[0], ib[1] + 1))])  # no frames read
    np.testing.assert_array_equal(np.frombuffer(cache.get("a"), np.float32), a)
    assert cache.get("b") is None and cache.nbytes == a.nbytes  # its job raises MissingWeight: sent again


def test_one_jobs_values_stay_shared_together_even_past_the_budget():
    """A model whose values by hash pass the budget (a 1 GB one, plan_cache_bytes 512 MiB): each of its values made
    into a memfd for one job message must not close an earlier one of the same message before the worker maps it
    (it could map none of them: the job asked again and every value went by pipe, a private copy per worker)."""
    s = SharedWeights(max_bytes=2 * (1 << 16))
    try:
        batch = [f"k{i}" for i in range(4)]
        got = [s.region(k, memoryview(values(1 << 14, i)).cast("B"), keep=batch) for i, k in enumerate(batch)]
        assert all(mapped(*g, 1 << 16) is not None for g in got)
        s.region("next", memoryview(values(1 << 14, 9)).cast("B"), keep=["next"])  # the next message trims
        assert s.nbytes <= 2 * (1 << 16) and list(s.fds) == ["k3", "next"]
    finally:
        s.close()


def test_a_budget_of_0_keeps_only_the_message_at_hand_in_every_store():
    """plan_cache_bytes 0 (none kept past the job at hand, as the engine's plans): the server's memfds, its note of
    what a worker has and the worker's values each keep only what the latest message needs (0 was unbounded)."""
    from service.weight_refs import SentWeights

    s = SharedWeights(max_bytes=0)
    cache, sent = WeightCache(0), SentWeights(0)
    try:
        for i in range(3):
            batch = [f"m{i}a", f"m{i}b"]
            for j, k in enumerate(batch):
                a = values(1 << 14, 10 * i + j)
                assert s.region(k, memoryview(a).cast("B"), keep=batch) is not None
                sent.sent(k, a.nbytes)
            cache.receive(None, [(k, 1 << 16, *s.region(k, memoryview(values(1 << 14)).cast("B"), keep=batch))
                                 for k in batch])
            assert list(s.fds) == batch and s.nbytes == 2 << 16
            assert list(cache.bufs) == batch and cache.nbytes == 2 << 16
            assert list(sent.keys) == [batch[-1]]  # (a key the worker lacks comes back as need_graph: sent again)
    finally:
        s.close()
