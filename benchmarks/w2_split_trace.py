"""Where a split product (engine/backends/split_gemm.py) loses time to its threads' hand-offs, net of load.

    python benchmarks/w2_split_trace.py [--calls 60] [--only W2]

Runs the workload's plan in this process (benchmarks/plan_bench.py) with its large products split across
two threads, the caller pinned to one core and the helper to another (as a lent worker runs:
service.core_lending.ThreadBudget._place), and wraps the split's entry points to stamp, per product:
  wake   from the product's start to the helper's first block (the helper sleeps between products;
         a helper that comes when every block is taken is counted apart),
  wait   the caller's wait at the end, for the block the helper still holds, plus its own wake-up,
Each interval is also given net of the run-queue wait its thread saw meanwhile (schedstat field 2: time
runnable while another task held the core), so a loaded box still shows what a quiet one would lose:
the net figures are the hand-off costs themselves (futex wake-ups, an idle vCPU's halt exit). Per call:
wall and the caller's wall net of its run-queue wait. Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "clients" / "python", ROOT / "tests"):
    sys.path.insert(0, str(p))

from benchmarks import plan_bench  # noqa: E402
from engine.api import Engine  # noqa: E402
from engine.backends import get_backend, split_gemm  # noqa: E402
from engine.serialize import graph_from_json  # noqa: E402

_FDS: dict = {}


def run_delay_ns() -> int:
    """This thread's run-queue wait so far (ns; the file stays open: a read is ~3 us)."""
    tid = threading.get_native_id()
    fd = _FDS.get(tid)
    if fd is None:
        fd = _FDS[tid] = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
    return int(os.pread(fd, 64, 0).split()[1])


class Trace:
    """Stamps around split_gemm._Split.run / _work (wrapped, not copied), collected per split (one product,
    or a pair: split_gemm.matmul_pair)."""

    def __init__(self):
        self.rows: dict = {k: [] for k in ("wake", "wake net", "wait", "wait net")}
        self.slept: dict = {}  # helper tid -> its run-queue wait when it last went to sleep
        self.on = False

    def install(self) -> None:
        run, work = split_gemm._Split.run, split_gemm._Split._work
        trace, caller = self, threading.get_native_id()
        starts: dict = {}  # id(split) -> (ns at run's start[, ns and run-queue wait when the caller's blocks ended])

        def traced_work(split):
            me = threading.get_native_id()
            started = starts.get(id(split))  # None: a late helper, the product already done
            if me != caller and trace.on and started is not None:
                now, rd = time.monotonic_ns(), run_delay_ns()
                t0 = started[0]
                trace.rows["wake"].append((now - t0) / 1e3)
                trace.rows["wake net"].append((now - t0 - (rd - trace.slept.get(me, rd))) / 1e3)
            try:
                return work(split)
            finally:
                if me != caller:
                    trace.slept[me] = run_delay_ns()
                elif id(split) in starts:
                    starts[id(split)] = starts[id(split)][:1] + (time.monotonic_ns(), run_delay_ns())

        def traced_run(split):
            starts[id(split)] = (time.monotonic_ns(),)
            try:
                return run(split)
            finally:
                t0, t1, rd1 = starts.pop(id(split))
                now, rd = time.monotonic_ns(), run_delay_ns()
                if trace.on:
                    trace.rows["wait"].append((now - t1) / 1e3)
                    trace.rows["wait net"].append((now - t1 - (rd - rd1)) / 1e3)
        split_gemm._Split.run, split_gemm._Split._work = traced_run, traced_work


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--only", default="W2")
    args = ap.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        print("needs two cores")
        return 1
    from threadpoolctl import threadpool_limits

    for name in args.only.split(","):
        doc, inputs, params = plan_bench.workloads()[name]
        plan = Engine(get_backend("numpy")).plan(graph_from_json(doc))
        trace = Trace()
        trace.install()
        os.sched_setaffinity(0, {cores[0]})
        split_gemm.set_threads(2)
        for tid in split_gemm.helper_ids():
            os.sched_setaffinity(tid, {cores[1]})
        walls, nets = [], []
        with threadpool_limits(1):  # BLAS at one thread, as in a worker
            for i in range(args.calls + 5):
                trace.on = i >= 5  # the first runs: arenas, the helper's start
                t, rd = time.monotonic_ns(), run_delay_ns()
                plan.run_host(inputs, params)
                if trace.on:
                    dt = time.monotonic_ns() - t
                    walls.append(dt / 1e6)
                    nets.append((dt - (run_delay_ns() - rd)) / 1e6)
        split_gemm.set_threads(1)
        os.sched_setaffinity(0, set(cores))
        n = len(trace.rows["wait"]) // max(args.calls, 1)
        print(f"{name}: {args.calls} runs at 2 threads, {n} splits a run (a pair of products is one); wall median "
              f"{np.median(walls):.3f} ms, net of the caller's run-queue wait {np.median(nets):.3f} ms "
              f"(load {os.getloadavg()[0]:.1f})")
        joined, splits = len(trace.rows["wake"]), len(trace.rows["wait"])
        print(f"  the helper joined {joined} of {splits} splits in time to take a block")
        for k in ("wake", "wake net", "wait", "wait net"):
            v = trace.rows[k]
            if v:
                print(f"  {k:9s} per split (us): median {np.median(v):8.1f}  p25 {np.percentile(v, 25):8.1f}  "
                      f"p75 {np.percentile(v, 75):8.1f}  (n={len(v)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
