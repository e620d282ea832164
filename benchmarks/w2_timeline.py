"""One W2 call (or L1's training step, or L2's) laid out end to end across the SDK, the server and its worker.

    python benchmarks/w2_timeline.py [--calls 40] [--only W2,L1,L2]

The server runs with GRADSERVE_TIMELINE=<tmp dir> (service.timeline: CLOCK_MONOTONIC stamps, one clock
for every process of the host); this process stamps the SDK's side itself (wrapping the call, the body's
encoding, the socket's send and the answer's read). Per stamp: the median time since the call started,
and the median gap from the stamp before it; each process's CPU per call and its threads' run-queue wait
(schedstat: time runnable while another task held the core, i.e. whether the lent cores were free); the
worker's compute by thread count (lent or not); with --plan, the same plan run in this process with 1 and
2 threads between the calls (the same load). Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

# W2_TREE=<worktree>: that tree's SDK and benchmarks (its server too, when PYTHONPATH names it): A/B runs
ROOT = Path(os.environ.get("W2_TREE") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "clients" / "python"))

import gradserve as gs  # noqa: E402

from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks.loops_bench import Server  # noqa: E402

SDK: list = []  # (ns, name) of this process
TIMING: list = []  # the server's timing of each answer


def _mark(name: str) -> None:
    SDK.append((time.monotonic_ns(), name))


def _wrap(owner, attr: str, before: str | None, after: str | None) -> None:
    fn = getattr(owner, attr)

    def wrapped(*a, **k):
        if before:
            _mark(before)
        try:
            return fn(*a, **k)
        finally:
            if after:
                _mark(after)
    setattr(owner, attr, wrapped)


def instrument_sdk() -> None:
    from gradserve._transport import _http1, http

    _wrap(http, "_prepare", None, "sdk.encoded")
    _wrap(_http1, "_read_response", "sdk.sent", "sdk.received")
    _wrap(http, "_handle", None, "sdk.decoded")
    handle = http._handle

    def keep_timing(*a, **k):
        resp = handle(*a, **k)
        TIMING.append(resp.get("timing") or {})
        return resp
    http._handle = keep_timing


def w2_call():
    from benchmarks.engine_workloads import MLP_SIZES, _mlp_params

    ps = _mlp_params(MLP_SIZES)
    x = gs.Tensor(np.random.default_rng(1).standard_normal((256, MLP_SIZES[0])).astype(np.float32))
    net = LW.mlp_sdk(gs, ps)
    gfn = gs.ops.grad(net, None, net.trainable_params())
    return lambda: gfn(x)


def l2_call():
    X, y = LW.logreg_data()
    f = gs.ops.vmap(gs.ops.grad(LW.logp_sdk(gs, X, y)))
    W = gs.Tensor(np.random.default_rng(2000).normal(size=(2000, X.shape[1])).astype(np.float32))
    return lambda: f(W)


def sched(pids: list) -> tuple[float, float]:
    """(run time, run-queue wait) in ms of every thread of `pids` so far (/proc/<pid>/task/*/schedstat):
    wait = time a thread was runnable but another task held its core."""
    run = wait = 0
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    a, b, _ = f.read().split()
            except (OSError, ValueError):  # a thread that just ended
                continue
            run, wait = run + int(a), wait + int(b)
    return run / 1e6, wait / 1e6


def minflt(pids: list) -> int:
    """Minor page faults of `pids` so far (/proc/<pid>/stat field 10, all threads)."""
    n = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat", "rb") as f:
            n += int(f.read().rpartition(b")")[2].split()[7])
    return n


def read_stamps(d: str) -> list:
    out = []
    for p in Path(d).glob("*.tl"):
        for line in p.read_text().splitlines():
            pid, name, ns = line.split()
            out.append((int(ns), name, int(pid)))
    return sorted(out)


def layout(calls: list, stamps: list) -> list:
    """Per name: (median ms since the call's start, median ms since the stamp before it, count)."""
    since: dict = defaultdict(list)
    gap: dict = defaultdict(list)
    order: dict = {}
    for t0, t1, sdk in calls:
        mine = sorted([(ns, name) for ns, name, _ in stamps if t0 <= ns <= t1] + sdk)
        prev = t0
        seen = set()
        for ns, name in mine:
            if name in seen:
                continue
            seen.add(name)
            since[name].append((ns - t0) / 1e6)
            gap[name].append((ns - prev) / 1e6)
            order.setdefault(name, len(order))
            prev = ns
    rows = sorted(since, key=lambda n: np.median(since[n]))
    return [(n, float(np.median(since[n])), float(np.median(gap[n])), len(since[n])) for n in rows]


def local_plan(name: str):
    """run(threads) -> ms: the same workload's plan run in this process (benchmarks/plan_bench.py), its large
    products split across `threads` (engine/backends/split_gemm.py): what a lent job's compute could be."""
    from threadpoolctl import threadpool_limits

    from benchmarks import plan_bench
    from engine.api import Engine
    from engine.backends import get_backend, split_gemm
    from engine.serialize import graph_from_json

    doc, inputs, params = plan_bench.workloads()[name]
    plan = Engine(get_backend("numpy")).plan(graph_from_json(doc))

    def run(threads: int) -> float:
        split_gemm.set_threads(threads)
        with threadpool_limits(1):  # BLAS at one thread, as in a worker
            t = time.perf_counter()
            plan.run_host(inputs, params)
            return (time.perf_counter() - t) * 1e3
    return run


def out_ab(name: str, calls: int) -> dict:
    """The worker's run + output write of `name`'s plan in this process, into a made output region
    (service.out_memfd, as a worker: a kept mapping), alternating the two ways: outputs computed into
    new arrays then copied into the region ("copy"), or computed straight into the region's views
    ("in place", Engine.run's outs). Per call: this thread's CPU time (one thread: no split), medians;
    the outputs' bytes checked equal every call. CPU time, not wall: robust on a loaded box."""
    from benchmarks import plan_bench
    from engine.api import Engine
    from engine.backends import get_backend, split_gemm
    from engine.ir import NP_DTYPES, tree_flatten
    from engine.serialize import graph_from_json
    from service import client_shm, out_memfd

    doc, inputs, params = plan_bench.workloads()[name]
    g = graph_from_json(doc)
    eng = Engine(get_backend("numpy"))
    avals = tuple((tuple(v.aval.shape), np.dtype(NP_DTYPES[v.aval.dtype])) for v in tree_flatten(g.outputs))
    size = sum(out_memfd._nbytes(s, d) + 64 for s, d in avals)
    regs = client_shm.Regions()
    out_memfd.create(regs, "o", size, None, "127.0.0.1")
    io = client_shm.RegionIO(regs, "127.0.0.1")
    io.set_output({"region": "o"})
    target, maps = io.target(), out_memfd.OutMaps()
    from threadpoolctl import threadpool_limits

    split_gemm.set_threads(1)
    limit = threadpool_limits(1)  # BLAS at one thread, as in a worker (its spinning helpers would count here)
    cpu: dict = {"copy": [], "in place": []}
    wrote: dict = {}
    try:
        for i in range(2 * calls + 4):
            way = ("copy", "in place")[i % 2]
            t = time.thread_time()
            placed = out_memfd.views(maps, target, avals) if way == "in place" else None
            flat = [np.asarray(a) for a in tree_flatten(eng.run(g, inputs, params, outs=placed and placed[0]))]
            where = out_memfd.write_target(maps, target, flat, placed)
            dt = time.thread_time() - t
            del flat, placed
            mm = next(iter(maps.maps.values()))[1]
            wrote[way] = bytes(mm[:size])
            if i >= 4:  # the first of each: compile, mapping
                cpu[way].append(dt * 1e3)
                assert wrote["copy"] == wrote.get("in place", wrote["copy"]), "the two ways wrote other bytes"
    finally:
        limit.restore_original_limits()
        for ident in list(maps.maps):
            maps._drop(ident)
        regs.close()
    out = {k: float(np.median(v)) for k, v in cpu.items()}
    print(f"\n{name} run + output write in this process ({calls} calls each way, alternating, CPU ms median): "
          f"copy {out['copy']:.3f}, in place {out['in place']:.3f}, saved {out['copy'] - out['in place']:.3f}; "
          f"{len(where)} of {len(avals)} outputs in the region, {len(eng.plan(g).program.placed.index)} computable there")
    return out


def run(name: str, make, calls: int, plan=None) -> dict:
    d = tempfile.mkdtemp(prefix="gs_tl_")
    srv = Server({"GRADSERVE_TIMELINE": d})
    try:
        gs.set_context(server=srv.url, device_target="CPU")
        fn = make()
        for _ in range(8):  # registration, compile, the inline lane's and lending's first judgements
            fn()
        SDK.clear()
        got, cpu, waits, flts, local = [], [], [], [], {1: [], 2: []}
        srv.cpu_s()
        procs = {"client": [os.getpid()], "server": [srv.proc.pid], "workers": srv._worker_pids}
        for _ in range(calls):
            SDK.clear()
            f0 = {k: minflt(v) for k, v in procs.items()}
            w0 = {k: sched(v) for k, v in procs.items()}
            s0, p0 = srv.cpu_s(), time.process_time()
            t0 = time.monotonic_ns()
            fn()
            t1 = time.monotonic_ns()
            s1, p1 = srv.cpu_s(), time.process_time()
            w1 = {k: sched(v) for k, v in procs.items()}
            f1 = {k: minflt(v) for k, v in procs.items()}
            flts.append({k: f1[k] - f0[k] for k in procs})
            got.append((t0, t1, list(SDK)))
            cpu.append(((p1 - p0) * 1e3, (s1[0] - s0[0]) * 1e3, (s1[1] - s0[1]) * 1e3))
            waits.append({k: w1[k][1] - w0[k][1] for k in procs})
            if plan is not None:  # interleaved with the calls: the same load on both
                for k in (2, 1):
                    local[k].append(plan(k))
    finally:
        gs.reset_context()
        srv.close()
    rows = layout(got, read_stamps(d))
    tim = TIMING[-calls:]
    walls = [(t1 - t0) / 1e6 for t0, t1, _ in got]
    print(f"\n{name}: {calls} calls, wall median {np.median(walls):.3f} ms; CPU per call (median ms): client "
          f"{np.median([c[0] for c in cpu]):.3f}, server main {np.median([c[1] for c in cpu]):.3f}, "
          f"workers {np.median([c[2] for c in cpu]):.3f}")
    print("  run-queue wait per call (median ms): " + ", ".join(
        f"{k} {np.median([w[k] for w in waits]):.3f}" for k in waits[0]))
    print("  minor page faults per call (median): " + ", ".join(
        f"{k} {np.median([f[k] for f in flts]):.0f}" for k in flts[0]))
    print(f"  worker output_ms (its outputs written, median): "
          f"{np.median([t['output_ms'] for t in tim if 'output_ms' in t] or [np.nan]):.3f}")
    print("  lanes:", {lane: sum(t.get("lane") == lane for t in tim) for lane in ("worker", "inline")})
    for th in sorted({t.get("threads") for t in tim if t.get("lane") == "worker"}):
        c = [t["compute_ms"] for t in tim if t.get("lane") == "worker" and t.get("threads") == th]
        print(f"  worker compute with {th} thread(s): {len(c)} calls, median {np.median(c):.3f} ms")
    if plan is not None:
        print(f"  the same plan in this process: 2 threads {np.median(local[2]):.3f} ms, 1 thread "
              f"{np.median(local[1]):.3f} ms (interleaved with the calls)")
    print(f"  {'stamp':<22}{'at ms':>9}{'gap ms':>9}{'n':>5}")
    for n, at, g, k in rows:
        print(f"  {n:<22}{at:9.3f}{g:9.3f}{k:5d}")
    return {"wall_ms": float(np.median(walls)), "rows": rows,
            "worker_output_ms": float(np.median([t["output_ms"] for t in tim if "output_ms" in t] or [np.nan]))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--only", default="W2,L2")
    ap.add_argument("--plan", action="store_true", help="also run the workload's plan in this process (1 and 2 "
                    "threads) after each call: what the worker's compute could be under the same load")
    ap.add_argument("--out-ab", action="store_true", help="only the worker's run + output write in this process: "
                    "outputs copied into a made region after the run vs computed in it (CPU time, alternating)")
    args = ap.parse_args()
    if args.out_ab:
        for name in args.only.split(","):
            out_ab(name, args.calls)
        return 0
    instrument_sdk()
    for name in args.only.split(","):
        run(name, {"W2": w2_call, "L1": lambda: LW.dp_step_call(gs), "L2": l2_call}[name], args.calls, local_plan(name) if args.plan else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
