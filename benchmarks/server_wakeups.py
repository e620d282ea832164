"""How often the server's main thread wakes: idle with a client's kept-alive connection open, and per W2 call
through the SDK (voluntary context switches of its main thread: each is one sleep in epoll_wait, then a wake).

    python benchmarks/server_wakeups.py [--tree name=PATH ...] [--idle-s 5] [--calls 200] [--rounds 2]

One server per tree (this tree's first), the trees taking turns; one SDK (this tree's) drives each. A wake
on an idle host costs a halted vCPU's exit and entry as well as the loop's own iteration; on a busy one it
preempts what runs there. Wake counts, unlike times, hardly move with the host's load. Not a test.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import gradserve as gs  # noqa: E402

from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks.engine_workloads import MLP_SIZES, _mlp_params  # noqa: E402
from benchmarks.loops_bench import Server  # noqa: E402


def main_thread(pid: int) -> tuple[int, float]:
    """(voluntary context switches, CPU seconds) of process `pid`'s main thread."""
    with open(f"/proc/{pid}/task/{pid}/status") as f:
        vol = next(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt_switches"))
    with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
        cpu = int(f.read().split()[0]) / 1e9
    return vol, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", default=[], help="name=path of another tree's server")
    ap.add_argument("--idle-s", type=float, default=5.0)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    trees = [("new", str(ROOT))] + [tuple(t.split("=", 1)) for t in args.tree]
    ps = _mlp_params(MLP_SIZES)
    x = gs.Tensor(np.random.default_rng(1).standard_normal((256, MLP_SIZES[0])).astype(np.float32))
    net = LW.mlp_sdk(gs, ps)
    gfn = gs.ops.grad(net, None, net.trainable_params())
    from gradserve import context

    for r in range(args.rounds):
        for name, path in trees if r % 2 == 0 else trees[::-1]:
            srv = Server({"PYTHONPATH": f"{path}:{path}/clients/python"})
            client = gs.Client(srv.url)
            context._client = client
            try:
                for _ in range(10):  # registered, compiled, regions sized; the connection stays open
                    gfn(x)
                time.sleep(0.5)
                v0, c0 = main_thread(srv.proc.pid)
                time.sleep(args.idle_s)
                v1, c1 = main_thread(srv.proc.pid)
                t = time.perf_counter()
                for _ in range(args.calls):
                    gfn(x)
                wall = (time.perf_counter() - t) / args.calls
                v2, c2 = main_thread(srv.proc.pid)
                print(f"{name}: idle {(v1 - v0) / args.idle_s:.1f} wakes/s ({(c1 - c0) / args.idle_s * 1e3:.2f} ms CPU/s); "
                      f"W2 {(v2 - v1) / args.calls:.2f} wakes a call, main thread {(c2 - c1) / args.calls * 1e3:.3f} ms "
                      f"CPU a call, {wall * 1e3:.2f} ms a call (load {os.getloadavg()[0]:.1f})", flush=True)
            finally:
                context._client = None
                client.close()
                srv.proc.terminate()
                srv.proc.wait(60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
