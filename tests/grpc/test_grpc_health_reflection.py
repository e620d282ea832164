"""grpc.health.v1 (what grpc_health_probe and the kubelet's gRPC probe call), server reflection, the
KServe-style ServerLive/ServerReady, Devices; API keys through metadata; --no-grpc; a SIGTERM drain."""
from __future__ import annotations

import json
import signal
import socket
import time

import grpc
import numpy as np
from e2e.server import DRAIN_ENV, server_in
from e2e.helpers import X, Y, matmul_net, slow_input, slow_net
from grpc_health.v1 import health_pb2, health_pb2_grpc
from e2e.grpc_wire import arrays, call, request, rpc_error
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from service.proto import gradserve_pb2 as pb
from service.proto import gradserve_pb2_grpc as pb_grpc

SC = grpc.StatusCode
SERVING = health_pb2.HealthCheckResponse.SERVING


def test_health_check_like_grpc_health_probe(channel):
    h = health_pb2_grpc.HealthStub(channel)
    assert h.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status == SERVING
    assert h.Check(health_pb2.HealthCheckRequest(service="gradserve.v1.Gradserve"), timeout=10).status == SERVING
    e = rpc_error(h.Check, health_pb2.HealthCheckRequest(service="nope"), timeout=10)
    assert e.code() == SC.NOT_FOUND


def test_reflection_lists_the_service(channel):
    r = reflection_pb2_grpc.ServerReflectionStub(channel)
    [resp] = list(r.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                         timeout=10))
    names = {s.name for s in resp.list_services_response.service}
    assert {"gradserve.v1.Gradserve", "grpc.health.v1.Health"} <= names
    [resp] = list(r.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(
        file_containing_symbol="gradserve.v1.Gradserve")]), timeout=10))
    assert resp.file_descriptor_response.file_descriptor_proto  # grpcurl can describe it


def test_live_ready_devices(stub, client):
    # the session server is shared with tests/e2e, whose tests kill and recycle workers: let them come back
    end = time.monotonic() + 60
    while not all(p["state"] == "ready" for p in client.get("/v1/devices").json()["pools"]):
        assert time.monotonic() < end, client.get("/v1/devices").json()
        time.sleep(0.05)
    assert stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live
    assert stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready
    pools = json.loads(stub.Devices(pb.DevicesRequest(), timeout=10).devices_json)["pools"]
    http = client.get("/v1/devices").json()["pools"]
    assert [p["device"] for p in pools] == [p["device"] for p in http]
    assert all(p["state"] == "ready" and p["workers"] for p in pools)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_no_grpc(tmp_path_factory):
    """--no-grpc: no gRPC port. (API keys over both protocols: tests/e2e/test_protocols.py::test_api_keys.)"""
    with server_in(tmp_path_factory, "no_grpc", env={"GRADSERVE_DEVICES": "cpu", "GRADSERVE_CPU_WORKERS": "1"},
                   args=["--no-grpc"]) as off:
        assert not _port_open(off.grpc_port)
        assert "gRPC on" not in off.output()


def test_sigterm_drains_grpc(tmp_path_factory):
    """SIGTERM: health turns NOT_SERVING / the port closes, the in-flight gRPC job finishes, exit 0."""
    with server_in(tmp_path_factory, "drain", env=DRAIN_ENV) as s:
        ch = grpc.insecure_channel(s.grpc_target)
        stub = pb_grpc.GradserveStub(ch)
        call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]})
        # seconds on one core (~1 s on a fast AVX-512 one): in flight well past the SIGTERM's effect; its
        # deadline past a loaded box's slowdown (the default, 30 s, is not)
        fut = stub.Eval.future(request("eval", {"graph": slow_net(512, 400), "inputs": [slow_input(512)],
                                                "deadline_ms": 300_000}), timeout=320)
        end = time.monotonic() + 30
        import httpx

        while not any(w["state"] == "busy" for w in httpx.get(s.url + "/v1/devices").json()["pools"][0]["workers"]):
            assert time.monotonic() < end
            time.sleep(0.02)
        s.proc.send_signal(signal.SIGTERM)
        end = time.monotonic() + 30  # until a new connection is refused or told NOT_SERVING (a wait, not a sleep)
        while True:
            with grpc.insecure_channel(s.grpc_target) as fresh:
                try:
                    st = health_pb2_grpc.HealthStub(fresh).Check(health_pb2.HealthCheckRequest(), timeout=3).status
                except grpc.RpcError as e:
                    # refused: the port closed (UNAVAILABLE / DEADLINE_EXCEEDED), or the probe reached the
                    # server after its stop(grace) began, and grpc core cancels every RPC arriving then
                    assert e.code() in (SC.UNAVAILABLE, SC.DEADLINE_EXCEEDED, SC.CANCELLED), e
                    break
            if st != SERVING:
                break
            assert time.monotonic() < end, "health still SERVING while draining"
            time.sleep(0.02)
        assert not fut.done(), "the job ended before the drain showed: not a drain (make it slower)"
        assert np.isfinite(arrays(fut.result(330))[0]).all()  # the in-flight job finished
        ch.close()
        assert s.proc.wait(30) == 0
