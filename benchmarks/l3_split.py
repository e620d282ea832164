"""Where one L3 call's wall time goes, and the server's CPU per request beside the bare echo's (issue #13).

    python benchmarks/l3_split.py [--n 400] [--rounds 6]

One real server of this tree (loops_bench.Server) and, in this process, the SDK running L3's chain as
loops_bench does (GRAPH_MODE, each call's input the last one's update). Per round, in turn:
- "sdk": the SDK's call, split at its transport's `send` (HTTPTransport.send, wrapped): before it (the SDK's
  own work up to the request's bytes), the send (the wire and the server), after it (the answer into Tensors);
- "server": the request the SDK sends, posted raw through the same transport (the server's share alone);
- "echo": loops_bench's bare FastAPI echo on a Unix socket, posted L3's JSON body (the bar's floor).
Each with the serving process's CPU per request (every thread's, /proc/<pid>/task/*/schedstat). Medians over
rounds. Wall times on a shared box rank nothing across runs; within one run they are side by side.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import gradserve as gs  # noqa: E402
from gradserve._transport.http import HTTPTransport  # noqa: E402
from gradserve._wire import encode_request  # noqa: E402

from benchmarks import loops_bench as LB  # noqa: E402
from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks._server import cpu_ns  # noqa: E402


def sdk_round(vg, tr, w, n: int) -> tuple[list, np.ndarray]:
    """n chained SDK calls: per call (total, before send, send, after send) in us; the last input."""
    marks: list = []
    send = tr.send

    def timed(*a, **k):
        t0 = time.perf_counter_ns()
        r = send(*a, **k)
        marks.append((t0, time.perf_counter_ns()))
        return r
    tr.send = timed
    rows = []
    try:
        for _ in range(n):
            t = time.perf_counter_ns()
            g = vg(gs.Tensor(w))[1].asnumpy()
            e = time.perf_counter_ns()
            s0, s1 = marks[-1]
            rows.append(((e - t) / 1e3, (s0 - t) / 1e3, (s1 - s0) / 1e3, (e - s1) / 1e3))
            w = w + 1e-3 * g
    finally:
        del tr.send  # (the instance attribute: the class's method again)
    return rows, w


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    srv, tmp, uproc = LB.Server(), tempfile.mkdtemp(prefix="echo-"), None
    try:
        gs.set_context(server=srv.url, device_target="CPU")
        LW.graph_mode(gs)
        X, y = LW.logreg_data()
        vg = gs.ops.value_and_grad(LW.logp_sdk(gs, X, y))
        w = np.zeros(X.shape[1], np.float32)
        for _ in range(30):
            vg(gs.Tensor(w))
        client = gs.context.client()
        tr = client._transport
        prog = next(iter(next(iter(gs.ops._autodiff._caches[vg.fn].values())).values()))
        body = {"graph_id": client._known[prog.ref().hash], "inputs": [w], "device": "cpu"}
        content, headers = encode_request(body, binary=False)  # (the echo's JSON body, as loops_bench)
        raw, raw_headers = encode_request(dict(body, binary_output=True), binary=True)
        uproc, uurl = LB._echo_server_unix(os.path.join(tmp, "echo.sock"))
        echo = HTTPTransport(uurl)
        posts = {"echo": (uproc.pid, lambda: echo.send("POST", "/echo", content, headers)),
                 "server": (srv.proc.pid, lambda: tr.send("POST", "/v1/eval", raw, raw_headers))}
        for _ in range(30):
            for _, post in posts.values():
                post()
        wall: dict = {k: [] for k in ("echo", "server", "sdk")}
        cpu: dict = {k: [] for k in wall}
        split: list = []
        for _ in range(args.rounds):
            for name, (pid, post) in posts.items():
                c0, ts = cpu_ns(pid), []
                for _ in range(args.n):
                    t = time.perf_counter()
                    post()
                    ts.append(time.perf_counter() - t)
                wall[name].append(np.median(ts) * 1e6)
                cpu[name].append((cpu_ns(pid) - c0) / args.n / 1e3)
            c0 = cpu_ns(srv.proc.pid)
            rows, w = sdk_round(vg, tr, w, args.n)
            cpu["sdk"].append((cpu_ns(srv.proc.pid) - c0) / args.n / 1e3)
            wall["sdk"].append(np.median([r[0] for r in rows]))
            split.append(np.median(np.array(rows), axis=0))
        for name in wall:
            print(f"{name:7s} wall {np.median(wall[name]):6.1f} us   serving process CPU {np.median(cpu[name]):6.1f} us")
        s = np.median(np.array(split), axis=0)
        print(f"sdk call split: before send {s[1]:.1f} us, send {s[2]:.1f} us, after send {s[3]:.1f} us")
        echo.close()
    finally:
        gs.reset_context()
        if uproc is not None:
            uproc.terminate()
            uproc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
        srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
