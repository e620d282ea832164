"""Pool._first_build_waits: a client's job of unknown cost does not take the last idle worker while that client
already has one running (SERVICE_REPORT round 19); known costs, other clients and a lone worker are unchanged.
Scheduling state only, no worker processes (the e2e side: tests/e2e/test_attacks_round19_builds.py)."""
from __future__ import annotations

import pytest

from service.metrics import Metrics
from service.pools import Job, Pool, Worker, build_specs
from service.settings import Settings


class _Loop:
    def time(self) -> float:
        return 100.0


def pool(n: int = 2, **settings) -> Pool:
    s = Settings(cpu_workers=n, inline_max_ms=0, **settings)
    p = Pool("cpu", build_specs("cpu", s), s, Metrics())
    p.loop = _Loop()
    for spec in p.specs:
        w = Worker(p, spec)
        w.state = "idle"
        p.workers.append(w)
    return p


def job(key: str, client: str) -> Job:
    return Job(key, "{}", [], {}, 1000.0, client=client)


def building(p: Pool, w: Worker, key: str, client: str) -> Job:
    """`w` runs `client`'s first build of `key`, as _start leaves it (the key sent, so in its keys)."""
    j = job(key, client)
    j.first_build, j.worker = True, w
    w.job, w.state = j, "busy"
    w.keys[key] = True
    return j


def test_a_second_unknown_program_of_the_same_client_waits_for_the_last_worker():
    p = pool()
    building(p, p.workers[0], "p1", "a")
    assert p._pick(job("p2", "a")) is None
    assert p._pick(job("p1", "a")) is None  # the same program again: the build in flight does not make it known
    assert p._pick(job("p2", "b")) is p.workers[1]  # another client's first build takes it


def test_known_costs_take_the_last_worker():
    p = pool()
    building(p, p.workers[0], "p1", "a")
    p.workers[1].keys["built"] = True  # a worker has built it
    assert p._pick(job("built", "a")) is p.workers[1]
    p.work.note("timed", 5.0, False)  # a run of it was timed (its worker since replaced)
    assert p._pick(job("timed", "a")) is p.workers[1]


def test_a_known_job_running_does_not_hold_the_clients_first_build():
    p = pool()
    j = building(p, p.workers[0], "p1", "a")
    j.first_build = False
    assert p._pick(job("p2", "a")) is p.workers[1]


def test_not_the_last_idle_worker():
    p = pool(3)
    building(p, p.workers[0], "p1", "a")
    assert p._pick(job("p2", "a")) in p.workers[1:]
    building(p, p.workers[1], "p2", "a")
    assert p._pick(job("p3", "a")) is None


@pytest.mark.parametrize("n, settings", [(1, {}), (2, {"first_build_cap": False})])
def test_a_lone_worker_or_the_setting_off(n, settings):
    p = pool(n, **settings)
    if n == 1:  # its one worker idle: nothing of the client's runs, so it may take it
        assert p._pick(job("p2", "a")) is p.workers[0]
        return
    building(p, p.workers[0], "p1", "a")
    assert p._pick(job("p2", "a")) is p.workers[1]


def test_dispatch_passes_the_held_job_and_starts_it_when_a_worker_frees(monkeypatch):
    p = pool()
    started = []

    def start(w, j):
        started.append((w, j))
        w.job, w.state = j, "busy"

    monkeypatch.setattr(p, "_start", start)
    first = building(p, p.workers[0], "p1", "a")
    held, other = job("p2", "a"), job("q", "b")
    p.queue.extend([held, other])
    p._dispatch()
    assert started == [(p.workers[1], other)] and list(p.queue) == [held]
    p.workers[1].job, p.workers[1].state = None, "idle"  # b's job done: a's first build still holds the other
    p._dispatch()
    assert len(started) == 1 and list(p.queue) == [held]
    assert first.worker.job is first
    p.workers[0].job, p.workers[0].state = None, "idle"  # a's first build done
    p._dispatch()
    assert started[1][1] is held and not p.queue


