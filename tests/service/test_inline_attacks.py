"""The inline lane against a client that games "proven small" (service.inline): a graph measured on small
values, then sent values that take NumPy's slow path, holds the event loop once, for at most a bounded
multiple of inline_max_ms, and never runs inline again. Without a server, as tests/service/test_inline_lane.py."""
from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from engine import GraphBuilder
from service.inline import SLOW_RUN
from inline_jobs import derived, lane_of, noted

N, K = 1 << 14, 10


def powers():
    """sum_k x ** (1.3 + k / 100): 10 powers of 16K float32 values (NumPy's float32 power of a subnormal
    or huge base takes a slow path: ~80x here)."""
    gb = GraphBuilder("powers")
    x = gb.input((N,), name="x")
    acc = None
    for i in range(K):
        t = gb.pow(x, gb.scalar(1.3 + i / 100, "float32"))
        acc = t if acc is None else gb.add(acc, t)
    return gb.build(gb.sum(acc))


def cpu_ms(fn, reps: int = 5) -> float:
    """The least CPU time of `reps` calls (thread_time: what the lane measures)."""
    best = float("inf")
    for _ in range(reps):
        c0 = time.thread_time()
        fn()
        best = min(best, (time.thread_time() - c0) * 1e3)
    return best


def test_a_graph_whose_cost_depends_on_the_values_is_refused_after_one_slow_run():
    small, huge = np.full(N, 0.5, np.float32), np.full(N, 1e-40, np.float32)
    e = np.float32(1.3)
    ratio = cpu_ms(lambda: np.power(huge, e)) / cpu_ms(lambda: np.power(small, e))
    if ratio < 5 * SLOW_RUN:  # (the limit below is 2x the normal cost: the slow run must pass SLOW_RUN times it)
        pytest.skip(f"this NumPy's float32 power has no slow path worth the name here (x{ratio:.1f})")
    d = derived("powers", powers())

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        await noted(lane, d, 0.1)
        plan = lane.plan_for(d.key)
        assert plan is not None
        normal = cpu_ms(lambda: lane.run(plan, d.key, 1, [small], {}))
        # the limit as it would be for this machine: the plan's measured cost well within it, the slow
        # values' cost (x ratio) well past SLOW_RUN times it
        lane.max_ms = 2 * normal
        lane.tokens = lane.capacity
        for _ in range(3):
            assert lane.plan_for(d.key) is not None
            lane.run(plan, d.key, 1, [small], {})  # values like the measured ones: stays inline
        assert lane.plan_for(d.key) is not None
        lane.run(plan, d.key, 1, [huge], {})  # one slow run ...
        assert lane.plan_for(d.key) is None  # ... and never again, even for small values
        lane.note(d.key, (d.text, d.sources), 0.01, asyncio.get_running_loop())
        assert lane.plan_for(d.key) is None and lane.describe()["refused"] == 1
        lane.close()

    asyncio.run(scenario())
