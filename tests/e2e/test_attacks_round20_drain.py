"""Round 20: SIGTERM while jobs of three protocols are running and queued (held; one cpu worker, its own server).

A /v1 eval runs (seconds), an OIP HTTP infer and an OIP gRPC infer wait queued behind it; then SIGTERM. Every
accepted job is answered right (the drain runs the queued ones too), a new request after it is refused (a
connection refused, or 503 while the listener closes), and the server exits 0. Waits are on /v1/devices and on the
answers, with generous ceilings. Expected values: matmul_net's d/dx is Y's row sums (DX, by hand); the slow eval's
answer is checked finite only (its value is not under test)."""
from __future__ import annotations

import signal
import threading
import time

import grpc
import httpx
import numpy as np
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from .helpers import DX, X, Y, call, decode, pool_of, slow_input, slow_net
from .server import DRAIN_ENV, server_in

CEILING = 300.0  # a loaded 2-core box: the running job may take 10x its seconds


def test_sigterm_with_jobs_of_three_protocols_in_flight_answers_each(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    env = dict(DRAIN_ENV, GRADSERVE_MODEL_REPOSITORY=str(repo), GRADSERVE_DEFAULT_DEADLINE_S=str(CEILING))
    with server_in(tmp_path_factory, "drain20", env=env) as s:
        got: dict = {}

        def slow_eval():
            with s.client(timeout=CEILING) as h:
                got["v1"] = call(h, "eval", {"graph": slow_net(512, 400), "inputs": [slow_input(512)],
                                             "deadline_ms": int(CEILING * 1e3)}, "binary")

        def oip_http():
            with s.client(timeout=CEILING) as h:
                got["oip"] = h.post("/v2/models/seed_grad/infer", json={"inputs": [
                    {"name": "x", "datatype": "FP32", "shape": [2, 3], "data": X.ravel().tolist()},
                    {"name": "y", "datatype": "FP32", "shape": [3, 3], "data": Y.ravel().tolist()}]})

        def oip_grpc():
            req = opb.ModelInferRequest(model_name="seed_grad")
            req.inputs.add(name="x", datatype="FP32", shape=[2, 3])
            req.inputs.add(name="y", datatype="FP32", shape=[3, 3])
            req.raw_input_contents.extend([X.astype("<f4").tobytes(), Y.astype("<f4").tobytes()])
            with grpc.insecure_channel(s.grpc_target) as ch:
                got["grpc"] = opb_grpc.GRPCInferenceServiceStub(ch).ModelInfer(req, timeout=CEILING)

        with s.client(timeout=30) as c:
            ths = [threading.Thread(target=slow_eval)]
            ths[0].start()
            _wait(lambda: pool_of(c)["busy"] == 1, "the slow job did not start")
            ths += [threading.Thread(target=oip_http), threading.Thread(target=oip_grpc)]
            for th in ths[1:]:
                th.start()
            _wait(lambda: pool_of(c)["queue_depth"] == 2, "the OIP jobs did not queue behind it")
        s.proc.send_signal(signal.SIGTERM)
        _wait(lambda: _refused(s), "a new request was still served after SIGTERM")
        for th in ths:
            th.join(CEILING)
        assert got["v1"].status_code == 200, got["v1"].text[:300]
        assert np.isfinite(decode(got["v1"])["outputs"][0]["array"]).all()
        assert got["oip"].status_code == 200, got["oip"].text[:300]
        np.testing.assert_allclose(np.reshape(got["oip"].json()["outputs"][0]["data"], (2, 3)), DX, rtol=1e-6)
        out = np.frombuffer(got["grpc"].raw_output_contents[0], "<f4").reshape(2, 3)
        np.testing.assert_allclose(out, DX, rtol=1e-6)
        assert s.proc.wait(CEILING) == 0


def _refused(s) -> bool:
    try:
        r = httpx.post(s.url + "/v2/models/seed_grad/infer", json={}, timeout=5)
    except httpx.HTTPError:
        return True  # the listener is closed
    return r.status_code == 503


def _wait(cond, what: str, ceiling: float = CEILING) -> None:
    end = time.monotonic() + ceiling
    while not cond():
        assert time.monotonic() < end, what
        time.sleep(0.05)
