"""L3's cost per call end to end, in CPU time, client and server, source trees alternating in one run (issue #13).

    python benchmarks/l3_cpu.py --tree base=/tmp/base --tree new=.     # A/B
    python benchmarks/l3_cpu.py                                          # this tree alone
    python benchmarks/l3_cpu.py --port 18100 ...                         # servers on ports from 18100 up

Per tree: one real server of that tree (`python -m service.cli`, default settings) and one client process
with that tree's SDK running L3's chain as loops_bench does (ops.value_and_grad of the logistic-regression
log-density, each call's input the previous one's update; over the server's Unix socket, as the SDK picks
it on a loopback URL). Beside them the bar's floor: loops_bench's bare FastAPI echo under uvicorn on a Unix
socket, posted L3's JSON request body through this tree's HTTP transport (`HTTPTransport.send`).
Each round runs N calls on each client in turn (the order alternating round by round); per call: the wall
time (median within the round), the client process's CPU (all threads) and the server's main process's CPU
(all threads: the inline lane computes a small job there), from /proc/<pid>/task/*/schedstat (ns). Medians
over rounds. Wall times on a loaded box rank nothing; CPU per call is what carries over, and only between
trees measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _paths(tree: str) -> str:
    return f"{tree}:{tree}/clients/python"


# -- the client processes ----------------------------------------------------------------------------
def client_main(kind: str, url: str) -> None:
    """(a subprocess, its tree on PYTHONPATH) Read N from stdin, run N calls, write [wall medians s, cpu s]."""
    sys.path[:0] = [str(ROOT)]
    import gradserve as gs
    from benchmarks import loops_workloads as LW

    X, y = LW.logreg_data()
    w0 = np.zeros(X.shape[1], np.float32)
    if kind == "sdk":
        gs.set_context(server=url)
        LW.graph_mode(gs)
        vg = gs.ops.value_and_grad(LW.logp_sdk(gs, X, y))
        state = {"w": w0.copy()}

        def call():
            v, g = vg(gs.Tensor(state["w"]))
            g = np.asarray(g.asnumpy())
            return g

        def after(g):
            state["w"] = state["w"] + 1e-3 * g  # the next call depends on this one
    else:
        from gradserve._transport.http import HTTPTransport
        from gradserve._wire import encode_request

        content, headers = encode_request({"graph_id": "sha256:" + "0" * 64, "inputs": [w0], "device": "cpu"},
                                          binary=False)
        echo = HTTPTransport(url)

        def call():
            return echo.send("POST", "/echo", content, headers)

        def after(r):
            pass
    for line in sys.stdin:
        n = int(line)
        ts = []
        c0 = time.process_time()
        for _ in range(n):
            t = time.perf_counter()
            r = call()
            ts.append(time.perf_counter() - t)
            after(r)
        c1 = time.process_time()
        print(json.dumps([float(np.median(ts)), (c1 - c0) / n]), flush=True)


class _Client:
    def __init__(self, tree: str, kind: str, url: str):
        env = dict(os.environ, PYTHONPATH=_paths(tree))
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "l3_cpu.py"), "--_client", kind, url],
                                     env=env, cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, n: int) -> tuple[float, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{n}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"client exited with {self.proc.wait()}")
        wall, cpu = json.loads(line)
        return wall, cpu

    def close(self):
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(30)


def _wait(pred, what: str, proc, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if pred():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", default=[], help="name=path of a source tree (repeat)")
    ap.add_argument("--n", type=int, default=500, help="calls per client per round")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--port", type=int, default=0, help="first port for the servers (each takes two); 0: free ports")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--_client", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._client:
        client_main(*args._client)
        return 0
    sys.path[:0] = [str(ROOT)]
    import httpx

    from benchmarks._server import cpu_ns, free_port, server_env, stop
    from benchmarks.loops_bench import _UDS_ECHO

    trees = [tuple(t.split("=", 1)) for t in args.tree] or [("this", str(ROOT))]
    ports = iter(range(args.port, args.port + 64)) if args.port else None
    port = (lambda: next(ports)) if ports else free_port
    tmp = tempfile.mkdtemp(prefix="l3cpu-")
    procs, clients = [], {}
    try:
        sock = os.path.join(tmp, "echo.sock")
        echo = subprocess.Popen([sys.executable, "-c", _UDS_ECHO, sock, str(ROOT)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        procs.append(echo)
        servers = {}
        for name, tree in trees:
            p, g = port(), port()
            env = server_env({"PYTHONPATH": _paths(tree)}, GRADSERVE_PORT=str(p), GRADSERVE_GRPC_PORT=str(g),
                             GRADSERVE_DEVICES="cpu")
            proc = subprocess.Popen([sys.executable, "-m", "service.cli"], env=env, cwd=tree,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(proc)
            url = f"http://127.0.0.1:{p}"

            def up(url=url):
                try:
                    return httpx.get(url + "/v2/health/ready", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False
            _wait(up, f"server {name}", proc)
            servers[name] = (proc, url)
        _wait(lambda: os.path.exists(sock), "echo", echo)
        for name, tree in trees:
            clients[name] = _Client(tree, "sdk", servers[name][1])
        clients["echo"] = _Client(trees[-1][1], "echo", "http+unix://" + quote(sock, safe=""))
        pids = {name: servers[name][0].pid for name, _ in trees}
        pids["echo"] = echo.pid
        order = list(clients)
        for c in clients.values():  # warm-up: traces, registrations, the Unix socket found, the server's caches
            c.run(200)
        res: dict = {k: [] for k in order}
        for r in range(args.rounds):
            for name in (order if r % 2 == 0 else order[::-1]):
                s0 = cpu_ns(pids[name])
                wall, ccpu = clients[name].run(args.n)
                s1 = cpu_ns(pids[name])
                res[name].append((wall * 1e6, ccpu * 1e6, (s1 - s0) / args.n / 1e3))
        out = {}
        for name, rows in res.items():
            a = np.array(rows)
            med = np.median(a, axis=0)
            out[name] = {"wall_us": float(med[0]), "client_cpu_us": float(med[1]), "server_cpu_us": float(med[2]),
                         "rounds": a.round(1).tolist()}
        ew = out["echo"]["wall_us"]
        for name, _ in trees:  # the ratio of the medians, and the median of each round's ratio
            out[name]["ratio_to_echo"] = out[name]["wall_us"] / ew
            out[name]["round_ratio_median"] = float(np.median([a[0] / b[0] for a, b in zip(res[name], res["echo"])]))
        out["load_avg"] = os.getloadavg()
        for name in order:
            o = out[name]
            extra = f"  ratio {o['ratio_to_echo']:.2f} (rounds' median {o['round_ratio_median']:.2f})" \
                if name != "echo" else ""
            print(f"{name:8s} wall {o['wall_us']:7.1f} us  client cpu {o['client_cpu_us']:6.1f} us  "
                  f"server cpu {o['server_cpu_us']:6.1f} us{extra}")
        print("load", out["load_avg"])
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=1))
    finally:
        for c in clients.values():
            try:
                c.close()
            except Exception:  # noqa: BLE001
                c.proc.kill()
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
