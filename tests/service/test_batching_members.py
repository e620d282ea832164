"""service.batching.Batcher's members against a stand-in pool: a member cannot fail, stall or lose its
co-members' jobs. A short-deadline member gets its 504 at its own deadline while the batch serves the others
(the batch once ran to the earliest member's deadline: one such member made every batch fail and run again
job by job); a batch that cannot even be built falls back to running members alone (it once left them
waiting without an answer); a member whose caller is gone is not run again alone. These need a member's
deadline or disconnection at a chosen moment of its batch, or a batch that fails: a real server's timing
cannot pin them down cheaply. What a real server can show (one client per batch, admission places held,
each member's outputs in its own shared-memory place, Open Inference Protocol jobs batched and counted) is in
tests/e2e/test_attacks_batching.py. Why each case here stays on a stand-in (reviewed in stop 29):
- the short deadline must pass while the batch runs, not while it waits: against a real worker that is a race
  with a run time the box decides (the real server's test has a deadline passing while waiting);
- a poison member needs a batch that fails as a whole for one member's values: no input is known to make a
  run raise (a NaN flows through: the real server's test shows its co-members exact);
- a batch that cannot be built needs vmap to fail on a graph whose jobs run: a guard with no real graph known
  to reach it;
- a caller gone mid-batch needs the disconnect between the batch's submission and its failure, and the
  pool's record of which members ran again alone, which no server exposes."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import numpy as np
import pytest

from service.batching import Batcher
from service.errors import DeadlineExceeded, InvalidRequest

D = SimpleNamespace(key="k", text="{}", sources=None, graph=None, job_graph=lambda: ("{}", None))  # (a Derived)


class FakePool:
    """Answers each job with its inputs times 2 once `release` is set; a batch job whose rows hold a negative
    value fails (a poison member), as does a single job with one. Records the jobs it was given."""

    def __init__(self):
        self.jobs = []
        self.release = asyncio.Event()

    def submit(self, job):
        self.jobs.append(job)
        return asyncio.ensure_future(self._answer(job))

    async def _answer(self, job):
        await self.release.wait()
        if any((a < 0).any() for a in job.inputs):
            raise InvalidRequest("a negative input")
        return [a * 2 for a in job.inputs], {}, "cpu:0"


def _batcher(monkeypatch, broken: bool = False) -> Batcher:
    b = Batcher(delay_s=0.01, max_batch=8)

    def vmapped(d, size):
        if broken:
            raise ValueError("vmap cannot be built")
        return f"{d.key}|vmap{size}", "{}"

    monkeypatch.setattr(b.plans, "get", vmapped)  # (batching.VmapPlans: the vmapped job graphs)
    return b


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_a_short_deadline_member_does_not_fail_the_batch(monkeypatch):
    async def main():
        b, pool = _batcher(monkeypatch), FakePool()
        loop = asyncio.get_running_loop()
        far, near = loop.time() + 60, loop.time() + 0.05
        xs = [np.full((2,), i, np.float32) for i in range(3)]
        tasks = [asyncio.ensure_future(b.run(pool, D, [x], dl, None, "key:c1")) for x, dl in zip(xs, (far, near, far))]
        with pytest.raises(DeadlineExceeded):
            await tasks[1]  # at its own deadline, while the batch still runs
        assert not tasks[0].done() and not tasks[2].done()
        pool.release.set()
        for i in (0, 2):
            np.testing.assert_array_equal((await tasks[i])[0][0], xs[i] * 2)
        assert len(pool.jobs) == 1 and pool.jobs[0].deadline == far  # one batch, run to the latest deadline
        assert pool.jobs[0].client == "key:c1"  # its client's job in the pool's fair share
    _run(main())


def test_a_poison_member_gets_its_error_and_the_others_their_results(monkeypatch):
    async def main():
        b, pool = _batcher(monkeypatch), FakePool()
        pool.release.set()
        far = asyncio.get_running_loop().time() + 60
        xs = [np.full((2,), v, np.float32) for v in (1, -1, 3)]
        res = await asyncio.gather(*(b.run(pool, D, [x], far, None) for x in xs), return_exceptions=True)
        assert isinstance(res[1], InvalidRequest)
        np.testing.assert_array_equal(res[0][0][0], xs[0] * 2)
        np.testing.assert_array_equal(res[2][0][0], xs[2] * 2)
    _run(main())


def test_a_batch_that_cannot_be_built_runs_its_members_alone(monkeypatch):
    async def main():
        b, pool = _batcher(monkeypatch, broken=True), FakePool()
        pool.release.set()
        far = asyncio.get_running_loop().time() + 60
        xs = [np.full((2,), v, np.float32) for v in (1, 2)]
        res = await asyncio.gather(*(b.run(pool, D, [x], far, None) for x in xs))
        for r, x in zip(res, xs):
            np.testing.assert_array_equal(r[0][0], x * 2)
        assert len(pool.jobs) == 2
    _run(main())


def test_a_member_whose_caller_is_gone_is_not_run_again_alone(monkeypatch):
    async def main():
        b, pool = _batcher(monkeypatch), FakePool()
        far = asyncio.get_running_loop().time() + 60
        xs = [np.full((2,), v, np.float32) for v in (1, -1, 3)]  # the poison one fails the batch
        tasks = [asyncio.ensure_future(b.run(pool, D, [x], far, None)) for x in xs]
        while not pool.jobs:
            await asyncio.sleep(0.01)
        tasks[0].cancel()  # its client disconnected while batched
        pool.release.set()
        res = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(res[0], asyncio.CancelledError) and isinstance(res[1], InvalidRequest)
        np.testing.assert_array_equal(res[2][0][0], xs[2] * 2)
        singles = [j for j in pool.jobs if "|vmap" not in j.key]
        assert sorted(float(j.inputs[0][0]) for j in singles) == [-1.0, 3.0]
    _run(main())
