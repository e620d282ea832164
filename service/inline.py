"""The inline lane: proven-small jobs of the cpu (NumPy) pool run in the server's own process.

Why: a worker hop costs two process wake-ups (the job to the worker, the answer back) and a message
each way, ~0.15-0.25 ms of wall time on a 2-vCPU box, several times the compute of a small job (L3's
value_and_grad computes in ~0.02-0.07 ms), and the woken worker runs its plan on cold caches.

A job runs inline only when ALL of these hold (else it goes to a worker, as every job did before):
- the pool is the cpu pool on the NumPy backend and `inline_max_ms` > 0;
- its derived graph already ran in a worker, on the worker's own cores, and its cost is at most
  `inline_max_ms`: the least compute of its last COST_RUNS clean runs (worker or inline; the plan's own
  cost does not vary with the values, so what varies is the load, which only adds). A run's cost is its
  thread's CPU time: a run preempted on a loaded box is not a larger job (by wall time a ~0.3 ms L1 step
  can pass 1 ms run after run at load ~11: in one of five such runs all its 40 steps stayed in workers).
  A worker reports its process's CPU time (a split's helper threads too), less its lowering and
  compiling on a graph's first run: that run was on fresh buffers, which only adds too. The lane lowers a graph it never saw
  while its first job runs in a worker, within a CPU budget (service.inline_ahead), and compiles it once
  that run came back clean and small; a graph not lowered ahead compiles once it came back
  (COMPILE_AFTER runs, cache hits or not: with two workers the second run is often the other worker's
  first). The key is a content hash of the typed derived graph, and the core checks every job's inputs against those
  types, so the same key means the same plan on the same shapes and dtypes: its cost and memory are known;
- its lowered plan has no op whose cost depends on the values (VALUE_DEPENDENT: `while_run` runs as
  many trips as the values ask, `switch_run` only the branch they choose), its estimated peak memory is
  at most PLAN_MAX_BYTES, and the server has compiled it (in a thread, off the event loop; the jobs that
  come meanwhile go to workers);
- no worker index was asked for, a worker is idle and nothing is queued: inline work only replaces an
  immediate dispatch, never overtakes queued jobs (queue order, a queued job's deadline, cancelling a
  queued job stay as they were). A worker lending its cores to a running job counts as idle: running
  the small job here is cheaper than a worker hop. When every idle worker is lent, the pool reclaims them
  first (Pool.run_inline): else this process shares a core with the borrower's helper thread (another
  client's small calls went from p90 ~5 to ~10-13 ms on 2 cores, benchmarks/lend_share_attack.py);
- the budget allows it (below).

Why it is safe for the other clients of the server: an inline job holds the event loop (every other
request's reads, writes and dispatches) for about its measured compute, at most ~`inline_max_ms`
(4 ms by default: a small job's worker hop plus wake-ups cost ~1-3 ms of wall time, and a job's CPU
time differs ~2.5x between machines; L2's 2000-example vmap(grad) costs ~0.9 ms of CPU on one 2-vCPU VM and
~2 ms on a slower one, where a 1 ms ceiling sent it to workers at 1.6-2x JAX against 0.8-1.1x inline), and
a token bucket bounds the loop time all inline
work may take to `inline_share` of wall time (0.5 by default) over a window of WINDOW_MS, so a stream of
small jobs cannot starve the loop: past the share they go to workers. Only plans of value-independent
cost qualify, so a job proven small stays small; runs that keep coming out slower send it back to the
workers. "Value-independent" holds for the trip counts, not for every kernel: NumPy's float32 sin of
values above ~1e5 takes a slow path (~10x), its power of a subnormal base ~80x, so a client could have a
graph measured on small values, then send such ones (30 sines of 16K values: 0.5 ms measured, 2.5-23 ms
inline). An inline run whose own CPU time (thread_time: a
preempted loop does not count) passes SLOW_RUN x inline_max_ms therefore refuses its graph for good.
Compiling a plan here costs the server CPU once per graph (~13 ms of CPU for L1's: lowering ~10, compiling
~3), in the lane's own thread: the requests of that moment slow down a little rather than one of them
stalling behind it; lowering ahead moves most of it to the graph's first worker run, when its client waits
for the worker's own compile anyway.
The server runs one BLAS thread, so an inline job does not spread over the workers' cores. Memory:
the lane's plans are its Engine's cache (one cache, as in a worker): at most PLAN_CACHE plans holding
CACHE_BYTES (folded constants and arenas; an evicted plan's arenas are released at once), one client's at
most half of either (engine.cache_share, as a worker's: one key's distinct small graphs evicted the others'), and the
lane's bookkeeping is bounded (KNOWN keys).

What is given up for these jobs: crash isolation. The plan ran cleanly in a worker on the same shapes
before, and the server runs the same NumPy code; a fault inside NumPy itself would now take the server
down instead of one worker. A deadline cannot pass during ~1 ms, and there is nothing to cancel.
Lowering ahead runs before any clean run, but it is the engine's symbolic Python (as the server's own
derivation of every request is), within limits of its own; no kernel runs on a graph's constants here
(compiling folds them) before a worker ran the graph cleanly.

Errors come back exactly as from a worker (service.worker.job_error, then service.errors.from_engine),
results as the same arrays (C-contiguous, writable, never a view on the request's buffers).
"""
from __future__ import annotations

