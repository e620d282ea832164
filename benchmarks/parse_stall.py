"""How long health probes wait while one sequential client posts large JSON bodies (reliab10 leftover 1).

A real server (one cpu worker); one client posts N /v1/eval bodies of MIB MiB of JSON numbers one after the
other, under its parse share; a prober meanwhile GETs /v2/health/live every 50 ms. Prints the probes' latency
p50 / p90 / max, the server's peak RSS growth, and the JSON-decoder processes' peak RSS (service.json_decoder).

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/parse_stall.py [MIB] [N] [JSON_DECODERS] [UMBRIDGE: 0 /v1/eval, 1 /umbridge/Evaluate]
"""
from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from engine import GraphBuilder
from engine.serialize import graph_to_json
from e2e.server import Server


def body_of(mib: int) -> tuple[bytes, int]:
    n = (mib << 20) // 7
    gb = GraphBuilder("net")
    out = gb.sum_to(gb.sin(gb.input((n,), name="x")), (1,))
    head = {"graph": graph_to_json(gb.build(out)), "inputs": [{"name": "x", "shape": [n], "datatype": "FP32",
                                                               "data": "@"}]}
    return json.dumps(head).replace('"@"', "[" + ",".join(["0.5123"] * n) + "]").encode(), n


def kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def health_probe(s, stop: threading.Event, lat: list, every: float = 0.05) -> threading.Thread:
    """A second client asking /v2/health/live every `every` s until `stop`, each latency appended to `lat` (started)."""
    def probe():
        with s.client(timeout=120) as c:
            while not stop.is_set():
                t0 = time.perf_counter()
                c.get("/v2/health/live")
                lat.append(time.perf_counter() - t0)
                time.sleep(every)

    th = threading.Thread(target=probe)
    th.start()
    return th


def umbridge_body_of(mib: int, root: Path) -> tuple[bytes, int]:
    """An UM-Bridge Evaluate body of one vector of about `mib` MiB, for the repository model "big" (written)."""
    from oip.models import write_model

    n = (mib << 20) // 7
    gb = GraphBuilder("big")
    write_model(root, "big", graph_to_json(gb.build(gb.sum_to(gb.sin(gb.input((n,), "float64", name="x")), (1,)))),
                {"kind": "eval"})
    return json.dumps({"name": "big", "input": ["@"]}).replace('"@"', "[" + ",".join(["0.5123"] * n) + "]") \
        .encode(), n


def main(mib: int = 40, n_bodies: int = 6, decoders: int = 2, umbridge: int = 0) -> None:
    tmp = Path(tempfile.mkdtemp())
    body, n = umbridge_body_of(mib, tmp / "repo") if umbridge else body_of(mib)
    path = "/umbridge/Evaluate" if umbridge else "/v1/eval"
    repo = {"GRADSERVE_MODEL_REPOSITORY": str(tmp / "repo")} if umbridge else {}  # (written for UM-Bridge only)
    s = Server(tmp / "server.log", devices="cpu", env={**repo,
        "GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_BODY_BYTES": str((mib + 8) << 20),
        "GRADSERVE_MAX_ELEMENTS": str(n + 1), "GRADSERVE_DEFAULT_DEADLINE_S": "300",
        "GRADSERVE_JSON_DECODERS": str(decoders)})
    lat: list[float] = []
    stop = threading.Event()
    codes: list = []
    try:
        pid = s.proc.pid
        before = set(children(pid))
        base = kb(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")

        th = health_probe(s, stop, lat)
        t0 = time.perf_counter()
        with s.client(timeout=600) as c:
            for _ in range(n_bodies):
                r = c.post(path, content=body, headers={"content-type": "application/json"})
                codes.append(r.status_code)
                if r.status_code == 200:
                    got = r.json()["output"][0][0] if umbridge else r.json()["outputs"][0]["data"][0]
                    assert abs(got - n * np.sin(np.float32(0.5123))) < 1e-3 * n, r.text[:200]
        wall = time.perf_counter() - t0
        stop.set()
        th.join()
        grew = (kb(pid, "VmHWM") - base) / 1024
        dec = [(kb(c, "VmHWM") / 1024, kb(c, "VmRSS") / 1024) for c in set(children(pid)) - before]
        a = np.array(lat) * 1e3
        print(f"{path} json_decoders={decoders}: {mib} MiB x {n_bodies} ({wall:.1f} s, codes {codes}); probes {len(a)}: p50 {np.median(a):.1f} ms, "
              f"p90 {np.percentile(a, 90):.1f} ms, max {a.max():.0f} ms, >100 ms {np.mean(a > 100) * 100:.0f}%; "
              f"server peak RSS +{grew:.0f} MiB; new children's (peak, idle) RSS {[(round(p), round(i)) for p, i in dec]} MiB")
    finally:
        stop.set()
        s.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
