"""Device pools: worker processes pinned to a device, a bounded queue, deadlines, replacement.

Like Triton instance groups: one pool per device kind (cpu, torchcpu, gpu, ascend), each a
set of spawned worker processes (service.worker). The pool runs on the server's asyncio
loop: it reads worker pipes with `loop.add_reader`, so no thread per worker.

- Routing: a free worker that already compiled the job's graph wins (plan-cache affinity),
  then the worker the graph hashes to, then any free worker.
- Bounded queue: jobs wait when every worker is busy; past `queue_size`, Overloaded (429).
- First builds: a job of unknown cost does not take the last idle worker while its client has one running
  (Pool._first_build_waits): a client's new programs cannot hold every worker.
- Deadline: a queued job past it is dropped; a running one fails (504) and its worker is
  given `deadline_grace_s` to finish before it is killed and replaced.
- A worker that dies fails only its job (WorkerDied) and is replaced; restarts are counted.
- Large outputs come back through shared-memory slots kept per worker (service.out_slots); large
  inputs go as (segment, offset) refs into the request's buffer or a fresh segment (service.shm).
- `room` (idle workers + free queue places) is what Core.admit reserves against.
- Core lending (service.core_lending): a lone job borrows the idle workers' cores; a job that
  arrives meanwhile reclaims them at once and never waits for the borrower (a job run inline too, when
  every idle core is lent).
- Inline lane (service.inline): on the cpu (NumPy) pool a job proven small by its worker runs, while a
  worker is idle and nothing is queued, in this process instead (no hop); `timing.lane` says which.
"""
from __future__ import annotations

import asyncio
import importlib.util
import itertools
import logging
import math
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import Counter, OrderedDict, deque
from functools import partial
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .millis import ms3
from . import lanes, shm, timeline, weight_refs
from .weight_shm import SharedWeights
from .out_slots import OutputSlots
from .errors import DeadlineExceeded, Overloaded, ServiceError, Unavailable, WorkerDied, from_engine
from .inline import InlineLane
from .refusals import RefusedWork, Refusals
from .metrics import Metrics
from .core_lending import WorkEstimates, pin_threads
from .cpu_quota import usable_cpus
from .settings import Settings
from .ticker import Later

log = logging.getLogger("gradserve.pools")
_ctx = multiprocessing.get_context("spawn")
_env_lock = threading.Lock()
_job_ids = itertools.count(1)
next_job_id = _job_ids.__next__  # a job's id (Job.id), also for one the inline lane runs without a Job
_PROTOCOL = pickle.HIGHEST_PROTOCOL
BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")
ACCELERATORS = ("gpu", "ascend")  # the keys of ACCELERATOR_POOLS, in "auto" preference order


class PoolStartError(RuntimeError):
    """A configured pool cannot start (runtime missing, no device, worker failed to start)."""


@dataclass
class WorkerSpec:
    index: int
    label: str  # e.g. "cpu:0", "gpu:1": what responses name as the device
    backend: str
    device: str | None = None  # backend device string inside the worker (e.g. "npu:0")
    env: dict = field(default_factory=dict)
    cores: list = field(default_factory=list)
    threads: int = 1


@dataclass(eq=False)
class Job:
    key: str
    graph_text: Any  # (derived graph JSON, its source map): sent once per worker
    inputs: list
    params: dict
    deadline: float  # loop time
    device_index: int | None = None
    id: int = field(default_factory=next_job_id)
    future: asyncio.Future | None = None
    owned: list = field(default_factory=list)  # shm segments holding its inputs
    enqueued: float = 0.0
    started: float = 0.0
    worker: "Worker | None" = None
    timer: Any = None
    in_refs: list = field(default_factory=list)
    p_refs: dict = field(default_factory=dict)
    lend: tuple | None = None  # (cores, threads) when idle workers lent it their cores
    reclaimed: bool = False  # its lenders were taken back while it ran
    out_target: tuple | None = None  # a client's region the worker writes the outputs into (service.client_shm)
    client: str = ""  # who it is for (jobs.client_of): workers are shared fairly among clients
    lane_asked: bool = False  # the inline lane was asked for it just before (Core.run): submit does not ask again
    direct: str | None = None  # its client's X-Gradserve-Lane header (service.lanes), when direct_lanes is on
    lane_item: tuple | None = None  # what its worker message asks of a direct lane (service.lanes)
    kind: str = ""  # its endpoint ("grad", ...): a direct lane granted by it counts its jobs under it
    first_build: bool = False  # it started as a build of unknown cost (Pool._cost_unknown; first_build_cap on)
    # how long it may wait queued (s; the OIP `timeout` parameter): Triton's queue policy, which rejects a request
    # still queued then and never stops one running (Pool._on_deadline)
    queue_timeout: float | None = None


class Worker:
    def __init__(self, pool: "Pool", spec: WorkerSpec):
        self.pool = pool
        self.spec = spec
        self.proc = None
        self.conn = None
        self.state = "starting"
        self.job: Job | None = None
        self.keys: OrderedDict = OrderedDict()
        self.weights = weight_refs.SentWeights(pool.settings.plan_cache_bytes)  # keys its cache has
        self.info: dict = {}
        self.ready_event = asyncio.Event()
        self.fatal: str | None = None
        self.recycling: str | None = None  # why the server killed it: "deadline", "cancelled"
        self.owed_by: str | None = None  # the client whose cancelled job recycled the worker this one replaces
        self.owed_ahead = 0.0  # what of this one's start was charged to owed_by ahead (Pool._recycle)
        self.jobs_done = 0
        self.last_used = 0.0
        self.started_at = time.time()
        self.slots = OutputSlots(pool.settings.output_cache_bytes)  # its large outputs' reused segments
        self.plan_bytes = 0  # what its graphs and plans hold, as it last said
        self.lent_to: Worker | None = None  # the busy worker using this idle worker's cores
        self.borrowed: list[Worker] = []  # the idle workers whose cores this one's job uses
        self.revoked = None  # shared with the process: the id of a job whose lent cores were reclaimed
        self.lease: lanes.Lease | None = None  # the direct lane it holds for one client (state "leased")
        self.heard = 0.0  # loop time of its last message: a leased worker silent past a lane job's deadline is stuck

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def describe(self) -> dict:
        return {"index": self.spec.index, "device": self.spec.label, "pid": self.pid, "state": self.state,
                "backend": self.spec.backend, "runtime_device": self.info.get("device"), "cores": self.spec.cores,
                "threads": self.spec.threads,
                "jobs_done": self.jobs_done, "job_id": self.job.id if self.job else None,
                "shm_kept_bytes": self.slots.nbytes, "plan_cache_bytes": self.plan_bytes,
                "lent_to": self.lent_to.spec.index if self.lent_to else None,
                "borrowed": [b.spec.index for b in self.borrowed]}


