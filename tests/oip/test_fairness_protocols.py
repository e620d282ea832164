"""Fairness across protocols: every protocol names a job's client alike (API key digest, else peer host;
service.jobs.client_of), so a flood over the Open Inference Protocol cannot starve a client of /v1, OIP
gRPC or UM-Bridge. Before, every OIP and UM-Bridge job counted as one client (""): with the queue full of
an OIP flood, a victim over OIP gRPC or UM-Bridge was that same client and got 429/RESOURCE_EXHAUSTED.

A real server with the test model repository; 22 threads flood /v2/models/slow/infer with one key until the
queue is full, then each victim (another key) asks once per protocol and must get its answer."""
from __future__ import annotations

import json
import threading

import httpx
import numpy as np
import pytest

from e2e.helpers import X, Y, call, decode, matmul_net, pool_of, slow_input, wait_for_pool
from e2e.server import Server

from .models import write_repository

import tritonclient.grpc as grpcclient  # the test extra: fail, never skip

DX = np.array([[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]], np.float32)
UX, UY = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.4, -0.7])
FLOOD, VICTIM = {"Authorization": "Bearer flood-key"}, {"Authorization": "Bearer victim-key"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("fair_protocols") / "server.log", devices="cpu",
               env={"GRADSERVE_MODEL_REPOSITORY": str(write_repository(tmp_path_factory.mktemp("models"))),
                    "GRADSERVE_QUEUE_SIZE": "16", "GRADSERVE_API_KEYS": "flood-key,victim-key",
                    "GRADSERVE_INLINE_MAX_MS": "0", "GRADSERVE_DEFAULT_DEADLINE_S": "60"})
    yield s
    s.stop()


def _oip_flood(srv: Server, stop: threading.Event, codes: list) -> None:
    x = slow_input(256)
    head = json.dumps({"inputs": [{"name": "x", "shape": [256, 256], "datatype": "FP32",
                                   "parameters": {"binary_data_size": x.nbytes}}]}).encode()
    headers = {**FLOOD, "Inference-Header-Content-Length": str(len(head))}
    with httpx.Client(base_url=srv.url, timeout=120, limits=httpx.Limits(max_keepalive_connections=0)) as c:
        while not stop.is_set():
            try:
                r = c.post("/v2/models/slow/infer", content=head + x.tobytes(), headers=headers)
            except httpx.HTTPError:
                continue
            codes.append(r.status_code)
            if r.status_code != 200:
                stop.wait(0.05)


# serial: the flood must keep the queue full while each victim asks: not beside another xdist worker's load
@pytest.mark.serial
def test_an_oip_flood_does_not_starve_a_victim_on_any_protocol(srv):
    stop, codes = threading.Event(), []
    threads = [threading.Thread(target=_oip_flood, args=(srv, stop, codes), daemon=True) for _ in range(22)]
    for t in threads:
        t.start()
    triton = grpcclient.InferenceServerClient(srv.grpc_target)
    try:
        with httpx.Client(base_url=srv.url, timeout=120, headers=VICTIM) as v:
            wait_for_pool(v, "the OIP flood never filled the queue", lambda p: p["queue_depth"] >= 14, timeout=60)
            for _ in range(2):
                r = call(v, "grad", {"graph": matmul_net(), "inputs": [X, Y]})  # /v1
                np.testing.assert_allclose(decode(r)["outputs"][0]["array"], DX, rtol=1e-6)

                ins = [grpcclient.InferInput(n, list(a.shape), "FP32") for n, a in (("x", X), ("y", Y))]
                ins[0].set_data_from_numpy(X)
                ins[1].set_data_from_numpy(Y)
                got = triton.infer("seed_grad", ins, headers={"authorization": VICTIM["Authorization"]})
                np.testing.assert_allclose(got.as_numpy("d/dx"), DX, rtol=1e-6)  # OIP gRPC

                r = v.post("/umbridge/Evaluate", json={"name": "um", "input": [UX.tolist(), UY.tolist()]})
                assert r.status_code == 200, r.text  # UM-Bridge
                np.testing.assert_allclose(r.json()["output"][0], np.sin(UX) * UY, rtol=1e-12)
                assert pool_of(v)["queue_depth"] >= 8, "the flood ebbed: not the scenario under test"
    finally:
        stop.set()
        triton.close()
        for t in threads:
            t.join(120)
    assert 429 in codes, "the flood never met a full queue: not the scenario under test"
