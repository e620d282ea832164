"""Attack: do BF16 bodies at the size limit hold more server memory than FP32 ones (a float32 copy per input)?

A real server (max_body_bytes 16 MiB, so body_budget_bytes 32 MiB; max_elements 2^23); 8 clients at once send
3 bodies each at the limit, BF16 vs FP32, in each encoding (JSON data, b64, binary); the server process's peak
RSS (VmHWM, reset through clear_refs) above its RSS before. Run:
PYTHONPATH=.:clients/python:tests python benchmarks/bf16_body_rss.py
"""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import ml_dtypes
import numpy as np

from engine import GraphBuilder
from engine.serialize import graph_to_json
from e2e.helpers import call
from e2e.server import Server

MIB = 1 << 20
LIMIT = 16 * MIB


def kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith(field + ":"))


def main():
    s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu",
               env={"GRADSERVE_MAX_BODY_BYTES": str(LIMIT), "GRADSERVE_MAX_ELEMENTS": str(1 << 23),
                    "GRADSERVE_MAX_JOB_BYTES": str(1 << 30)})
    try:
        for enc in ("binary", "b64", "json"):
            for dt in ("float32", "bfloat16", "float32", "bfloat16"):
                npdt = np.dtype(ml_dtypes.bfloat16) if dt == "bfloat16" else np.dtype(np.float32)
                # near the limit: raw bytes, b64 (4/3), JSON numbers (~20 bytes each as 0.xxx... : use short ones)
                per = {"binary": npdt.itemsize, "b64": npdt.itemsize * 4 / 3, "json": 6}[enc]
                n = int(LIMIT * 0.9 / per)
                gb = GraphBuilder("g")
                x = gb.input((n,), dt, name="x")
                body = {"graph": graph_to_json(gb.build(gb.sum(gb.mul(x, x)))),
                        "inputs": [np.full(n, 0.5, npdt)]}
                codes = []

                def attack():
                    with s.client(timeout=300) as c:
                        for _ in range(3):
                            codes.append(call(c, "eval", body, enc=enc).status_code)
                with s.client() as c:
                    assert c.get("/v1/devices").status_code == 200
                pid = s.proc.pid
                base = kb(pid, "VmRSS")
                with open(f"/proc/{pid}/clear_refs", "w") as f:
                    f.write("5")
                ths = [threading.Thread(target=attack) for _ in range(8)]
                for th in ths:
                    th.start()
                for th in ths:
                    th.join()
                print(f"{enc:6s} {dt:8s} n={n:>8d} peak-base={(kb(pid, 'VmHWM') - base) / 1024:7.1f} MiB "
                      f"codes={sorted(set(codes))} ok={codes.count(200)}/24", flush=True)
    finally:
        s.stop()


if __name__ == "__main__":
    main()
