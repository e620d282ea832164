"""Service workloads S1-S4 of shared/workloads.md against real server processes on loopback.

    python benchmarks/service_bench.py            # all, full length
    python benchmarks/service_bench.py --quick    # shorter runs (smoke)
    python benchmarks/service_bench.py --only S1,S2 --json out.json

S1  W1 (seed MatMul d/dx sum(x @ y)) as a request: p50/p99 and requests/s at concurrency 1, 8, 64,
    beside a bare FastAPI endpoint echoing the same JSON (the stack's floor), same client.
S2  one request with a 64 MiB float32 input (out: 64 MiB too): JSON vs binary extension, beside a raw
    loopback TCP copy of the same bytes both ways.
S3  W2 (MLP 784-512-512-10 tanh, batch 256, grad of sum(o*o) w.r.t. the 6 parameters) as a request
    (graph registered once, binary tensors): service time / in-process engine time.
S4  overload: 10x the sustainable rate of S3's job for N seconds (open loop): share of 429s, p99 of
    the accepted, server memory (all processes) before/after.

Medians and ratios are what carry over between machines; these are shared and noisy.
Benchmarks are not tests: nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import collections
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from fastapi import Request  # noqa: F401  (the echo floor's annotation is resolved from this module)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import Engine, GraphBuilder, grad_operation  # noqa: E402
from engine.serialize import graph_from_json, graph_to_json  # noqa: E402
from service import codec  # noqa: E402

from benchmarks._server import closed_loop as timed_loop  # noqa: E402
from benchmarks._server import free_port, pct, raw_loopback, run_each, server_binary, server_env, stop, summary, wait_ready  # noqa: E402,E501

F32 = np.float32


# -- servers ---------------------------------------------------------------------------------------
class Proc:
    def __init__(self, argv, env=None, ready_path="/v2/health/ready"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = server_env(env, GRADSERVE_PORT=str(self.port))
        self.proc = subprocess.Popen([*argv, "--port", str(self.port)], env=full, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_ready(self.proc, self.url + ready_path, str(argv))

    def rss_mib(self) -> float:
        """Resident memory of the server and its workers."""
        pids = [self.proc.pid]
        try:
            pools = httpx.get(self.url + "/v1/devices", timeout=10).json()["pools"]
            pids += [w["pid"] for p in pools for w in p["workers"] if w["pid"]]
        except Exception:  # noqa: BLE001
            pass
        total = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def stop(self):
        stop(self.proc, 60)


def echo_app():
    """The floor: a bare FastAPI endpoint that parses the same JSON and sends it back."""
    from fastapi import FastAPI
    from fastapi.responses import Response

    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request):
        body = json.loads(await request.body())
        return Response(json.dumps(body, separators=(",", ":")).encode(), media_type="application/json")

    @app.get("/ready")
    async def ready():
        return {}

    return app


def run_echo(port: int) -> None:
    import uvicorn

    uvicorn.run(echo_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- workloads ---------------------------------------------------------------------------------------
X = np.array([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], F32)
Y = np.array([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], F32)


def w1_graph() -> dict:
    gb = GraphBuilder("w1")
    x, y = gb.input((2, 3), name="x"), gb.input((3, 3), name="y")
    return graph_to_json(gb.build(gb.sum(gb.matmul(x, y))))


def w2_graph() -> dict:
    rng = np.random.default_rng(0)
    gb = GraphBuilder("mlp")
    h = gb.input((256, 784), name="x")
    sizes = [784, 512, 512, 10]
    for i in range(3):
        w = gb.param(f"w{i}", (rng.standard_normal((sizes[i], sizes[i + 1])) / np.sqrt(sizes[i])).astype(F32))
        b = gb.param(f"b{i}", np.zeros(sizes[i + 1], F32))
        h = gb.add(gb.matmul(h, w), b)
        if i < 2:
            h = gb.tanh(h)
    return graph_to_json(gb.build(gb.sum(gb.mul(h, h))))


def tensor_json(a, name):
    return {"name": name, "shape": list(a.shape), "datatype": "FP32", "data": a.reshape(-1).tolist()}


def binary_body(head: dict, arrays: dict) -> tuple[bytes, dict]:
    """head with tensors given as {field: [arrays]}: binary extension body and headers."""
    raws = []
    for field, arrs in arrays.items():
        lst = []
        for i, a in enumerate(arrs):
            d, raw = codec.encode_tensor(f"{field}{i}", a, binary=True)
            lst.append(d)
            raws.append(bytes(raw))
        head[field] = lst
    head["binary_output"] = True
    h = json.dumps(head).encode()
    return h + b"".join(raws), {"Content-Type": "application/octet-stream", codec.HEADER_LENGTH: str(len(h))}


async def closed_loop(url: str, content: bytes, headers: dict, concurrency: int, n: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as c:

        async def post() -> bool:
            return (await c.post(url, content=content, headers=headers)).status_code == 200

        lat, wall, errors = await timed_loop(post, concurrency, n)
    return dict(summary(lat, wall, errors), _lat=lat, _wall=wall)


def merge(runs: list[dict]) -> dict:
    """Closed-loop runs of the same point (interleaved rounds) as one."""
    lat = [x for r in runs for x in r["_lat"]]
    wall = sum(r["_wall"] for r in runs)
    return {"p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3, "rps": len(lat) / wall,
            "errors": sum(r["errors"] for r in runs)}


def s1(args, srv: Proc) -> dict:
    port = free_port()
    echo = subprocess.Popen([sys.executable, __file__, "--echo-server", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < end, "echo server did not start"
                time.sleep(0.1)
        body = json.dumps({"graph": w1_graph(), "inputs": [tensor_json(X, "x"), tensor_json(Y, "y")]}).encode()
        h = {"Content-Type": "application/json"}
        out = {}
        n = 300 if args.quick else 2000
        rounds = 2 if args.quick else 4
        for conc in (1, 8, 64):
            fl, sv = [], []
            for _ in range(rounds):  # interleaved: the machine's load drifts
                fl.append(asyncio.run(closed_loop(f"http://127.0.0.1:{port}/echo", body, h, conc, n // rounds)))
                sv.append(asyncio.run(closed_loop(srv.url + "/v1/grad", body, h, conc, n // rounds)))
            floor, svc = merge(fl), merge(sv)
            out[f"c{conc}"] = {"service": svc, "echo_floor": floor,
                               "p50_ratio": svc["p50_ms"] / floor["p50_ms"], "rps_ratio": svc["rps"] / floor["rps"]}
        return out
    finally:
        echo.terminate()
        echo.wait(10)


_echo_buffers: dict[int, memoryview] = {}


async def bytes_echo_app(scope, receive, send):
    """S2's HTTP floor: bare ASGI under the same uvicorn as gradserve. Reads the body into one
    preallocated buffer (reused across requests) and sends it back in 1 MiB chunks: the least
    work the stack allows."""
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] != "/echo":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    n = int(dict(scope["headers"]).get(b"content-length", b"0"))
    buf = _echo_buffers.get(n)
    if buf is None:  # kept for the next request of this size, as gradserve keeps its shared memory
        buf = _echo_buffers[n] = memoryview(bytearray(n))
    got = 0
    while True:
        m = await receive()
        b = m.get("body", b"")
        buf[got:got + len(b)] = b
        got += len(b)
        if not m.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(n).encode()), (b"content-type", b"application/octet-stream")]})
    for i in range(0, n, 1 << 20):
        await send({"type": "http.response.body", "body": buf[i:i + (1 << 20)], "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def run_bytes_echo(port: int) -> None:
    import uvicorn

    uvicorn.run(bytes_echo_app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                lifespan="on")


def start_helper(flag: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    p = subprocess.Popen([sys.executable, __file__, flag, str(port)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    end = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
            return p, port
        except httpx.HTTPError:
            assert time.monotonic() < end, f"{flag} did not start"
            time.sleep(0.1)


def httpx_post(c: httpx.Client, url: str, content: bytes, headers: dict) -> tuple[float, bytes, dict]:
    t = time.perf_counter()
    r = c.post(url, content=content, headers=headers)
    body = r.content
    dt = time.perf_counter() - t
    assert r.status_code == 200, r.text[:300]
    return dt, body, dict(r.headers)


def raw_client_post(port: int, path: str, content: bytes, headers: dict) -> tuple[dict, bytes, dict]:
    """One POST on a plain socket: sendall, then recv_into a buffer of the response's Content-Length.
    Times: sent (request written), first (response head in), done (body in)."""
    s = socket.create_connection(("127.0.0.1", port))
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        t0 = time.perf_counter()
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(content)}\r\n{head}"
                  "Connection: close\r\n\r\n".encode())
        s.sendall(content)
        t_sent = time.perf_counter()
        got = b""
        while b"\r\n\r\n" not in got:
            more = s.recv(65536)
            if not more:
                raise ConnectionError("closed before the response head")
            got += more
        t_first = time.perf_counter()
        h, _, rest = got.partition(b"\r\n\r\n")
        lines = h.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
        n = int(hdrs["content-length"])
        buf = memoryview(bytearray(n))
        buf[:len(rest)] = rest
        k = len(rest)
        while k < n:
            r = s.recv_into(buf[k:], n - k)
            if not r:
                raise ConnectionError("closed mid-body")
            k += r
        t_done = time.perf_counter()
        assert status == 200, bytes(buf[:300])
        return {"total_s": t_done - t0, "send_s": t_sent - t0, "wait_s": t_first - t_sent,
                "receive_s": t_done - t_first}, buf.obj, hdrs
    finally:
        s.close()


def s2(args, srv: Proc) -> dict:
    """64 MiB each way: the service (binary extension) beside the bare-uvicorn echo of the same bytes
    and a raw loopback copy, interleaved round by round, with two clients (httpx; a plain socket)."""
    n = (args.s2_mib or (16 if args.quick else 64)) * (1 << 20) // 4
    rounds = 3 if args.quick else 7
    gb = GraphBuilder("neg")
    g = graph_to_json(gb.build(gb.neg(gb.input((n,), name="x"))))
    a = np.random.default_rng(0).standard_normal(n).astype(F32)
    mib = a.nbytes / 2**20
    out: dict = {"tensor_mib": mib, "rounds": rounds, "graph": "neg(x) via /v1/eval (64 MiB in, 64 MiB out)"}
    echo, eport = start_helper("--bytes-echo-server")
    port = int(srv.url.rsplit(":", 1)[1])
    times: dict[str, list] = {}
    stages: dict[str, list] = {}
    try:
        with httpx.Client(timeout=600) as c:
            gid = c.post(srv.url + "/v1/graphs", json={"graph": g}).json()["graph_id"]
            content, headers = binary_body({"graph_id": gid}, {"inputs": [a]})
            raw = a.tobytes()
            oh = {"Content-Type": "application/octet-stream"}
            httpx_post(c, srv.url + "/v1/eval", content, headers)  # warm: compile, first segments
            httpx_post(c, f"http://127.0.0.1:{eport}/echo", raw, oh)
            for _ in range(rounds):
                times.setdefault("raw_tcp", []).append(raw_loopback(a.nbytes))
                dt, _, _ = httpx_post(c, f"http://127.0.0.1:{eport}/echo", raw, oh)
                times.setdefault("floor_httpx", []).append(dt)
                dt, body, h = httpx_post(c, srv.url + "/v1/eval", content, headers)
                times.setdefault("binary_httpx", []).append(dt)
                t, _, _ = raw_client_post(eport, "/echo", raw, oh)
                times.setdefault("floor_socket", []).append(t["total_s"])
                for k, v in t.items():
                    stages.setdefault("floor_socket_" + k, []).append(v)
                t, body, h = raw_client_post(port, "/v1/eval", content, headers)
                times.setdefault("binary_socket", []).append(t["total_s"])
                for k, v in t.items():
                    stages.setdefault("binary_socket_" + k, []).append(v)
                hl = int(h[codec.HEADER_LENGTH.lower()])
                for k, v in json.loads(bytes(body[:hl]))["timing"].items():
                    if isinstance(v, (int, float)):
                        stages.setdefault("server_" + k.removesuffix("_ms") + "_s", []).append(v / 1e3)
            res = codec.decode_response(body, str(hl))
            assert np.array_equal(res["outputs"][0]["array"], -a), "binary round trip is not exact"
            del body, res
    finally:
        echo.terminate()
        echo.wait(10)
    if not args.s2_skip_json:
        with httpx.Client(timeout=600) as c:
            t = time.perf_counter()
            content = json.dumps({"graph_id": gid, "inputs": [tensor_json(a, "x")]}).encode()
            out["json_client_encode_s"] = time.perf_counter() - t
            t = time.perf_counter()
            r = c.post(srv.url + "/v1/eval", content=content, headers={"Content-Type": "application/json"})
            _ = r.content
            out["json_s"] = time.perf_counter() - t
            assert r.status_code == 200, r.text[:300]
            out["json_body_mib"] = len(content) / 2**20
    med = {k: statistics.median(v) for k, v in times.items()}
    gbps = {k: 2 * a.nbytes / v / 1e9 for k, v in med.items()}  # in + out
    out["median_s"] = med
    out["gb_per_s"] = gbps
    out["stages_median_s"] = {k: statistics.median(v) for k, v in stages.items()}
    out["binary_s"] = med["binary_httpx"]
    out["binary_gb_per_s"] = gbps["binary_httpx"]
    out["raw_loopback_s"] = med["raw_tcp"]
    out["raw_gb_per_s"] = gbps["raw_tcp"]
    if "json_s" in out:
        out["json_gb_per_s"] = 2 * a.nbytes / out["json_s"] / 1e9
        out["binary_speedup_over_json"] = out["json_s"] / out["binary_s"]
    out["ratio_to_floor_httpx"] = med["binary_httpx"] / med["floor_httpx"]
    out["ratio_to_floor_socket"] = med["binary_socket"] / med["floor_socket"]
    out["note"] = ("floor_* = a bare uvicorn ASGI echo of the same bytes (same uvicorn, same client); raw_tcp = a "
                   "Python socket echo; GB/s counts both directions; server_* = the timing block of the response")
    return out


def s3_job(srv: Proc):
    g = w2_graph()
    with httpx.Client(timeout=120) as c:
        r = c.post(srv.url + "/v1/graphs", json={"graph": g})
        assert r.status_code == 201, r.text[:300]
        gid = r.json()["graph_id"]
    x = np.random.default_rng(1).standard_normal((256, 784)).astype(F32)
    content, headers = binary_body({"graph_id": gid, "get_by_list": True}, {"inputs": [x]})
    return g, x, content, headers


def s3(args, srv: Proc) -> dict:
    """Interleaved rounds: the default server (N workers, each pinned to its share of the cores, BLAS
    threads to match), a one-worker server (all cores, like the in-process run), and the engine in
    this process (all cores). Same binary request (what the SDK sends for tensors this size)."""
    g, x, content, headers = s3_job(srv)
    one = Proc([server_binary()], dict(args.env, GRADSERVE_CPU_WORKERS="1"))
    try:
        _, _, content1, headers1 = s3_job(one)
        eng = Engine("numpy")
        dg = grad_operation(graph_from_json(g), get_by_list=True)
        eng.run(dg, [x], key="w2")
        rounds, per = (4, 5) if args.quick else (10, 10)
        ts: dict[str, list] = {"service": [], "service_1worker": [], "engine": []}
        server: dict[str, list] = {}
        with httpx.Client(timeout=120) as c:
            for _ in range(5):  # warm: compile in each worker, first segments
                c.post(srv.url + "/v1/grad", content=content, headers=headers)
                c.post(one.url + "/v1/grad", content=content1, headers=headers1)
            for _ in range(rounds):
                for key, url, body, h in (("service", srv.url, content, headers),
                                          ("service_1worker", one.url, content1, headers1)):
                    for _ in range(per):
                        t = time.perf_counter()
                        r = c.post(url + "/v1/grad", content=body, headers=h)
                        ts[key].append(time.perf_counter() - t)
                        assert r.status_code == 200, r.text[:300]
                        hl = int(r.headers[codec.HEADER_LENGTH.lower()])
                        for k, v in json.loads(r.content[:hl])["timing"].items():
                            if isinstance(v, (int, float)):
                                server.setdefault(f"{key}_{k}", []).append(v)
                for _ in range(per):
                    t = time.perf_counter()
                    eng.run(dg, [x], key="w2")
                    ts["engine"].append(time.perf_counter() - t)
    finally:
        one.stop()
    med = {k: statistics.median(v) * 1e3 for k, v in ts.items()}
    return {"service_p50_ms": med["service"], "service_p99_ms": pct(ts["service"], 99) * 1e3,
            "service_1worker_p50_ms": med["service_1worker"], "engine_p50_ms": med["engine"],
            "ratio": med["service"] / med["engine"], "ratio_1worker": med["service_1worker"] / med["engine"],
            "server_timing_median_ms": {k: statistics.median(v) for k, v in server.items()},
            "request": "binary extension in and out (graph registered once; ~0.8 MB in, ~1.6 MB out)",
            "note": "engine in this process (all cores); service: default workers, each pinned to its share of the "
                    "cores; service_1worker: one worker on all cores"}


async def raw_post(host: str, port: int, path: str, content: bytes, headers: dict) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 POST on its own loopback connection (a minimal client: no pool to queue behind)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(content)}\r\n{head}"
                     "Connection: close\r\n\r\n".encode() + content)
        await writer.drain()
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        hdrs = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        body = await reader.readexactly(n) if n else b""
        return status, hdrs, body
    finally:
        writer.close()


async def open_loop(url, content, headers, rate: float, seconds: float) -> dict:
    """Open loop: one request every 1/rate s whatever the answers, each on its own connection."""
    lat, codes, server_ms = [], [], []
    hostport = url.split("//")[1].split("/")[0]
    host, port = hostport.split(":")
    path = "/" + url.split("//")[1].split("/", 1)[1]

    async def one():
        t = time.perf_counter()
        try:
            status, hdrs, body = await raw_post(host, int(port), path, content, headers)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            codes.append(-1)
            return
        codes.append(status)
        if status == 200:
            lat.append(time.perf_counter() - t)
            n = int(hdrs[codec.HEADER_LENGTH.lower()])
            server_ms.append(json.loads(body[:n])["timing"]["total_ms"])

    tasks = []
    t0 = time.perf_counter()
    k = 0
    while time.perf_counter() - t0 < seconds:
        due = t0 + k / rate
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        tasks.append(asyncio.ensure_future(one()))
        k += 1
    sent_s = time.perf_counter() - t0
    await asyncio.gather(*tasks)
    n = len(codes)
    return {"sent": n, "achieved_offered_rps": n / sent_s, "ok": codes.count(200),
            "share_429": codes.count(429) / max(1, n), "other": n - codes.count(200) - codes.count(429),
            "codes": {str(k): v for k, v in sorted(collections.Counter(codes).items())},  # -1: connection failed
            "p99_accepted_ms": pct(lat, 99) * 1e3 if lat else None,
            "p50_accepted_ms": pct(lat, 50) * 1e3 if lat else None,
            "server_p99_accepted_ms": pct(server_ms, 99) if server_ms else None,
            "server_p50_accepted_ms": pct(server_ms, 50) if server_ms else None,
            "note": "client-side latency includes the one-process load generator's own backlog; server_* is "
                    "the server's decode-to-encode time (queue wait + compute)"}


def s4(args, srv: Proc) -> dict:
    _, _, content, headers = s3_job(srv)
    sustain = asyncio.run(closed_loop(srv.url + "/v1/grad", content, headers, 2, 10 if args.quick else 40))
    rate = sustain["rps"]
    before = srv.rss_mib()
    seconds = 8 if args.quick else 30
    res = asyncio.run(open_loop(srv.url + "/v1/grad", content, headers, 10 * rate, seconds))
    time.sleep(1)
    after = srv.rss_mib()
    # the same overload again: a leak grows round after round, an allocator high-water mark does not
    res2 = asyncio.run(open_loop(srv.url + "/v1/grad", content, headers, 10 * rate, seconds))
    time.sleep(1)
    after2 = srv.rss_mib()
    return {"sustainable_rps": rate, "offered_rps": 10 * rate, "seconds": seconds, **res, "rss_before_mib": before,
            "rss_after_mib": after, "rss_after_round2_mib": after2,
            "round2": {k: res2[k] for k in ("sent", "ok", "share_429", "other", "p99_accepted_ms",
                                             "server_p99_accepted_ms")}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="S1,S2,S3,S4")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--workers", type=int, default=None, help="cpu workers (default: the server's)")
    ap.add_argument("--echo-server", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--s2-mib", type=int, default=None, help="S2 tensor size (default 64, quick 16)")
    ap.add_argument("--s2-skip-json", action="store_true", help="S2 without the (slow) JSON request")
    ap.add_argument("--bytes-echo-server", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.echo_server:
        run_echo(args.echo_server)
        return 0
    if args.bytes_echo_server:
        run_bytes_echo(args.bytes_echo_server)
        return 0
    # gRPC off: this file measures HTTP (gRPC beside it is issue 5); 1 GiB holds S2's JSON body
    env = {"GRADSERVE_DEVICES": "cpu", "GRADSERVE_GRPC": "false", "GRADSERVE_MAX_BODY_BYTES": str(1 << 30),
           "GRADSERVE_MAX_ELEMENTS": str(1 << 26), "GRADSERVE_QUEUE_SIZE": "64", "GRADSERVE_LOG_LEVEL": "warning"}
    if args.workers:
        env["GRADSERVE_CPU_WORKERS"] = str(args.workers)
    args.env = env
    results = {"machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()}}
    run_each(args.only, {k: (lambda srv, f=f: f(args, srv)) for k, f in (("S1", s1), ("S2", s2), ("S3", s3), ("S4", s4))},
             lambda: Proc([server_binary()], env), results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
