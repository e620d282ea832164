"""What a lent NumPy run's placement costs the worker: ThreadBudget's widening and narrowing around one
job (service.core_lending), timed as a worker does it (pinned to its own core, the split's helper started).

    python benchmarks/lend_place_cost.py [--n 2000] [--tree BASE_WORKTREE] [--after-run]

Per widen + narrow: wall and thread CPU (medians of rounds of 100), and the sched_setaffinity calls made.
--after-run: as a lent job runs, one split product (W2's largest, 256x784 @ 784x512) between the widening and
the narrowing, whose wall alone is timed per job (its helper has just finished its block then: median, p90,
mean; the tail is what a loaded box adds).
--tree: that tree's service and engine instead (an A/B runs this twice, once per tree; alternate them). Not a
test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--n", type=int, default=2000)
ap.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]))
ap.add_argument("--after-run", action="store_true")
args = ap.parse_args()
sys.path.insert(0, args.tree)

from service.core_lending import ThreadBudget  # noqa: E402

cores = sorted(os.sched_getaffinity(0))[:2]
if len(cores) < 2:
    sys.exit("needs two cores")
os.sched_setaffinity(0, cores[:1])  # a worker starts pinned to its own core
b = ThreadBudget(cores[:1], 1)
b.set(cores, 2)
b.narrow()  # the split's helper started
calls = [0]
real = os.sched_setaffinity


def counted(tid, where):
    calls[0] += 1
    return real(tid, where)


os.sched_setaffinity = counted
wall, cpu = [], []
for _ in range(max(1, args.n // 100)):
    t, c = time.perf_counter(), time.thread_time()
    for _ in range(100):
        b.set(cores, 2)
        b.narrow()
    wall.append((time.perf_counter() - t) / 100)
    cpu.append((time.thread_time() - c) / 100)
n = 100 * len(wall)
print(f"{args.tree}: widen + narrow {statistics.median(wall) * 1e6:.1f} us wall, {statistics.median(cpu) * 1e6:.1f} us "
      f"thread CPU, {calls[0] / n:.1f} sched_setaffinity calls (load {os.getloadavg()[0]:.1f})")


def after_run(n: int) -> None:
    import numpy as np

    from engine.backends import split_gemm

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((256, 784), dtype=np.float32), rng.standard_normal((784, 512), dtype=np.float32)
    out = np.empty((256, 512), np.float32)
    calls[0], times = 0, []
    for _ in range(n):
        b.set(cores, 2)
        split_gemm.matmul(x, w, out)
        t = time.perf_counter()
        b.narrow()
        times.append(time.perf_counter() - t)
    times.sort()
    print(f"{args.tree}: narrow after a split product, {n} jobs: median {times[n // 2] * 1e6:.1f} us, p90 "
          f"{times[n * 9 // 10] * 1e6:.1f}, mean {statistics.mean(times) * 1e6:.1f}, max {times[-1] * 1e6:.0f}; "
          f"{calls[0] / n:.1f} sched_setaffinity calls a job (load {os.getloadavg()[0]:.1f})")


if args.after_run:
    after_run(args.n)

