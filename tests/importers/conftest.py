import sys
from pathlib import Path

import httpx
import pytest

import gradserve as gs

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from clients._fake_server import FakeServer  # noqa: E402
from e2e.server import Server, find_server_binary  # noqa: E402


@pytest.fixture
def fake():
    """The SDK wired to an in-process engine-backed server (the real server: test_rest.py)."""
    gs.reset_context()
    gs.set_context(server="http://fake", http_transport=httpx.MockTransport(FakeServer()), max_retries=0)
    yield
    gs.reset_context()


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    """A real gradserve server on loopback (cpu pool), one per test module."""
    if find_server_binary() is None:
        pytest.skip("gradserve-server is not installed")
    s = Server(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "server.log", devices="cpu")
    yield s
    s.stop()
