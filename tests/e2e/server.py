"""A real `gradserve-server` process on free loopback ports (HTTP and gRPC), waited on until ready.

Shared by the e2e, gRPC and client test suites (tests/e2e/conftest.py, tests/grpc/conftest.py,
tests/clients/conftest.py). GRADSERVE_E2E_DEVICES (default "cpu,torchcpu") chooses the pools.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_DEVICES = os.environ.get("GRADSERVE_E2E_DEVICES", "cpu,torchcpu")
SERVER_ENV = {
    "GRADSERVE_CPU_WORKERS": "2",
    "GRADSERVE_QUEUE_SIZE": "2",
    "GRADSERVE_DEFAULT_DEADLINE_S": "30",
    "GRADSERVE_DEADLINE_GRACE_S": "0.3",
    "GRADSERVE_MAX_BODY_BYTES": str(8 * 1024 * 1024),
    "GRADSERVE_MAX_MODEL_BYTES": str(8 * 1024 * 1024),  # (ONNX uploads: not the 2 GiB default on a test box)
    "GRADSERVE_MAX_NODES": "3000",
    "GRADSERVE_MAX_ELEMENTS": str(1 << 20),
    "GRADSERVE_MAX_ORDER": "3",
}
# How long a test server may take to start. The server's own default for its workers (120 s) was too short
# at load ~20 on 2 cores: the torchcpu worker (it imports torch) did not start within it and the session
# server exited. Under pytest's per-test timeout (300 s), which covers the first test's setup.
START_CEILING_S = 240
# A SIGTERM test's server: one cpu worker; a drain waits for in-flight jobs up to their own deadlines, at most
# drain_max_s (the default, 40 s, could cut the in-flight job at load ~20 on 2 cores).
DRAIN_ENV = {"GRADSERVE_DEVICES": "cpu", "GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_DRAIN_MAX_S": "300"}


def find_server_binary() -> str | None:
    """The gradserve-server console script beside this interpreter, else on PATH; None when not installed."""
    local = Path(sys.executable).with_name("gradserve-server")
    return str(local) if local.exists() else shutil.which("gradserve-server")


def server_binary() -> str:
    found = find_server_binary()
    assert found, "gradserve-server is not installed (pip install -e .)"
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The server's environment: this process's without GRADSERVE_*, then START_CEILING_S as the workers'
    start timeout, then base_env (the e2e limits by default), then the ports, host and devices, then env."""

    def __init__(self, log_path: Path, env: dict | None = None, args: list | None = None, wait: bool = True,
                 base_env: dict | None = None, devices: str = E2E_DEVICES):
        self.port = free_port()
        self.grpc_port = free_port()  # the same process serves gRPC (tests/grpc); never the shared default 8001
        while self.grpc_port == self.port:
            self.grpc_port = free_port()
        self.grpc_target = f"127.0.0.1:{self.grpc_port}"
        full = {k: v for k, v in os.environ.items() if not k.startswith("GRADSERVE_")}
        full["GRADSERVE_WORKER_START_TIMEOUT_S"] = str(START_CEILING_S)
        full.update(SERVER_ENV if base_env is None else base_env)
        full.update({"GRADSERVE_PORT": str(self.port), "GRADSERVE_HOST": "127.0.0.1", "GRADSERVE_DEVICES": devices,
                     "GRADSERVE_GRPC_PORT": str(self.grpc_port)})
        full.update(env or {})
        # (a server on every address, "::", is reached on IPv6's loopback: dual-stack tests)
        self.url = f"http://{'[::1]' if full['GRADSERVE_HOST'] == '::' else '127.0.0.1'}:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([server_binary(), *(args or [])], env=full, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=str(log_path.parent))
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = START_CEILING_S) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/v2/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.output()}")

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kw.pop("timeout", 60), **kw)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-20000:]

    def worker_pids(self) -> list[int]:
        pools = httpx.get(self.url + "/v1/devices", timeout=10).json()["pools"]
        return [w["pid"] for p in pools for w in p["workers"] if w["pid"]]

    def decoder_pids(self) -> set[int]:
        """Its JSON decoder processes (service.json_decoder): spawned children that are neither workers nor
        multiprocessing's resource tracker (Linux: read from /proc)."""
        workers, out = set(self.worker_pids()), set()
        for p in Path("/proc").iterdir():
            if not p.name.isdigit() or int(p.name) in workers:
                continue
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmd = (p / "cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.proc.pid and b"spawn_main" in cmd and b"resource_tracker" not in cmd:
                out.add(int(p.name))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


_SHARED: dict = {}


def shared_server(tmp_path_factory) -> Server:
    """The one session server of tests/e2e and tests/grpc (both suites' `server` fixture): a pytest run of
    both directories starts it once. Stopping it twice is harmless."""
    s = _SHARED.get("server")
    if s is None or s.proc.poll() is not None:
        s = _SHARED["server"] = Server(tmp_path_factory.mktemp("server") / "server.log")
    return s


def module_server(folder: str, name: str = "srv", **server_kw):
    """A module-scoped fixture `name`: that module's own server, Server(<tmp>/<folder>/server.log, **server_kw)
    (its env on top of the e2e limits), stopped after the module's tests. The one definition of the attack
    rounds' servers with their own settings (a module whose env needs a temporary folder, e.g. a model
    repository, writes its fixture with `server_in`)."""
    @pytest.fixture(scope="module", name=name)
    def fixture(tmp_path_factory):
        with server_in(tmp_path_factory, folder, **server_kw) as s:
            yield s
    return fixture


@contextmanager
def server_in(tmp_path_factory, folder: str, **server_kw) -> Iterator[Server]:
    """A started Server logging to <tmp>/<folder>/server.log, stopped on leaving (its tests failed, or it never
    became ready: no server left running)."""
    waits = server_kw.pop("wait", True)
    s = Server(tmp_path_factory.mktemp(folder) / "server.log", wait=False, **server_kw)
    try:
        if waits:
            s.wait_ready()
        yield s
    finally:
        s.stop()
