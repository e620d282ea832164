"""The inline lane's cost of a run is the run's own CPU time (service/inline.py): a worker reports it for
each job, and a run that a loaded box preempted (its wall time long, its CPU time short) neither keeps a
small graph from the lane nor sends it back to the workers; the loop's budget is still charged wall time."""
from __future__ import annotations

import asyncio
import time
import types

from inline_jobs import Worker, derived, lane_of, noted, take_args, take_graph
from service import inline
from service.inline import COST_RUNS


def test_a_worker_reports_its_runs_cpu_time_without_its_compile():
    worker = Worker()
    first, again = worker.timings(derived("cost_cpu", take_graph()), take_args())
    assert first["compile_cache"] == "miss" and again["compile_cache"] == "hit"
    assert 0 < worker.engine.compile_cpu_seconds and first["compile_ms"] > 0  # the engine counts its compile's CPU too
    # the process's CPU time over the span of compute_ms, less the compile's: the run alone
    assert 0 <= first["compute_cpu_ms"] < first["compute_ms"] - 0.5 * first["compile_ms"]
    assert 0 < again["compute_cpu_ms"] <= again["compute_ms"] + 1.0  # (a clock of its own: within a tick)


def test_a_preempted_inline_run_does_not_send_a_small_graph_back_to_the_workers(monkeypatch):
    d = derived("cost_preempted", take_graph())
    args = take_args()

    class Clock:
        """perf_counter as if the box took the thread away for 25 ms during every inline run."""
        now = time.perf_counter()

        @classmethod
        def perf_counter(cls):
            cls.now += 0.025
            return cls.now

    fake = types.SimpleNamespace(perf_counter=Clock.perf_counter, thread_time=time.thread_time)

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        await noted(lane, d, 0.2)
        monkeypatch.setattr(inline, "time", fake)
        for k in range(2 * COST_RUNS):
            lane.tokens = lane.capacity
            plan = lane.plan_for(d.key)
            assert plan is not None, k
            t = lane.tokens
            _, ms = lane.run(plan, d.key, 1, args, {})
            assert ms > 24.0 and lane.tokens < t - 24.0  # the loop's budget pays the wall time (25 ms)
        assert max(lane.costs[d.key]) < 1.0  # the cost: CPU time, a fraction of a millisecond
        lane.close()

    asyncio.run(scenario())


def test_a_run_within_the_limit_reads_the_cpu_clock_once(monkeypatch):
    """A thread's CPU time is at most its wall time: a run within inline_max_ms costs its wall time for every
    decision (the clock's second system call left out); one past it still costs its CPU time (above)."""
    d = derived("cost_within", take_graph())
    args = take_args()
    reads = []

    def thread_time():
        reads.append(1)
        return time.thread_time()

    fake = types.SimpleNamespace(perf_counter=time.perf_counter, thread_time=thread_time)

    async def scenario():
        lane = lane_of(inline_max_ms=1000.0)  # (a box however loaded runs this plan well within a second)
        await noted(lane, d, 0.2)
        monkeypatch.setattr(inline, "time", fake)
        for _ in range(COST_RUNS):
            lane.tokens = lane.capacity
            plan = lane.plan_for(d.key)
            assert plan is not None
            reads.clear()
            _, ms = lane.run(plan, d.key, 1, args, {})
            assert len(reads) == 1 and lane.costs[d.key][-1] == ms <= 1000.0
        assert lane.plan_for(d.key) is not None
        lane.close()

    asyncio.run(scenario())
