"""Per-client fairness under a job flood (reliab8): one client (127.0.0.1) keeps N cheap jobs in flight, each
sent again as soon as it is answered (429s included), over HTTP /v1/grad or gRPC Grad; a second client
(127.0.0.2, loopback's other address: another peer host) sends single jobs one after another (/v1/grad; the floods: also OIP v2 infer, UM-Bridge Evaluate). Prints the second
client's latency (median / p99 / worst) idle and under each flood, and the flood's answers by status.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/fairness_flood.py [N] [JOBS] [WORK] [http] [grpc] [oip] [umbridge]
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
from e2e.helpers import X, Y
from e2e.server import Server
from oip.models import write_repository


def cheap_graph(work: int = 0) -> dict:
    """sum(sin(x)) of x [4]; with `work` (n), an n x n matrix M = sin(x) rows @ cos(x) columns, then 10 steps of
    y = tanh(y @ M): a job the worker takes some ms over, so the flood's jobs queue (a body of 4 numbers still)."""
    gb = GraphBuilder("cheap")
    x = gb.input((4,), name="x")
    y = gb.sum(gb.sin(x))
    if work:
        rows = gb.emit1("broadcast_to", gb.sin(x), shape=[work, 4])  # (not a broadcast scalar: no shortcut)
        cols = gb.emit1("broadcast_to", gb.emit1("reshape", gb.cos(x), shape=[4, 1]), shape=[4, work])
        m = gb.matmul(rows, cols)
        y = m
        for _ in range(10):
            y = gb.tanh(gb.matmul(y, m))
        y = gb.sum(y)
    return graph_to_json(gb.build(y))


def job_body(gid: str) -> bytes:
    return json.dumps({"graph_id": gid, "inputs": [{"name": "x", "shape": [4], "datatype": "FP32",
                                                    "data": [0.1, 0.2, 0.3, 0.4]}]}).encode()


async def http_flood(url: str, body: bytes, n: int, stop: threading.Event, codes: collections.Counter,
                     route: str = "/v1/grad") -> None:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as c:
        async def one():
            while not stop.is_set():
                try:
                    r = await c.post(route, content=body, headers={"content-type": "application/json"})
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


def second_client(url: str, body: bytes, jobs: int) -> tuple[list[float], collections.Counter, list[float]]:
    """Its latencies, answers by status, and each answer's time queued in the pool and computing (timing)."""
    lat, codes, queued = [], collections.Counter(), []
    with httpx.Client(base_url=url, transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=120) as c:
        for _ in range(jobs):
            t0 = time.perf_counter()
            r = c.post("/v1/grad", content=body, headers={"content-type": "application/json"})
            lat.append(time.perf_counter() - t0)
            codes[r.status_code] += 1
            if r.status_code == 200:
                timing = r.json()["timing"]
                queued.append((timing["queue_ms"], timing.get("compute_ms", 0.0)))
    return lat, codes, queued


def report(name: str, lat: list[float], codes, queued: list[float], flood=None) -> None:
    ms = sorted(x * 1e3 for x in lat)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name}: second client {len(ms)} jobs {dict(codes)}: median {statistics.median(ms):.1f} ms, "
          f"p99 {p99:.1f} ms, worst {ms[-1]:.1f} ms; queued median {statistics.median(q for q, _ in queued):.1f} ms, "
          f"worst {max(q for q, _ in queued):.1f} ms, computing median {statistics.median(c for _, c in queued):.1f} "
          f"ms" + (f" | flood {dict(flood)}" if flood is not None else ""), flush=True)


# the other protocols' floods: (route, body) of the test model repository's models (tests/oip/models.py)
OTHER_FLOODS = {
    "oip": ("/v2/models/seed_grad/infer", json.dumps({"inputs": [
        {"name": n, "shape": list(a.shape), "datatype": "FP32", "data": a.ravel().tolist()}
        for n, a in (("x", X), ("y", Y))]}).encode()),
    "umbridge": ("/umbridge/Evaluate", json.dumps({"name": "um", "input": [[0.3, -1.2, 2.0], [1.5, 0.4, -0.7]]})
                 .encode()),
}


def main(n: int = 200, jobs: int = 100, work: int = 0, which: tuple = ("http", "grpc")) -> None:
    tmp = Path(tempfile.mkdtemp())
    s = Server(tmp / "server.log", devices="cpu", base_env={},
               env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MODEL_REPOSITORY": str(write_repository(tmp / "models"))})
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
            elif kind in OTHER_FLOODS:
                route, other = OTHER_FLOODS[kind]
                stop, th = flooding(lambda st: http_flood(url, other, n, st, codes, route))
            else:
                stop, th = flooding(lambda st: grpc_flood(s.grpc_target, gid, n, st, codes))
            t_end = time.monotonic() + 60
            while sum(codes.values()) < 3 * n and time.monotonic() < t_end:  # the flood is under way
                time.sleep(0.05)
            got = second_client(url, body, jobs)
            stop.set()
            th.join(120)
            report(f"{kind} flood of {n} in flight", *got, codes)
    finally:
        s.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    nums = [int(a) for a in args if a.isdigit()]
    kinds = tuple(a for a in args if not a.isdigit()) or ("http", "grpc")
    main(*nums, which=kinds)
