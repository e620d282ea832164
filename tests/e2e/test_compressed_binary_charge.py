"""A compressed (Content-Encoding gzip) binary-extension job body (/v1 or an OIP inference) is copied, once inflated, into a
shared-memory buffer as an uncompressed one is read (service.http_app._into_buffer): its tensors reach the
worker without another copy, and its inflated bytes, with their body-budget charge, go before the job runs.
Before, the inflated bytes (the tensors' views) and their whole charge were held until the job was over, and
each tensor was copied again into shared memory at dispatch: an 80 MiB body held 80 MiB of the budget while
its job ran. A real server, one cpu worker. Expected values: NumPy."""
from __future__ import annotations

import gzip
import json
import threading
import time

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import busy_worker, metric, pool_of, slow_input
from .server import Server

N, K = 1024, 20  # K chained (N x N) matmuls: about half a second on a quiet core
ROWS = 4 * N  # the body's second tensor: ROWS x N float32 (16 MiB), summed


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_model

    repo = tmp_path_factory.mktemp("gz_models")
    write_model(repo, "slow_sum", _graph(), {"kind": "eval"})
    s = Server(tmp_path_factory.mktemp("gz_binary") / "server.log", devices="cpu",
               env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_ELEMENTS": str(ROWS * N),
                    "GRADSERVE_MODEL_REPOSITORY": str(repo),
                    "GRADSERVE_MAX_BODY_BYTES": str(64 << 20), "GRADSERVE_DEFAULT_DEADLINE_S": "300"})
    yield s
    s.stop()


def _graph() -> dict:
    gb = GraphBuilder("slow_sum")
    x, z = gb.input((N, N), name="x"), gb.input((ROWS, N), name="z")
    y = x
    for _ in range(K):
        y = gb.tanh(gb.matmul(y, x))
    return graph_to_json(gb.build(gb.add(gb.sum(y), gb.sum(z))))


def _want(x: np.ndarray, z: np.ndarray) -> float:
    y = x.astype(np.float64)
    for _ in range(K):
        y = np.tanh(y @ x.astype(np.float64))
    return float(y.sum() + z.astype(np.float64).sum())


@pytest.mark.parametrize("route", ["/v1/eval", "/v2/models/slow_sum/infer"])
def test_a_compressed_binary_bodys_charge_goes_before_its_job_runs(srv, route):
    x = slow_input(N)
    z = np.random.default_rng(1).random((ROWS, N), dtype=np.float32)
    inputs = [{"name": "x", "shape": [N, N], "datatype": "FP32", "parameters": {"binary_data_size": x.nbytes}},
              {"name": "z", "shape": [ROWS, N], "datatype": "FP32", "parameters": {"binary_data_size": z.nbytes}}]
    head = json.dumps({"graph": _graph(), "inputs": inputs} if route == "/v1/eval" else
                      {"inputs": inputs, "parameters": {"binary_data_output": False}}).encode()
    body = gzip.compress(head + x.tobytes() + z.tobytes(), 1)
    got = {}

    def post():
        with srv.client(timeout=300) as c:
            got["r"] = c.post(route, content=body, headers={
                "content-type": "application/octet-stream", "content-encoding": "gzip",
                "inference-header-content-length": str(len(head))})

    th = threading.Thread(target=post)
    th.start()
    with srv.client(timeout=60) as m:
        busy_worker(m, timeout=120)  # the job runs: its body was inflated and decoded
        held = []  # the budget's held bytes while the job runs (before: the inflated body's, throughout)
        while th.is_alive() and any(w["state"] == "busy" for w in pool_of(m)["workers"]):
            held.append(metric(m, "gradserve_body_budget_bytes", state="held"))
            if held[-1] == 0:
                break
            time.sleep(0.02)
        th.join(300)
        assert not th.is_alive()
        after = metric(m, "gradserve_body_budget_bytes", state="held")
    assert held and held[-1] == 0 and after == 0, (held[-5:], after)
    r = got["r"]
    assert r.status_code == 200, r.text[:300]
    value, want = r.json()["outputs"][0]["data"][0], _want(x, z)  # (both protocols' JSON output)
    assert abs(value - want) <= 1e-5 * abs(want), (value, want)
