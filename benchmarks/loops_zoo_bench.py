"""The held-out loops (benchmarks/loops_zoo.py, rounds 2 to 5 in loops_zoo2.py ... loops_zoo5.py) through the SDK against a real server, each beside its JAX /
PyTorch twin in the same run:

    python benchmarks/loops_zoo_bench.py                    # all loops, 200 steps each, a process each
    python benchmarks/loops_zoo_bench.py --steps 20 --small --only hmc,newton_cg --json out.json
    python benchmarks/loops_zoo_bench.py --counts --steps 100     # per step by counting, not by wall time

Per loop: the largest relative difference from the twin over all steps (values step by step), the SDK's
traces and the server's compile-cache misses after the warm-up steps (one per distinct input signature is
expected), server + workers RSS before/after the timed steps, the median step of each side (interleaved)
and their ratio, with the box's load average. Benchmarks are not tests: nothing here asserts a timing.

`--counts`: what a step costs where wall time lies (a loaded box: a step's wall time there is mostly run-queue
waits, longer for longer CPU bursts), per step: requests the server answered, eager ops the SDK ran on NumPy,
CPU time (every thread's run time, /proc schedstat) of the SDK's process, of the server's and of its workers,
and the twin's CPU time in the same process; the least of three blocks of each.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "clients" / "python"))

import gradserve as gs  # noqa: E402

from benchmarks import loops_zoo as LZ  # noqa: E402
from benchmarks import loops_zoo2 as LZ2  # noqa: E402
from benchmarks import loops_zoo3 as LZ3  # noqa: E402
from benchmarks import loops_zoo4 as LZ4  # noqa: E402
from benchmarks import loops_zoo5 as LZ5  # noqa: E402
from benchmarks._server import cpu_ns  # noqa: E402
from benchmarks.loops_bench import Server, med, settle  # noqa: E402

LOOPS = {**LZ.LOOPS, **LZ2.LOOPS, **LZ3.LOOPS, **LZ4.LOOPS, **LZ5.LOOPS}  # the first zoo, rounds 2 to 5


def _loop_on(name: str, srv: Server, small: bool):
    """Loop `name` made against srv in a fresh SDK context of its mode; (the loop, its warm-up steps)."""
    gs.reset_context()
    gs.set_context(server=srv.url, device_target="CPU")
    loop = LOOPS[name](gs, small=small)
    gs.set_context(mode=gs.GRAPH_MODE if loop.mode == "graph" else gs.PYNATIVE_MODE)
    return loop, LZ.warm_steps(loop)


def run_loop(name: str, srv: Server, steps: int, small: bool) -> dict:
    loop, warm = _loop_on(name, srv, small)
    diffs, ts, tj = [], [], []
    rss0 = misses0 = traces0 = None
    for i in range(warm + steps):
        if i == warm:
            settle()
            rss0, misses0 = srv.rss_mib(), LZ.compile_misses(srv.http.get("/metrics").text)
            traces0 = gs._trace.trace_stats()
        t = time.perf_counter()
        a = loop.sdk(i)
        t1 = time.perf_counter()
        b = loop.twin(i)
        t2 = time.perf_counter()
        if i >= warm:
            ts.append(t1 - t)
            tj.append(t2 - t1)
        diffs.append(LZ.rel_diff(a, b))
    traces1 = gs._trace.trace_stats()
    rss1, misses1 = srv.rss_mib(), LZ.compile_misses(srv.http.get("/metrics").text)
    # (np.max: NaN if a step's difference was; max() would skip it)
    return {"loop": name, "mode": loop.mode, "steps": steps, "warm": warm, "max_rel_diff": float(np.max(diffs)),
            "rtol": loop.rtol, "sdk_traces": traces1["traces"] - traces0["traces"],
            "unguarded": traces1["unguarded"] - traces0["unguarded"],
            "compile_misses": misses1 - misses0, "rss_growth_mib": rss1 - rss0,
            "sdk_ms": med(ts) * 1e3, "twin_ms": med(tj) * 1e3, "ratio": med(ts) / med(tj),
            "load": os.getloadavg()[0]}


def count_loop(name: str, srv: Server, steps: int, small: bool) -> dict:
    from gradserve import _eager

    loop, warm = _loop_on(name, srv, small)
    for i in range(warm):
        loop.sdk(i), loop.twin(i)
    eager, compute = [0], _eager.compute

    def counted(*a, **k):
        eager[0] += 1
        return compute(*a, **k)

    _eager.compute = counted
    best: dict = {}
    try:
        settle()
        for _ in range(3):
            eager[0], r0, s0, c0 = 0, requests(srv), srv.cpu_s(), cpu_ns(os.getpid())
            for i in range(warm, warm + steps):
                loop.sdk(i)
            c1, s1, r1 = cpu_ns(os.getpid()), srv.cpu_s(), requests(srv)
            for i in range(warm, warm + steps):
                loop.twin(i)
            c2 = cpu_ns(os.getpid())
            row = {"requests": (r1 - r0) / steps, "eager_ops": eager[0] / steps, "sdk_cpu_ms": (c1 - c0) / steps / 1e6,
                   "server_cpu_ms": (s1[0] - s0[0]) / steps * 1e3, "workers_cpu_ms": (s1[1] - s0[1]) / steps * 1e3,
                   "twin_cpu_ms": (c2 - c1) / steps / 1e6}
            for k, v in row.items():
                best[k] = v if k in ("requests", "eager_ops") else min(v, best.get(k, v))
    finally:
        _eager.compute = compute
    total = best["sdk_cpu_ms"] + best["server_cpu_ms"] + best["workers_cpu_ms"]
    return {"loop": name, "mode": loop.mode, "steps": steps, **best, "cpu_ratio": total / best["twin_cpu_ms"],
            "load": os.getloadavg()[0]}


def requests(srv: Server) -> float:
    """Job requests the server answered so far, every endpoint and outcome."""
    return sum(float(v) for v in re.findall(r"^gradserve_requests_total\{[^}]*\} (\S+)$",
                                            srv.http.get("/metrics").text, re.M))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--only", default="")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--together", action="store_true",
                    help="all loops in this process (default: each in a process of its own, with its own server)")
    ap.add_argument("--counts", action="store_true", help="per step by counting (requests, eager ops, CPU)")
    a = ap.parse_args()
    names = [n for n in LOOPS if not a.only or n in a.only.split(",")]
    if len(names) > 1 and not a.together:
        # a loop run after one with a PyTorch twin took 2-4x its time alone (varying_batch 0.85 ms alone, 2.3 ms
        # after langevin64, 3.6 ms after bn_train_one_step, same process, load 21-24): each loop on its own
        rows = [json.loads(subprocess.run([sys.executable, __file__, "--steps", str(a.steps), "--only", n]
                                          + (["--small"] if a.small else []) + (["--counts"] if a.counts else []),
                                          check=True, capture_output=True,
                                          text=True).stdout.strip().splitlines()[-1]) for n in names]
        for r in rows:
            print(json.dumps(r), flush=True)
        if a.json:
            Path(a.json).write_text(json.dumps(rows, indent=1))
        return
    import torch
    # (torch's intra-op pool on the shared 2-core box: at load 18 a PyTorch twin's tiny step took ~200 ms)
    torch.set_num_threads(1)
    srv = Server()
    rows = []
    try:
        for n in names:
            try:
                r = (count_loop if a.counts else run_loop)(n, srv, a.steps, a.small)
            except Exception as e:  # noqa: BLE001 - a failing loop is a finding, reported in its row
                r = {"loop": n, "error": f"{type(e).__name__}: {e}"[:300]}
            rows.append(r)
            print(json.dumps(r), flush=True)
    finally:
        srv.close()
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
