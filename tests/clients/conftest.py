import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import gradserve as gs

from ._fake_server import FakeServer


@pytest.fixture
def fake():
    """The front end wired to an in-process engine-backed server."""
    server = FakeServer()
    gs.reset_context()
    gs.set_context(server="http://fake", http_transport=httpx.MockTransport(server), max_retries=0)
    yield server
    gs.reset_context()


# -- a real gradserve-server process ------------------------------------------------------------------
def _service_importable() -> str | None:
    try:
        import service.cli  # noqa: F401
        import service.http_app  # noqa: F401
    except Exception as e:  # noqa: BLE001 - the server package is being written concurrently
        return f"{type(e).__name__}: {e}"
    return None


def _server_binary() -> str | None:
    local = Path(sys.executable).with_name("gradserve-server")
    return str(local) if local.exists() else shutil.which("gradserve-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealServer:
    """gradserve-server on a free loopback port: one CPU worker and a queue of 2 (so a flood overflows it)."""

    def __init__(self, log_path: Path, env: dict | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = {k: v for k, v in os.environ.items() if not k.startswith("GRADSERVE_")}
        full.update({"GRADSERVE_HOST": "127.0.0.1", "GRADSERVE_PORT": str(self.port),
                     "GRADSERVE_GRPC_PORT": str(_free_port()), "GRADSERVE_DEVICES": "cpu",
                     "GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": "2", "GRADSERVE_RETRY_AFTER_S": "1"})
        full.update(env or {})
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([_server_binary()], env=full, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=str(log_path.parent))
        end = time.monotonic() + 120
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gradserve-server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/v2/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gradserve-server not ready after 120 s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-10000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


@pytest.fixture(scope="session")
def real_server(tmp_path_factory):
    why = _service_importable()
    if why is not None:
        pytest.skip(f"the service package cannot be imported yet ({why}); the end-to-end SDK tests need it")
    if _server_binary() is None:
        pytest.fail("service imports but the gradserve-server console script is not installed (pip install -e .)")
    s = RealServer(tmp_path_factory.mktemp("sdk-server") / "server.log")
    yield s
    s.stop()


@pytest.fixture
def on_real_server(real_server, monkeypatch):
    """The front end pointed at the real server (CPU pool)."""
    monkeypatch.setenv("GRADSERVE_SERVER", real_server.url)
    monkeypatch.setenv("GRADSERVE_DEVICE", "cpu")
    gs.reset_context()
    yield real_server
    gs.reset_context()


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than about 30 seconds")
