"""A cancel storm (reliab10): one client sends short jobs (~0.1-0.3 s of one core) and goes away as soon as each is
running on a worker (its HTTP connection closed); another client sends small jobs one after another meanwhile.
Printed: the storm's worker restarts (reason "cancelled"), the storm's wall time, the other client's jobs and
their worst latency. Server: 2 cpu workers, API keys k1 (storm) / k2.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/cancel_storm.py [CANCELS]
"""
from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from e2e.helpers import X, Y, body_for, call, matmul_net, metric, slow_input, slow_net
from e2e.server import Server

SHORT = slow_net(256, 12)


def running(c) -> bool:
    return any(w["state"] == "busy" for p in c.get("/v1/devices").json()["pools"] for w in p["workers"])


def go_away_when_running(s: Server, c) -> None:
    body, headers = body_for({"graph": SHORT, "inputs": [slow_input(256)]}, "json")
    head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Authorization": "Bearer k1"}.items())
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(f"POST /v1/eval HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    end = time.monotonic() + 30
    while not running(c) and time.monotonic() < end:
        pass
    sock.close()


def main(cancels: int) -> None:
    s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", base_env={},
               env={"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_API_KEYS": "k1,k2"})
    try:
        c = s.client(headers={"Authorization": "Bearer k2"}, timeout=120)
        t0 = time.perf_counter()
        r = call(c, "eval", {"graph": SHORT, "inputs": [slow_input(256)]})
        print(f"one short job: {r.status_code} {time.perf_counter() - t0:.2f} s")
        before = metric(c, "gradserve_worker_restarts_total", reason="cancelled")
        done, worst, answered = threading.Event(), [0.0], [0]

        def victim():
            while not done.is_set():
                t = time.perf_counter()
                assert call(c, "grad", {"graph": matmul_net(), "inputs": [X, Y]}).status_code == 200
                worst[0], answered[0] = max(worst[0], time.perf_counter() - t), answered[0] + 1

        v = threading.Thread(target=victim)
        v.start()
        t0 = time.perf_counter()
        with s.client(headers={"Authorization": "Bearer k1"}, timeout=120) as storm:
            for _ in range(cancels):
                go_away_when_running(s, storm)
        took = time.perf_counter() - t0
        done.set()
        v.join()
        print(f"{cancels} jobs cancelled while running: {took:.1f} s, worker restarts (cancelled) "
              f"{metric(c, 'gradserve_worker_restarts_total', reason='cancelled') - before:.0f}; the other client: "
              f"{answered[0]} jobs, worst {worst[0] * 1e3:.0f} ms")
    finally:
        s.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