import logging
import sys
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from engine.ir import tree_flatten

from . import timeline, weight_refs
from .errors import from_engine
from .inline_ahead import MAX_NODES as AHEAD_MAX_NODES
from .inline_ahead import MAX_WORK as AHEAD_MAX_WORK
from .inline_ahead import SKIP, LowerAhead

log = logging.getLogger("gradserve.inline")

WINDOW_MS = 200.0  # the budget's window: at most inline_share of it in inline work, in one burst or spread
PLAN_MAX_BYTES = 16 << 20  # a plan estimated to need more never runs inline
CACHE_BYTES = 64 << 20  # bytes all the plans kept hold (Engine cache_bytes)
PLAN_CACHE = 64  # plans kept
KNOWN = 4096  # keys whose cost (or unsuitability) is remembered
VALUE_DEPENDENT = frozenset({"while_run", "switch_run"})
COST_RUNS = 4  # a graph's cost: the least compute of its last runs
COMPILE_AFTER = 2  # worker runs of a graph before the lane compiles it: one that ran once may never come back
SLOW_RUN = 4.0  # an inline run whose own CPU time passes this many inline_max_ms: its graph never runs inline again
COMPILE_SWITCH_S = 0.0005  # the GIL switch interval while the lane compiles (see InlineLane._compile)


def one_blas_thread() -> None:
    """The server's own BLAS runs one thread: inline jobs stay on the event loop's core."""
    from threadpoolctl import ThreadpoolController

    for c in ThreadpoolController().lib_controllers:
        c.set_num_threads(1)


