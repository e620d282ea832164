"""Per-client fairness under a job flood (reliab8): one client (127.0.0.1) keeps N cheap jobs in flight, each
sent again as soon as it is answered (429s included), over HTTP /v1/grad or gRPC Grad; a second client
(127.0.0.2, loopback's other address: another peer host) sends single jobs one after another. Prints the second
client's latency (median / p99 / worst) idle and under each flood, and the flood's answers by status.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/fairness_flood.py [N] [JOBS] [WORK] [http] [grpc]
"""
from __future__ import annotations

import asyncio
import collections
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from engine import GraphBuilder
from engine.serialize import graph_to_json
from e2e.server import Server


def cheap_graph(work: int = 0) -> dict:
    """sum(sin(x)) of x [4]; with `work`, x's mean broadcast to `work` elements, 8 sins deep, then summed (a job
    the worker takes a few ms over, so the flood's jobs queue)."""
    gb = GraphBuilder("cheap")
    x = gb.input((4,), name="x")
    y = gb.sin(x)
    if work:
        y = gb.emit1("broadcast_to", gb.sum(y), shape=[work])
        for _ in range(8):
            y = gb.sin(y)
    return graph_to_json(gb.build(gb.sum(y)))


def job_body(gid: str) -> bytes:
    return json.dumps({"graph_id": gid, "inputs": [{"name": "x", "shape": [4], "datatype": "FP32",
                                                    "data": [0.1, 0.2, 0.3, 0.4]}]}).encode()


async def http_flood(url: str, body: bytes, n: int, stop: threading.Event, codes: collections.Counter) -> None:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as c:
        async def one():
            while not stop.is_set():
                try:
                    r = await c.post("/v1/grad", content=body, headers={"content-type": "application/json"})
                    codes[r.status_code] += 1
                except httpx.HTTPError as e:
                    codes[type(e).__name__] += 1
        await asyncio.gather(*(one() for _ in range(n)))


async def grpc_flood(target: str, gid: str, n: int, stop: threading.Event, codes: collections.Counter) -> None:
    import grpc
    from service.proto import gradserve_pb2_grpc as pb_grpc
    from e2e.grpc_wire import request
    m = request("grad", {"graph_id": gid, "inputs": [np.array([0.1, 0.2, 0.3, 0.4], np.float32)]})
    async with grpc.aio.insecure_channel(target) as ch:
        stub = pb_grpc.GradserveStub(ch)

        async def one():
            while not stop.is_set():
                try:
                    await stub.Grad(m, timeout=120)
                    codes["OK"] += 1
                except grpc.aio.AioRpcError as e:
                    codes[e.code().name] += 1
        await asyncio.gather(*(one() for _ in range(n)))


def flooding(run) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    th = threading.Thread(target=lambda: asyncio.run(run(stop)), daemon=True)
    th.start()
    return stop, th


def second_client(url: str, body: bytes, jobs: int) -> tuple[list[float], collections.Counter]:
    lat, codes = [], collections.Counter()
    with httpx.Client(base_url=url, transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=120) as c:
        for _ in range(jobs):
            t0 = time.perf_counter()
            r = c.post("/v1/grad", content=body, headers={"content-type": "application/json"})
            lat.append(time.perf_counter() - t0)
            codes[r.status_code] += 1
    return lat, codes


def report(name: str, lat: list[float], codes, flood=None) -> None:
    ms = sorted(x * 1e3 for x in lat)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name}: second client {len(ms)} jobs {dict(codes)}: median {statistics.median(ms):.1f} ms, "
          f"p99 {p99:.1f} ms, worst {ms[-1]:.1f} ms" + (f" | flood {dict(flood)}" if flood is not None else ""),
          flush=True)


def main(n: int = 200, jobs: int = 100, work: int = 0, which: tuple = ("http", "grpc")) -> None:
    s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", base_env={}, env={"GRADSERVE_CPU_WORKERS": "1"})
    try:
        url = s.url
        with s.client(timeout=60) as c:
            gid = c.post("/v1/graphs", json={"graph": cheap_graph(work)}).json()["graph_id"]
        body = job_body(gid)
        second_client(url, body, 10)  # warm
        report("idle", *second_client(url, body, jobs))
        for kind in which:
            codes: collections.Counter = collections.Counter()
            if kind == "http":
                stop, th = flooding(lambda st: http_flood(url, body, n, st, codes))
            else:
                stop, th = flooding(lambda st: grpc_flood(s.grpc_target, gid, n, st, codes))
            t_end = time.monotonic() + 60
            while sum(codes.values()) < 3 * n and time.monotonic() < t_end:  # the flood is under way
                time.sleep(0.05)
            lat, got = second_client(url, body, jobs)
            stop.set()
            th.join(120)
            report(f"{kind} flood of {n} in flight", lat, got, codes)
    finally:
        s.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    nums = [int(a) for a in args if a.isdigit()]
    kinds = tuple(a for a in args if not a.isdigit()) or ("http", "grpc")
    main(*nums, which=kinds)
