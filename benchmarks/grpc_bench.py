"""S1 and S2 of shared/workloads.md over gRPC beside HTTP, against one real `gradserve-server` process
serving both (same core, same workers), measured in the same run, interleaved.

    python benchmarks/grpc_bench.py               # full length
    python benchmarks/grpc_bench.py --quick       # shorter runs (smoke)
    python benchmarks/grpc_bench.py --json out.json

S1  W1 (seed MatMul d/dx sum(x @ y)) as a request: p50/p99 and requests/s at concurrency 1, 8, 64;
    HTTP JSON (httpx, keep-alive pool) vs gRPC (grpc.aio, one HTTP/2 channel).
S2  one request with a 64 MiB float32 input (neg: 64 MiB out): HTTP binary extension vs gRPC raw bytes
    (graph registered once), plus a raw loopback TCP copy of the same bytes both ways (the floor).

Quote medians and ratios (grpc / http): these machines are shared and noisy. Nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import GraphBuilder  # noqa: E402
from engine.serialize import graph_to_json  # noqa: E402
from service import codec  # noqa: E402
from service.proto import gradserve_pb2 as pb  # noqa: E402
from service.proto import gradserve_pb2_grpc as pb_grpc  # noqa: E402

from benchmarks._server import (closed_loop, free_port, raw_loopback, run_each, server_binary,  # noqa: E402
                               server_env, stop, summary, wait_ready)

F32 = np.float32
X = np.array([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], F32)
Y = np.array([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], F32)
UNLIMITED = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]


class Server:
    def __init__(self, env: dict):
        self.port, self.grpc_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = f"127.0.0.1:{self.grpc_port}"
        full = server_env(env, GRADSERVE_HOST="127.0.0.1", GRADSERVE_PORT=str(self.port),
                          GRADSERVE_GRPC_PORT=str(self.grpc_port))
        self.proc = subprocess.Popen([server_binary()], env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.proc, self.url + "/v2/health/ready")

    def stop(self) -> None:
        stop(self.proc, 30)


async def http_loop(url: str, content: bytes, concurrency: int, n: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    h = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=120, limits=limits) as c:

        async def post() -> bool:
            return (await c.post(url, content=content, headers=h)).status_code == 200

        return summary(*await closed_loop(post, concurrency, n))


async def grpc_loop(target: str, req: pb.GradRequest, concurrency: int, n: int) -> dict:
    async with grpc.aio.insecure_channel(target, options=UNLIMITED) as ch:
        stub = pb_grpc.GradserveStub(ch)

        async def grad() -> bool:
            try:
                await stub.Grad(req, timeout=120)
            except grpc.RpcError:
                return False
            return True

        return summary(*await closed_loop(grad, concurrency, n, warm=lambda: stub.Grad(req, timeout=120)))


def w1_graph() -> dict:
    gb = GraphBuilder("w1")
    x, y = gb.input((2, 3), name="x"), gb.input((3, 3), name="y")
    return graph_to_json(gb.build(gb.sum(gb.matmul(x, y))))


def raw(a: np.ndarray, name: str) -> pb.Tensor:
    return pb.Tensor(name=name, datatype="FP32", shape=list(a.shape), raw_contents=a.tobytes())


def s1(args, srv: Server) -> dict:
    g = w1_graph()
    body = json.dumps({"graph": g, "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.tolist()},
                                              {"name": "y", "shape": [3, 3], "datatype": "FP32",
                                               "data": Y.tolist()}]}).encode()
    req = pb.GradRequest(graph_json=json.dumps(g).encode(), inputs=[raw(X, "x"), raw(Y, "y")])
    n = 300 if args.quick else 2000
    out = {}
    for conc in (1, 8, 64):
        runs = {"http": [], "grpc": []}
        for _ in range(1 if args.quick else 2):  # interleaved rounds
            runs["http"].append(asyncio.run(http_loop(srv.url + "/v1/grad", body, conc, n)))
            runs["grpc"].append(asyncio.run(grpc_loop(srv.target, req, conc, n)))
        med = {k: {m: statistics.median(r[m] for r in v) for m in v[0]} for k, v in runs.items()}
        out[f"c{conc}"] = {**med, "p50_ratio_grpc_over_http": med["grpc"]["p50_ms"] / med["http"]["p50_ms"],
                           "rps_ratio_grpc_over_http": med["grpc"]["rps"] / med["http"]["rps"]}
    return out


def s2(args, srv: Server) -> dict:
    n = (64 << 20) // 4 if not args.quick else (16 << 20) // 4
    gb = GraphBuilder("neg")
    g = graph_to_json(gb.build(gb.neg(gb.input((n,), name="x"))))
    a = np.random.default_rng(0).standard_normal(n).astype(F32)
    out: dict = {"tensor_mib": a.nbytes / 2**20}
    rounds = 2 if args.quick else 5
    with httpx.Client(timeout=600) as c, grpc.insecure_channel(srv.target, options=UNLIMITED) as ch:
        stub = pb_grpc.GradserveStub(ch)
        gid = c.post(srv.url + "/v1/graphs", json={"graph": g}).json()["graph_id"]
        head = json.dumps({"graph_id": gid, "binary_output": True, "inputs": [
            {"name": "x", "shape": [n], "datatype": "FP32", "parameters": {"binary_data_size": a.nbytes}}]}).encode()
        http_body = head + a.tobytes()
        http_headers = {"Content-Type": "application/octet-stream", codec.HEADER_LENGTH: str(len(head))}
        times = {"http_binary": [], "grpc": [], "grpc_with_encode": []}
        for _ in range(rounds):  # interleaved
            t = time.perf_counter()
            r = c.post(srv.url + "/v1/eval", content=http_body, headers=http_headers)
            res = codec.decode_response(r.content, r.headers.get(codec.HEADER_LENGTH))
            times["http_binary"].append(time.perf_counter() - t)
            assert r.status_code == 200 and np.array_equal(res["outputs"][0]["array"], -a)
            req = pb.EvalRequest(graph_id=gid, inputs=[raw(a, "x")])
            t = time.perf_counter()
            resp = stub.Eval(req, timeout=600)
            got = np.frombuffer(resp.outputs[0].raw_contents, F32)
            times["grpc"].append(time.perf_counter() - t)
            assert np.array_equal(got, -a)
            t = time.perf_counter()  # message built from the array inside the timing, as the SDK does
            resp = stub.Eval(pb.EvalRequest(graph_id=gid, inputs=[raw(a, "x")]), timeout=600)
            np.frombuffer(resp.outputs[0].raw_contents, F32)
            times["grpc_with_encode"].append(time.perf_counter() - t)
    for k, v in times.items():
        out[f"{k}_s"] = statistics.median(v)
        out[f"{k}_gb_per_s"] = 2 * a.nbytes / out[f"{k}_s"] / 1e9  # in + out
    out["raw_loopback_s"] = statistics.median(raw_loopback(a.nbytes) for _ in range(3))
    out["raw_gb_per_s"] = 2 * a.nbytes / out["raw_loopback_s"] / 1e9
    out["grpc_over_http_binary_time"] = out["grpc_s"] / out["http_binary_s"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="S1,S2")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--workers", type=int, default=None, help="cpu workers (default: the server's)")
    args = ap.parse_args()
    env = {"GRADSERVE_DEVICES": "cpu", "GRADSERVE_MAX_BODY_BYTES": str(1 << 30), "GRADSERVE_MAX_ELEMENTS": str(1 << 26),
           "GRADSERVE_QUEUE_SIZE": "64", "GRADSERVE_LOG_LEVEL": "warning"}
    if args.workers:
        env["GRADSERVE_CPU_WORKERS"] = str(args.workers)
    results: dict = {"machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg(), "grpcio": grpc.__version__}}
    run_each(args.only, {"S1": lambda srv: s1(args, srv), "S2": lambda srv: s2(args, srv)},
             lambda: Server(env), results, args.json)  # each server serves HTTP and gRPC
    return 0


if __name__ == "__main__":
    sys.exit(main())
