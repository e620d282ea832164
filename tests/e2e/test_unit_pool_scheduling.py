"""Unit tests of pool scheduling (service/pools.py) on a real Pool: one real worker process, a queue of
two places, tiny derived graphs. What the e2e suites see through the server (429s, 504 where=queued,
dropped and recycled jobs) is here checked at the pool: queue order, admission room, the deadline of a
queued job, and cancelling a queued job (dropped, the worker untouched) or a running one (its worker
recycled and replaced, the queue served by the replacement).

Each scenario submits its jobs in one step on the pool's event loop, so which job runs and which waits is
decided before any of them can finish: nothing depends on how fast the machine is. A "busy" job is a chain
of 512x512 matmuls that takes half a second or more; waits are on futures with generous ceilings."""
from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_from_json
from service.derivation import Deriver
from service.errors import DeadlineExceeded, Overloaded, Unavailable, WorkerDied
from service.metrics import Metrics
from service.pools import Job, Pool, build_specs
from service.settings import Settings

from .helpers import slow_input, slow_net

F32 = np.float32
N = 8
CEILING = 120  # seconds: a loaded 2-core box may be very slow, never this slow


def _derived(gid: str, graph):
    return Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", gid, graph, {})


def _neg():
    gb = GraphBuilder("neg")
    return gb.build(gb.neg(gb.input((N,), name="x")))


SLOW = _derived("slow", graph_from_json(slow_net(512, 50)))  # half a second or more (0.1 s: a fast idle core)
NEG = _derived("neg", _neg())
XIN = slow_input(512)


class Loop:
    """An event loop on its own thread: the pool lives on it, the tests hand it coroutines."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = CEILING):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def loop():
    lp = Loop()
    yield lp
    lp.close()


@pytest.fixture(scope="module")
def pool(loop):
    s = Settings(cpu_workers=1, queue_size=2, pin_cpus=False)
    p = Pool("cpu", build_specs("cpu", s), s, Metrics())
    loop.run(p.start())
    yield p
    loop.run(p.stop())


def slow_job(deadline_s: float = CEILING) -> Job:
    return Job(SLOW.key, (SLOW.text, SLOW.sources), [XIN], {}, asyncio.get_running_loop().time() + deadline_s)


def neg_job(i: int, deadline_s: float = CEILING, device_index: int | None = None) -> Job:
    x = np.arange(N, dtype=F32) + i
    return Job(NEG.key, (NEG.text, NEG.sources), [x], {}, asyncio.get_running_loop().time() + deadline_s,
               device_index)


async def settled(p: Pool) -> None:
    """Every worker up and idle (a previous test may have recycled one)."""
    for _ in range(CEILING * 20):
        if p.workers and all(w.state == "idle" for w in p.workers):
            return
        await asyncio.sleep(0.05)
    raise AssertionError([w.describe() for w in p.workers])


def restarts(p: Pool, reason: str) -> float:
    return p.metrics.registry.get_sample_value("gradserve_worker_restarts_total", {"device": "cpu", "reason": reason}) \
        or 0.0


def rejected(p: Pool) -> float:
    return p.metrics.registry.get_sample_value("gradserve_rejected_total", {"device": "cpu"}) or 0.0


def test_queue_is_first_in_first_out_and_room_counts_places(loop, pool):
    async def scenario():
        await settled(pool)
        assert pool.room == 1 + 2  # an idle worker and two free queue places
        busy, a, b = slow_job(), neg_job(1), neg_job(2)
        futs = [pool.submit(j) for j in (busy, a, b)]
        assert pool.workers[0].job is busy and list(pool.queue) == [a, b]
        assert pool.room == 0  # the worker is busy, the queue full
        before = rejected(pool)
        with pytest.raises(Overloaded) as ei:
            pool.submit(neg_job(3))
        assert ei.value.retry_after >= 1 and ei.value.detail["queue_size"] == 2
        assert rejected(pool) == before + 1 and list(pool.queue) == [a, b]  # the refused job took no place
        done = await asyncio.wait_for(asyncio.gather(*futs), CEILING)
        assert busy.started < a.started < b.started  # dispatched in the order they came
        for i, (outs, _, label) in ((1, done[1]), (2, done[2])):
            assert label == "cpu:0" and np.array_equal(outs[0], -(np.arange(N, dtype=F32) + i))
        assert pool.room == 3 and not pool.queue

    loop.run(scenario())


def test_a_queued_job_past_its_deadline_is_dropped(loop, pool):
    async def scenario():
        await settled(pool)
        # (a deadline 10x shorter than the busy job on a fast idle core, 0.1 s: it passes while that one runs)
        busy, late, next_ = slow_job(), neg_job(1, deadline_s=0.01), neg_job(2)
        fb, fl, fn = (pool.submit(j) for j in (busy, late, next_))
        with pytest.raises(DeadlineExceeded) as ei:
            await asyncio.wait_for(fl, CEILING)
        assert ei.value.detail == {"device": "cpu", "where": "queued"}
        assert not fb.done() and pool.workers[0].job is busy, "the busy job ended before the deadline test"
        assert list(pool.queue) == [next_]  # dropped; the job behind it keeps its place
        await asyncio.wait_for(asyncio.gather(fb, fn), CEILING)
        assert next_.started > 0 and late.started == 0.0  # the late job never reached the worker

    loop.run(scenario())


def test_a_job_for_a_device_the_pool_lacks_is_refused(loop, pool):
    async def scenario():
        with pytest.raises(Unavailable, match="cpu:5 does not exist"):
            pool.submit(neg_job(1, device_index=5))
        assert not pool.queue
        outs, _, label = await asyncio.wait_for(pool.submit(neg_job(1, device_index=0)), CEILING)
        assert label == "cpu:0" and np.array_equal(outs[0], -(np.arange(N, dtype=F32) + 1))

    loop.run(scenario())


def test_cancel_a_queued_job_leaves_the_worker_alone(loop, pool):
    async def scenario():
        await settled(pool)
        pid, died = pool.workers[0].pid, restarts(pool, "cancelled")
        busy, queued = slow_job(), neg_job(1)
        fb, fq = pool.submit(busy), pool.submit(queued)
        pool.cancel(queued)
        assert fq.cancelled() and not pool.queue and queued.timer.cancelled()
        assert pool.workers[0].job is busy and pool.workers[0].pid == pid
        await asyncio.wait_for(fb, CEILING)
        assert pool.workers[0].pid == pid and restarts(pool, "cancelled") == died  # never recycled
        assert pool.workers[0].jobs_done >= 1 and queued.started == 0.0

    loop.run(scenario())


def test_cancel_a_running_job_recycles_its_worker(loop, pool):
    async def scenario():
        await settled(pool)
        old, died, total = pool.workers[0].pid, restarts(pool, "cancelled"), pool.restarts
        busy, queued = slow_job(), neg_job(4)
        fb, fq = pool.submit(busy), pool.submit(queued)
        pool.cancel(busy)  # nobody waits for it: its worker is killed now
        with pytest.raises(WorkerDied) as ei:
            await asyncio.wait_for(fb, CEILING)
        assert ei.value.detail["exit_code"] == -9 and ei.value.detail["device"] == "cpu:0"
        outs, _, label = await asyncio.wait_for(fq, CEILING)  # served by the replacement
        assert np.array_equal(outs[0], -(np.arange(N, dtype=F32) + 4))
        assert pool.workers[0].pid != old and pool.workers[0].state == "idle"
        assert restarts(pool, "cancelled") == died + 1 and pool.restarts == total + 1

    loop.run(scenario())
