"""What the inline lane's tests share (test_inline_lane, test_inline_cost, test_inline_ahead,
test_inline_attacks): a derived graph as the server derives it, a lane, the pool's notes of clean worker
runs, and a worker's own run of a job (service.worker._run_job in this process, on the message the pool
would send it), so the lane's results, errors and costs are compared with a real worker's."""
from __future__ import annotations

import asyncio
import time

import numpy as np

from engine import Engine, GraphBuilder
from service import shm
from service.derivation import Deriver
from service.inline import InlineLane
from service.out_slots import SlotWriter
from service.settings import Settings
from service.worker import Plans, _run_job, job_error

F32 = np.float32
CEILING = 60  # seconds a lane may take to lower or compile a test's graph (a loaded CI box)
SLOT_BYTES = 1 << 16  # a worker's inputs at or above this travel by shared memory (service.shm.put)


def derived(name: str, g, kind: str = "eval"):
    return Deriver(4, 10 ** 6, 1 << 24, 16).derive(kind, name, g, {})


def take_graph():
    gb = GraphBuilder("take")
    x, i = gb.input((4,), name="x"), gb.input((2,), "int32", name="i")
    t = gb.take_along_axis(x, i, axis=0)
    # a transposed output (a view in NumPy), the input itself, a reduction (a NumPy scalar)
    m = gb.reshape(gb.concat(x, x, axis=0), shape=(2, 4))
    return gb.build((gb.mul(t, gb.scalar(2.0, "float32")), gb.transpose(m, perm=(1, 0)), x, gb.sum(x)))


def take_args() -> list:
    """Valid inputs of take_graph."""
    return [np.arange(4, dtype=F32), np.array([1, 3], np.int32)]


def branch_graph(op: str):
    def fn(make, name):
        g = GraphBuilder(name)
        return g.build(make(g, g.input((2,), name="a")))

    gb = GraphBuilder(op)
    x = gb.input((2,), name="x")
    if op == "while":
        cond = gb.function(fn(lambda g, a: g.less(g.sum(a), g.scalar(10.0, "float32")), "c"))
        body = gb.function(fn(lambda g, a: g.add(g.mul(a, g.scalar(1.5, "float32")), g.sin(a)), "b"))
        (y,) = gb.emit("while", [x], {"cond": cond, "body": body, "max_trips": 100})
    else:
        t = gb.function(fn(lambda g, a: g.sin(a), "t"))
        f = gb.function(fn(lambda g, a: g.neg(a), "f"))
        (y,) = gb.emit("cond", [gb.greater(gb.sum(x), gb.scalar(0.0, "float32")), x], {"true_fn": t, "false_fn": f})
    return gb.build(gb.sum(y))


async def noted(lane: InlineLane, d, ms: float, runs: int = 2) -> None:
    """What the pool does after `runs` clean worker runs; waits until the lane has decided."""
    for _ in range(runs):
        lane.note(d.key, (d.text, d.sources), ms, asyncio.get_running_loop())
    end = time.monotonic() + CEILING
    while d.key in lane.pending:
        assert time.monotonic() < end
        await asyncio.sleep(0.01)


def lane_of(**kw) -> InlineLane:
    return InlineLane(Settings(**kw))


def job_message(d, inputs, job_id: int = 7, target: tuple | None = None, slot_bytes: int = SLOT_BYTES) -> tuple:
    """The job message the pool sends a worker for derived graph `d` on `inputs` (no parameters, no
    output slots, no lent cores). An input array travels as the pool puts it (shared memory at or above
    `slot_bytes`); a tuple is a ref already made (e.g. a client region's ("made", ...) ref from shm.put).
    target: the client's output region (client_shm's RegionIO.target()), which the worker writes into."""
    refs = [a if isinstance(a, tuple) else shm.put(a, slot_bytes, []) for a in inputs]
    msg = ("job", job_id, d.key, (d.text, d.sources), refs, {}, [], None)
    return msg if target is None else (*msg, target)


class Worker:
    """A worker's engine and plan cache, run in this process: the same job run twice is a compile, then a
    cache hit, as in a real worker."""

    def __init__(self):
        self.engine = Engine("numpy")
        self.plans = Plans(self.engine, {"cache_size": 4})

    def run(self, d, inputs, job_id: int = 7) -> tuple:
        """The worker's answer: ("done", id, output refs, timing), or ("error", id, error) as worker_main
        reports a failed job."""
        try:
            return _run_job(self.engine, self.plans, SlotWriter(), SLOT_BYTES, job_message(d, inputs, job_id))
        except Exception as e:  # noqa: BLE001 - as worker_main does
            return ("error", job_id, job_error(e, job_id))

    def timings(self, d, inputs, runs: int = 2) -> list:
        """The timing of each of `runs` runs of the same job (each must succeed)."""
        out = []
        for _ in range(runs):
            kind, _, _, timing = self.run(d, inputs)
            assert kind == "done"
            out.append(timing)
        return out


def worker_answer(d, inputs) -> tuple:
    """A fresh worker's answer for the job."""
    return Worker().run(d, inputs)
