"""Lowering ahead (service/inline_ahead.py): the inline lane lowers a graph during its first worker run and
compiles it once that run came back clean and small; what it never does (compile before a clean run, keep
what it lowered for a graph that is not small), and its bounds. Without a server, as test_inline_lane.py;
every wait is on the lane's own state, never on time."""
from __future__ import annotations

import asyncio
import time

import numpy as np

from engine import GraphBuilder
from service import inline_ahead
from service.derivation import Deriver
from service.inline_ahead import LowerAhead
from inline_jobs import CEILING, F32, branch_graph, derived, lane_of, take_args, take_graph


async def settled(lane, key: str) -> None:
    """Until the lane's thread is done with `key` (lowering or compiling)."""
    end = time.monotonic() + CEILING
    while key in lane.pending:
        assert time.monotonic() < end
        await asyncio.sleep(0.01)


def text(d):
    return (d.text, d.sources)


def test_a_graph_lowered_during_its_first_run_compiles_after_that_one_run():
    d = derived("ahead", take_graph())
    args = take_args()

    async def scenario():
        loop = asyncio.get_running_loop()
        lane = lane_of(inline_max_ms=1.0)
        lane.seen(d.key, text(d), loop)  # the job went to a worker
        assert d.key in lane.pending
        await settled(lane, d.key)
        # lowered, not compiled: a plan (its constants folded in NumPy) waits for a clean worker run
        assert lane.describe()["lowered_ahead"] == 1 and lane.describe()["plans"] == 0
        assert lane.plan_for(d.key) is None
        lane.note(d.key, text(d), 0.2, loop)  # that run came back clean and small
        await settled(lane, d.key)
        plan = lane.plan_for(d.key)
        assert plan is not None and lane.describe()["lowered_ahead"] == 0 and lane.describe()["plans"] == 1
        outs, _ = lane.run(plan, d.key, 1, args, {})
        np.testing.assert_array_equal(outs[0], np.array([2.0, 6.0], F32))
        lane.seen(d.key, text(d), loop)  # known now: nothing more to do
        assert d.key not in lane.pending
        lane.close()

    asyncio.run(scenario())


def test_a_first_run_back_before_the_lowering_compiles_once_it_is_lowered():
    d = derived("ahead_late", take_graph())

    async def scenario():
        loop = asyncio.get_running_loop()
        lane = lane_of(inline_max_ms=1.0)
        lane.seen(d.key, text(d), loop)
        lane.note(d.key, text(d), 0.2, loop)  # before the loop ran the lowering's answer
        assert d.key in lane.pending and lane.describe()["plans"] == 0
        await settled(lane, d.key)  # lowered, then compiled
        assert lane.plan_for(d.key) is not None and lane.describe()["lowered_ahead"] == 0
        lane.close()

    asyncio.run(scenario())


def test_a_graph_slower_than_the_limit_is_compiled_once_a_run_is_small_enough():
    """A first run slower than inline_max_ms (a large graph, or a loaded box) compiles nothing; what was
    lowered is kept, and the first run within the limit compiles it."""
    d = derived("ahead_slow", take_graph())

    async def scenario():
        loop = asyncio.get_running_loop()
        lane = lane_of(inline_max_ms=1.0)
        lane.seen(d.key, text(d), loop)
        await settled(lane, d.key)
        lane.note(d.key, text(d), 1.5, loop)
        assert d.key not in lane.pending and lane.describe()["plans"] == 0 and lane.plan_for(d.key) is None
        assert lane.describe()["lowered_ahead"] == 1
        lane.note(d.key, text(d), 0.5, loop)
        assert d.key in lane.pending  # compiling what was lowered
        await settled(lane, d.key)
        assert lane.plan_for(d.key) is not None and lane.describe()["lowered_ahead"] == 0
        lane.close()

    asyncio.run(scenario())


def test_a_graph_with_a_run_time_loop_is_refused_when_lowered_ahead():
    d = derived("ahead_while", branch_graph("while"))

    async def scenario():
        loop = asyncio.get_running_loop()
        lane = lane_of(inline_max_ms=1.0)
        lane.seen(d.key, text(d), loop)
        await settled(lane, d.key)
        assert lane.describe()["refused"] == 1 and lane.describe()["lowered_ahead"] == 0
        lane.note(d.key, text(d), 0.01, loop)
        lane.note(d.key, text(d), 0.01, loop)
        assert d.key not in lane.pending and lane.describe()["plans"] == 0 and lane.plan_for(d.key) is None
        lane.close()

    asyncio.run(scenario())


def test_a_graph_past_the_limits_of_lowering_ahead_is_left_to_the_usual_path():
    from engine import Engine
    from service.inline import COMPILE_AFTER

    d = derived("ahead_big", take_graph())

    async def scenario():
        loop = asyncio.get_running_loop()
        lane = lane_of(inline_max_ms=1.0)
        lane.ahead.engine = Engine("numpy", max_work=3)  # the take graph takes more work than this to lower
        lane.seen(d.key, text(d), loop)
        await settled(lane, d.key)
        assert lane.describe()["refused"] == 0 and lane.describe()["lowered_ahead"] == 0
        assert lane.ahead.tokens < inline_ahead.BURST_MS  # the attempt's CPU was charged all the same
        for _ in range(COMPILE_AFTER - 1):
            lane.note(d.key, text(d), 0.2, loop)
        assert d.key not in lane.pending and lane.describe()["plans"] == 0
        lane.note(d.key, text(d), 0.2, loop)
        await settled(lane, d.key)
        assert lane.plan_for(d.key) is not None  # compiled within the workers' limits
        lane.close()

    asyncio.run(scenario())


