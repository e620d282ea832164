"""What the Eigen JacobiSVD sign replay (engine/ops/svd_eigen.py, svd signs='eigen', MindSpore's CPU signs) costs on
the host, per stack of matrices.

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/svd_eigen_replay.py [--shapes 256x8x8 1x15x15] [--rounds 5]

Wall time of eigen_signs(a, u) on a random float64 stack after one warm-up call: median and minimum of the rounds,
and per matrix. Run it at this commit and at its parent for a before / after. Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from engine.ops.svd_eigen import eigen_signs


def _time(a, u, rounds):
    eigen_signs(a, u)
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        eigen_signs(a, u)
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", nargs="+", default=["1x4x4", "1x8x8", "1x15x15", "256x8x8", "256x15x15", "256x12x5"])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    for spec in args.shapes:
        shape = tuple(int(d) for d in spec.split("x"))
        a = rng.standard_normal(shape)
        u = np.linalg.svd(a, full_matrices=False)[0]
        median, best = _time(a, u, args.rounds)
        print(f"{spec:>12}: median {median * 1e3:9.2f} ms  min {best * 1e3:9.2f} ms  "
              f"per matrix {median * 1e3 / shape[0]:8.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
