"""Core lending: a lone job on a CPU pool borrows the idle workers' cores.

Each CPU worker owns its pinned cores and runs one BLAS / intra-op thread per core it owns, so a
full pool never runs more threads than it has cores. A job that starts while the queue is empty and
other workers are idle would leave their cores unused: the pool lends them to it. The job's worker
raises its intra-op threads to match (the lenders' threads, so the pool's total stays within the CPU
quota), lets them run on the lent cores, runs the job, and narrows back to its own threads before it
answers (on NumPy the split's helpers, idle at one thread, stay where the run placed them until a run
wants them elsewhere: moving one back cost the answer up to milliseconds on a loaded box). On torch it
widens the CPU affinity of all its threads to its own and the lenders' cores. On NumPy only the split's
threads move, each placed on one core, the caller on its own and the split's helpers on the lent ones
(ThreadBudget._place): left free to run on either, a
helper is woken on the caller's core whenever the lent core is busy and runs only when the caller
sleeps, so a lent run went no faster than a lone one on a loaded box. Intra-op threads: on NumPy,
the engine's split of each large matrix product into blocks taken dynamically by that many threads,
each block one single-threaded BLAS call (engine/backends/split_gemm.py); on torch, its own threads and
BLAS's.

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
take at least `lend_min_ms`, and keeps lending while its lent runs are faster (by 10%: lower medians
of the last few runs each way; the alone time refreshed by one alone run in REFRESH while lending).
A lent run also reports how long its threads waited for a CPU (RunDelay: the kernel's run_delay), so
that a try spoiled by a process outside the pool is told apart from a kernel lending does not help.
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict, deque
from statistics import median_low


def pin_threads(pid: int, cores, passes: int = 2) -> list:
    """Set the CPU affinity of every thread of process `pid`; the ids of the threads set. From outside
    the process (a reclaim), two passes: a thread started during the first inherits its creator's mask,
    which may have been the old one. The process itself, pinning from the one thread that starts
    threads while no job runs (ThreadBudget), needs one."""
    cores = set(cores)
    done: dict = {}
    for _ in range(passes):
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:  # the process is gone
            return list(done)
        for tid in tids:
            try:
                os.sched_setaffinity(tid, cores)
                done[tid] = True
            except OSError:  # the thread ended meanwhile
                pass
    return list(done)


def placement(own: list, cores: list, helpers: int) -> tuple[list, list]:
    """A lent run's cores (ThreadBudget._place): the caller's, and one core for each helper, the lent
    cores first, then the caller's other own cores (more helpers than those: round again)."""
    spare = [c for c in cores if c not in own] + list(own[1:])
    return list(own[:1]), [[spare[i % len(spare)]] for i in range(helpers)] if spare else []


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
        self.tids: list | None = None  # the threads the last widening pinned or placement placed
        self.placed: list = []  # the threads a lent NumPy run moved off the own cores (_place)
        self.widened = False  # every thread's mask widened (torch; pin_threads)
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
        cores = list(cores)
        if (cores, threads) == self.cur:
            return
        if not self.torch and self.own[0] and set(cores) - set(self.own[0]):
            # a lent NumPy run: only the split's threads move (_place). Helpers started now inherit this
            # thread's mask, its own cores, until placed
            self._threads_to(threads)
            self._place(cores, threads)
        else:
            # back to one thread (narrowing after a lent run): the split's helpers get no blocks and sleep, so
            # they stay placed: moving a helper that has just finished its block waits for its core
            # (measured in a W2 worker at load 7: median 20 us, p90 0.25 ms, mean 0.6 ms a run, on the answer's
            # critical path), and the next lent run finds them where it wants them (no call)
            self._unplace(keep=threads <= 1 and not self.torch)
            if cores and (self.widened or set(cores) != set(self.own[0])):  # (already there: no call)
                # widen before raising threads: threads started now inherit the main thread's mask
                self.tids = pin_threads(os.getpid(), cores, passes=1)
                self.widened = set(cores) != set(self.own[0])
            self._threads_to(threads)
        self.cur = (cores, threads)

    def _place(self, cores: list, threads: int) -> None:
        """A lent NumPy run: the caller on its first own core, each split helper on a core of its own,
        the lent ones first. A helper free to run on the caller's core is woken there (the waker's core)
        whenever the lent core is not idle, e.g. another process on it: it then queues behind the caller
        and the run goes at one core's speed (seen on a 2-core box under load: lent runs as slow as alone
        ones). Pinned to the lent core, it shares that core with the other process instead (a woken thread
        that slept most of the time gets the core soon) while the caller keeps its own.
        Only these threads move, one sched_setaffinity each (none for a thread already there: a helper
        the last lent run placed stays placed while it sleeps, see `set`), none back: the worker's other
        threads (BLAS's own, held at one thread) never run a lent run's work. Widening every thread first
        and narrowing every thread after took a lent run 6 calls (the worker's caller and helper): 41-75 us
        of wall on its critical path against ~9 us at stop 30 (benchmarks/lend_place_cost.py;
        benchmarks/LOOPS_REPORT.md, h-w2 stop 30), and none now for back-to-back lent runs."""
        from engine.backends import split_gemm

        helpers = split_gemm.helper_ids()[:threads - 1]
        caller, each = placement(self.own[0], cores, len(helpers))
        me = threading.get_native_id()
        self.tids = [me, *helpers]  # what RunDelay reads after the run
        # (the caller is usually there already: a worker starts pinned to its own cores; reading a mask is
        # ~1 us, setting one that moves the running thread more)
        for tid in [t for t in self.placed if t not in helpers and t != me]:  # placed for a wider run: home
            self._move(tid, self.own[0])
        for tid, where in [(me, caller), *zip(helpers, each)]:
            # where it is already (a helper left placed by the last lent run; the caller on its own core) no
            # call: its mask read (~1 us), not remembered, as a reclaim re-pins every thread from outside
            try:
                if os.sched_getaffinity(tid) != set(where) and self._move(tid, where) and tid not in self.placed:
                    self.placed.append(tid)
            except OSError:  # a helper ended: it stays on the own cores, still correct
                continue

    def _unplace(self, keep: bool = False) -> None:
        """The placed threads back on the own cores; keep: only the caller (the split's helpers, idle until
        the next split, stay placed)."""
        me = threading.get_native_id()
        for tid in [t for t in self.placed if not keep or t == me]:
            self._move(tid, self.own[0])

    def _move(self, tid: int, cores) -> bool:
        """Thread tid pinned to `cores` (placed: off the own cores); False where it ended or a core left the
        quota (it stays where it was, still correct)."""
        try:
            os.sched_setaffinity(tid, cores)
        except OSError:
            return False
        if set(cores) == set(self.own[0]) and tid in self.placed:
            self.placed.remove(tid)
        return True

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

    def narrow(self, home: bool = False) -> None:
        """Back to the own thread count; home: every placed thread back on the own cores too (after a
        reclaim the lent cores are their owners' again: not even an idle helper stays there)."""
        self.set(*self.own)
        if home:
            self._unplace()


