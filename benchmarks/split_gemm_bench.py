"""W2's compute in-process: one thread vs OpenBLAS's threads vs the engine's dynamic GEMM split.

    python benchmarks/split_gemm_bench.py [--rounds 15] [--threads 2] [--neighbour no|yes|both]
                                          [--blocks 1,3] [--json out.json]

Each mode sets BLAS threads (threadpoolctl) and the engine's intra-op threads, then times Engine.run of
W2 (MLP 784-512-512-10 tanh, batch 256, gradient w.r.t. its 6 parameters). Modes are interleaved round
by round (rotated order; medians of the per-round means, see benchmarks/timing.py) so the shared box's
load falls on all of them alike. `--neighbour` adds a busy-loop process pinned to the last core (another
tenant holding the core a lent helper runs on); without it, and with it, in one run by default
(`--neighbour both`). The split's outputs are checked bitwise against one thread's first.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

# as the server's workers run when lending is on (service/pools.py): OpenBLAS helpers spin ~0.1 ms,
# not ~0.1 s, after a call; read when OpenBLAS loads, so before NumPy is imported
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "18")

import numpy as np  # noqa: E402
from threadpoolctl import ThreadpoolController  # noqa: E402

from benchmarks.engine_workloads import w2  # noqa: E402
from benchmarks.timing import interleaved  # noqa: E402
from engine.backends import set_intra_op_threads, split_gemm  # noqa: E402

BUSY = "import os, sys; os.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True: pass"


def modes(n: int, blocks: list) -> dict:
    """name -> (BLAS threads, engine intra-op threads, the split's blocks per thread)."""
    per = _DEFAULT_PER
    out = {"one thread": (1, 1, per), f"OpenBLAS {n} threads": (n, 1, per), f"split {n} threads": (1, n, per)}
    out.update({f"split {n} threads, {b} blocks/thread": (1, n, b) for b in blocks if b != per})
    return out


_BLAS = ThreadpoolController().select(user_api="blas").lib_controllers
_DEFAULT_PER = split_gemm.BLOCKS_PER_THREAD
_mode: list = [None]


def _in_mode(fn, blas: int, split: int, per_thread: int):
    """fn run in a mode, switched only when the previous call ran another (a sample's calls share one)."""
    def run():
        if _mode[0] != (blas, split, per_thread):
            for p in _BLAS:
                p.set_num_threads(blas)
            set_intra_op_threads(split)
            split_gemm.BLOCKS_PER_THREAD = per_thread
            _mode[0] = (blas, split, per_thread)
        return fn()
    return run


def _check(fns: dict) -> None:
    outs = {k: [np.asarray(o) for o in f()] for k, f in fns.items()}
    ref = outs["one thread"]
    for k, o in outs.items():  # OpenBLAS's own threads take other kernels for mid-size products: not bitwise
        if k.startswith("split"):
            assert all(np.array_equal(a, b) for a, b in zip(o, ref)), f"{k} differs bitwise from one thread"


def measure(rounds: int, n: int, neighbour: bool, blocks: list) -> dict:
    fn = w2().fns["gradserve"]
    fns = {k: _in_mode(fn, *m) for k, m in modes(n, blocks).items()}
    _check(fns)
    busy = None
    if neighbour:
        busy = subprocess.Popen([sys.executable, "-c", BUSY, str(max(os.sched_getaffinity(0)))])
        time.sleep(0.3)
    try:
        load0 = os.getloadavg()[0]
        res = interleaved(fns, rounds=rounds, target_s=0.05)
        load1 = os.getloadavg()[0]
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    return {"neighbour": neighbour, "load_avg_1min": [round(load0, 2), round(load1, 2)],
            "ms": {k: round(v["median_s"] * 1e3, 3) for k, v in res.items()},
            "q1_q3_ms": {k: [round(v["q1_s"] * 1e3, 3), round(v["q3_s"] * 1e3, 3)] for k, v in res.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--neighbour", choices=["no", "yes", "both"], default="both")
    ap.add_argument("--blocks", default="", help="more split modes: blocks per thread, comma-separated")
    ap.add_argument("--json")
    a = ap.parse_args()
    blocks = [int(b) for b in a.blocks.split(",") if b]
    runs = [measure(a.rounds, a.threads, nb, blocks)
            for nb in {"no": [False], "yes": [True], "both": [False, True]}[a.neighbour]]
    for r in runs:
        one = r["ms"]["one thread"]
        print(f"neighbour={r['neighbour']} load {r['load_avg_1min']}: " +
              ", ".join(f"{k} {v:.2f} ms ({v / one:.2f}x)" for k, v in r["ms"].items()))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(runs, f, indent=1)


if __name__ == "__main__":
    main()
