"""Attack replays on a JSON body's shape (reliab3): many tiny tensors, millions of empty containers, deep nesting,
each against a real server with its defaults (one cpu worker, max_body_bytes 64 MiB) while a second client
probes /v2/health/live every 50 ms. Prints each attack's answer, wall time, the probes' worst latency and the
server's peak RSS growth.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/body_shape_attacks.py [tensors] [nest] [edge]

Measured on the 2-core helper box under load (before -> after max_tensors on HTTP and max_json_containers):
1 M tiny inputs 22.8 s, probes 2.8 s, +709 MiB -> 413 in 3.6 s, probes 25 ms, +53 MiB (max_tensors; with the 1 M
max_json_containers, refused first by its 3 M containers: 3.7 s, probes 304 ms); 8 M `[]` 11.6-16.5 s,
probes 3.5 s, +630 MiB -> 413 in 0.6 s, probes 10 ms, +23 MiB; 990 K `[]` (under the 1 M cap) still 4.2 s,
probes 1.1 s, +81 MiB. reliab4 (the collector paused while a body is parsed and unpickled, service.gc_pause), same
load: 990 K `[]` first / again 4.7 / 2.9 s, probes 1091 / 779 ms -> 1.5 / 0.8 s, probes 71 / 75 ms, +74 MiB.
"""
from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from engine import GraphBuilder
from engine.serialize import graph_to_json
from e2e.server import Server
from parse_stall import health_probe, kb

ONE = b'{"name":"x","shape":[],"datatype":"FP32","data":[0]}'


def attack(s: Server, name: str, send) -> None:
    lat: list[float] = []
    stop = threading.Event()
    pid = s.proc.pid
    base = kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM from now
    th = health_probe(s, stop, lat)
    t0 = time.perf_counter()
    out = send()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    worst = max(lat, default=0.0) * 1e3
    print(f"{name}: {wall:.1f} s -> {out[0]} {out[1][:160]} | {len(lat)} probes, worst {worst:.0f} ms | "
          f"server peak RSS +{(kb(pid, 'VmHWM') - base) / 1024:.0f} MiB", flush=True)


def main(which: list[str]) -> None:
    tmp = Path(tempfile.mkdtemp())
    s = Server(tmp / "server.log", devices="cpu", base_env={},
               env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_BODY_BYTES": str(64 << 20)})
    try:
        with s.client(timeout=300) as c:
            gb = GraphBuilder("g")
            gid = c.post("/v1/graphs", json={"graph": graph_to_json(gb.build(gb.sin(gb.input((1,), name="x"))))}) \
                .json()["graph_id"].encode()

            def post(body: bytes, route: str = "/v1/eval"):
                return lambda: (lambda r: (r.status_code, r.text))(
                    c.post(route, content=body, headers={"content-type": "application/json"}))

            if "tensors" in which:
                attack(s, "1 M inputs", post(b'{"graph_id":"%s","inputs":[' % gid + b",".join([ONE] * 10 ** 6) + b"]}"))
            if "nest" in which:
                d = 20_000_000
                attack(s, "nested [ 20 M deep", post(b'{"graph_id":"g","inputs":' + b"[" * d + b"]" * d + b"}"))
                attack(s, "8 M [] in a list", post(b'{"graph_id":"g","x":[' + b",".join([b"[]"] * 8_000_000) + b"]}"))
                attack(s, "register 8 M {}", post(b'{"graph":{"nodes":[' + b",".join([b"{}"] * 8_000_000) + b"]}}",
                                                  "/v1/graphs"))
            if "edge" in which:
                for when in ("first: a decoder process spawned", "again"):
                    attack(s, f"990 K [] (under max_json_containers), {when}",
                           post(b'{"graph_id":"g","x":[' + b",".join([b"[]"] * 990_000) + b"]}"))
                attack(s, "65536 inputs (at max_tensors)",
                       post(b'{"graph_id":"%s","inputs":[' % gid + b",".join([ONE] * 65536) + b"]}"))
        print("server RSS now", kb(s.proc.pid, "VmRSS") >> 10, "MiB")
    finally:
        s.stop()


if __name__ == "__main__":
    main(sys.argv[1:] or ["tensors", "nest", "edge"])
