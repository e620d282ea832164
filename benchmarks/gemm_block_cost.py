"""What cutting W2's matrix products into the split's blocks costs in CPU (engine/backends/split_gemm.py).

    python benchmarks/gemm_block_cost.py [--n 75] [--plan] [--together] [--plan-blocks]

Each block of a split product is one BLAS call, which packs again the operand the cut does not cut. Per
product of W2 (as its plan computes them): the thread CPU of the whole product against its blocks as the
split cuts them at 2 threads (1 and 2 blocks per thread), the blocks run one after another on this one
thread, so only the cutting differs; the variants alternate call by call, medians. --plan: W2's plan at 1
and 2 intra-op threads alternating call by call (the caller and the split's helper pinned as a lent job),
process CPU per run (every thread's) and per step that may split (a pair: both its products). --together:
each product whole on this thread (pinned to one core) alone, against the same call while a second thread
(pinned to the other core) runs W2's other products whole in a loop: what a product costs when both cores
compute, with no block cut and nothing re-packed (the floor of any two-thread schedule of whole products).
--plan-blocks: W2's plan at 2 threads with 1 and 2 blocks per thread alternating, outputs compared bit for bit.
CPU time, unlike wall time, stays readable on a loaded box. Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.backends import split_gemm  # noqa: E402

# W2's large products (benchmarks/engine_workloads.w2, batch 256): (a shape, b shape)
PRODUCTS = {
    "fwd1 x @ W1": ((256, 784), (784, 512)),
    "fwd2 h1 @ W2": ((256, 512), (512, 512)),
    "dW1 x.T @ g1": ((784, 256), (256, 512)),
    "dX2 g2 @ W2.T": ((256, 512), (512, 512)),
    "dW2 h1.T @ g2": ((512, 256), (256, 512)),
}


def _blocks(a, b, out, per_thread: int) -> list:
    """The product's blocks as split_gemm cuts it at 2 threads with `per_thread` blocks per thread."""
    old, split_gemm.BLOCKS_PER_THREAD = split_gemm.BLOCKS_PER_THREAD, per_thread
    try:
        axis, bounds = split_gemm.plan(out.shape, a.shape[-1], 2)
    finally:
        split_gemm.BLOCKS_PER_THREAD = old
    cuts = [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])]
    if axis == -2:
        return [lambda s=s: np.matmul(a[s], b, out=out[s]) for s in cuts]
    return [lambda s=s: np.matmul(a, b[:, s], out=out[:, s]) for s in cuts]


def _operands(rng, name: str):
    sa, sb = PRODUCTS[name]
    a, b = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)
    if name.startswith("dW"):  # transposed views, as the plan passes them
        a = np.ascontiguousarray(a.T).T
    if name.endswith(".T"):
        b = np.ascontiguousarray(b.T).T
    return a, b, np.empty((sa[0], sb[1]), np.float32)


def products(n: int) -> None:
    rng = np.random.default_rng(0)
    print("thread CPU per product, median us (x of the whole product)")
    for name in PRODUCTS:
        a, b, out = _operands(rng, name)
        variants = {"whole": [lambda: np.matmul(a, b, out=out)], "1/thread": _blocks(a, b, out, 1),
                    "2/thread": _blocks(a, b, out, 2)}
        ts: dict = {k: [] for k in variants}
        for i in range(n + 5):
            for k, calls in variants.items():
                c = time.thread_time()
                for call in calls:
                    call()
                if i >= 5:
                    ts[k].append(time.thread_time() - c)
        whole = np.median(ts["whole"])
        print(f"  {name:14s} " + "  ".join(f"{k} {np.median(t) * 1e6:7.0f} ({np.median(t) / whole:.3f}x, "
                                            f"{len(variants[k])} blocks)" for k, t in ts.items()), flush=True)


def together(n: int) -> None:
    import os
    import threading

    rng = np.random.default_rng(0)
    cores = sorted(os.sched_getaffinity(0))
    go, started, finished, stop = (threading.Event() for _ in range(4))
    others = [_operands(rng, name) for name in PRODUCTS]  # the second thread's own operands

    def second() -> None:
        os.sched_setaffinity(0, {cores[1]})
        while True:
            go.wait()
            if stop.is_set():
                return
            started.set()
            i = 0
            while go.is_set():
                a, b, out = others[i % len(others)]
                np.matmul(a, b, out=out)
                i += 1
            started.clear()
            finished.set()

    th = threading.Thread(target=second, daemon=True)
    th.start()
    os.sched_setaffinity(0, {cores[0]})
    print("thread CPU per whole product, median us: alone / while the other core runs W2's products")
    for name in PRODUCTS:
        a, b, out = _operands(rng, name)
        ts: dict = {"alone": [], "together": []}
        for i in range(n + 5):
            for k in ("alone", "together") if i % 2 == 0 else ("together", "alone"):
                if k == "together":
                    finished.clear()
                    go.set()
                    started.wait()  # the second thread is computing
                c = time.thread_time()
                np.matmul(a, b, out=out)
                dt = time.thread_time() - c
                if k == "together":
                    go.clear()
                    finished.wait()
                if i >= 5:
                    ts[k].append(dt)
        alone, both = np.median(ts["alone"]), np.median(ts["together"])
        print(f"  {name:14s} alone {alone * 1e6:7.0f}  together {both * 1e6:7.0f} ({both / alone:.3f}x)", flush=True)
    stop.set()
    go.set()
    th.join()
    os.sched_setaffinity(0, set(cores))


