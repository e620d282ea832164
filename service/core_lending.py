"""Core lending: a lone job on a CPU pool borrows the idle workers' cores.

Each CPU worker owns its pinned cores and runs one BLAS / intra-op thread per core it owns, so a
full pool never runs more threads than it has cores. A job that starts while the queue is empty and
other workers are idle would leave their cores unused: the pool lends them to it. The job's worker
widens the CPU affinity of all its threads to its own and the lenders' cores and raises its intra-op
threads to match (the lenders' threads, so the pool's total stays within the CPU quota), runs the
job, and narrows back before it answers. Intra-op threads: on NumPy, the engine's split of each large
matrix product into blocks taken dynamically by that many threads, each block one single-threaded
BLAS call (engine/backends/split_gemm.py); on torch, its own threads and BLAS's.

While lent, a lender is idle but reserved. A job that arrives then is not kept waiting: the pool
reclaims every lender of that borrower at once (see Pool._reclaim): it pins each of the borrower's
threads back to the borrower's own cores (sched_setaffinity on every thread from the server: the
borrower is inside a BLAS call and cannot be asked), then starts the new job on a lender. The
borrower's extra threads (the split's helpers, torch's) now share its own core: the split's caller
sleeps while a helper finishes its block, so it runs at about one-core speed, what it had without
lending. A shared value (`revoked`, the job id) covers the race where the reclaim lands before the
worker has widened: the worker checks it after widening and narrows again.

Lending pays only for jobs that spend milliseconds in BLAS: threads cost a wake-up per call, and a
helper thread descheduled by a process outside the pool (on a shared host) delays every call: by the
one block it holds with the NumPy split, by the whole call with a static split like OpenBLAS's own
(10x and more seen on a 2-core box). So the pool measures (WorkEstimates): it lends to a graph whose runs alone
take at least `lend_min_ms`, and keeps lending while its lent runs are clearly faster (lower medians
of the last few runs each way; the alone time refreshed by one alone run in REFRESH while lending).
"""
from __future__ import annotations

import os
from collections import OrderedDict, deque
from statistics import median_low


def pin_threads(pid: int, cores) -> int:
    """Set the CPU affinity of every thread of process `pid`; the number of threads set. Two passes:
    a thread started during the first inherits its creator's mask, which may have been the old one."""
    cores = set(cores)
    done: set = set()
    for _ in range(2):
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:  # the process is gone
            return len(done)
        for tid in tids:
            try:
                os.sched_setaffinity(tid, cores)
                done.add(tid)
            except OSError:  # the thread ended meanwhile
                pass
    return len(done)


class ThreadBudget:
    """Worker side: the cores and BLAS / intra-op threads this worker runs a job with.

    torch: its intra-op threads and BLAS follow the count. NumPy: BLAS stays at one thread per call and
    the engine splits each large matrix product into blocks across the threads instead
    (engine/backends/split_gemm.py): OpenBLAS's own threads split statically and stall on a helper
    that another process on the host has descheduled. pin_threads covers the split's helper threads
    like any other thread of the process."""

    def __init__(self, cores: list, threads: int, torch: bool = False):
        from threadpoolctl import ThreadpoolController

        self.own = (list(cores), max(1, threads))
        self.cur = self.own
        self.torch = torch
        # the native thread pools loaded so far (NumPy's BLAS; torch's OpenMP): set per job, ~1 us each
        self.pools = ThreadpoolController().lib_controllers
        if not torch:
            self._threads_to(self.own[1])

    @property
    def threads(self) -> int:
        """The threads a job runs with now: the engine's intra-op threads (NumPy) or torch's."""
        if self.torch:
            return self.cur[1]
        from engine.backends import intra_op_threads

        return intra_op_threads()

    def set(self, cores: list, threads: int) -> None:
        if (list(cores), threads) == self.cur:
            return
        if cores:  # widen before raising threads: threads started now inherit the main thread's mask
            pin_threads(os.getpid(), cores)
        self._threads_to(threads)
        self.cur = (list(cores), threads)

    def _threads_to(self, threads: int) -> None:
        if self.torch:
            import torch

            for p in self.pools:
                p.set_num_threads(threads)
            torch.set_num_threads(threads)
            return
        from engine.backends import set_intra_op_threads

        for p in self.pools:
            if p.num_threads != 1:
                p.set_num_threads(1)
        set_intra_op_threads(threads)

    def narrow(self) -> None:
        self.set(*self.own)


class _Estimate:
    __slots__ = ("alone", "lent", "off", "count", "wait")

    def __init__(self, runs: int, retry: int):
        self.alone: deque = deque(maxlen=runs)  # the last runs on one worker's own cores, ms
        self.lent: deque = deque(maxlen=runs)  # the last lent runs of this try, ms
        self.off = False  # lending did not pay: runs alone until `count` reaches `wait`
        self.count = 0  # off: runs alone since the miss; on: lent runs since the last alone run
        self.wait = retry


class WorkEstimates:
    """Pool side: whether lending has paid for each graph, from its measured runs (bounded).

    A graph is lent cores once its runs on one worker's own cores ("alone") take at least `min_ms`;
    it keeps them while its lent runs are clearly faster. Both are the lower median of the last RUNS
    runs of each kind, and a try is judged only once it has RUNS lent runs: one run slowed by a passing
    neighbour (the client itself, on a small box) or by the first lent run's thread start-up neither
    starts nor stops lending. While lending, every REFRESH-th run runs alone so that the alone time
    follows the load (a stale one would keep or stop lending on what the box did long ago). Lending
    that does not pay (small or memory-bound kernels, or lent cores that something outside the pool
    keeps busy: a descheduled BLAS helper stalls every call) stops, and is tried again after RETRY
    runs alone, twice as many after each further miss (up to RETRY_MAX). Runs that compiled or were
    reclaimed are not counted."""

    PAYS = 0.85  # a lent run must take at most this share of an alone run
    RETRY, RETRY_MAX = 16, 1024
    RUNS = 3  # runs judged together, each way
    REFRESH = 16  # lent runs between two alone runs while lending pays

    def __init__(self, size: int = 4096):
        self.size = size
        self.seen: OrderedDict = OrderedDict()  # key -> _Estimate

    def note(self, key: str, compute_ms: float, lent: bool) -> None:
        e = self.seen.get(key)
        if e is None:
            e = self.seen[key] = _Estimate(self.RUNS, self.RETRY)
            while len(self.seen) > self.size:
                self.seen.popitem(last=False)
        self.seen.move_to_end(key)
        if lent:
            e.lent.append(compute_ms)
            e.count += 1
            if len(e.lent) == self.RUNS and e.alone:  # a full try: judge it
                if self._pays(e):
                    e.wait = self.RETRY
                else:
                    e.off, e.count, e.wait = True, 0, min(2 * e.wait, self.RETRY_MAX)
                    e.lent.clear()
            return
        e.alone.append(compute_ms)
        if not e.off:
            e.count = 0  # an alone run (a refresh, or no idle lender): the next REFRESH may be lent
        else:
            e.count += 1
            if e.count >= e.wait:  # try lending again: the load may have changed
                e.off, e.count = False, 0

    def _pays(self, e: _Estimate) -> bool:
        return median_low(e.lent) <= self.PAYS * median_low(e.alone)

    def worth_lending(self, key: str, min_ms: float) -> bool:
        if min_ms <= 0:  # every job, even a graph's first
            return True
        e = self.seen.get(key)
        if e is None or not e.alone or e.off or median_low(e.alone) < min_ms:
            return False
        return e.count < self.REFRESH  # else this run goes alone: the alone time stays current