class InlineLane:
    """The lane of one pool; used from the pool's event loop only (compiles run in its thread)."""

    def __init__(self, settings):
        from engine import Engine
        from engine.serialize import Limits

        self.max_ms = settings.inline_max_ms
        self.share = settings.inline_share
        self.capacity = self.share * WINDOW_MS
        self.tokens = self.capacity  # ms of inline work allowed now; refilled at `share` ms per ms
        self.stamp = time.perf_counter()
        self.costs: OrderedDict[str, deque] = OrderedDict()  # key -> compute ms of its last clean runs
        self.never: OrderedDict[str, bool] = OrderedDict()  # keys that must not run inline
        self.pending: set = set()  # keys being compiled, or lowered ahead
        self.ahead = LowerAhead(Engine("numpy", max_nodes=min(settings.max_nodes, AHEAD_MAX_NODES),
                                       max_work=min(settings.max_work, AHEAD_MAX_WORK),
                                       max_job_bytes=settings.max_job_bytes, cache_size=1,
                                       max_job_flops=settings.max_job_flops))
        # the workers' limits: a plan is lowered here exactly as in a worker; its cache is the lane's plans
        self.engine = Engine("numpy", max_nodes=settings.max_nodes, max_work=settings.max_work,
                             max_job_bytes=settings.max_job_bytes, cache_size=PLAN_CACHE, cache_bytes=CACHE_BYTES,
                             max_job_flops=settings.max_job_flops)
        self.limits = Limits(max_nodes=settings.max_nodes)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="gradserve-inline")
        self.closed = False
        one_blas_thread()

    def warm(self, loop):
        """The NumPy backend's first use imports SciPy (~1 s): in the lane's thread while the workers
        start (the pool awaits it before it is ready), not when the first graph compiles, where it would
        hold the GIL against a busy event loop."""
        return loop.run_in_executor(self.executor, _warm)

    def close(self) -> None:
        self.closed = True
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.engine.clear()

    def describe(self) -> dict:
        cache = self.engine.cache_info()
        return {"max_ms": self.max_ms, "share": self.share, "plans": cache["entries"], "compiling": len(self.pending),
                "lowered_ahead": len(self.ahead), "refused": len(self.never), "plan_bytes": cache["bytes"]}

    # -- what the workers measured -------------------------------------------------------------------
    def seen(self, key: str, graph_text, loop, owner=None) -> None:
        """A job of `key` goes to a worker: a graph the lane knows nothing of is lowered now, in the lane's
        thread, while the worker lowers, compiles and runs it (service.inline_ahead). `owner`: the job's client,
        whose share of the lane's plans its plan counts against (engine.cache_share)."""
        if key in self.costs or key in self.pending or key in self.never or key in self.ahead:
            return
        if not self.ahead.affords(weight_refs.text_size(graph_text)) or self.engine.cached(key, touch=False) is not None:
            return
        self.pending.add(key)
        fut = loop.run_in_executor(self.executor, self._lower, graph_text)
        fut.add_done_callback(partial(self._lowered, key, loop, owner))

    def note(self, key: str, graph_text, compute_ms: float, loop, owner=None) -> None:
        """A clean worker run of `key` (own cores) computed in `compute_ms` (its compile not counted); `owner`: as
        for `seen`."""
        self._cost(key, compute_ms)
        self._compile_when_due(key, graph_text, loop, owner)

    def _compile_when_due(self, key: str, graph_text, loop, owner=None) -> None:
        """Compile `key` in the lane's thread once a clean run proved it small: after its first run when
        it was lowered ahead (only the compile is left), else after COMPILE_AFTER runs."""
        runs = self.costs.get(key)
        if runs is None or key in self.pending or key in self.never or self.engine.cached(key, touch=False) is not None:
            return
        if min(runs) > self.max_ms:  # not small, or not now (a loaded box): what was lowered stays (KEEP)
            return
        lowered = self.ahead.take(key)
        if lowered is None and (len(runs) < COMPILE_AFTER or graph_text is None):
            return
        self.pending.add(key)
        fut = loop.run_in_executor(self.executor, self._compile, key, graph_text, lowered, owner)
        fut.add_done_callback(partial(self._compiled, key))

    def _cost(self, key: str, ms: float) -> None:
        runs = self.costs.get(key)
        if runs is None:
            runs = self.costs[key] = deque(maxlen=COST_RUNS)
        runs.append(ms)
        self.costs.move_to_end(key)
        while len(self.costs) > KNOWN:
            self.costs.popitem(last=False)

    def _lower(self, graph_text) -> tuple:
        """In the lane's thread: (what came of it, the thread's CPU ms): (flat graph, estimated bytes); None
        when it must not run inline; SKIP past lowering ahead's own, smaller limits (the usual path
        decides then). Lowering runs no kernel (service.inline_ahead)."""
        from engine.errors import LimitExceeded

        from .worker import load_graph

        c0 = time.thread_time()
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, COMPILE_SWITCH_S))
        timeline.stamp("inl.l0")
        try:
            flat, need = self.ahead.engine.lower(load_graph(graph_text, self.limits))
            got = (flat, need) if _admit(flat, need) else None
        except LimitExceeded:
            got = SKIP
        except Exception as e:  # noqa: BLE001 - it fails in the worker too, which reports it to its client
            log.debug("inline lowering failed: %s", e)
            got = None
        finally:
            timeline.stamp("inl.l1")
            sys.setswitchinterval(interval)
        return got, (time.thread_time() - c0) * 1e3

    def _lowered(self, key: str, loop, owner, fut) -> None:
        self.pending.discard(key)
        if self.closed or fut.cancelled():
            return
        got, cpu_ms = fut.result()
        self.ahead.charge(cpu_ms)
        if got is SKIP:
            return
        if got is None:
            self._refuse(key)
            return
        self.ahead.keep(key, got, owner)
        self._compile_when_due(key, None, loop, owner)  # its first run may be back already

    def _compile(self, key: str, graph_text, lowered: tuple | None = None, owner=None):
        """In the lane's thread: the plan, cached in the lane's Engine, or None when it must not run
        inline (nothing is compiled then); `lowered`: the graph lowered ahead; `owner`: whose plan it is (one
        client's plans hold at most a share of the lane's cache, as in a worker: engine.cache_share). Meanwhile the thread
        holds the GIL in long stretches, and the event loop waits up to the switch interval (5 ms) each
        time it wants it back (several times per request): a shorter interval while compiling keeps
        the requests of those ~10-100 ms near their usual time."""
        from .worker import load_graph

        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, COMPILE_SWITCH_S))
        timeline.stamp("inl.c0")
        try:
            g = load_graph(graph_text, self.limits) if lowered is None else None
            return self.engine.plan(g, key, admit=_admit, lowered=lowered, owner=owner)
        finally:
            timeline.stamp("inl.c1")
            sys.setswitchinterval(interval)

    def _compiled(self, key: str, fut) -> None:
        self.pending.discard(key)
        if self.closed or fut.cancelled():
            self.engine.clear()  # a compile that ended after close() cached its plan
            return
        try:
            got = fut.result()
        except Exception as e:  # noqa: BLE001 - it ran in a worker: leave it there
            log.debug("inline compile of %s failed: %s", key, e)
            got = None
        if got is None:
            self._refuse(key)

    def _refuse(self, key: str) -> None:
        """`key` never runs inline (again)."""
        self.never[key] = True
        while len(self.never) > KNOWN:
            self.never.popitem(last=False)

    # -- running ---------------------------------------------------------------------------------------
    def plan_for(self, key: str):
        """The compiled plan when a job of `key` may run inline now (cost and budget), else None."""
        runs = self.costs.get(key)  # (before the Engine's cache: no lock taken for a job that cannot qualify)
        if runs is None or min(runs) > self.max_ms or key in self.never:
            return None
        now = time.perf_counter()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * 1e3 * self.share)
        self.stamp = now
        if self.tokens <= 0:
            return None
        return self.engine.cached(key)  # a hit: the most recently used plan (None: not compiled, or evicted)

    def run(self, plan, key: str, job_id: int, inputs: list, params: dict) -> tuple[list, float]:
        """(outputs, compute ms); a failure raises the ServiceError a worker's answer would."""
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            # the parameters the lowered plan still has (Engine.run filters the same way): all of them, usually
            ps = (params if params.keys() <= plan.param_avals.keys() else
                  {k: v for k, v in params.items() if k in plan.param_avals}) if params else None
            outs = tree_flatten(plan.run_host(inputs, ps or None))
            own = _owned(inputs, params)
            outs = [_fresh(a, own) for a in outs]
        except Exception as e:  # noqa: BLE001 - as a worker: the job fails, the server goes on
            from .worker import job_error  # (the worker module only when a job fails)

            raise from_engine(job_error(e, job_id)) from None
        finally:
            ms = (time.perf_counter() - t0) * 1e3
            self.tokens -= ms
        # a thread's CPU time is at most its wall time: a run within max_ms is within it by either clock for
        # every decision its cost makes (min(runs) > max_ms; SLOW_RUN), so its wall time stands in for it and
        # the clock's second system call (~3 us on a VM: a small job's every run) is left out
        cpu_ms = ms if ms <= self.max_ms else (time.thread_time() - c0) * 1e3
        if cpu_ms > SLOW_RUN * self.max_ms:  # its cost depends on the values after all: workers only, from now
            log.info("inline lane: %s took %.1f ms of CPU (inline_max_ms=%g): it runs in workers from now on",
                     key, cpu_ms, self.max_ms)
            self._refuse(key)
        self._cost(key, cpu_ms)  # its cost; the budget above is charged its wall time, the loop's
        return outs, ms


