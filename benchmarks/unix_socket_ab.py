"""The same small job requests over loopback TCP and over the server's Unix socket (setting uds_path), one
server, interleaved: CPU per request of the server's main process (/proc/<pid>/stat, 10 ms ticks: use
N >= 500), of this client, and wall time. L3's and L1's requests as the SDK sends them (captured once,
benchmarks/percall_cpu.py). Medians over rounds; the machine is shared, so only the side-by-side ratio
carries over.

    python benchmarks/unix_socket_ab.py [--n 500] [--rounds 8]
"""
from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

from benchmarks.percall_cpu import RID, _cpu, capture  # noqa: E402


def rounds(reqs: dict, n: int, k: int) -> dict:
    import httpx

    from benchmarks._server import free_port, server_env, stop, wait_ready
    from gradserve._transport._http1 import HTTP1Client

    port = free_port()
    env = server_env({}, GRADSERVE_PORT=str(port), GRADSERVE_GRPC_PORT=str(free_port()), GRADSERVE_DEVICES="cpu")
    proc = subprocess.Popen([sys.executable, "-m", "service.cli"], env=env, cwd=str(ROOT),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    clients: list = []
    try:
        wait_ready(proc, url + "/v2/health/ready")
        path = httpx.get(url + "/v1/local", timeout=10).json()["unix_socket"]
        tcp, unix = HTTP1Client(url, {"user-agent": "unix_socket_ab"}, 60), HTTP1Client(url, {}, 60)
        unix.unix_path = path
        clients += [("tcp", tcp), ("unix", unix)]
        for r in reqs["regs"]:
            tcp.request("POST", "/v1/graphs", r[2], r[3], 60)
        out: dict = {}
        for wl in ("l3", "l1"):
            _, p, content, headers, *_ = reqs[wl]
            headers = dict(headers, **{"x-request-id": RID})
            for _, c in clients:
                for _ in range(200):
                    assert c.request("POST", p, content, headers, 60).status == 200
            for i in range(k):
                for name, c in (clients if i % 2 == 0 else clients[::-1]):
                    m0, c0, t0 = _cpu(proc.pid), time.process_time(), time.perf_counter()
                    for _ in range(n):
                        c.request("POST", p, content, headers, 60)
                    t1, c1, m1 = time.perf_counter(), time.process_time(), _cpu(proc.pid)
                    out.setdefault(f"{wl} {name}", []).append([(m1 - m0) / n, (c1 - c0) / n, (t1 - t0) / n])
        return {key: dict(zip(("main_cpu_us", "client_cpu_us", "wall_us"),
                              (float(x) * 1e6 for x in np.median(np.array(v), axis=0)))) for key, v in out.items()}
    finally:
        for _, c in clients:
            c.close()
        stop(proc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "reqs.pkl"
        capture(f)
        res = rounds(pickle.loads(f.read_bytes()), args.n, args.rounds)
    for key, v in res.items():
        print(f"{key:8s} " + "  ".join(f"{a} {b:7.1f}" for a, b in v.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
