"""Does the order of the calls move L1's ratio? The SDK's training step timed three ways in one process against
one real server, beside JAX's jitted step:

  interleaved  SDK step, JAX step, SDK step, ... (loops_bench's order: each SDK step right after a JAX step)
  pause        interleaved, with a 2 ms sleep after each JAX step (a thread pool spinning after a call has gone quiet)
  blocks       all SDK steps, then all JAX steps (neither side's call follows the other's)

For each: the SDK step's median wall time and the client process's CPU during it (all its threads: JAX's pool
spinning while the SDK waits on its socket shows here, not in the SDK's own thread), and JAX's median.

    python benchmarks/l1_order.py [--steps 200] [--rounds 3] [--mode graph|pynative] [--json out.json]

A benchmark, not a test: nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gradserve as gs  # noqa: E402

from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks.loops_bench import Server, settle  # noqa: E402


def _sdk_timed(step, args, ts, cpu):
    c, t = time.process_time(), time.perf_counter()
    loss = step(*args)
    ts.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
    return loss


def _jax_timed(jstep, jp, args, tj):
    t = time.perf_counter()
    jl, jp = jstep(jp, *args)
    jl.block_until_ready()
    tj.append(time.perf_counter() - t)
    return jp


def run(order: str, steps: int, step, jstep, jp, sdk_args, jax_args) -> tuple[dict, object]:
    ts, cpu, tj = [], [], []
    settle()
    if order == "blocks":
        for _ in range(steps):
            _sdk_timed(step, sdk_args, ts, cpu)
        for _ in range(steps):
            jp = _jax_timed(jstep, jp, jax_args, tj)
    else:
        for _ in range(steps):
            _sdk_timed(step, sdk_args, ts, cpu)
            jp = _jax_timed(jstep, jp, jax_args, tj)
            if order == "pause":
                time.sleep(0.002)
    sdk, jax_ = float(np.median(ts)), float(np.median(tj))
    return {"sdk_ms": sdk * 1e3, "jax_ms": jax_ * 1e3, "ratio": sdk / jax_,
            "client_cpu_ms": float(np.median(cpu)) * 1e3}, jp


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mode", choices=("graph", "pynative"), default="graph")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    srv = Server()
    out: dict = {"load_avg": os.getloadavg(), "mode": args.mode, "rounds": []}
    try:
        gs.set_context(server=srv.url, device_target="CPU")
        if args.mode == "graph":
            LW.graph_mode(gs)
        data = LW.dp_data()
        step, _ = LW.dp_sdk(gs, data, lr=1e-6)
        jstep, jp = LW.dp_jax(data, lr=1e-6)
        sdk_args = (gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"]))
        jax_args = (data["R"], data["E"], data["F"])
        for _ in range(3):  # compile both sides (the SDK's first two steps register and compile its graph)
            step(*sdk_args)
            jl, jp = jstep(jp, *jax_args)
        jl.block_until_ready()
        for _ in range(args.rounds):
            row = {}
            for order in ("interleaved", "pause", "blocks"):
                row[order], jp = run(order, args.steps, step, jstep, jp, sdk_args, jax_args)
            out["rounds"].append(row)
    finally:
        gs.reset_context()
        srv.close()
    out["load_avg_after"] = os.getloadavg()
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
