"""The gRPC port's connections are visible: `gradserve_grpc_connections` counts the open ones, and a
connection closed for its age (grpc_max_connection_age_s) is counted in
`gradserve_grpc_connections_closed_total{reason="age"}` and logged; one its client closed earlier counts as
reason="other" (service.grpc_conns samples grpc core's channelz each second).

A real server with a 5 s connection age; waits are on the metrics with generous ceilings."""
from __future__ import annotations

import time

import grpc
import httpx
import numpy as np
import pytest
from e2e.grpc_wire import arrays, call
from e2e.helpers import DX, X, Y, matmul_net, metric, wait_for_metric
from e2e.server import module_server

from service.proto import gradserve_pb2_grpc as pb_grpc

AGE_S = 5.0
OPEN, CLOSED = "gradserve_grpc_connections", "gradserve_grpc_connections_closed_total"


srv = module_server("grpc_conns", devices="cpu",
                    env={"GRADSERVE_GRPC_MAX_CONNECTION_AGE_S": str(AGE_S), "GRADSERVE_MAX_DEADLINE_S": "2",
                         "GRADSERVE_DEFAULT_DEADLINE_S": "2", "GRADSERVE_SEND_TIMEOUT_S": "1"})


@pytest.fixture
def http(srv):
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        yield c


def _open_now(http: httpx.Client, n: int) -> None:
    """Wait until the server counts exactly n open gRPC connections (each sample: 1 s)."""
    end = time.monotonic() + 30
    while metric(http, OPEN) != n:
        assert time.monotonic() < end, f"{OPEN} never reached {n}: {metric(http, OPEN)}"
        time.sleep(0.05)


def _grad(ch: grpc.Channel) -> None:
    np.testing.assert_allclose(arrays(call(pb_grpc.GradserveStub(ch), "grad", {"graph": matmul_net(),
                                                                               "inputs": [X, Y]}))[0], DX, rtol=1e-6)


def test_a_connection_closed_for_its_age_is_counted_and_logged(srv, http):
    aged = metric(http, CLOSED, reason="age")
    with grpc.insecure_channel(srv.grpc_target) as ch:
        _grad(ch)
        wait_for_metric(http, OPEN, 1, "the open connection was never counted", timeout=30)
        wait_for_metric(http, CLOSED, aged + 1, "no connection closed for its age", timeout=60, reason="age")
        _grad(ch)  # the client reconnects: the server is fine
    assert "closed after about" in srv.output() and "grpc_max_connection_age_s=5" in srv.output()


def test_a_connection_its_client_closes_early_counts_as_other(srv, http):
    _open_now(http, 0)  # (the other test's connection gone: the next one counted is this test's)
    other = metric(http, CLOSED, reason="other")
    ch = grpc.insecure_channel(srv.grpc_target)
    _grad(ch)
    _open_now(http, 1)
    ch.close()  # well before its 5 s age, unless the box stalls (then it counts as age: not this scenario)
    wait_for_metric(http, CLOSED, other + 1, "the client's close was never counted", timeout=30, reason="other")