def test_start_marks_a_first_build(monkeypatch):
    p = pool()
    monkeypatch.setattr(p, "_send", lambda w, j, with_graph: w.keys.__setitem__(j.key, True))
    a = job("p1", "a")
    p._start(p.workers[0], a)
    assert a.first_build
    b = job("p1", "b")  # the same program, another client, while the first build runs: unknown too
    p._start(p.workers[1], b)
    assert b.first_build
    p.workers[0].job, p.workers[0].state = None, "idle"
    c = job("p1", "a")  # built: known
    p._start(p.workers[0], c)
    assert not c.first_build
    off = pool(first_build_cap=False)
    monkeypatch.setattr(off, "_send", lambda w, j, with_graph: None)
    d = job("p9", "a")
    off._start(off.workers[0], d)
    assert not d.first_build


def test_a_held_job_queues_in_its_idle_workers_place_and_no_more(monkeypatch):
    """Admission counts the idle worker as a place (Pool.room): a job held from it queues there even when the
    queue is full (before, an admitted, derived job met 429 beside the idle worker), and that takes the place:
    the client's next job is refused, as with the worker busy. Another client's job still takes the worker."""
    from service import pools
    from service.errors import Overloaded

    monkeypatch.setattr(pools, "Later", lambda *a: None)
    p = pool(queue_size=1)
    building(p, p.workers[0], "p1", "a")
    p.queue.append(job("q1", "a"))  # the queue is full
    assert p.room == 1  # the idle worker
    p._enqueue(held := job("p2", "a"))
    assert list(p.queue)[-1] is held and p.workers[1].state == "idle" and p.room == 0
    with pytest.raises(Overloaded, match="no worker free"):
        p._enqueue(job("p3", "a"))
    off = pool(queue_size=1, first_build_cap=False)  # the same places with the cap off: 2 workers + 1
    building(off, off.workers[0], "p1", "a")
    started = []
    monkeypatch.setattr(off, "_start", lambda w, j: started.append(j) or setattr(w, "state", "busy"))
    off._enqueue(job("p2", "a"))
    off._enqueue(job("p3", "a"))
    with pytest.raises(Overloaded):
        off._enqueue(job("p4", "a"))
    assert len(started) == 1 and len(off.queue) == 1
    monkeypatch.setattr(p, "_start", lambda w, j: started.append(j) or setattr(w, "state", "busy"))
    p._enqueue(theirs := job("b1", "b"))  # another client: the idle worker is its, the queue over by the held one
    assert started[-1] is theirs and p.room == 0


def test_a_held_twin_meets_the_first_builds_refusal_instead_of_building_again(monkeypatch):
    """The same program sent twice at once: the second waits (above); when the first's build is refused for
    max_work, the queued twin gets that refusal from the memo (service.refusals) and takes no worker."""
    import asyncio

    from service.errors import LimitExceeded
    from service.refusals import Refusals

    p = pool()
    p.refusals = Refusals()
    monkeypatch.setattr(p, "_start", lambda w, j: pytest.fail("the twin was started"))
    building(p, p.workers[0], "p1", "a")
    loop = asyncio.new_event_loop()
    try:
        twin = job("p1", "a")
        twin.future = loop.create_future()
        p.queue.append(twin)
        p._dispatch()
        assert list(p.queue) == [twin]  # held
        refusal = LimitExceeded("the graph needs more work than max_work allows")
        refusal.detail = {"limit": "max_work", "value": 200000}
        p.refusals.note("cpu", "p1", refusal)  # (as Pool._handle notes the worker's answer)
        p.workers[0].job, p.workers[0].state = None, "idle"
        p._dispatch()
        assert not p.queue and isinstance(twin.future.exception(), LimitExceeded)
        assert twin.future.exception().detail["limit"] == "max_work"
    finally:
        loop.close()
