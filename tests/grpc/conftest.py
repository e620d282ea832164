"""The gRPC API of a real `gradserve-server` process (the e2e `Server`: free HTTP and gRPC ports, small limits).

No __init__.py here on purpose: pytest would import this directory as a package named `grpc`
(tests/ goes first on sys.path), shadowing the grpc library. The e2e package is imported from
tests/ instead, and modules here have names of their own (test_grpc_*.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import grpc  # noqa: F401  (the library, before tests/ goes first on sys.path)
import pytest

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from e2e.grpc_wire import open_channel  # noqa: E402
from e2e.server import shared_server  # noqa: E402

from service.proto import gradserve_pb2_grpc as pb_grpc  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = shared_server(tmp_path_factory)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def channel(server):
    ch = open_channel(server.grpc_target)
    yield ch
    ch.close()


@pytest.fixture
def stub(channel):
    return pb_grpc.GradserveStub(channel)


@pytest.fixture(scope="module")
def srv_stub(srv):
    """A Gradserve stub on one channel to the module's own server (its `srv` fixture: a server with limits of its
    own, not the shared one), for the module's tests."""
    ch = open_channel(srv.grpc_target)
    yield pb_grpc.GradserveStub(ch)
    ch.close()


@pytest.fixture
def client(server):
    with server.client() as c:
        yield c
