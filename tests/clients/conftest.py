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