class RunDelay:
    """How long this process's threads waited, runnable, for a CPU (the kernel's run_delay, field 2 of
    /proc/self/task/<tid>/schedstat, ns). On a shared host a lent run whose helper another process
    kept off its core shows it here; a kernel that lending does not help does not. The files stay open
    (a read ~3 us; opening ~20), and the threads are the ones ThreadBudget just pinned (listing them
    again would cost ~15 us): only lent runs (milliseconds of BLAS) are measured. None where the
    kernel keeps no schedstat."""

    def __init__(self):
        self.fds: dict = {}  # tid -> open schedstat file

    def sample(self, tids) -> dict | None:
        got = {}
        for tid in tids or ():
            fd = self.fds.get(tid)
            try:
                if fd is None:
                    fd = self.fds[tid] = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
                got[tid] = int(os.pread(fd, 64, 0).split()[1])
            except (OSError, IndexError, ValueError):  # the thread ended, or no schedstat
                pass
        for tid in [t for t in self.fds if t not in got]:
            os.close(self.fds.pop(tid))
        return got or None

    def since(self, before: dict | None, tids) -> float:
        """ms waited by threads `tids` since `before` (a thread started since counts from its start)."""
        after = self.sample(tids) if before is not None else None
        if after is None:
            return 0.0
        return max(0, sum(ns - before.get(tid, 0) for tid, ns in after.items())) / 1e6


class _Estimate:
    __slots__ = ("alone", "lent", "off", "count", "left", "wait", "soon", "misses", "spoiled", "since", "paid")

    def __init__(self, runs: int, retry: int, soon: int):
        self.alone: deque = deque(maxlen=runs)  # the last runs on one worker's own cores, ms
        self.lent: deque = deque(maxlen=runs)  # the last lent runs of this try (spoiled ones left out), ms
        self.off = False  # lending did not pay: runs alone until `count` reaches `left`
        self.count = 0  # off: runs alone since the miss; on: lent runs since the last alone run
        self.left = 0  # off: the runs alone before the next try
        self.wait = retry  # the wait after a confirmed miss on undisturbed runs (doubles per such miss)
        self.soon = soon  # the wait after any other stop (doubles per stop, up to `retry`)
        self.misses = 0  # misses on undisturbed runs since lending last paid
        self.spoiled = 0  # lent runs left out since lending last paid
        self.since = 0.0  # off: when (WorkEstimates.clock) lending stopped
        self.paid = False  # its last judged try paid: the threshold no longer applies (worth_lending)