def test_lowering_ahead_is_bounded_by_its_cpu_budget_and_the_graph_size():
    d = derived("ahead_budget", take_graph())

    async def scenario():
        loop = asyncio.get_running_loop()
        lane = lane_of(inline_max_ms=1.0)
        now = [100.0]
        lane.ahead.clock, lane.ahead.stamp = (lambda: now[0]), now[0]
        lane.ahead.tokens = -5.0  # 5 ms of CPU past the budget
        lane.seen(d.key, text(d), loop)
        assert d.key not in lane.pending and lane.describe()["lowered_ahead"] == 0
        now[0] += 0.049  # 49 ms later: 4.9 ms refilled at a share of 0.1, still short
        lane.seen(d.key, text(d), loop)
        assert d.key not in lane.pending
        now[0] += 0.002
        lane.seen(d.key, text(d), loop)
        assert d.key in lane.pending
        await settled(lane, d.key)
        assert lane.describe()["lowered_ahead"] == 1 and lane.ahead.tokens < 0.2  # its CPU time was charged
        now[0] += 1e4  # a long quiet time refills to the burst, no more
        assert lane.ahead.affords(1) and lane.ahead.tokens == inline_ahead.BURST_MS
        assert not lane.ahead.affords(inline_ahead.MAX_CHARS + 1)  # a larger graph: never ahead
        lane.close()

    asyncio.run(scenario())


def test_the_graphs_kept_lowered_are_bounded():
    ahead = LowerAhead(None)
    for k in range(inline_ahead.KEEP + 3):
        ahead.keep(f"k{k}", (None, 0))
    assert len(ahead) == inline_ahead.KEEP and "k0" not in ahead and f"k{inline_ahead.KEEP + 2}" in ahead
    assert ahead.take("k5") == (None, 0) and "k5" not in ahead and ahead.take("k5") is None


def test_one_clients_lowered_graphs_leave_another_clients_kept():
    """Round 30: the graphs kept lowered were one LRU: one client's KEEP distinct graphs evicted another's (its graph
    then compiled a run later). Now a client's hold at most half: past it its own oldest go."""
    ahead = LowerAhead(None)
    ahead.keep("theirs", ("t", 0), owner="b")
    for k in range(3 * inline_ahead.KEEP):
        ahead.keep(f"k{k}", (None, 0), owner="a")
    mine = [f"k{k}" for k in range(3 * inline_ahead.KEEP)]
    assert "theirs" in ahead and len(ahead) == inline_ahead.KEEP // 2 + 1
    assert [k for k in mine if k in ahead] == mine[-(inline_ahead.KEEP // 2):]  # its newest
    assert ahead.take("theirs") == ("t", 0) and "b" not in ahead.shares.owned
    ahead.keep("k0", (None, 1), owner="a")  # kept again: one entry, its own oldest gone for it
    assert len(ahead) == inline_ahead.KEEP // 2 and ahead.take("k0") == (None, 1)


def test_a_plan_compiled_from_the_graph_lowered_ahead_is_the_plan_from_the_text():
    """The lane's thread lowers the job's graph text as a worker does; the plan compiled from it later
    computes what the usual path's plan computes."""
    gb = GraphBuilder("ahead_mlp")
    x, w = gb.input((4, 8), name="x"), gb.input((8, 3), name="w")
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("grad", "ahead_mlp", gb.build(gb.sum(gb.tanh(gb.matmul(x, w)))),
                                                 {"get_all": True})
    rng = np.random.default_rng(0)
    args = [rng.normal(size=(4, 8)).astype(F32), rng.normal(size=(8, 3)).astype(F32)]

    async def plans():
        loop = asyncio.get_running_loop()
        got = []
        for ahead in (True, False):
            lane = lane_of(inline_max_ms=1.0)
            if ahead:
                lane.seen(d.key, text(d), loop)
                await settled(lane, d.key)
            for _ in range(1 if ahead else 2):
                lane.note(d.key, text(d), 0.2, loop)
            await settled(lane, d.key)
            got.append(lane.run(lane.plan_for(d.key), d.key, 1, args, {})[0])
            lane.close()
        return got

    a, b = asyncio.run(plans())
    assert len(a) == len(b) == 2
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape and np.array_equal(u, v)


def test_lowering_ahead_has_limits_of_its_own_within_the_workers():
    lane = lane_of(inline_max_ms=1.0)
    assert (lane.ahead.engine.max_work, lane.ahead.engine.max_nodes) == (inline_ahead.MAX_WORK, inline_ahead.MAX_NODES)
    lane.close()
    lane = lane_of(inline_max_ms=1.0, max_work=50, max_nodes=60)  # a server with tighter limits keeps them
    assert (lane.ahead.engine.max_work, lane.ahead.engine.max_nodes) == (50, 60)
    lane.close()
