"""Derivative-aware dynamic batching: concurrent jobs on the same derived graph, stacked on a new axis.

Jobs with the same derived graph (graph, kind and derivative spec: `Derived.key`), the same input
shapes and dtypes, the same device and no per-job parameter values that arrive within
`batch_delay_ms` of the first are run as one job of `vmap(derived graph)` (engine/vmap.py): each
caller gets the slice of its own example. A vmapped gradient is a per-example gradient, never a
sum across callers (which concatenating along dim 0 would give for parameter gradients).

Per job: results, deadlines (each caller gets its 504 at its own deadline, waiting or batched; the
batch runs on to the latest, so a member with a short deadline cannot fail it for the others), and
errors (a batch that fails, or cannot be built, is run again job by job, so each caller gets its own
result or error; a caller gone or past its deadline is not run again). Batch sizes are rounded up to a power of two (the last example
repeated, its results dropped) so a key compiles at most log2(max_batch) plans.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import numpy as np

from engine.serialize import graph_to_json
from engine.vmap import vmap_graph

from .errors import DeadlineExceeded, Internal, clip
from .pools import Job, Pool


class _Group:
    __slots__ = ("items", "timer")

    def __init__(self):
        self.items: list[tuple[list, float, asyncio.Future]] = []  # (inputs, deadline, future)
        self.timer: Any = None


class Batcher:
    def __init__(self, delay_s: float, max_batch: int, cache_size: int = 64):
        self.delay_s = delay_s
        self.max_batch = max_batch
        self.groups: dict[tuple, _Group] = {}
        self._plans: dict[tuple, tuple[str, str]] = {}  # (derived key, n) -> (key, graph text)
        self._cache_size = cache_size
        self._running: set = set()  # the groups' tasks (the loop keeps only weak references to tasks)

    @staticmethod
    def eligible(inputs: list, params: dict) -> bool:
        return not params and bool(inputs)

    async def run(self, pool: Pool, d, inputs: list, deadline: float, index: int | None):
        """(outputs, timing, device label) of this job, run in a batch with its concurrent twins."""
        loop = asyncio.get_running_loop()
        key = (d.key, index, id(pool), tuple((a.shape, a.dtype.str) for a in inputs))
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group()
            group.timer = loop.call_later(self.delay_s, self._flush, key, group, pool, d, index)
        fut = loop.create_future()
        expiry = loop.call_at(deadline, _expire, fut)  # its own deadline, whatever its group's
        group.items.append((inputs, deadline, fut))
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
        task = asyncio.ensure_future(self._run_group(group.items, pool, d, index))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run_group(self, items: list, pool: Pool, d, index) -> None:
        live = [it for it in items if not it[2].done()]  # (past its deadline, or its caller gone)
        try:
            if len(live) == 1:
                await self._single(live[0], pool, d, index)
            elif live:
                await self._batch(live, pool, d, index)
        except Exception as e:  # noqa: BLE001 - a bug here must not leave its callers waiting without an answer
            for it in live:
                _fail(it[2], Internal(clip(f"the batch failed: {type(e).__name__}: {e}", 512)))

    async def _single(self, item, pool: Pool, d, index) -> None:
        inputs, deadline, fut = item
        if fut.done():  # past its deadline, or its caller gone: nobody waits for it
            return
        try:
            res = await pool.submit(Job(d.key, (d.text, d.sources), inputs, {}, deadline, index))
        except Exception as e:  # noqa: BLE001 - the caller's own error, delivered to the caller
            _fail(fut, e)
        else:
            if not fut.done():
                fut.set_result(res)

    async def _batch(self, items: list, pool: Pool, d, index) -> None:
        n = len(items)
        size = 1 << (n - 1).bit_length()
        t0 = time.perf_counter()
        try:
            bkey, text = self._vmapped(d, size)
            rows = [it[0] for it in items] + [items[-1][0]] * (size - n)
            stacked = [np.stack([r[i] for r in rows]) for i in range(len(rows[0]))]
            # to the latest deadline: a member's own ends its wait alone (run's expiry), not the batch
            outs, timing, label = await pool.submit(Job(bkey, text, stacked, {}, max(it[1] for it in items), index))
        except Exception:  # noqa: BLE001 - run them one by one: each caller gets its own result or error
            await asyncio.gather(*(self._single(it, pool, d, index) for it in items))
            return
        timing = dict(timing, batch=n, batch_ms=round((time.perf_counter() - t0) * 1e3, 3))
        for j, (_, _, fut) in enumerate(items):
            if not fut.done():
                fut.set_result(([np.ascontiguousarray(o[j]) for o in outs], timing, label))

    def _vmapped(self, d, size: int) -> tuple[str, str]:
        hit = self._plans.get((d.key, size))
        if hit is None:
            vg = vmap_graph(d.graph, size)
            hit = (f"{d.key}|vmap{size}", json.dumps(graph_to_json(vg), separators=(",", ":")))
            if len(self._plans) >= self._cache_size:
                self._plans.pop(next(iter(self._plans)))
            self._plans[(d.key, size)] = hit
        return hit


def _expire(fut: asyncio.Future) -> None:
    _fail(fut, DeadlineExceeded("the deadline passed while the job waited for or ran in its batch"))


def _fail(fut: asyncio.Future, e: BaseException) -> None:
    if not fut.done():
        fut.set_exception(e)