class WorkEstimates:
    """Pool side: whether lending has paid for each graph, from its measured runs (bounded).

    A graph is lent cores once its runs on one worker's own cores ("alone") take at least `min_ms`; it keeps
    them while its lent runs are faster by PAYS (then even if its alone runs fall under `min_ms`). Both are
    the lower median of the last RUNS runs of each kind, and a try is judged only once it has RUNS lent runs:
    one run slowed by a passing neighbour (the client itself, on a small box) or by the first lent run's
    thread start-up neither starts nor stops lending. While lending, every REFRESH-th run runs alone so that
    the alone time follows the load (a stale one would keep or stop lending on what the box did long ago).

    A lent run that was slow and whose threads waited for a CPU (RunDelay) for more than DISTURBED of
    its time was slowed by a process outside the pool (on a shared host, a descheduled BLAS helper
    stalls the call): it says nothing about lending and is left out of the verdict ("spoiled"). Only
    when more than SPOILED runs in a row are (the box stays that busy) does lending stop, for SOON runs
    alone (twice as many after each further such stop, up to RETRY). A try that misses on runs that
    did not wait (a slowdown the kernel cannot see, e.g. a neighbour on the same memory bus) stops for
    SOON runs too: only a second miss in a row is taken as the kernel's (small or memory-bound: lending
    never pays), and waits RETRY runs alone, twice as many after each further one (up to RETRY_MAX).
    Whatever the wait, a graph not tried for RETRY_S seconds is tried at its next run: the load has
    changed by then, and a graph run now and then would otherwise carry one old verdict for hours.
    Runs that compiled or were reclaimed are not counted."""

    # a lent run must take at most this share of an alone run. 0.85 stopped W2 on a VM where lending gave it
    # ~0.8x: medians of 3 runs with a few % of spread cross 0.85 every few tries, and each crossing costs
    # SOON runs alone (8 of 41 calls unlent in a quiet run; benchmarks/lending_sim.py --lent 8.3 --jitter
    # 0.05). A lent run 10% faster is still a gain: lenders are idle cores, taken back when a job arrives.
    PAYS = 0.9
    DISTURBED = 0.1  # a lent run that waited for a CPU more than this share of its time was disturbed
    SPOILED = 3  # spoiled lent runs in a row that still do not stop lending
    RETRY, RETRY_MAX, SOON = 16, 1024, 4
    RETRY_S = 10.0
    RUNS = 3  # runs judged together, each way
    REFRESH = 16  # lent runs between two alone runs while lending pays

    def __init__(self, size: int = 4096, clock=time.monotonic):
        self.size = size
        self.clock = clock
        self.seen: OrderedDict = OrderedDict()  # key -> _Estimate

    def note(self, key: str, compute_ms: float, lent: bool, waited_ms: float = 0.0) -> None:
        """One run of graph `key`: its compute time, whether it ran lent, and (lent) how long its
        threads waited for a CPU meanwhile."""
        e = self.seen.get(key)
        if e is None:
            e = self.seen[key] = _Estimate(self.RUNS, self.RETRY, self.SOON)
            while len(self.seen) > self.size:
                self.seen.popitem(last=False)
        self.seen.move_to_end(key)
        if lent:
            e.count += 1
            slow = bool(e.alone) and compute_ms > self.PAYS * median_low(e.alone)
            if slow and waited_ms > self.DISTURBED * compute_ms:
                e.spoiled += 1  # slowed by waiting for a CPU: no evidence either way
                if e.spoiled > self.SPOILED:
                    self._stop(e, e.soon)
                    e.soon = min(2 * e.soon, self.RETRY)
                return
            e.lent.append(compute_ms)
            if len(e.lent) == self.RUNS and e.alone:  # a full try: judge it
                self._judge(e)
            return
        e.alone.append(compute_ms)
        if not e.off:
            e.count = 0  # an alone run (a refresh, or no idle lender): the next REFRESH may be lent
        else:
            e.count += 1
            if e.count >= e.left:  # try lending again: the load may have changed
                e.off, e.count = False, 0

    def _judge(self, e: _Estimate) -> None:
        e.paid = median_low(e.lent) <= self.PAYS * median_low(e.alone)
        if e.paid:
            e.wait, e.soon, e.misses, e.spoiled = self.RETRY, self.SOON, 0, 0
            return
        e.misses += 1
        if e.misses < 2:
            self._stop(e, e.soon)
            e.soon = min(2 * e.soon, self.RETRY)
        else:
            e.wait = min(2 * e.wait, self.RETRY_MAX)
            self._stop(e, e.wait)

    def _stop(self, e: _Estimate, runs: int) -> None:
        e.off, e.count, e.left, e.spoiled, e.since = True, 0, runs, 0, self.clock()
        e.lent.clear()

    def typical_ms(self, key: str) -> float | None:
        """Graph `key`'s usual compute time (the lower median of its last runs, alone first), None if unmeasured."""
        e = self.seen.get(key)
        runs = (e.alone or e.lent) if e is not None else None
        return median_low(runs) if runs else None

    def worth_lending(self, key: str, min_ms: float) -> bool:
        if min_ms <= 0:  # every job, even a graph's first
            return True
        e = self.seen.get(key)
        # the threshold keeps graphs too small to gain from being tried; one whose last try paid has shown that it
        # gains, and its alone refreshes falling just under it (W2 on stop 31's VM: ~5.3 ms) must not stop lending:
        # every run would then go alone until they happened to climb back over it
        if e is None or not e.alone or (median_low(e.alone) < min_ms and not e.paid):
            return False
        if e.off:
            if self.clock() - e.since < self.RETRY_S:
                return False
            e.off, e.count = False, 0  # not tried for long: try now
        return e.count < self.REFRESH  # else this run goes alone: the alone time stays current