def _admit(flat, need: int) -> bool:
    """A lowered plan may run inline: small, and no op whose cost depends on the values."""
    return need <= PLAN_MAX_BYTES and not any(e.op in VALUE_DEPENDENT for e in flat.eqns)


def _warm() -> None:
    from engine.backends import get_backend

    try:
        get_backend("numpy")
    except Exception as e:  # noqa: BLE001 - then no plan compiles here and every job goes to workers
        log.warning("inline lane: the NumPy backend does not load in the server: %s", e)
    one_blas_thread()  # SciPy's own OpenBLAS, loaded just now, starts with a thread per core


def _owned(inputs: list, params: dict | None) -> list:
    """The job's arrays that own their memory: the ones an output that owns its memory could be (a view
    is copied anyway). Decoded tensors are mostly views on the request: this is mostly empty."""
    own = [x for x in inputs if x.base is None]
    if params:
        own += [x for x in params.values() if x.base is None]
    return own


def _fresh(a, own: list) -> np.ndarray:
    """An output as a worker returns it: an ndarray (a NumPy scalar from a reduction becomes 0-d),
    C-contiguous, owning its memory: never a view, nor one of `own`, the job's own arrays that own their
    memory (an input may view a request buffer that is reused once the job is over)."""
    if type(a) is not np.ndarray:
        a = np.asarray(a)
    if a.base is not None or not a.flags.c_contiguous:
        return a.copy(order="C")
    for x in own:
        if x is a:
            return a.copy(order="C")
    return a
