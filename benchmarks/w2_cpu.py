"""W2's CPU per call: local JAX against the engine's plan (as a worker runs it), in one process, interleaved.

    python benchmarks/w2_cpu.py [--n 150] [--only jax,plan1,split2,blas2] [--loop VARIANT]

Per variant, called in turn (the order reversed every round), medians of wall time and of process CPU time
(every thread's: JAX's pool, the split's helper, OpenBLAS's threads), and each variant's CPU split by thread
(the busiest thread first, from /proc/self/task/*/schedstat, summed over the run):
- jax     jax.jit(jax.grad(LW.mlp_loss_jax))  # loops_bench.w2's of loops_bench's W2 (XLA's default threads);
- plan1   the plan of the graph the SDK sends (plan_bench.workloads), one thread, OpenBLAS at one thread;
- split2  the same plan, large products split across 2 threads (engine/backends/split_gemm.py), OpenBLAS at
          one thread: what a worker runs when a core is lent (not pinned here);
- blas2   the plan at one intra-op thread with OpenBLAS's own 2 threads (the lever split_gemm replaced).
CPU time, unlike wall time, stays readable on a loaded box (it still grows with cache contention).
--loop VARIANT runs that variant alone for --n calls (to sample with `perf record`). Not a test: nothing
asserts a timing.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "clients" / "python", ROOT / "tests"):
    sys.path.insert(0, str(p))


def thread_cpu() -> dict:
    """tid -> CPU ns so far, every thread of this process."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except OSError:  # a thread that just ended
            pass
    return out


def variants() -> dict:
    import jax
    import jax.numpy as jnp
    from threadpoolctl import ThreadpoolController

    from benchmarks import loops_workloads as LW
    from benchmarks.engine_workloads import MLP_SIZES, _mlp_params
    from benchmarks.plan_bench import workloads
    from engine.api import Engine
    from engine.backends import split_gemm
    from engine.serialize import graph_from_json

    doc, inputs, params = workloads()["W2"]
    plan = Engine().plan(graph_from_json(doc))
    x = inputs[0]

    jf = jax.jit(jax.grad(LW.mlp_loss_jax))  # loops_bench.w2's
    pj = [jnp.asarray(v) for _, v in _mlp_params(MLP_SIZES)]
    blas = ThreadpoolController().lib_controllers  # NumPy's OpenBLAS (and SciPy's, untouched by NumPy)

    def jax_call():
        jax.block_until_ready(jf(pj, x))

    def plan_with(intra: int, blas_threads: int):
        def call():
            split_gemm.set_threads(intra)
            for c in blas:
                if c.num_threads != blas_threads:
                    c.set_num_threads(blas_threads)
            plan.run_host(inputs, params)
        return call

    return {"jax": jax_call, "plan1": plan_with(1, 1), "split2": plan_with(2, 1), "blas2": plan_with(1, 2)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--only", default="jax,plan1,split2,blas2")
    ap.add_argument("--loop", help="run only this variant, --n calls, and print its CPU per call")
    args = ap.parse_args()
    every = variants()
    names = [args.loop] if args.loop else args.only.split(",")
    calls = {k: every[k] for k in names}
    for f in calls.values():
        for _ in range(20):
            f()
    wall: dict = {k: [] for k in names}
    cpu: dict = {k: [] for k in names}
    per_thread: dict = {k: {} for k in names}
    sys_s: dict = {k: 0.0 for k in names}  # the kernel's share (futex wake-ups, scheduling) of the CPU
    for i in range(args.n):
        for k in (names if i % 2 == 0 else names[::-1]):
            t0 = thread_cpu()
            r0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
            w0, c0 = time.perf_counter(), time.process_time()
            calls[k]()
            sys_s[k] += resource.getrusage(resource.RUSAGE_SELF).ru_stime - r0
            wall[k].append(time.perf_counter() - w0)
            cpu[k].append(time.process_time() - c0)
            t1 = thread_cpu()
            for tid, ns in t1.items():
                per_thread[k][tid] = per_thread[k].get(tid, 0) + ns - t0.get(tid, ns)
    print(f"W2, {args.n} calls each, load average {os.getloadavg()[0]:.1f}")
    for k in names:
        threads = sorted(per_thread[k].values(), reverse=True)
        busy = ", ".join(f"{v / args.n / 1e6:.2f}" for v in threads if v / args.n > 2e4)  # > 20 us a call
        print(f"  {k:7s} wall {np.median(wall[k]) * 1e3:7.2f} ms  CPU {np.median(cpu[k]) * 1e3:6.2f} ms  "
              f"(mean {np.mean(cpu[k]) * 1e3:6.2f}, of it system {sys_s[k] / args.n * 1e3:5.2f}; by thread, ms a call: {busy})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
