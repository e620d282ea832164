"""A worker keeps its mappings of the server's request buffers (service.worker.InputMaps): the same buffer
job after job is mapped once and read as it is now; per-job segments are attached for the job only; the
kept mappings are bounded, and one whose name the server unlinked goes when another comes."""
from __future__ import annotations

import numpy as np
import pytest

from service import shm
from service.worker import InputMaps


@pytest.fixture
def buffers():
    made: list = []

    def make(nbytes: int) -> shm.Buffer:
        b = shm.Buffer(nbytes)
        made.append(b)
        return b

    yield make
    for b in made:
        b.release()


def test_a_request_buffer_is_mapped_once_and_read_as_it_is_now(buffers, monkeypatch):
    maps, b = InputMaps(), buffers(4096)
    src = np.frombuffer(b.mv, dtype=np.float32)
    src[:] = np.arange(1024)
    calls = []
    real = shm.map_segment
    monkeypatch.setattr(shm, "map_segment", lambda name: calls.append(name) or real(name))
    attached: list = []
    a = maps.get(("shm", b.name, (4, 8), "<f4", 64), attached)
    assert a.tolist() == np.arange(16, 48, dtype=np.float32).reshape(4, 8).tolist()
    del a
    src[:] = -1  # the next request's values, in the same buffer
    a = maps.get(("shm", b.name, (2,), "<f4", 0), attached)
    assert a.tolist() == [-1, -1] and calls == [b.name] and attached == []
    # a per-job segment (no offset) and an inline ref: for the job only, as shm.get
    owned: list = []
    ref = shm.put(np.ones(4096, np.float32), 1, owned)
    assert len(ref) == 4 and maps.get(ref, attached).sum() == 4096 and len(attached) == 1
    assert maps.get(("inline", np.float32(2).tobytes(), (), "<f4"), attached).tolist() == 2.0
    shm.close_all(attached)
    shm.close_all(owned, unlink_too=True)


def test_kept_mappings_are_bounded_and_unlinked_names_go(buffers):
    maps = InputMaps(max_count=2, max_bytes=3 * 4096)
    bs = [buffers(4096) for _ in range(3)]
    for b in bs:  # (a job each)
        maps.get(("shm", b.name, (1,), "<f4", 0), [])
        maps.done()
    assert list(maps.segs) == [bs[1].name, bs[2].name]  # the oldest went
    big, job = buffers(1 << 20), []
    maps.get(("shm", big.name, (1,), "<f4", 0), job)
    assert big.name not in maps.segs and len(job) == 1  # above max_bytes: mapped for the job, not kept
    shm.close_all(job)
    maps.done()
    bs[1].release()  # the server unlinked it: dropped when another comes, though it fits
    b4 = buffers(4096)
    maps.get(("shm", b4.name, (1,), "<f4", 0), [])
    assert list(maps.segs) == [bs[2].name, b4.name]



def test_a_jobs_mappings_stay_while_it_runs(buffers, monkeypatch):
    """A job with more inputs' buffers than the bounds keep: none of its mappings is evicted by its own later
    inputs (a third input in its first buffer is read through the same mapping, not mapped again); those past the
    bounds are the job's own (closed with its attached segments); after the job the oldest go as before."""
    maps = InputMaps(max_count=2, max_bytes=3 * 4096)
    bs = [buffers(4096) for _ in range(3)]
    calls = []
    real = shm.map_segment
    monkeypatch.setattr(shm, "map_segment", lambda name: calls.append(name) or real(name))
    job: list = []
    views = [maps.get(("shm", b.name, (1,), "<f4", 0), job) for b in bs]
    again = maps.get(("shm", bs[0].name, (1,), "<f4", 0), job)
    assert calls == [b.name for b in bs]  # (bs[0] not mapped twice)
    assert list(maps.segs) == [bs[1].name, bs[0].name] and [s.name for s in job] == [bs[2].name]
    del views, again
    shm.close_all(job)
    maps.done()
    b4 = buffers(4096)
    maps.get(("shm", b4.name, (1,), "<f4", 0), [])
    assert list(maps.segs) == [bs[0].name, b4.name]