def plan_threads(n: int) -> None:
    from benchmarks import plan_bench
    from engine.api import Engine
    from engine.serialize import graph_from_json

    doc, inputs, params = plan_bench.workloads()["W2"]
    plan = Engine().plan(graph_from_json(doc))
    assert plan is not None and plan.program is not None  # (W2 compiles to a NumPy program)
    program = plan.program
    split_gemm.set_threads(2)
    plan_bench.pin_as_lent([split_gemm])
    cpu: dict = {1: [], 2: []}
    steps: dict = {}  # (step's source line, threads) -> process CPU of each call of that step
    ns, now = program.namespace, [1]

    def timed(line: str, kernel):
        def call(*args):
            c = time.process_time()
            try:
                return kernel(*args)
            finally:
                steps.setdefault((line, now[0]), []).append(time.process_time() - c)
        return call

    split_lines = []  # the products that may split, and the pairs; the other kernels' CPU is summed
    for line in program.source.splitlines():
        name = line.split("= ", 1)[-1].split("(", 1)[0]
        if name == "_matmul_pair" or (name.startswith("k") and name[1:].isdigit() and name in ns):
            if ns[name] is split_gemm.matmul or name == "_matmul_pair":
                split_lines.append(line.strip())
            ns[name] = timed(line.strip(), ns[name])
    for i in range(n + 5):
        for th in (1, 2) if i % 2 == 0 else (2, 1):
            split_gemm.set_threads(th)
            now[0] = th
            c = time.process_time()
            plan.run_host(inputs, params)
            if i >= 5:
                cpu[th].append(time.process_time() - c)
    split_gemm.set_threads(1)
    print("W2's plan, process CPU per run: " + ", ".join(f"{th} thread(s) {np.median(c) * 1e3:.2f} ms"
                                                          for th, c in cpu.items())
          + f" ({np.median(cpu[2]) / np.median(cpu[1]):.3f}x)")
    med = {key: float(np.median(c[5:])) for key, c in steps.items()}
    for line in split_lines:  # each (every thread's) CPU, 1 vs 2 threads
        one, two = med[line, 1], med[line, 2]
        print(f"  {one * 1e6:7.0f} us at 1 thread, {two * 1e6:7.0f} us at 2 ({two / one:.3f}x)  {line}")
    one, two = (sum(t for (line, th), t in med.items() if th == n_th and line not in split_lines) for n_th in (1, 2))
    print(f"  {one * 1e6:7.0f} us at 1 thread, {two * 1e6:7.0f} us at 2 ({two / one:.3f}x)  the other steps, summed")


def plan_blocks(n: int) -> None:
    """W2's plan at 2 threads, its products cut in 1 and 2 blocks per thread (split_gemm.BLOCKS_PER_THREAD)
    alternating call by call (order alternating too), the caller and the split's helper pinned as a lent job:
    process CPU and wall per run, medians; the outputs compared bit for bit (every block is one BLAS call on
    aligned edges: the same bits either way where a split product has the whole product's)."""
    from benchmarks import plan_bench
    from engine.api import Engine
    from engine.serialize import graph_from_json

    doc, inputs, params = plan_bench.workloads()["W2"]
    plan = Engine().plan(graph_from_json(doc))
    split_gemm.set_threads(2)
    plan_bench.pin_as_lent([split_gemm])
    keep = split_gemm.BLOCKS_PER_THREAD
    cpu: dict = {1: [], 2: []}
    wall: dict = {1: [], 2: []}
    want = None
    try:
        for i in range(n + 5):
            for per in (1, 2) if i % 2 == 0 else (2, 1):
                split_gemm.BLOCKS_PER_THREAD = per
                c, t = time.process_time(), time.perf_counter()
                out = plan.run_host(inputs, params)
                t, c = time.perf_counter() - t, time.process_time() - c
                flat = [np.array(o) for o in (out if isinstance(out, (list, tuple)) else [out])]
                if want is None:
                    want = flat
                assert all(np.array_equal(a, b) for a, b in zip(flat, want)), "blocks changed the bits"
                if i >= 5:
                    cpu[per].append(c)
                    wall[per].append(t)
    finally:
        split_gemm.BLOCKS_PER_THREAD = keep
        split_gemm.set_threads(1)
    for per in (1, 2):
        print(f"W2's plan at 2 threads, {per} block(s) per thread: process CPU {np.median(cpu[per]) * 1e3:.2f} ms, "
              f"wall {np.median(wall[per]) * 1e3:.2f} ms per run (median of {len(cpu[per])})")
    print(f"1 / 2 blocks per thread: CPU {np.median(cpu[1]) / np.median(cpu[2]):.3f}x, "
          f"wall {np.median(wall[1]) / np.median(wall[2]):.3f}x; outputs bit-identical")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=75)
    ap.add_argument("--plan", action="store_true", help="also W2's plan at 1 and 2 threads (needs two cores)")
    ap.add_argument("--together", action="store_true", help="only: each product whole, alone against while the "
                    "other core computes (needs two cores)")
    ap.add_argument("--plan-blocks", action="store_true", help="only: W2's plan at 2 threads, 1 against 2 blocks "
                    "per thread (needs two cores)")
    args = ap.parse_args()
    with threadpool_limits(1):  # BLAS at one thread, as in a worker
        if args.plan_blocks:
            sys.path[1:1] = [str(ROOT / "clients" / "python"), str(ROOT / "tests")]
            plan_blocks(args.n)
            return 0
        if args.together:
            together(args.n)
            return 0
        products(args.n)
        if args.plan:
            sys.path[1:1] = [str(ROOT / "clients" / "python"), str(ROOT / "tests")]
            plan_threads(args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
