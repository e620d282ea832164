"""A real `gradserve-server` process on a free loopback port, with small limits, for the e2e tests.

GRADSERVE_E2E_DEVICES (default "cpu,torchcpu") chooses the pools; on a machine with a GPU
set it to "cpu,gpu" and the same suite runs through the CuPy pool.
"""
from __future__ import annotations

import pytest

from .proto import PROTOCOLS, Proto
from .server import E2E_DEVICES, ROOT, SERVER_ENV, Server, free_port, server_binary, shared_server  # noqa: F401


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = shared_server(tmp_path_factory)
    yield s
    s.stop()


@pytest.fixture(params=PROTOCOLS)
def proto(request, server) -> Proto:
    """The session server over one protocol: `proto.call(kind, graph, inputs, **options)` -> Answer."""
    return Proto(request.param, server)


@pytest.fixture
def client(server):
    with server.client() as c:
        yield c


def devices() -> list[str]:
    return [d for d in E2E_DEVICES.split(",") if d]