class Pool:
    def __init__(self, name: str, specs: list[WorkerSpec], settings: Settings, metrics: Metrics):
        self.name = name
        self.specs = specs
        self.settings = settings
        self.metrics = metrics
        self.workers: list[Worker] = []
        self.queue: deque[Job] = deque()
        self.stopping = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.restarts = 0
        self.backend = specs[0].backend if specs else "?"
        # per-job metric children, resolved once (labels() takes a lock and builds a key each call)
        self._queue_wait = metrics.queue_wait.labels(name)
        self._compute = metrics.compute.labels(name)
        self._hits = metrics.cache_hits.labels(name)
        self._misses = metrics.cache_misses.labels(name)
        self._lent = metrics.cores_lent.labels(name)
        self._reclaims = metrics.lend_reclaims.labels(name)
        self.work = WorkEstimates()  # what each graph costs, to lend cores only where it pays
        self.refusals: Refusals | None = None  # Core's memo of build refusals: a first build's twin, held queued
        # while the first ran (_first_build_waits), meets the first's 413 instead of building again
        self.refused_work = RefusedWork(settings.refused_work_share, settings.refused_work_burst_s)
        self.start_s = 0.0  # how long the last worker took to start (a recycle's charge ahead: _recycle)
        self._lanes = (metrics.lanes.labels(name, "worker"), metrics.lanes.labels(name, "inline"),
                       metrics.lanes.labels(name, "direct"))
        self._weights_sent = (metrics.weights_sent.labels(name, "values"), metrics.weights_sent.labels(name, "bytes"))
        # values by hash as sealed memfds every worker maps: one copy for the pool (service.weight_shm)
        self.shared_weights = SharedWeights(self.settings.plan_cache_bytes)  # 0: only the message at hand's
        self.tally = metrics.jobs  # the per-job counts above, batched until a scrape (metrics.JobTally)
        self.inline: InlineLane | None = None  # made in start(): it sets this process's BLAS threads
        self.lane_dir = lanes.LaneDir()  # direct lanes' sockets (service.lanes)
        self.leases: dict[str, lanes.Lease] = {}  # by client: one each
        self.lanes_ended = lanes.Ended()
        metrics.shm_kept.labels(name).set_function(lambda: sum(w.slots.nbytes for w in self.workers))
        # read when scraped, not set twice per job (a gauge's set() takes a lock: ~15 us a job)
        metrics.queue_depth.labels(name).set_function(lambda: len(self.queue))
        metrics.busy.labels(name).set_function(lambda: sum(w.state == "busy" for w in self.workers))
        metrics.workers_live.labels(name).set_function(
            lambda: sum(w.state in ("idle", "busy", "leased") for w in self.workers))
        metrics.cache_bytes.labels(f"plans:{name}").set_function(
            lambda: sum(w.plan_bytes for w in self.workers if w.state != "dead"))

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        if self.name == "cpu" and self.backend == "numpy" and self.settings.inline_max_ms > 0:
            self.inline = InlineLane(self.settings)
        self.workers = [self._spawn(spec) for spec in self.specs]
        timeout = self.settings.worker_start_timeout_s
        warm = [self.inline.warm(self.loop)] if self.inline is not None else []
        try:
            await asyncio.wait_for(asyncio.gather(*(w.ready_event.wait() for w in self.workers), *warm), timeout)
        except asyncio.TimeoutError:
            raise PoolStartError(f"pool {self.name!r}: workers did not start within {timeout}s") from None
        failed = [w for w in self.workers if w.fatal]
        if failed:
            raise PoolStartError(f"pool {self.name!r}: worker {failed[0].spec.label} failed to start: "
                                 f"{failed[0].fatal}{_install_hint(self.name)}")

    def _spawn(self, spec: WorkerSpec) -> Worker:
        from .worker import worker_main

        w = Worker(self, spec)
        parent, child = _ctx.Pipe(duplex=True)
        wspec = {"backend": spec.backend, "device": spec.device, "cores": spec.cores, "threads": spec.threads,
                 "cache_size": self.settings.plan_cache_size, "max_nodes": self.settings.max_nodes,
                 "plan_cache_bytes": self.settings.plan_cache_bytes, "max_work": self.settings.max_work,
                 "max_job_bytes": self.settings.max_job_bytes, "max_job_flops": self.settings.max_job_flops,
                 "shm_threshold": self.settings.shm_threshold_bytes, "owner": os.getpid()}
        w.revoked = _ctx.RawValue("q", 0)
        proc = _ctx.Process(target=worker_main, args=(child, wspec, w.revoked), name=f"gradserve-{spec.label}",
                            daemon=True)
        with _env_lock:  # the child's environment is the parent's at spawn time
            saved = {k: os.environ.get(k) for k in spec.env}
            os.environ.update(spec.env)
            try:
                proc.start()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        child.close()
        w.proc, w.conn = proc, parent
        self.loop.add_reader(parent.fileno(), self._on_readable, w)
        # uvloop's add_reader makes the fd non-blocking (asyncio's leaves it be); the Connection's send and
        # recv of a whole message expect a blocking fd, else a full or partial pipe gives EAGAIN
        os.set_blocking(parent.fileno(), True)
        return w

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop every worker (the HTTP server has already drained in-flight requests)."""
        self.stopping = True
        if self.inline is not None:
            self.inline.close()
        self.lane_dir.close()
        self.shared_weights.close()  # (workers' mappings stay valid until they exit)
        for job in list(self.queue):
            self._fail(job, Unavailable("the server is shutting down", device=self.name))
        self.queue.clear()
        for w in self.workers:
            if w.conn is not None and w.state != "dead":
                try:
                    w.conn.send(("stop",))
                except (OSError, ValueError):
                    pass
        end = time.monotonic() + timeout
        for w in self.workers:
            while w.proc is not None and w.proc.is_alive() and time.monotonic() < end:
                await asyncio.sleep(0.02)
            if w.proc is not None and w.proc.is_alive():
                w.proc.kill()
            self._close(w)
            if w.job is not None:
                self._fail(w.job, Unavailable("the server is shutting down", device=self.name))
                self._release(w.job)

    def cut(self, err) -> None:
        """The drain's cap passed (Core.begin_drain): every queued or running job ends with `err()` (a fresh
        error each), busy workers are stopped now, and no job is taken any more."""
        self.stopping = True
        for job in list(self.queue):
            self._fail(job, err())
        self.queue.clear()
        for w in self.workers:
            self._revoke(w)  # (a direct lane's job in flight finishes; its client's next one goes over HTTP: refused)
            if w.job is not None and w.state == "busy":
                self._fail(w.job, err())
                self._recycle(w, w.job, "drain")

    # -- state ---------------------------------------------------------------------------------------
    @property
    def live_workers(self) -> list[Worker]:
        return [w for w in self.workers if w.state in ("idle", "busy", "leased")]

    def _able(self, w: Worker) -> bool:
        """Can take work now or soon: idle, leased (revocable), or running a job still within its deadline (one
        past it is being recycled: its worker is out until replaced)."""
        return w.state in ("idle", "leased") or (w.state == "busy" and w.job is not None and self.loop is not None
                                     and w.job.deadline > self.loop.time())

    @property
    def ready(self) -> bool:
        return not self.stopping and any(self._able(w) for w in self.workers)

    @property
    def room(self) -> int:
        """Jobs this pool can take now without a 429: idle workers plus free queue places (a job the first-build
        cap holds from an idle worker queues in that worker's place: _enqueue)."""
        room = self.settings.queue_size - len(self.queue)
        for w in self.workers:  # (a loop, not sum(genexpr): this runs on every request's admission)
            if w.state == "idle":
                room += 1
        return max(0, room)

    def device_indices(self) -> list[int]:
        return [s.index for s in self.specs]

    def describe(self) -> dict:
        state = "stopping" if self.stopping else ("ready" if self.ready else
                                                  "unavailable" if self.live_workers else "starting")
        if state == "ready" and len(self.live_workers) < len(self.workers):
            state = "degraded"
        return {"device": self.name, "backend": self.backend, "devices": [s.label for s in self.specs],
                "workers": [w.describe() for w in self.workers], "queue_depth": len(self.queue),
                "queue_size": self.settings.queue_size, "busy": sum(w.state == "busy" for w in self.workers),
                "restarts": self.restarts, "state": state,
                "inline": self.inline.describe() if self.inline is not None else None}

    # -- jobs ----------------------------------------------------------------------------------------
    def submit(self, job: Job) -> asyncio.Future:
        if self.stopping:
            raise Unavailable("the server is shutting down", device=self.name)
        if job.device_index is not None and job.device_index not in self.device_indices():
            raise Unavailable(f"{self.name}:{job.device_index} does not exist; this pool has "
                              f"{', '.join(s.label for s in self.specs)}", device=f"{self.name}:{job.device_index}")
        timeline.stamp("srv.submit")
        job.future = self.loop.create_future()
        job.enqueued = time.perf_counter()  # measurements: perf_counter (loop.time() may tick in ms, e.g. uvloop)
        if self.refused_work.level:
            self._check_refused_work(job)
        if self.inline is not None and not job.lane_asked and self._run_inline(job):
            return job.future
        w = self._leased_for(job) or (None if self.queue else self._pick(job))  # nothing queued: straight to a
        # worker, as _dispatch would
        if w is not None:
            job.timer = Later(job.deadline - self.loop.time(), partial(self._on_deadline, job), self.loop)
            self._start(w, job)
        else:
            self._enqueue(job)
        if self.inline is not None and job.device_index is None:  # (after the dispatch: the job is sent first)
            self.inline.seen(job.key, job.graph_text, self.loop, job.client or None)
        return job.future

    def _check_refused_work(self, job: Job) -> None:
        """429 for a job of unknown cost from a client whose refused builds took past its share of worker time
        (RefusedWork); its known programs, and every other client's, go on as before. A client that had workers
        recycled for its cancelled jobs (RefusedWork.recycled) is checked for its known long programs too: they are
        recycled at once when cancelled (`cancel`), and a loop cancelling one it had run once went unchecked (a
        worker restarted and the program compiled again each time, another key's grad waiting 3-5 s)."""
        if self._cost_unknown(job.key) or job.client in self.refused_work.recycled and not self._short(job.key):
            self.check_refused_work(job.client, job.enqueued)

    def check_refused_work(self, client: str, now: float) -> None:
        """The 429 above for `client` (the caller knows the cost is unknown: also a derivation not cached, in the
        server's threads: service.core)."""
        wait = self.refused_work.wait_s(client, now)
        if wait <= 0:
            return
        retry = max(self.settings.retry_after_s, math.ceil(wait))  # (not gradserve_rejected: the queue had room)
        raise Overloaded(f"pool {self.name!r}: this client's builds refused for max_work / max_nodes (and workers "
                         f"recycled for its cancelled jobs or dead under its jobs, with their restarts) took past its "
                         f"share of worker time (refused_work_share={self.settings.refused_work_share} of a worker, "
                         f"refused_work_burst_s={self.settings.refused_work_burst_s}, now "
                         f"{self.refused_work.burst_of(client, now):.3g}: halved for each such worker, one "
                         f"forgotten a minute); a program not built before "
                         f"waits: retry after {retry}s", retry_after=retry, device=self.name,
                         limit="refused_work_share")

    def _enqueue(self, job: Job) -> None:
        """Queue `job` (429 when the queue is full and it takes no other client's place), then dispatch."""
        free = self._pick(job) is not None  # (an idle worker a first build may not take is not free to it)
        if not free and len(self.queue) >= self._places(job) and not self._evict_for(job.client):
            self.metrics.rejected.labels(self.name).inc()
            raise Overloaded(f"pool {self.name!r} is full: {len(self.queue)} job(s) queued, no worker free to it; "
                             f"retry after {self.settings.retry_after_s}s", retry_after=self.settings.retry_after_s,
                             device=self.name, queue_size=self.settings.queue_size)
        self.queue.append(job)
        # a job waits: other clients' leases give their workers back; a full queue ends every lease, its
        # client's next job meets HTTP's admission (a 429 past its share), as all of its jobs would (service.lanes)
        full = len(self.queue) >= self.settings.queue_size
        for o in self.workers:
            if o.lease is not None and (full or o.lease.client != job.client):
                self._revoke(o)
        # on the loop's shared ticker (up to its tick late): a TimerHandle's heap push and cancel per job cost
        # more, and a loop of jobs that finish in time leaves the heap full of cancelled handles
        until = job.deadline if job.queue_timeout is None else min(job.deadline, self.loop.time() + job.queue_timeout)
        job.timer = Later(until - self.loop.time(), partial(self._on_deadline, job), self.loop)
        self._dispatch()

    def _places(self, job: Job) -> int:
        """Queue places for `job` that no worker takes now: queue_size, plus one for each idle worker it fits but
        the first-build cap holds it from (_first_build_waits). A held job queues in that worker's place, as
        Pool.room counts it: without this a client's job that admission let in and the server derived met a 429
        beside an idle worker, and the cap cost the client a place (its 4th of 2 workers + 2 queue places)."""
        places = self.settings.queue_size
        for w in self.workers:
            if self._fits(w, job):
                places += 1
        return places

    def _run_inline(self, job: Job) -> bool:
        """Run `job` in this process when the inline lane takes it (service.inline); its future is done."""
        try:
            hit = self.run_inline(job.key, job.id, job.inputs, job.params, job.device_index)
        except ServiceError as e:
            job.future.set_exception(e)
            return True
        if hit is None:
            return False
        job.future.set_result(hit)
        return True

    def run_inline(self, key: str, job_id: int, inputs: list, params: dict,
                   device_index: int | None = None) -> tuple | None:
        """(outputs, timing, pool name) of a job the inline lane runs now, in this process (service.inline);
        None when it does not take it (submit it). A failure raises the ServiceError a worker's answer
        would. Core.run asks this before it builds a Job and a future: a small job's answer needs neither."""
        if self.inline is None or device_index is not None or self.queue or self.stopping:
            return None  # only in place of an immediate dispatch: never ahead of queued jobs
        for w in self.workers:
            if w.state == "idle":
                break
        else:
            return None
        plan = self.inline.plan_for(key)
        if plan is None:
            return None
        if w.lent_to is not None and all(o.lent_to is not None for o in self.workers if o.state == "idle"):
            # every idle core is lent: this job would share one with the borrower's helper thread (another
            # client's small calls: p90 4.6 ms with lending off, 10-13 ms lent on 2 cores). Lending yields
            # to it as to a job sent to a worker (benchmarks/lend_share_attack.py)
            self._reclaim(w.lent_to)
        self.tally.inc(self._lanes[1])
        outs, ms = self.inline.run(plan, key, job_id, inputs, params)
        self.tally.observe(self._compute, ms / 1e3)
        ms = ms3(ms)
        return outs, {"compute_ms": ms, "output_ms": 0.0, "compile_cache": "hit", "threads": 1, "queue_ms": 0.0,
                      "worker_ms": ms, "reclaimed": False, "lane": "inline"}, self.name

    def cancel(self, job: Job) -> None:
        """The client went away: a queued job is dropped; a running one has its worker recycled now (nobody waits
        for its result, and it could run for as long as its graph says), unless its graph's runs have taken at
        most a tenth of deadline_grace_s: then only if it still runs it deadline_grace_s later. A short job
        killed costs a worker's restart and its plans for nothing (a cancel storm of short jobs, each cancelled
        as soon as it runs: benchmarks/cancel_storm.py)."""
        if job in self.queue:
            self.queue.remove(job)
            if job.timer:
                job.timer.cancel()
            if job.future and not job.future.done():
                job.future.cancel()
            return
        w = job.worker
        if w is not None and w.job is job:
            if self._short(job.key):
                self.loop.call_later(self.settings.deadline_grace_s, self._recycle, w, job, "cancelled")
            else:
                self._recycle(w, job, "cancelled")

    def _short(self, key: str) -> bool:
        """Program `key`'s runs have taken at most a tenth of deadline_grace_s: cancelled, it is let finish."""
        usual = self.work.typical_ms(key)
        return usual is not None and usual <= self.settings.deadline_grace_s * 100  # (ms: a tenth of the grace)

    @staticmethod
    def _fits(w: Worker, job: Job) -> bool:
        return w.state == "idle" and (job.device_index is None or job.device_index == w.spec.index)

    def _dispatch(self) -> None:
        if self.stopping:
            return
        while self.queue:
            started = False
            for job in self._fair_order():
                w = self._pick(job)
                if w is None:
                    continue
                self.queue.remove(job)
                if self.refusals is not None and self.refusals.errors and self._refused(job):
                    started = True
                    break
                self._start(w, job)
                started = True
                break
            if not started:
                break

    def _refused(self, job: Job) -> bool:
        """A queued job whose program a worker refused meanwhile (max_work / max_nodes) fails with that refusal."""
        try:
            self.refusals.check(self.name, job.key)
        except ServiceError as e:
            self._fail(job, e)
            return True
        return False

    def _pick(self, job: Job) -> Worker | None:
        """The idle worker `job` goes to, None if none fits: one not lent if it can, one whose plan cache has
        the job's program, else the program's own worker or the one idle longest."""
        cands = [w for w in self.workers if self._fits(w, job)]
        if not cands:
            return None
        cands = [c for c in cands if c.lent_to is None] or cands  # a lender only when it must
        w = next((c for c in cands if job.key in c.keys), None)
        if w is None:
            pref = self.workers[hash(job.key) % len(self.workers)]
            w = pref if pref in cands else min(cands, key=lambda c: c.last_used)
        return None if self._first_build_waits(job, w) else w

    def _first_build_waits(self, job: Job, w: Worker) -> bool:
        """Whether `job` waits in the queue rather than take idle worker `w`: it would be the pool's last idle
        worker (of two or more), the job's cost is unknown and its client already has a job of unknown cost
        running. Why: a first build may spend max_work in lowering (8 s of an idle core, 50 s loaded) before its
        413, and nothing tells a costly program from a cheap one until it has run; one client sending two such
        at once held both workers and another client's small job met its deadline queued (SERVICE_REPORT round
        19). It starts as soon as a worker frees (or at once while another is idle); known costs never wait."""
        if job.key in w.keys or not self.settings.first_build_cap or len(self.workers) < 2:
            return False  # (idle `w` built it: a known cost, the usual case; cheapest tests first, on each pick)
        for o in self.workers:
            if o.state == "idle" and o is not w:
                return False
        if not any(o.job is not None and o.job.first_build and o.job.client == job.client for o in self.workers
                   if o.state == "busy"):
            return False
        return self._cost_unknown(job.key)

    def _cost_unknown(self, key: str) -> bool:
        """No worker has built program `key` (one building it now does not count) and none has timed a run of it."""
        for o in self.workers:
            if key in o.keys and not (o.job is not None and o.job.first_build and o.job.key == key):
                return False
        return self.work.typical_ms(key) is None

    def evictable(self, client: str) -> Job | None:
        """A full queue still takes a job of a client holding fewer places than another: the newest job
        of the client holding the most is refused (429, retry) instead; None when no client holds two
        places more than `client`. One client's flood cannot keep the others out."""
        if not self.queue:
            return None
        held = Counter(j.client for j in self.queue)
        top, n = held.most_common(1)[0]
        if top == client or n < held[client] + 2:
            return None
        return next(j for j in reversed(self.queue) if j.client == top)

    def _evict_for(self, client: str) -> bool:
        job = self.evictable(client)
        if job is None:
            return False
        self.queue.remove(job)
        self.metrics.rejected.labels(self.name).inc()
        retry = self.settings.retry_after_s
        self._fail(job, Overloaded(f"pool {self.name!r} is full and this client holds the most of its queue: its "
                                   f"newest job gave its place to another client's; retry after {retry}s",
                                   retry_after=retry, device=self.name, queue_size=self.settings.queue_size))
        return True

    def _fair_order(self) -> list:
        """The queue, jobs of the clients with the fewest jobs in the pool (running or queued) first, FIFO
        among equals: a client that floods the pool waits behind another client's job, not ahead of it
        (one client: plain FIFO)."""
        if len(self.queue) < 2:
            return list(self.queue)
        held = Counter(j.client for j in self.queue)
        held.update(w.job.client for w in self.workers if w.job is not None)
        held.update(lease.client for lease in self.leases.values() if lease.jobs)  # (a lane job in flight)
        return sorted(self.queue, key=lambda j: held[j.client])  # (sorted is stable)

    def _start(self, w: Worker, job: Job) -> None:
        if w.lent_to is not None:  # its cores are lent: taken back first
            self._reclaim(w.lent_to)
        job.first_build = self.settings.first_build_cap and job.key not in w.keys and self._cost_unknown(job.key)
        job.worker = w
        job.started = time.perf_counter()
        w.job, w.state = job, "busy"
        w.last_used = job.started
        self.tally.observe(self._queue_wait, job.started - job.enqueued)
        self.tally.inc(self._lanes[0])
        try:
            in_refs = [shm.put(a, self.settings.shm_threshold_bytes, job.owned) for a in job.inputs]
            p_refs = {k: shm.put(a, self.settings.shm_threshold_bytes, job.owned) for k, a in job.params.items()}
            job.inputs, job.params = [], {}  # the refs hold them now
            job.in_refs, job.p_refs = in_refs, p_refs
            if w.lease is None:
                self._lend(w, job)
            elif w.borrowed:  # (a job added to a lease: the lease's lent cores, still its)
                job.lend = w.lease.lend
            job.lane_item = self._lane_item(w, job)
            self._send(w, job, with_graph=job.key not in w.keys)
        except Exception as e:  # noqa: BLE001 - e.g. /dev/shm full
            self._fail(job, WorkerDied(f"could not hand the job to worker {w.spec.label}: {e}", device=w.spec.label))
            self._release(job)
            self._give_back(w)
            w.job, w.state = None, "idle"

    def _send(self, w: Worker, job: Job, with_graph: bool, by_pipe: bool = False) -> None:
        timeline.stamp("srv.to_worker")
        # plain pickle: the message is tuples, strings, numbers and arrays; Connection.send's ForkingPickler
        # (reducers for sockets and connections) costs ~3.5 us more a message. recv reads either.
        gjson, frames = job.graph_text if with_graph else None, []
        if isinstance(gjson, tuple) and len(gjson) > 2:  # values by hash, once per worker: a shared memfd each,
            sending = w.weights.to_send(gjson[2])  # else their bytes as frames after the message
            batch = [k for k, _ in sending]  # (none of one message's memfds closed for another of them)
            share = (lambda k, a: None) if by_pipe else \
                (lambda k, a: self.shared_weights.region(k, weight_refs.raw(a), keep=batch))
            named = [(k, a, share(k, a)) for k, a in sending]
            frames = [(k, a) for k, a, at in named if at is None]
            gjson = (gjson[0], gjson[1], [(k, a.nbytes, *at) if at else (k, a.nbytes) for k, a, at in named])
        else:
            sending = []
        w.conn.send_bytes(pickle.dumps(("job", job.id, job.key, gjson, job.in_refs,
                                        job.p_refs, w.slots.listing(), job.lend, job.out_target, job.lane_item,
                                        job.client or None), _PROTOCOL))  # (the client: its share of the caches)
        for k, a in frames:
            w.conn.send_bytes(weight_refs.raw(a))
        for k, a in sending:
            w.weights.sent(k, a.nbytes)
            self._weights_sent[0].inc()
            self._weights_sent[1].inc(a.nbytes)
        timeline.stamp("srv.to_worker_sent")
        w.keys[job.key] = True
        w.keys.move_to_end(job.key)
        while len(w.keys) > self.settings.plan_cache_size:
            w.keys.popitem(last=False)

    # -- core lending (service.core_lending) -------------------------------------------------------
    def _lend(self, w: Worker, job: Job) -> None:
        """A job starting with nothing queued behind it borrows the idle workers' cores."""
        job.lend = self._borrow(w, job.key)

    def _borrow(self, w: Worker, key: str) -> tuple | None:
        """(cores, threads) the idle workers lend `w` for a run of `key`, now lent to it; None: none lent."""
        if not (self.settings.lend_cores and w.spec.cores and not self.queue
                and self.work.worth_lending(key, self.settings.lend_min_ms)):
            return None
        cores, threads, lenders = set(w.spec.cores), w.spec.threads, []
        for o in self.workers:  # with more workers than cores some share one: only new cores count
            if o.state == "idle" and o.lent_to is None and o.spec.cores and cores.isdisjoint(o.spec.cores):
                cores.update(o.spec.cores)
                threads += o.spec.threads  # the lenders' threads: the pool's total stays within the quota
                lenders.append(o)
                o.lent_to = w
        if not lenders:
            return None
        w.borrowed = lenders
        self._lent.inc(len(cores) - len(w.spec.cores))
        return sorted(cores), threads

    def _reclaim(self, borrower: Worker) -> None:
        """Take back every core lent to `borrower`'s job, now: its threads are pinned back to its own
        cores (it is inside the job and cannot be asked); `revoked` tells it if it has not widened yet."""
        if borrower.job is not None and borrower.revoked is not None:
            borrower.revoked.value = borrower.job.id
            borrower.job.reclaimed = True
        if borrower.lease is not None:  # its lane runs under the grant's job id: narrow from now on; ended
            if borrower.revoked is not None:
                borrower.revoked.value = borrower.lease.job_id
            self._revoke(borrower)
        if borrower.pid is not None and borrower.state != "dead":
            pin_threads(borrower.pid, borrower.spec.cores)
        self._give_back(borrower)
        self._reclaims.inc()

    @staticmethod
    def _give_back(borrower: Worker) -> None:
        for o in borrower.borrowed:
            if o.lent_to is borrower:
                o.lent_to = None
        borrower.borrowed = []

    # -- worker messages ----------------------------------------------------------------------------
    def _on_readable(self, w: Worker) -> None:
        # one message per wake-up, no poll() around it: the reader is level-triggered, so a second
        # message already in the pipe wakes us again (two select syscalls less per job)
        try:
            if w.conn is not None:
                msg = w.conn.recv()
                w.heard = self.loop.time()
                self._handle(w, msg)
        except (EOFError, OSError):
            self._on_death(w)

    def _handle(self, w: Worker, msg: tuple) -> None:
        kind = msg[0]
        if kind == "ready":
            w.info = msg[1]
            w.state = "idle"
            w.ready_event.set()
            start_s = time.time() - w.started_at
            if w.owed_by is not None:  # (its start: a cancelled or killing job's cost, _owe_restart, less what it
                # charged ahead)
                self.refused_work.charge(w.owed_by, start_s - w.owed_ahead, time.perf_counter())
                w.owed_by = None
            self.start_s = start_s
            self._dispatch()
            return
        if kind == "fatal":
            w.fatal = msg[1]
            log.error("worker %s failed to start: %s", w.spec.label, msg[1])
            w.ready_event.set()
            return
        if kind in ("lane_start", "lane_done", "revoked"):
            self._lane_message(w, msg)
            return
        job = w.job
        if job is None or msg[1] != job.id:
            return  # stale message of a job already failed
        if kind == "need_graph":
            lost = len(msg) > 2 and msg[2]  # its weight cache dropped values the graph names: send them again
            if not lost or (isinstance(job.graph_text, tuple) and len(job.graph_text) > 2):
                if lost:
                    w.weights.forget(job.graph_text[2])
                # (values it could not map, if any, go as frames this time: the job always gets them)
                self._send(w, job, with_graph=True, by_pipe=bool(lost))
                return
            kind, msg = "error", ("error", job.id, {"code": "internal", "message": "the worker lacks a value the "
                                  "graph names by hash and the job has none to send", "detail": {}})
        timeline.stamp("srv.from_worker")
        w.job, w.state = None, "idle"
        w.jobs_done += 1
        if w.lease is not None:  # a lease's grant, or a template added to it: it holds the worker if it has one
            if kind == "done" and "direct_lane" in msg[3]:  # (the client's wait for a lane job's answer too)
                w.lease.templates += 1
                msg[3]["direct_lane"].append(self.lane_wait_s(w.lease))
            if w.lease.templates and not w.lease.revoking:
                w.state = "leased"
            else:
                self._end_lease(w)
        if w.state != "leased":
            self._give_back(w)  # it narrowed itself before answering
        if kind == "done":
            _, _, refs, timing = msg
            w.plan_bytes = timing.pop("plan_cache_bytes", w.plan_bytes)
            run_ms = timing.get("compute_ms", 0) - timing.pop("compile_ms", 0)  # a miss: its run alone
            # the inline lane's cost: the run's own CPU time (a loaded box only adds to its wall time)
            run_ms = timing.pop("compute_cpu_ms", run_ms)
            waited = timing.pop("cpu_wait_ms", 0.0)  # a lent run's threads waiting for a CPU (core_lending)
            if timing.get("compile_cache") == "hit" and not job.reclaimed:
                self.work.note(job.key, timing.get("compute_ms", 0), job.lend is not None, waited)
            if self.inline is not None and job.lend is None and not job.reclaimed:  # its cost on one worker's cores
                self.inline.note(job.key, job.graph_text, run_ms, self.loop, job.client or None)
            outs = w.slots.take_all(refs)  # views on reused slots, or on segments whose names are unlinked
            self.tally.inc(self._misses if timing.get("compile_cache") == "miss" else self._hits)
            self.tally.observe(self._compute, timing.get("compute_ms", 0) / 1e3)
            timing = dict(timing, queue_ms=ms3((job.started - job.enqueued) * 1e3),
                          worker_ms=ms3((time.perf_counter() - job.started) * 1e3), reclaimed=job.reclaimed,
                          lane="worker")
            if job.future and not job.future.done():
                job.future.set_result((outs, timing, w.spec.label))
        else:
            err = from_engine(msg[2])
            # (before the dispatch below: a queued twin is refused, not built); the worker time it took is charged
            # to its client's account of refused builds
            if self.refusals is not None and self.refusals.note(self.name, job.key, err):
                now = time.perf_counter()
                self.refused_work.charge(job.client, now - job.started, now)
            self._fail(job, err)
        self._release(job)
        self._dispatch()

    def _on_death(self, w: Worker) -> None:
        if w.state == "dead":
            return
        reason = w.recycling or "died"
        if w.lent_to is not None:  # its replacement may take jobs at once: its cores come back first
            self._reclaim(w.lent_to)
        self._give_back(w)
        self._close(w)
        code = w.proc.exitcode if w.proc is not None else None
        if w.proc is not None:
            w.proc.join(timeout=1)
            code = w.proc.exitcode
        left = shm.sweep_workers(w.pid) if w.pid else []  # a segment it was writing when it died
        if left:
            log.warning("unlinked %d shared-memory segment(s) left by worker %s", len(left), w.spec.label)
        job = w.job
        w.job = None
        if job is not None:
            if reason == "died" and not self.stopping:
                # died under this job (the kernel's OOM killer picks the process with the most memory: the one
                # running the largest job; a crash): its client owes the restart, as a cancel's (round 30: one
                # client's job killing the worker, sent again and again, restarted the pool's worker each time, the
                # other clients' jobs waiting ~2 s behind each restart, and nothing bounded it)
                self._owe_restart(w, job)
            self._fail(job, _died(w, code))
            self._release(job)
        elif reason == "died":
            w.owed_by = None  # (died with no job, e.g. while starting: nobody owes its replacement's start)
        if w.lease is not None:  # its client's lane sees EOF and asks why (lanes.install)
            lanes.unlink(w.lease.path)
            self._end_lease(w, DeadlineExceeded(
                f"the deadline passed while worker {w.spec.label} held the lane's job without answering; the "
                "worker was recycled", device=w.spec.label, where="running") if reason == "deadline" else _died(w, code))
        was_up = w.ready_event.is_set() and not w.fatal
        if not w.ready_event.is_set():  # died during start
            w.fatal = w.fatal or f"exited with code {code} while starting"
            w.ready_event.set()
        if self.stopping:
            return
        log.warning("worker %s (pid %s) %s (exit code %s); replacing it", w.spec.label, w.pid,
                    f"recycled ({w.recycling})" if w.recycling else "died", code)
        self.restarts += 1
        self.metrics.restarts.labels(self.name, reason).inc()
        if was_up:
            self._replace(w)
        else:  # it never came up: do not spin, try again shortly
            self.loop.call_later(2.0, self._replace, w)

    def _replace(self, w: Worker) -> None:
        if self.stopping or w not in self.workers:
            return
        new = self.workers[self.workers.index(w)] = self._spawn(w.spec)
        new.owed_by = w.owed_by if w.recycling in ("cancelled", None) else None  # (None: it died, _on_death)
        new.owed_ahead = w.owed_ahead
        self._dispatch()

    def _close(self, w: Worker) -> None:
        if w.conn is not None:
            try:
                self.loop.remove_reader(w.conn.fileno())
            except (ValueError, OSError):
                pass
            try:
                w.conn.close()
            except OSError:
                pass
            w.conn = None
        w.state = "dead"
        w.slots.close()

    # -- direct lanes (service.lanes) ----------------------------------------------------------------
    def _leased_for(self, job: Job) -> Worker | None:
        """The worker of the lease a job adds a template to (its client's, between lane jobs), else None."""
        want = lanes.asked(job.direct) if job.direct and self.settings.direct_lanes else None
        if want is None or want[0] != "add":
            return None
        lease = self.leases.get(job.client)
        if lease is None or lease.token != want[1] or lease.revoking:
            return None
        w = lease.worker
        return w if w.state == "leased" and w.lease is lease and job.device_index in (None, w.spec.index) else None

    def _lane_item(self, w: Worker, job: Job) -> tuple | None:
        """What the job's message asks of a lane: ("new", path, token, the grant's deadline, max_deadline_s, the
        worker's label) for a grant, ("add", token), or None.
        A grant needs a job the lane can replay (lanes.carried), no lease of its client's, and another idle
        worker (never the pool's last)."""
        want = lanes.asked(job.direct) if job.direct and self.settings.direct_lanes else None
        if want is None or job.device_index is not None or not lanes.carried(job.in_refs, job.p_refs,
                                                                            job.out_target):
            return None
        if want[0] == "add":
            lease = w.lease
            ok = lease is not None and lease.token == want[1] and lease.client == job.client and not lease.revoking
            return ("add", lease.token) if ok and lease.templates < lanes.MAX_TEMPLATES else None
        old = self.leases.get(job.client)
        if old is not None:  # the client asks again: it lost its lane (this one's time it goes without)
            self._revoke(old.worker)
            return None
        if w.lease is not None or \
                not any(o.state == "idle" and o is not w for o in self.workers):  # (lent ones too: reclaimable)
            return None
        path, token = self.lane_dir.new_path()
        lease = w.lease = self.leases[job.client] = lanes.Lease(token, path, job.client, w, job.id, job.key,
                                                                job.lend, max(0.0, job.deadline - self.loop.time()),
                                                                job.kind)
        # (the worker answers a lane job done past its deadline as HTTP would: it needs the grant's deadline)
        return ("new", path, token, lease.within_s, self.settings.max_deadline_s, w.spec.label)

    def lane_wait_s(self, lease: lanes.Lease) -> float:
        """How long a lane job may take before its worker is killed: the grant's deadline plus the grace."""
        return lease.within_s + self.settings.deadline_grace_s

    def _lane_message(self, w: Worker, msg: tuple) -> None:
        lease = w.lease
        if msg[0] == "revoked":
            if lease is not None:
                self._end_lease(w)
            if w.state == "leased":
                w.state = "idle"
                self._give_back(w)
            self._dispatch()
            return
        if lease is None or msg[1] != lease.token:
            return  # (a lease already ended)
        if msg[0] == "lane_start":
            within = lanes.job_deadline_s(msg[3], lease.within_s, self.settings.max_deadline_s)
            lease.jobs[msg[2]] = Later(within + self.settings.deadline_grace_s,
                                       partial(self._lane_overrun, w, lease, msg[2]), self.loop)
            self.tally.inc(self._lanes[2])
            return
        timer = lease.jobs.pop(msg[2], None)
        if timer is not None:
            timer.cancel()
        timing = msg[3]
        if len(msg) > 5 and msg[5]:  # answered with an error its client raises (done past its deadline: 504)
            self.tally.job(lease.kind, w.spec.label, msg[5], msg[4])
        if timing:  # a job done, counted as its request over HTTP would be (an error answer or a fallback: its
            # client sends it over HTTP, counted there)
            self.tally.job(lease.kind, w.spec.label, "ok", msg[4])
            w.jobs_done += 1
            self.tally.inc(self._hits)
            self.tally.observe(self._compute, timing.get("compute_ms", 0) / 1e3)
            self.work.note(lease.key, timing.get("compute_ms", 0), lease.lend is not None,
                           timing.get("cpu_wait_ms", 0.0))
            if lease.lend is None and not lease.revoking:  # lending found worth it since the grant: the lane too
                lease.lend = self._borrow(w, lease.key)
                if lease.lend is not None and w.conn is not None:
                    w.conn.send_bytes(pickle.dumps(("lend", lease.lend), _PROTOCOL))

    def _lane_overrun(self, w: Worker, lease: lanes.Lease, seq: int | None) -> None:
        """A lane job past its deadline and the grace (seq None: the worker silent that long, lane_overdue): its
        worker is killed, as a pool job's (the client's lane sees EOF)."""
        if w.lease is lease and (seq is None or seq in lease.jobs) and w.proc is not None:
            w.recycling = "deadline"
            try:
                os.kill(w.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def lane_overdue(self, lease: lanes.Lease) -> None:
        """The lease's client waited a lane job's deadline plus the grace without an answer (service.lanes): its
        worker is killed once it has been silent that long (a lane job it announced has its own timer; one it
        never read, the worker stopped or stuck, has only this), and the lease ends with DeadlineExceeded. A
        worker heard from since is left alone: the client's wait began after that."""
        w = lease.worker
        if w.lease is not lease or lease.watch is not None:
            return
        heard = w.heard

        def silent() -> None:
            lease.watch = None
            if w.lease is lease and w.heard == heard and w.proc is not None:
                self._lane_overrun(w, lease, None)

        lease.watch = Later(max(0.0, heard + self.lane_wait_s(lease) - self.loop.time()), silent, self.loop)

    def _revoke(self, w: Worker) -> None:
        """Ask a leased worker to end its lane after the job in flight; it answers ("revoked",)."""
        if w.lease is None or w.lease.revoking:
            return
        w.lease.revoking = True
        try:
            if w.conn is not None:
                w.conn.send_bytes(pickle.dumps(("revoke",), _PROTOCOL))
        except OSError:
            pass

    def _end_lease(self, w: Worker, cause: ServiceError | None = None) -> None:
        lease, w.lease = w.lease, None
        if lease is None:
            return
        self.lanes_ended.note(lease.token, cause)
        if self.leases.get(lease.client) is lease:
            del self.leases[lease.client]
        for timer in lease.jobs.values():
            timer.cancel()
        lease.jobs.clear()
        if lease.watch is not None:
            lease.watch.cancel()
            lease.watch = None

    # -- deadlines -----------------------------------------------------------------------------------
    def _on_deadline(self, job: Job) -> None:
        """The deadline is the server's: it holds whether or not anyone still waits for the result."""
        # (the queue timeout's timer, set by _enqueue: job.queue_timeout)
        early = job.queue_timeout is not None and self.loop.time() < job.deadline
        if job in self.queue:
            self.queue.remove(job)
            # Triton's text and code (its dynamic batcher's rejection of a request past its timeout: UNAVAILABLE)
            self._fail(job, Unavailable("Request timeout expired", device=self.name, where="queued") if early else
                       DeadlineExceeded("the deadline passed while the job was queued", device=self.name,
                                        where="queued"))
            return
        w = job.worker
        if w is None or w.job is not job:  # already over
            return
        if early:  # it left the queue in time: the deadline alone bounds it now
            job.timer = Later(job.deadline - self.loop.time(), partial(self._on_deadline, job), self.loop)
            return
        self._fail(job, DeadlineExceeded(f"the deadline passed while worker {w.spec.label} was running the job; "
                                         "the worker is recycled if it does not finish", device=w.spec.label,
                                         where="running"))
        self.loop.call_later(self.settings.deadline_grace_s, self._recycle, w, job)

    def _recycle(self, w: Worker, job: Job, reason: str = "deadline") -> None:
        if w.job is job and w.state == "busy" and w.proc is not None:
            w.recycling = reason
            if reason == "cancelled":
                # the worker time its job took, and (once it is ready: _handle) its replacement's start, charged to
                # the client's account of refused work: a client cancelling a new program as soon as it ran, in a
                # loop, had the pool's worker killed and restarted for nothing each time (another key's small grad
                # waited 4-8 s behind the restarts, one worker)
                self._owe_restart(w, job)
            try:
                os.kill(w.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _owe_restart(self, w: Worker, job: Job) -> None:
        """`job`'s client owes its worker's restart: the worker time the job took, and the replacement's start,
        charged to its account of refused work as a recycle (RefusedWork.recycle: its burst halved while
        remembered). The start is charged ahead, as long as the last one took (start_s), the rest once the
        replacement is ready (_handle): charged only then, the client's next new program went in meanwhile."""
        now = time.perf_counter()
        self.refused_work.recycle(job.client, now - job.started + self.start_s, now)
        w.owed_by, w.owed_ahead = job.client, self.start_s

    # -- helpers -------------------------------------------------------------------------------------
    @staticmethod
    def _fail(job: Job, err: Exception) -> None:
        if job.timer:
            job.timer.cancel()
        if job.future is not None and not job.future.done():
            job.future.set_exception(err)

    @staticmethod
    def _release(job: Job) -> None:
        if job.timer:
            job.timer.cancel()
        shm.close_all(job.owned, unlink_too=True)


def _died(w: Worker, code) -> WorkerDied:
    return WorkerDied(f"worker {w.spec.label} (pid {w.pid}) died while running this job (exit code {code}); it "
                      "has been replaced", device=w.spec.label, exit_code=code)


# -- building pools from settings --------------------------------------------------------------------
def _install_hint(pool: str) -> str:
    return {"gpu": " (the gpu pool needs CuPy and an NVIDIA driver: pip install 'gradserve[gpu]')",
            "ascend": " (the ascend pool needs torch, torch_npu and CANN: pip install 'gradserve[ascend]')",
            "torchcpu": " (the torchcpu pool needs PyTorch: pip install torch)"}.get(pool, "")


def _need(module: str, pool: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise PoolStartError(f"pool {pool!r} is configured but {module} is not installed: {what}")


def _cpu_specs(name: str, n: int, backend: str, settings: Settings) -> list[WorkerSpec]:
    try:
        cores = sorted(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = list(range(os.cpu_count() or 1))
    per = max(1, len(cores) // n)
    specs = []
    for i in range(n):
        mine = [cores[(i * per + k) % len(cores)] for k in range(per)] if settings.pin_cpus else []
        threads = max(1, min(per, usable_cpus() // n))  # BLAS threads within the CPU quota too
        env = {k: str(threads) for k in BLAS_THREAD_VARS}
        if settings.lend_cores and "OPENBLAS_THREAD_TIMEOUT" not in os.environ:
            # OpenBLAS helper threads spin ~0.1 s after a call (2^28 cycles) before they sleep: after a
            # lent job that spin would share the worker's own core. 2^18 cycles (~0.1 ms) spans the gap
            # between one plan's BLAS calls, and no more.
            env["OPENBLAS_THREAD_TIMEOUT"] = "18"
        specs.append(WorkerSpec(i, f"{name}:{i}", backend, "cpu" if backend == "torch" else None, env, mine, threads))
    return specs


def _visible(var: str, count: int) -> list[str]:
    cur = os.environ.get(var)
    if cur:
        return [s.strip() for s in cur.split(",") if s.strip()]
    return [str(i) for i in range(count)]


def _cuda_count() -> int:
    import cupy

    return cupy.cuda.runtime.getDeviceCount()


def _npu_count() -> int:
    import torch
    import torch_npu  # noqa: F401  (registers torch.npu)

    return torch.npu.device_count()


@dataclass(frozen=True)
class Accelerator:
    """One accelerator pool kind: one worker per device, pinned by its visibility variable."""

    modules: tuple  # runtime modules that must import
    install: str  # what to install when they do not
    visible_var: str  # CUDA_VISIBLE_DEVICES / ASCEND_RT_VISIBLE_DEVICES
    backend: str  # engine backend of the workers
    runtime_device: str  # the device as the worker sees it (its only visible one)
    count: Callable[[], int]
    what: str  # "CUDA device" / "NPU", for messages
    runtime: str  # "CuPy" / "torch_npu", for messages
    check: str  # what to check when none is seen


ACCELERATOR_POOLS = {
    "gpu": Accelerator(("cupy",), "pip install 'gradserve[gpu]' (cupy-cuda12x) on a host with the NVIDIA driver",
                       "CUDA_VISIBLE_DEVICES", "cupy", "cuda:0", _cuda_count, "CUDA device", "CuPy",
                       "the NVIDIA driver and CUDA_VISIBLE_DEVICES"),
    "ascend": Accelerator(("torch", "torch_npu"),
                          "pip install 'gradserve[ascend]' (torch, torch-npu) with the CANN toolkit",
                          "ASCEND_RT_VISIBLE_DEVICES", "torch", "npu:0", _npu_count, "NPU", "torch_npu",
                          "the driver and ASCEND_RT_VISIBLE_DEVICES"),
}


def _accelerator_specs(name: str, acc: Accelerator, indices: list[int] | None) -> list[WorkerSpec]:
    for mod in acc.modules:
        _need(mod, name, acc.install)
    if indices is None:
        try:
            indices = list(range(acc.count()))
        except Exception as e:  # noqa: BLE001
            raise PoolStartError(f"pool {name!r}: {acc.runtime} cannot see a {acc.what} ({e}); check {acc.check}") \
                from None
    if not indices:
        raise PoolStartError(f"pool {name!r} is configured but no {acc.what} is visible")
    phys = _visible(acc.visible_var, max(indices) + 1)
    return [WorkerSpec(i, f"{name}:{i}", acc.backend, acc.runtime_device,
                       {acc.visible_var: phys[i] if i < len(phys) else str(i), "OMP_NUM_THREADS": "1"})
            for i in indices]


def build_specs(name: str, settings: Settings) -> list[WorkerSpec]:
    if name == "cpu":
        if settings.cpu_backend == "torch":
            _need("torch", name, "pip install torch, or set GRADSERVE_CPU_BACKEND=numpy")
        return _cpu_specs("cpu", settings.cpu_workers, settings.cpu_backend, settings)
    if name == "torchcpu":
        _need("torch", name, "pip install torch (the PyTorch CPU stand-in for accelerator pools)")
        return _cpu_specs("torchcpu", settings.torchcpu_workers, "torch", settings)
    if name in ACCELERATOR_POOLS:
        return _accelerator_specs(name, ACCELERATOR_POOLS[name], getattr(settings, f"{name}_indices"))
    raise PoolStartError(f"unknown pool {name!r}")


def as_array_list(xs) -> list[np.ndarray]:
    return [np.asarray(x) for x in xs]
