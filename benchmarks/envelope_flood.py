"""A body of many malformed tensor envelopes (`"inputs": [{}, {}, ...]`, ~1.4 million in 4 MiB) against a real
server: the answer's status and time, the server's peak RSS growth, and a second client's /v2/health/live
latency meanwhile (reliab: validation stops at the first bad envelope).

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/envelope_flood.py [MIB] [N]
"""
from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from e2e.server import Server
from parse_stall import health_probe, kb


def flood_body(mib: int) -> bytes:
    n = (mib << 20) // 3
    return b'{"graph_id": "g", "inputs": [' + b",".join([b"{}"] * n) + b"]}"


def main(mib: int = 4, n_bodies: int = 3) -> None:
    tmp = Path(tempfile.mkdtemp())
    body = flood_body(mib)
    s = Server(tmp / "server.log", devices="cpu", env={"GRADSERVE_CPU_WORKERS": "1",
                                                        "GRADSERVE_MAX_BODY_BYTES": str((mib + 1) << 20)})
    lat: list[float] = []
    stop = threading.Event()
    try:
        pid = s.proc.pid
        base = kb(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")

        th = health_probe(s, stop, lat)
        walls, codes = [], []
        with s.client(timeout=600) as c:
            for _ in range(n_bodies):
                t0 = time.perf_counter()
                r = c.post("/v1/eval", content=body, headers={"content-type": "application/json"})
                walls.append(time.perf_counter() - t0)
                codes.append(r.status_code)
        stop.set()
        th.join()
        a = np.array(lat) * 1e3
        print(f"{len(body) >> 20} MiB of {body.count(b'{}')} empty envelopes x {n_bodies}: codes {codes}, "
              f"answer {[round(w, 2) for w in walls]} s; server peak RSS +{(kb(pid, 'VmHWM') - base) / 1024:.0f} MiB; "
              f"probes {len(a)}: p50 {np.median(a):.1f} ms, max {a.max():.0f} ms; error: {r.text[:160]}")
    finally:
        stop.set()
        s.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
