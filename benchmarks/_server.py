"""What the service benchmarks share: a `gradserve-server` process on free loopback ports, waited on
until ready, and a closed-loop timing run (N requests over C concurrent callers, p50/p99, requests/s)."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Awaitable, Callable

import httpx

ROOT = Path(__file__).resolve().parents[1]  # the source tree whose server a benchmark starts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_binary() -> str:
    p = Path(sys.executable).with_name("gradserve-server")
    return str(p) if p.exists() else "gradserve-server"


def server_env(env: dict | None = None, **extra: str) -> dict:
    """This process's environment without its GRADSERVE_* settings, this source tree first on PYTHONPATH, then
    env, then extra. (`gradserve-server` is the venv's script: without the tree on PYTHONPATH it imports the
    package the venv was installed from, another checkout's service and engine, not the tree benchmarked.)"""
    full = {k: v for k, v in os.environ.items() if not k.startswith("GRADSERVE_")}
    full["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "clients" / "python")]
                                         + [p for p in [os.environ.get("PYTHONPATH")] if p])
    full.update(env or {})
    full.update(extra)
    return full


def cpu_ns(pid: int) -> int:
    """A process's CPU time so far, in ns: every thread's run time from /proc/<pid>/task/<tid>/schedstat (the
    /proc/<pid>/stat ticks are 10 ms: too coarse per call)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:  # a thread that just ended
            pass
    return total


def wait_ready(proc: subprocess.Popen, url: str, name: str = "server", timeout: float = 120) -> None:
    """Poll url until it answers 200; raise if the process exits first or after timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        time.sleep(0.1)
    raise RuntimeError(f"{name} not ready")


def stop(proc: subprocess.Popen, timeout: float = 60) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def summary(lat: list[float], wall: float, errors: int) -> dict:
    return {"p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3, "rps": len(lat) / wall, "errors": errors}


async def closed_loop(call: Callable[[], Awaitable[bool]], concurrency: int, n: int,
                      warm: Callable[[], Awaitable[object]] | None = None) -> tuple[list[float], float, int]:
    """min(20, n) warm-up calls (warm, or call), then n calls of `call` (True: a success) shared by
    `concurrency` workers. Returns (latencies in s, wall time in s, errors)."""
    for _ in range(min(20, n)):
        await (warm or call)()
    lat: list[float] = []
    errors = 0
    left = [n]

    async def worker():
        nonlocal errors
        while left[0] > 0:
            left[0] -= 1
            t = time.perf_counter()
            ok = await call()
            lat.append(time.perf_counter() - t)
            errors += not ok

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return lat, time.perf_counter() - t0, errors


class RawPoster:
    """POSTs over `n` kept-alive loopback connections (asyncio streams): the request written as one prebuilt
    byte string, the answer read by its Content-Length. A closed-loop client whose own CPU per request is a
    few tens of us, so that the server, not the client, sets the requests/s: httpx's AsyncClient spent ~2 ms of
    CPU per request at concurrency 64 on the 2-core box (the server ~0.36 ms), so L4 had measured httpx."""

    def __init__(self, url: str, n: int):
        parts = url.split("//", 1)[1].split(":")
        self.host, self.port, self.n = parts[0], int(parts[1].rstrip("/")), n
        self._idle: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self) -> "RawPoster":
        for _ in range(self.n):
            self._idle.put_nowait(await asyncio.open_connection(self.host, self.port))
        return self

    async def __aexit__(self, *exc) -> None:
        while not self._idle.empty():
            self._idle.get_nowait()[1].close()

    async def post(self, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
        """(status, body) of one POST; a connection the server closes is replaced."""
        reader, writer = await self._idle.get()
        try:
            writer.write(b"POST %s HTTP/1.1\r\nhost: %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n%s"
                         % (path.encode(), self.host.encode(), content_type.encode(), len(body), body))
            head = (await reader.readuntil(b"\r\n\r\n")).lower()
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                raise ConnectionError(f"an answer without Content-Length: {head[:200]!r}")
            size = int(head[at + 17:head.index(b"\r\n", at + 2)])
            out = int(head[9:12]), await reader.readexactly(size)
        except BaseException:
            writer.close()
            self._idle.put_nowait(await asyncio.open_connection(self.host, self.port))
            raise
        if b"\r\nconnection: close" in head:
            writer.close()
            self._idle.put_nowait(await asyncio.open_connection(self.host, self.port))
        else:
            self._idle.put_nowait((reader, writer))
        return out


def run_each(only: str, workloads: dict, start: Callable[[], object], results: dict, json_path: str | None) -> dict:
    """Each workload named in `only` (comma-separated keys of `workloads`) against a fresh server from
    `start()` (no state carried over), printed as it ends; `results` written to json_path at the end."""
    for name in only.split(","):
        srv = start()
        try:
            results[name] = workloads[name](srv)
        finally:
            srv.stop()
        print(name, json.dumps(results[name], indent=1, default=float), flush=True)
    if json_path:
        Path(json_path).write_text(json.dumps(results, indent=1, default=float))
    return results


def raw_loopback(nbytes: int) -> float:
    """Seconds to send nbytes over loopback TCP and get them back (the transport floor): a thread
    echoes them with recv_into a preallocated buffer and sendall; the client does the same."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    payload = b"\1" * nbytes

    def echo():
        conn, _ = srv.accept()
        buf = memoryview(bytearray(nbytes))
        got = 0
        while got < nbytes:
            got += conn.recv_into(buf[got:], nbytes - got)
        conn.sendall(buf)
        conn.close()

    th = threading.Thread(target=echo)
    th.start()
    c = socket.create_connection(("127.0.0.1", port))
    t0 = time.perf_counter()
    c.sendall(payload)
    buf = memoryview(bytearray(nbytes))
    got = 0
    while got < nbytes:
        got += c.recv_into(buf[got:], nbytes - got)
    dt = time.perf_counter() - t0
    c.close()
    th.join()
    srv.close()
    return dt
