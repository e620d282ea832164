"""Attacks with values a request names, each against a real server (one cpu pool of 2 workers): what a decoder
lets through must not reach a conversion that throws (a 500) or an error message that echoes it whole.

- `device` with an index of 10^5 digits: int() past Python's 4300-digit limit raised ValueError, a 500 (HTTP
  and gRPC INTERNAL); an index of non-ASCII digits ('²' passes str.isdigit, int('²') throws). Now a name
  longer than any device is a 400 naming $.device, without echoing it whole, and an index must be ASCII
  digits.

After each attack a canary job is answered right and no worker restarted. Expected values: the canary's
gradient by hand (d/dx sum((x * 1) @ y) = y.sum(axis=1) in each row)."""
from __future__ import annotations

import grpc
import httpx
import numpy as np
import pytest

from service.proto import gradserve_pb2_grpc as pb_grpc

from . import grpc_wire as gw
from .helpers import X, Y, call, decode, error_of, matmul_net, metric
from .server import Server

CEILING = 60.0


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("attacks_values") / "server.log", devices="cpu")
    yield s
    s.stop()


@pytest.fixture
def c(srv):
    with httpx.Client(base_url=srv.url, timeout=CEILING) as cl:
        yield cl


@pytest.fixture(scope="module")
def stub(srv):
    ch = gw.open_channel(srv.grpc_target)
    yield pb_grpc.GradserveStub(ch)
    ch.close()


def canary(c: httpx.Client) -> None:
    r = call(c, "grad", {"graph": matmul_net(), "inputs": [X, Y]})
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], np.broadcast_to(Y.sum(axis=1), X.shape), rtol=1e-6)
    assert metric(c, "gradserve_worker_restarts_total", device="cpu") == 0


# -- device names ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("device", ["cpu:" + "9" * 100_000, "cpu:" + "1" * 5000, "x" * 100_000, "cpu:²", "cpu:١"],
                         ids=["index_1e5_digits", "index_5000_digits", "name_1e5_chars", "superscript_two",
                              "arabic_indic_one"])
def test_a_device_no_server_has_is_a_400_not_a_500(c, stub, device):
    body = {"graph": matmul_net(), "inputs": [X, Y], "device": device}
    r = call(c, "grad", body)
    assert r.status_code == 400, r.text[:500]
    err = error_of(r)
    assert err["detail"]["path"] == "$.device" and len(r.text) < 2000, r.text[:500]
    e = gw.rpc_error(gw.call, stub, "grad", body)
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, (e.code(), e.details()[:300])
    assert gw.error_body(e)["detail"]["path"] == "$.device"
    canary(c)
