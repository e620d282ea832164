"""The inline lane (service/inline.py) without a server: what it accepts after a worker's measurement,
what it refuses (run-time loops and branches, slow or unmeasured graphs), its budget, and that its
results and errors are the worker's (service.worker._run_job run in-process on the same job)."""
from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from engine import GraphBuilder
from inline_jobs import F32, Worker, branch_graph, derived, lane_of, noted, take_args, take_graph, worker_answer
from service import shm
from service.errors import ServiceError, from_engine
from service.millis import ms3


def test_a_measured_small_plan_runs_inline_with_the_workers_results():
    d = derived("take", take_graph())
    x, i = take_args()

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        assert lane.plan_for(d.key) is None  # never measured
        await noted(lane, d, 0.2)
        plan = lane.plan_for(d.key)
        assert plan is not None and lane.describe()["plans"] == 1
        outs, ms = lane.run(plan, d.key, 1, [x, i], {})
        lane.close()
        return outs

    outs = asyncio.run(scenario())
    kind, _, refs, _ = worker_answer(d, [x, i])
    assert kind == "done"
    want = [shm.get(r, []) for r in refs]
    assert len(outs) == len(want) == 4
    for a, b in zip(outs, want):
        assert type(a) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
        assert a.flags.c_contiguous and a.flags.writeable and a.base is None  # owns its memory, as a worker's
    assert not np.shares_memory(outs[2], x)  # the input itself comes back as a copy


def test_inline_errors_are_the_workers_errors():
    d = derived("take_err", take_graph())
    bad = [np.arange(4, dtype=F32), np.array([1, 7], np.int32)]

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        await noted(lane, d, 0.2)
        with pytest.raises(ServiceError) as ei:
            lane.run(lane.plan_for(d.key), d.key, 7, bad, {})
        lane.close()
        return ei.value

    got = asyncio.run(scenario())
    kind, _, err = worker_answer(d, bad)
    assert kind == "error"
    want = from_engine(err)
    assert type(got) is type(want) and got.code == want.code == "shape_error"
    assert str(got) == str(want) and got.detail == want.detail and "index 7 out of range" in str(got)


@pytest.mark.parametrize("op", ["while", "cond"])
def test_plans_whose_cost_depends_on_the_values_are_refused(op):
    d = derived(op, branch_graph(op))

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        await noted(lane, d, 0.01)
        assert lane.plan_for(d.key) is None and lane.describe()["refused"] == 1 and lane.describe()["plans"] == 0
        await noted(lane, d, 0.01)  # refused once, not compiled again
        assert not lane.pending and lane.describe()["refused"] == 1
        lane.close()

    asyncio.run(scenario())


def test_a_slow_plan_is_not_compiled_and_slower_runs_send_it_back():
    from service.inline import COST_RUNS

    d = derived("take_slow", take_graph())

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        await noted(lane, d, 1.5)  # above the limit: not even compiled
        assert lane.describe()["plans"] == 0 and lane.plan_for(d.key) is None
        await noted(lane, d, 0.5)
        assert lane.plan_for(d.key) is not None
        for k in range(COST_RUNS):  # later runs came out slower (the load): one is not enough, all are
            assert lane.plan_for(d.key) is not None, k
            lane.note(d.key, (d.text, d.sources), 3.0, asyncio.get_running_loop())
        assert lane.plan_for(d.key) is None
        lane.close()

    asyncio.run(scenario())


def test_the_budget_bounds_the_share_of_the_loop():
    d = derived("take_budget", take_graph())
    args = take_args()

    async def scenario():
        lane = lane_of(inline_max_ms=1.0, inline_share=0.5)
        await noted(lane, d, 0.2)
        assert lane.capacity == 0.5 * 200.0
        lane.tokens, lane.stamp = -20.0, time.perf_counter()  # inline work 20 ms past the share, now
        assert lane.plan_for(d.key) is None
        lane.stamp -= 0.030  # 30 ms later: 15 ms refilled at a share of 0.5, still 5 ms short
        assert lane.plan_for(d.key) is None
        lane.stamp -= 0.012  # 12 ms later: 6 ms more, 1 ms of budget
        plan = lane.plan_for(d.key)
        assert plan is not None and 0 < lane.tokens <= 1.5
        t = lane.tokens
        _, ms = lane.run(plan, d.key, 1, args, {})
        assert lane.tokens < t  # the run's time is charged
        lane.stamp -= 10.0  # a long quiet time refills to the capacity, no more
        lane.plan_for(d.key)
        assert lane.tokens == lane.capacity
        lane.close()

    asyncio.run(scenario())


