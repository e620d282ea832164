"""A real `gradserve-server` with a model repository (tests/oip/models.py), shared by the session."""
from __future__ import annotations

import pytest
import tritonclient.grpc as grpcclient  # the test extra: fail, never skip
import tritonclient.http as httpclient

from e2e.server import Server

from .models import write_repository

# third-party suites run against our server by their own pytest (e.g. test_umbridge_conformity.py), not collected here
collect_ignore = ["third_party"]


@pytest.fixture(scope="session")
def repo_dir(tmp_path_factory):
    return write_repository(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def server(tmp_path_factory, repo_dir):
    s = Server(tmp_path_factory.mktemp("oip_server") / "server.log", devices="cpu",
               env={"GRADSERVE_MODEL_REPOSITORY": str(repo_dir), "GRADSERVE_CPU_WORKERS": "1"})
    yield s
    s.stop()


# the stock clients on the session's server, one of each a module
@pytest.fixture(scope="module")
def http(server):
    c = httpclient.InferenceServerClient(server.url.removeprefix("http://"))
    yield c
    c.close()


@pytest.fixture(scope="module")
def grpc_(server):
    c = grpcclient.InferenceServerClient(server.grpc_target)
    yield c
    c.close()
