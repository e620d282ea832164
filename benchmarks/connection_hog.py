"""One peer holding many idle connections (reliab6 item 2) against a real server with its defaults (one cpu worker,
max_connections 1000): the peer (127.0.0.1) opens N connections that send nothing, re-opening each the server
closes (header_timeout_s), while a second peer (127.0.0.2, loopback's other address) asks /v2/health/live
and evaluates a small graph once a second. Prints the second peer's answers by status and its worst latency.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/connection_hog.py [N] [SECONDS]
"""
from __future__ import annotations

import collections
import selectors
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from e2e.server import Server

SIN = {"graph": {"format": "gradserve.graph/1", "name": "s", "inputs": [{"name": "x", "shape": [1], "dtype": "float32"}],
                 "params": [], "nodes": [{"op": "sin", "inputs": ["x"], "outputs": ["y"], "attrs": {}}],
                 "outputs": "y"}, "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [0.5]}]}


def hog(port: int, n: int, stop: threading.Event, opened: list) -> None:
    """Keep n silent connections from 127.0.0.1 open: each the server closes is opened again."""
    sel = selectors.DefaultSelector()

    def one():
        s = socket.create_connection(("127.0.0.1", port))
        sel.register(s, selectors.EVENT_READ)
        opened[0] += 1

    for _ in range(n):
        one()
    while not stop.is_set():
        for key, _ in sel.select(0.2):
            try:
                data = key.fileobj.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                one()
    for key in list(sel.get_map().values()):
        key.fileobj.close()


def main(n: float = 2000, seconds: float = 20) -> None:
    n = int(n)
    tmp = Path(tempfile.mkdtemp())
    s = Server(tmp / "server.log", devices="cpu", base_env={}, env={"GRADSERVE_CPU_WORKERS": "1"})
    try:
        stop, opened = threading.Event(), [0]
        th = threading.Thread(target=hog, args=(s.port, n, stop, opened), daemon=True)
        th.start()
        while opened[0] < n:
            time.sleep(0.1)
        got, worst = collections.Counter(), 0.0
        end = time.monotonic() + seconds
        # a fresh connection each time, from the other peer (a keep-alive one would keep its place)
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=60,
                          limits=httpx.Limits(max_keepalive_connections=0)) as c:
            while time.monotonic() < end:
                for method, route, body in (("GET", "/v2/health/live", None), ("POST", "/v1/eval", SIN)):
                    t0 = time.perf_counter()
                    try:
                        code = c.request(method, s.url.replace("localhost", "127.0.0.1") + route, json=body).status_code
                    except httpx.HTTPError as e:
                        code = type(e).__name__
                    worst = max(worst, time.perf_counter() - t0)
                    got[f"{route} {code}"] += 1
                time.sleep(1)
        stop.set()
        th.join()
        print(f"{n} idle connections from one peer ({opened[0]} opened in all): the other peer got {dict(got)}, "
              f"worst {worst * 1e3:.0f} ms", flush=True)
    finally:
        s.stop()


if __name__ == "__main__":
    main(*map(float, sys.argv[1:]))
