"""Where the server's main thread spends an L1 step's CPU in place (issue #13): a real server driven by the SDK.

    python benchmarks/server_insitu.py [--mode pynative|graph] [--steps 2000] [--rounds 3] [--parts coarse|front]

benchmarks/server_pieces.py counts each piece run alone, 100 times in a row, its code and data hot in the
caches; between two requests of a real loop the SDK's process runs on the same two cores. Here the server's
own functions are wrapped (inclusive thread CPU, time.thread_time_ns, summed per function; a file handshake
reads the sums, no signal) and one L1 step is what the SDK sends. Inclusive figures, nested: `coarse` splits
the main thread into the event loop outside the socket's read (epoll_wait, timers), the read (recvfrom and
the transport), the HTTP parse (httptools and the protocols' callbacks), the job (`_lean_start`: decode,
`JobCall.run_now` > `Pool.run_inline` > `Plan.run_host`, the answer, the send); `front` splits the job's
own lines (client, JobCall, admission, metrics). Each wrap costs its own two clock reads (~1-2 us a call on a
VM: the sum is above the unwrapped main thread's CPU by about that much per wrapped call). Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import gradserve as gs  # noqa: E402

from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks._server import free_port, server_env, stop, wait_ready  # noqa: E402
from benchmarks.server_wakeups import main_thread  # noqa: E402

PARTS = {
    "coarse": [("asyncio.selector_events", "_SelectorSocketTransport._read_ready__data_received", "read"),
               ("service.http_guard", "HeadGuard.data_received", "protocol"),
               ("uvicorn.protocols.http.httptools_impl", "HttpToolsProtocol.data_received", "parse"),
               ("service.lean_http", "LeanProtocol._lean_start", "job"),
               ("asyncio.selector_events", "_SelectorSocketTransport.write", "send"),
               ("service.http_app", "decode_job", "decode"),
               ("service.jobs", "JobCall.run_now", "run_now"),
               ("service.pools", "Pool.run_inline", "lane"),
               ("engine.executor", "Plan.run_host", "compute"),
               ("service.http_app", "_small_answer", "answer")],
    "front": [("service.lean_http", "LeanProtocol._lean_start", "job"),
              ("service.http_app", "client_of", "client_of"),
              ("service.jobs", "JobCall.__init__", "jobcall"),
              ("service.client_shm", "RegionIO.__init__", "regionio"),
              ("service.jobs", "JobCall.admit", "admit"),
              ("service.jobs", "JobCall.close", "close"),
              ("service.lean_http", "LeanProtocol.on_response_complete", "response_complete")],
}

# the server's main, its functions named in argv[2] (JSON) wrapped; the sums written to argv[1] when asked
LAUNCH = r'''
import importlib, json, os, sys, threading, time
out, parts = sys.argv[1], json.loads(sys.argv[2])
tt, acc = time.thread_time_ns, {}
def wrap(modname, qual, key):
    m = importlib.import_module(modname)
    owner, attr = (m, qual) if "." not in qual else (getattr(m, qual.split(".")[0]), qual.split(".")[1])
    f = getattr(owner, attr)
    acc[key] = [0, 0]
    def w(*a, _f=f, _c=acc[key], **k):
        t = tt()
        try:
            return _f(*a, **k)
        finally:
            _c[0] += tt() - t
            _c[1] += 1
    setattr(owner, attr, w)
for p in parts:
    wrap(*p)
def dump():
    while True:
        if os.path.exists(out + ".ask"):
            os.unlink(out + ".ask")
            with open(out + ".tmp", "w") as f:
                f.write(json.dumps(acc))
            os.rename(out + ".tmp", out)
        time.sleep(0.02)
threading.Thread(target=dump, daemon=True).start()
from service.cli import main
sys.argv = ["gradserve-server"]
sys.exit(main())
'''


def sums(out: str) -> dict:
    """The server's {part: [ns, calls]} so far."""
    if os.path.exists(out):
        os.unlink(out)
    Path(out + ".ask").touch()
    end = time.monotonic() + 30
    while not os.path.exists(out):
        if time.monotonic() > end:
            raise RuntimeError("the server wrote no sums")
        time.sleep(0.01)
    return json.loads(Path(out).read_text())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("pynative", "graph"), default="pynative")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--parts", choices=tuple(PARTS), default="coarse")
    args = ap.parse_args()
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"server_insitu_{os.getpid()}.json")
    port = free_port()
    env = server_env({}, GRADSERVE_PORT=str(port), GRADSERVE_GRPC_PORT=str(free_port()), GRADSERVE_DEVICES="cpu")
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, out, json.dumps(PARTS[args.parts])], env=env,
                            cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, url + "/v2/health/ready")
        gs.set_context(server=url, device_target="CPU")
        if args.mode == "graph":
            LW.graph_mode(gs)
        call = LW.dp_step_call(gs)
        for _ in range(100):
            call()
        for _ in range(args.rounds):
            a, c0 = sums(out), main_thread(proc.pid)[1]
            for _ in range(args.steps):
                call()
            main_us, b = (main_thread(proc.pid)[1] - c0) / args.steps * 1e6, sums(out)
            per = {k: ((b[k][0] - a[k][0]) / args.steps / 1e3, (b[k][1] - a[k][1]) / args.steps) for k in b}
            print(f"{args.mode}: main thread {main_us:.1f} us a step (load {os.getloadavg()[0]:.1f}) | "
                  + "  ".join(f"{k} {us:.1f} ({n:.2f}x)" for k, (us, n) in per.items()), flush=True)
    finally:
        gs.reset_context()
        stop(proc)
        for f in (out, out + ".ask", out + ".tmp"):
            if os.path.exists(f):
                os.unlink(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
