"""Derivative-aware dynamic batching: concurrent jobs on the same derived graph, stacked on a new axis.

Jobs of one client (jobs.client_of) with the same derived graph (graph, kind and derivative spec:
`Derived.key`), the same input shapes and dtypes, the same device and no per-job parameter values that
arrive within `batch_delay_ms` of the first are run as one job of `vmap(derived graph)` (engine/vmap.py):
each caller gets the slice of its own example. A vmapped gradient is a per-example gradient, never a
sum across callers (which concatenating along dim 0 would give for parameter gradients).

One client's jobs only, so the batch job is that client's in the pool's fair share (Pool._order, evictable:
a mixed batch would be nobody's), its `timing.batch` counts the caller's own jobs (across clients it told a
caller how many same-graph jobs the others were sending), and its outputs come back to the server, which
puts each member's slice in that member's own shared-memory region (RegionIO.place_all; a batch job has no
out_target). A member keeps its admission place (Core.admit) while it waits for its batch: jobs waiting
here count against the pools' room like queued ones.

Per job: results, deadlines (each caller gets its 504 at its own deadline, waiting or batched; the
batch runs on to the latest, so a member with a short deadline cannot fail it for the others), and
errors (a batch that fails, or cannot be built, is run again job by job, so each caller gets its own
result or error; a caller gone or past its deadline is not run again). Batch sizes are rounded up to a power of two (the last example
repeated, its results dropped) so a key compiles at most log2(max_batch) plans.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from engine.vmap import vmap_graph

from .millis import ms3
from .derivation import worker_json
from .errors import DeadlineExceeded, Internal, clip
from .pools import Job, Pool


class _Group:
    __slots__ = ("items", "timer", "client")

    def __init__(self, client: str):
        self.items: list[tuple[list, float, asyncio.Future, Any]] = []  # (inputs, deadline, future, admission)
        self.client = client
        self.timer: Any = None


class Batcher:
    def __init__(self, delay_s: float, max_batch: int, cache_size: int = 64):
        self.delay_s = delay_s
        self.max_batch = max_batch
        self.groups: dict[tuple, _Group] = {}
        self.plans = VmapPlans(cache_size)
        self._running: set = set()  # the groups' tasks (the loop keeps only weak references to tasks)

    @staticmethod
    def eligible(inputs: list, params: dict) -> bool:
        return not params and bool(inputs)

    async def run(self, pool: Pool, d, inputs: list, deadline: float, index: int | None, client: str = "",
                  admission=None):
        """(outputs, timing, device label) of this job, run in a batch with its concurrent twins of the same
        client. `admission` (Core.Admission) is released once the batch goes to the pool."""
        loop = asyncio.get_running_loop()
        key = (d.key, index, id(pool), tuple((a.shape, a.dtype.str) for a in inputs), client)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(client)
            group.timer = loop.call_later(self.delay_s, self._flush, key, group, pool, d, index)
        fut = loop.create_future()
        expiry = loop.call_at(deadline, _expire, fut)  # its own deadline, whatever its group's
        group.items.append((inputs, deadline, fut, admission))
        if len(group.items) >= self.max_batch:
            group.timer.cancel()
            self._flush(key, group, pool, d, index)
        try:
            return await fut
        finally:
            expiry.cancel()

    def _flush(self, key, group: _Group, pool: Pool, d, index) -> None:
        if self.groups.get(key) is group:
            del self.groups[key]
        task = asyncio.ensure_future(self._run_group(group.items, pool, d, index, group.client))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run_group(self, items: list, pool: Pool, d, index, client: str) -> None:
        for it in items:  # to the pool now (Pool.submit, in this step): the pool's queue bounds it from here
            if it[3] is not None:
                it[3].release()
        live = [it for it in items if not it[2].done()]  # (past its deadline, or its caller gone)
        try:
            if len(live) == 1:
                await self._single(live[0], pool, d, index, client)
            elif live:
                await self._batch(live, pool, d, index, client)
        except Exception as e:  # noqa: BLE001 - a bug here must not leave its callers waiting without an answer
            for it in live:
                _fail(it[2], Internal(clip(f"the batch failed: {type(e).__name__}: {e}", 512)))

    async def _single(self, item, pool: Pool, d, index, client: str) -> None:
        inputs, deadline, fut, _ = item
        if fut.done():  # past its deadline, or its caller gone: nobody waits for it
            return
        try:
            res = await pool.submit(Job(d.key, d.job_graph(), inputs, {}, deadline, index, client=client))
        except Exception as e:  # noqa: BLE001 - the caller's own error, delivered to the caller
            _fail(fut, e)
        else:
            if not fut.done():
                fut.set_result(res)

    async def _batch(self, items: list, pool: Pool, d, index, client: str) -> None:
        n = len(items)
        t0 = time.perf_counter()
        try:
            size, inputs = stacked([it[0] for it in items])
            bkey, text = self.plans.get(d, size)
            # to the latest deadline: a member's own ends its wait alone (run's expiry), not the batch
            outs, timing, label = await pool.submit(Job(bkey, text, inputs, {}, max(it[1] for it in items), index,
                                                        client=client))
        except Exception:  # noqa: BLE001 - run them one by one: each caller gets its own result or error
            await asyncio.gather(*(self._single(it, pool, d, index, client) for it in items))
            return
        timing = dict(timing, batch=n, batch_ms=ms3((time.perf_counter() - t0) * 1e3))  # n: the caller's own
        for j, (_, _, fut, _) in enumerate(items):
            if not fut.done():
                fut.set_result(([np.ascontiguousarray(o[j]) for o in outs], timing, label))


class VmapPlans:
    """vmap(derived graph) of each (derived key, batch size) as a worker's job graph, kept for the next batch
    (a bounded memo: the oldest goes first)."""

    def __init__(self, size: int = 64):
        self._plans: dict[tuple, tuple[str, Any]] = {}  # (derived key, n) -> (key, graph: text or with values by key)
        self._size = size

    def get(self, d, size: int) -> tuple[str, Any]:
        hit = self._plans.get((d.key, size))
        if hit is None:
            vg = vmap_graph(d.graph, size)  # (the same value arrays: named by key as in d, service.weight_refs)
            text, weights = worker_json(vg, {id(a): (a, k) for k, a in getattr(d, "weights", {}).items()})
            hit = (f"{d.key}|vmap{size}", (text, None, weights) if weights else text)
            if len(self._plans) >= self._size:
                self._plans.pop(next(iter(self._plans)))
            self._plans[(d.key, size)] = hit
        return hit


def stacked(rows: list[list]) -> tuple[int, list]:
    """The batch size (len(rows) rounded up to a power of two, so a derived graph compiles at most log2(max) plans)
    and each input stacked on a new first axis, the last row repeated to fill it (its results dropped)."""
    size = 1 << (len(rows) - 1).bit_length()
    rows = rows + [rows[-1]] * (size - len(rows))
    return size, [np.stack([r[i] for r in rows]) for i in range(len(rows[0]))]


def _expire(fut: asyncio.Future) -> None:
    _fail(fut, DeadlineExceeded("the deadline passed while the job waited for or ran in its batch"))


def _fail(fut: asyncio.Future, e: BaseException) -> None:
    if not fut.done():
        fut.set_exception(e)
