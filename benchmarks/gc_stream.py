"""A stream of overlapping large graph registrations (reliab5 gap 1): CLIENTS clients each register distinct chains
of NODES nodes back to back for SECONDS, so that one registration's collector pause (service.gc_pause) always
overlaps another's, while a second client probes /v2/health/live every 50 ms. From the server's timeline
(GRADSERVE_TIMELINE: a stamp around each collection), the longest time the server went without any collection
during the stream, how many it ran, their total, and the probes' worst; the server's RSS growth.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/gc_stream.py [CLIENTS] [NODES] [SECONDS] [CAP_S]

CAP_S: the server's gc_pause_max_s (default its own; 3600: in effect no cap, as before it existed).
"""
from __future__ import annotations

import glob
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

from engine import GraphBuilder
from engine.serialize import graph_to_json
from e2e.server import Server
from parse_stall import health_probe, kb


def chain(nodes: int, tag: str) -> dict:
    """x -> sin -> ... -> sin named `tag` (each tag a distinct graph: a new load, not a cache hit)."""
    gb = GraphBuilder(tag)
    y = gb.input((4,), name="x")
    for _ in range(nodes - 1):
        y = gb.sin(y)
    return graph_to_json(gb.build(y))


def collections(tl: Path, pid: int, start_ns: int, end_ns: int) -> tuple[int, float, float, float]:
    """The server's collections between start and end: count, total ms, the longest gap without one and the
    longest one (ms)."""
    stamps = []
    for f in glob.glob(str(tl / f"{pid}.tl")):
        for line in open(f):
            _, name, ns = line.split()
            if name.startswith("gc.") and start_ns <= int(ns) <= end_ns:
                stamps.append((int(ns), name))
    stamps.sort()
    begun, total, n, last, gap, longest = {}, 0.0, 0, start_ns, 0, 0
    for ns, name in stamps:
        _, phase, gen = name.split(".")
        if phase == "start":
            begun[gen] = ns
            gap = max(gap, ns - last)
        elif gen in begun:
            took = ns - begun.pop(gen)
            total, longest = total + took, max(longest, took)
            n += 1
            last = ns
    return n, total / 1e6, max(gap, end_ns - last) / 1e6, longest / 1e6


def main(clients: int = 3, nodes: int = 8192, seconds: float = 20.0, cap_s: float | None = None) -> None:
    tmp = Path(tempfile.mkdtemp())
    tl = tmp / "tl"
    tl.mkdir()
    env = {"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_TIMELINE": str(tl)}
    if cap_s is not None:
        env["GRADSERVE_GC_PAUSE_MAX_S"] = str(cap_s)
    s = Server(tmp / "server.log", devices="cpu", base_env={}, env=env)
    bodies = [[json.dumps({"graph": chain(nodes, f"c{c}_{i}")}).encode() for i in range(16)] for c in range(clients)]
    answers: list[int] = []
    stop = threading.Event()

    def register(mine: list):
        with s.client(timeout=600) as c:
            i = 0
            while not stop.is_set():
                r = c.post("/v1/graphs", content=mine[i % len(mine)], headers={"content-type": "application/json"})
                answers.append(r.status_code)
                i += 1

    try:
        pid = s.proc.pid
        base = kb(pid, "VmRSS")
        lat: list[float] = []
        probe = health_probe(s, stop, lat)
        t0 = time.monotonic_ns()
        threads = [threading.Thread(target=register, args=(b,)) for b in bodies]
        for th in threads:
            th.start()
        time.sleep(seconds)
        stop.set()
        for th in threads + [probe]:
            th.join()
        t1 = time.monotonic_ns()
        rss = (kb(pid, "VmRSS") - base) / 1024
    finally:
        s.stop()
    n, total, gap, longest = collections(tl, pid, t0, t1)
    codes = {c: answers.count(c) for c in sorted(set(answers))}
    print(f"{clients} clients x {nodes}-node registrations for {seconds:.0f} s: answers {codes} | server: {n} "
          f"collections ({total:.0f} ms, longest {longest:.0f}), longest without one {gap:.0f} ms | probes worst "
          f"{max(lat, default=0) * 1e3:.0f} ms | RSS +{rss:.0f} MiB", flush=True)


if __name__ == "__main__":
    main(*(f(a) for f, a in zip((int, int, float, float), sys.argv[1:])))
