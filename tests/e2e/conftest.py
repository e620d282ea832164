"""A real `gradserve-server` process on a free loopback port, with small limits, for the e2e tests.

GRADSERVE_E2E_DEVICES (default "cpu,torchcpu") chooses the pools; on a machine with a GPU
set it to "cpu,gpu" and the same suite runs through the CuPy pool.
"""
from __future__ import annotations

import httpx
import pytest

from service.proto import gradserve_pb2_grpc as pb_grpc

from . import grpc_wire as gw
from .limited_server import CEILING, auth
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


@pytest.fixture
def c(srv):
    """Client k1 of the module's own `srv` (tests/e2e/limited_server.py), a new connection per request (its
    idle timeout is short: a kept one reused as the server drops it would be a reset)."""
    with httpx.Client(base_url=srv.url, timeout=CEILING, headers=auth(),
                      limits=httpx.Limits(max_keepalive_connections=0)) as cl:
        yield cl


@pytest.fixture(scope="module")
def stub(srv):
    """A gRPC stub on the module's own `srv`."""
    ch = gw.open_channel(srv.grpc_target)
    yield pb_grpc.GradserveStub(ch)
    ch.close()


def devices() -> list[str]:
    return [d for d in E2E_DEVICES.split(",") if d]
