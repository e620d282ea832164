"""What ops.det's value and gradient cost in-process (the SDK against an engine-backed fake server, no sockets).

    OMP_NUM_THREADS=1 PYTHONPATH=.:clients/python:tests python benchmarks/det_cost.py [--n 64] [--rounds 40]

Wall time per call of gs.value_and_grad(ops.det) on one float64 [n, n] matrix after three warm-up calls;
median, 25th percentile and minimum. Run it at this commit and at its parent (the SDK composite: LU twice, two
SVDs, a Faddeev-LeVerrier polynomial) for the before / after of the engine's det op. Not a test: nothing
asserts a timing.
"""
from __future__ import annotations

import argparse
import statistics
import time

import httpx
import numpy as np

import gradserve as gs
from clients._fake_server import FakeServer
from gradserve import Tensor, ops


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args()
    gs.reset_context()
    gs.set_context(server="http://fake", http_transport=httpx.MockTransport(FakeServer()), max_retries=0)
    a = Tensor(np.random.default_rng(0).standard_normal((args.n, args.n)))
    f = gs.value_and_grad(ops.det)
    for _ in range(3):
        f(a)
    times = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        f(a)[1].asnumpy()
        times.append(time.perf_counter() - t)
    times.sort()
    print(f"n={args.n} det value_and_grad: median {statistics.median(times) * 1e3:.1f} ms, "
          f"p25 {times[len(times) // 4] * 1e3:.1f} ms, min {times[0] * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