def test_bounded_plan_cache():
    from service import inline

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        keys = []
        for k in range(inline.PLAN_CACHE + 3):
            gb = GraphBuilder(f"g{k}")
            d = derived(f"g{k}", gb.build(gb.add(gb.input((2,), name="x"), gb.scalar(float(k), "float32"))))
            await noted(lane, d, 0.01)
            keys.append(d.key)
        held = [k for k in keys if lane.engine.cached(k, touch=False) is not None]  # the lane's plans: its Engine's
        assert held == keys[3:] and lane.describe()["plans"] == inline.PLAN_CACHE
        assert 0 < lane.describe()["plan_bytes"] <= inline.CACHE_BYTES
        lane.close()

    asyncio.run(scenario())


def test_a_workers_first_run_reports_its_compile_apart():
    """The pool notes a first (compiling) worker run to the lane with compute_ms less compile_ms: the run
    alone. The worker measures what its engine spent lowering and compiling."""
    worker = Worker()
    first, again = worker.timings(derived("take_first", take_graph()), take_args())
    assert first["compile_cache"] == "miss" and 0 < first["compile_ms"] <= first["compute_ms"]
    assert first["compile_ms"] == ms3(worker.engine.compile_seconds * 1e3)
    assert again["compile_cache"] == "hit" and again["compile_ms"] == 0


def test_a_graph_is_compiled_once_it_comes_back():
    """One worker run (the first training step's graph with the initial weights in it) is not worth the
    server's CPU; the second run of the same graph, on either worker, is."""
    from service.inline import COMPILE_AFTER

    d = derived("take_twice", take_graph())

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        await noted(lane, d, 0.2, runs=COMPILE_AFTER - 1)
        assert not lane.pending and lane.describe()["plans"] == 0 and lane.plan_for(d.key) is None
        await noted(lane, d, 0.2, runs=1)
        assert lane.describe()["plans"] == 1 and lane.plan_for(d.key) is not None
        lane.close()

    asyncio.run(scenario())


def test_an_output_that_is_one_of_the_jobs_arrays_comes_back_as_a_copy():
    """A plan may hand an input or a parameter straight back (identity): it may view a request buffer
    reused once the job is over, so the lane returns a copy; an output of its own is returned as it is."""
    from service.inline import _fresh, _owned

    x, w, own = np.ones(3, np.float32), np.zeros(2, np.float32), np.arange(4.0)
    for a, params in ((x, None), (w, {"w": w})):
        got = _fresh(a, _owned([x], params))
        assert got is not a and np.array_equal(got, a) and got.base is None
    assert _fresh(own, _owned([x], {"w": w})) is own
    view = own[::2]
    assert _fresh(view, _owned([], None)).base is None and _fresh(np.float32(2.5), _owned([], None)).shape == ()
    # (a view cannot be an output that owns its memory)
    assert list(map(id, _owned([x, view], {"w": w, "v": view}))) == [id(x), id(w)]


def test_parameters_the_plan_lacks_are_left_out():
    """A parameter the plan does not have (one its lowering dropped) is not handed to it, which would refuse it;
    the plan's own parameters are (lane.run passes them as they are when the plan has them all)."""
    d = derived("take_params", take_graph())
    x, i = take_args()

    async def scenario():
        lane = lane_of(inline_max_ms=1.0)
        await noted(lane, d, 0.2)
        plan = lane.plan_for(d.key)
        plain, _ = lane.run(plan, d.key, 1, [x, i], {})
        extra, _ = lane.run(plan, d.key, 2, [x, i], {"dropped": np.ones(2, np.float32)})
        lane.close()
        return plain, extra

    plain, extra = asyncio.run(scenario())
    assert len(plain) == len(extra) == 4 and all(np.array_equal(p, e) for p, e in zip(plain, extra))
