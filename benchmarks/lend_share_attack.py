"""Attack: can one client keep cores lent to its own jobs so that another client's small jobs wait?

A real server (2 pinned cpu workers) per mode: the attacker loops W2-sized lent jobs (chained 256x256 matmuls,
one in flight) while the victim sends small calls one after another; the victim's latency p50 / p90, the
queue_ms the server reports and the lane its calls ran on. Modes: victim alone, attacker with lending on,
attacker with lending off. Run: PYTHONPATH=.:clients/python:tests python benchmarks/lend_share_attack.py
"""
from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from e2e.helpers import call, decode, sin_net, slow_input, slow_net, t
from e2e.server import Server

N_SMALL = int(sys.argv[1]) if len(sys.argv) > 1 else 150


def run(mode: str) -> dict:
    env = {"GRADSERVE_LEND_MIN_MS": "0"} if mode != "lend_off" else {"GRADSERVE_LEND_CORES": "false"}
    s = Server(Path(tempfile.mkdtemp()) / "server.log", env=env, devices="cpu")
    stop = threading.Event()
    attacker_jobs, attacker_lent = [0], [0]
    big = {"graph": slow_net(256, 20), "inputs": [t(slow_input(256), enc="b64")], "deadline_ms": 120000}

    def attack():
        with s.client(timeout=120) as c:
            while not stop.is_set():
                r = call(c, "eval", big)
                if r.status_code != 200:  # (the server draining at the end)
                    return
                tm = decode(r)["timing"]
                attacker_jobs[0] += 1
                attacker_lent[0] += tm["threads"] > 1
    try:
        small = {"graph": sin_net(), "inputs": [t(np.array([0.5], dtype=np.float32))]}
        with s.client() as c:
            for _ in range(10):
                decode(call(c, "grad", small))  # warm
            if mode != "alone":
                th = threading.Thread(target=attack, daemon=True)
                th.start()
                time.sleep(2)
            lat, queue, lanes, worst = [], [], {}, (0.0, None, None)
            for _ in range(N_SMALL):
                t0 = time.perf_counter()
                tm = decode(call(c, "grad", small))["timing"]
                lat.append((time.perf_counter() - t0) * 1e3)
                queue.append(tm.get("queue_ms", 0.0))
                lanes[tm.get("lane")] = lanes.get(tm.get("lane"), 0) + 1
                worst = max(worst, (lat[-1], tm.get("lane"), tm.get("compute_ms")))
                time.sleep(0.01)
            stop.set()
            reclaims = [ln for ln in c.get("/metrics").text.splitlines() if ln.startswith("gradserve_lend_reclaims_total")]
    finally:
        stop.set()
        s.stop()
    return {"mode": mode, "p50_ms": round(float(np.percentile(lat, 50)), 2), "p90_ms": round(float(np.percentile(lat, 90)), 2),
            "max_ms": round(max(lat), 1), "worst(lat,lane,compute)": worst, "queue_p90_ms": round(float(np.percentile(queue, 90)), 2), "lanes": lanes,
            "attacker_jobs": attacker_jobs[0], "attacker_lent": attacker_lent[0], "reclaims": reclaims}


if __name__ == "__main__":
    for m in (sys.argv[2].split(",") if len(sys.argv) > 2 else ("alone", "lend_on", "lend_off")):
        print(run(m), flush=True)
