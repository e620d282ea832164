import sys
from pathlib import Path

import httpx
import pytest

import gradserve as gs

from ._fake_server import FakeServer

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from e2e.server import Server, find_server_binary  # noqa: E402


@pytest.fixture
def fake():
    """The front end wired to an in-process engine-backed server."""
    server = FakeServer()
    gs.reset_context()
    gs.set_context(server="http://fake", http_transport=httpx.MockTransport(server), max_retries=0)
    yield server
    gs.reset_context()


def _in_mode(mode):
    old = gs.get_context("mode")
    gs.set_context(mode=mode)
    yield
    gs.set_context(mode=old)


@pytest.fixture
def graph_mode():
    """The test in GRAPH_MODE, the mode before it restored after. Request it after on_real_server / fake
    (their reset_context would undo it)."""
    yield from _in_mode(gs.GRAPH_MODE)


@pytest.fixture
def pynative():
    """The test in PYNATIVE_MODE, the mode before it restored after (same order as graph_mode)."""
    yield from _in_mode(gs.PYNATIVE_MODE)


# -- a real gradserve-server process ------------------------------------------------------------------
def _service_importable() -> str | None:
    try:
        import service.cli  # noqa: F401
        import service.http_app  # noqa: F401
    except Exception as e:  # noqa: BLE001 - the server package is being written concurrently
        return f"{type(e).__name__}: {e}"
    return None


class RealServer(Server):
    """gradserve-server on a free loopback port: one CPU worker and a queue of 2 (so a flood overflows it)."""

    def __init__(self, log_path: Path, env: dict | None = None):
        super().__init__(log_path, env=dict({"GRADSERVE_RETRY_AFTER_S": "1"}, **(env or {})), wait=False,
                         base_env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": "2"}, devices="cpu")
        try:
            self.wait_ready()
        except RuntimeError:
            self.stop()
            raise


@pytest.fixture(scope="session")
def real_server(tmp_path_factory):
    why = _service_importable()
    if why is not None:
        pytest.skip(f"the service package cannot be imported yet ({why}); the end-to-end SDK tests need it")
    if find_server_binary() is None:
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


@pytest.fixture(params=["http", "grpc"])
def on_real_server_each_transport(real_server, monkeypatch, request):
    """The front end pointed at the real server (CPU pool), once over HTTP and once over gRPC."""
    url = real_server.url if request.param == "http" else f"grpc://{real_server.grpc_target}"
    monkeypatch.setenv("GRADSERVE_SERVER", url)
    monkeypatch.setenv("GRADSERVE_DEVICE", "cpu")
    gs.reset_context()
    yield real_server
    gs.reset_context()


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than about 30 seconds")
