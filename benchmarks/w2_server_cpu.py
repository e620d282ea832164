"""The server main process's own work in one W2 call (issue #13, h-w2server): CPU of its main thread per call,
and with --profile what that thread runs (cProfile on the thread's CPU clock), trees side by side.

    python benchmarks/w2_server_cpu.py [--tree name=PATH ...] [--calls 300] [--rounds 2] [--only W2|L1] [--profile]
        [--no-watch]

One server per tree (this tree's first), the trees taking turns each round; this tree's SDK drives each
(ops.grad of the MLP 784-512-512-10 w.r.t. its weights, one unchanged x: shared memory both ways; --only L1:
L1's training step instead, run inline in the main process, its compute included). Per run:
the main thread's CPU per call (unprofiled, or profiled with --profile: a profiled call costs ~2-4x). With
--profile: the Python calls a request makes and the loop's iterations a call, less what the same thread
does meanwhile without calls (uvicorn's and gRPC's periodic wakes, profiled over an idle window of the same
length), and the functions above 2% of the profile (inclusive, CPU per call). --no-watch pushes the start of
the disconnect watcher (http_app.WATCH_AFTER_S, 20 ms) out of reach: a loaded box's slow calls then take the
idle box's path (no watcher task). Counts move little with the load; times do. Not a test: nothing asserts.
"""
from __future__ import annotations

import argparse
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import gradserve as gs  # noqa: E402

from benchmarks._server import free_port, server_env, stop, wait_ready  # noqa: E402
from benchmarks.server_wakeups import main_thread  # noqa: E402
from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks.w2_client_cpu import w2_grad  # noqa: E402

# the server's main, with its main thread profiled between SIGUSR1 and SIGUSR2 (stats written to argv[1])
LAUNCH = r'''
import cProfile, os, signal, sys, time
out, prof = sys.argv[1], cProfile.Profile(time.thread_time)
signal.signal(signal.SIGUSR1, lambda *a: (prof.clear(), prof.enable()))
signal.signal(signal.SIGUSR2, lambda *a: (prof.disable(), prof.dump_stats(out)))
if os.environ.get("W2_NO_WATCH"):
    import service.http_app
    service.http_app.WATCH_AFTER_S = 3600.0
from service.cli import main
sys.argv = ["gradserve-server"]
sys.exit(main())
'''


def start(tree: str, stats: str, no_watch: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = server_env({"PYTHONPATH": f"{tree}:{tree}/clients/python"}, GRADSERVE_PORT=str(port),
                     GRADSERVE_GRPC_PORT=str(free_port()), GRADSERVE_DEVICES="cpu",
                     **({"W2_NO_WATCH": "1"} if no_watch else {}))
    # (cwd: `python -c` puts the working directory first on sys.path: the tree's own service package)
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, stats], env=env, cwd=tree, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, url + "/v2/health/ready")
    return proc, url


def profiled(pid: int, stats: str, run) -> pstats.Stats:
    """The main thread's profile over run()."""
    if os.path.exists(stats):
        os.unlink(stats)
    os.kill(pid, signal.SIGUSR1)
    time.sleep(0.2)  # (the handler runs when the loop next wakes: uvicorn's own tick, every 0.1 s)
    run()
    os.kill(pid, signal.SIGUSR2)
    end = time.monotonic() + 30
    while not os.path.exists(stats) and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(0.3)  # (written whole)
    return pstats.Stats(stats)


def own_calls(st: pstats.Stats, tree: str) -> int:
    """Calls of the tree's service/ functions, but the gRPC server's (its health watch wakes on its own)."""
    root = os.path.join(os.path.realpath(tree), "service") + os.sep
    return sum(v[1] for k, v in st.stats.items() if k[0].startswith(root) and "/grpc_" not in k[0])


def summary(busy: pstats.Stats, idle: pstats.Stats, tree: str, calls: int, wall_s: float, idle_s: float) -> list[str]:
    scale = wall_s / idle_s  # the idle window's background, stretched to the busy window's length (roughly)
    loops = [v[1] for k, v in busy.stats.items() if k[2] == "_run_once"]
    idle_loops = [v[1] for k, v in idle.stats.items() if k[2] == "_run_once"]
    lines = [f"  service/ Python calls a call {(own_calls(busy, tree) - own_calls(idle, tree) * scale) / calls:.1f}; "
             f"all Python calls a call ~{(busy.total_calls - idle.total_calls * scale) / calls:.0f} (background "
             f"~{idle.total_calls * scale / calls:.0f}), loop iterations a call ~{(sum(loops) - sum(idle_loops) * scale) / calls:.2f}, "
             f"profiled CPU {busy.total_tt / calls * 1e3:.3f} ms"]
    top = sorted(busy.stats.items(), key=lambda kv: -kv[1][3])
    for (path, line, name), (_, nc, _, ct, _) in top:
        if ct < 0.02 * busy.total_tt:
            break
        lines.append(f"    {ct / calls * 1e6:8.1f} us {nc / calls:5.2f}x {Path(path).name}:{line} {name}")
    return lines[:40]


def run_tree(name: str, tree: str, args, tmp: str) -> None:
    from gradserve import context

    stats = os.path.join(tmp, f"{name}.prof")
    proc, url = start(tree, stats, args.no_watch)
    client = gs.Client(url)
    context._client = client
    try:
        if args.only == "L1":  # (a job the inline lane runs in the main process: its compute counts here)
            call = LW.dp_step_call(gs)
        else:
            gfn, x = w2_grad(gs, "pynative")  # registered, compiled, regions sized; the connection stays open
            call = partial(gfn, x)
        for _ in range(5):
            call()
        took = {}

        def calls():
            t = time.perf_counter()
            for _ in range(args.calls):
                call()
            took["s"] = time.perf_counter() - t

        c0 = main_thread(proc.pid)[1]
        if args.profile:
            busy = profiled(proc.pid, stats, calls)
            idle = profiled(proc.pid, stats, lambda: time.sleep(min(took["s"], 5.0)))
        else:
            calls()
        cpu = (main_thread(proc.pid)[1] - c0) / args.calls
        print(f"{name}: main thread {cpu * 1e3:.3f} ms CPU a call{' (profiled)' if args.profile else ''}, "
              f"{took['s'] / args.calls * 1e3:.2f} ms a call (load {os.getloadavg()[0]:.1f})", flush=True)
        if args.profile:
            print("\n".join(summary(busy, idle, tree, args.calls, took["s"], min(took["s"], 5.0))), flush=True)
    finally:
        context._client = None
        client.close()
        stop(proc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", default=[], help="name=path of another tree's server")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", choices=("W2", "L1"), default="W2", help="the call: W2, or L1's training step")
    for flag in ("--profile", "--no-watch"):  # (what each does: the module's docstring)
        ap.add_argument(flag, action="store_true")
    args = ap.parse_args()
    trees = [("this", str(ROOT))] + [tuple(t.split("=", 1)) for t in args.tree]
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name, path in trees if r % 2 == 0 else trees[::-1]:
                run_tree(name, path, args, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
