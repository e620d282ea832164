"""A body of a million malformed tensor envelopes (`"inputs": [{}, {}, ...]`): validation stops at the first
bad one (a 400 naming it), the server's memory stays bounded by the body, and another client is answered
meanwhile (before: one pydantic error per element, ~2.5 GB and a minute for 4 MiB; benchmarks/envelope_flood.py)."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.errors import InvalidRequest
from service.jobs import validate

from .helpers import status_kb
from .server import module_server

MIB = 2


srv = module_server("flood", devices="cpu",
                    # max_tensors above the flood's count: the envelopes' validation is what is under test here (a
                    # body over the count is refused before it: test_attacks_request_counts)
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_BODY_BYTES": str((MIB + 1) << 20),
                         "GRADSERVE_MAX_TENSORS": str(1 << 21)})


def test_a_flood_of_empty_envelopes_is_one_400_in_bounded_memory_and_others_are_served(srv):
    n = (MIB << 20) // 3
    flood = b'{"graph_id": "g", "inputs": [' + b",".join([b"{}"] * n) + b"]}"
    gb = GraphBuilder("small")
    graph = graph_to_json(gb.build(gb.sum_to(gb.sin(gb.input((3,), name="x")), (1,))))
    x = [0.1, 0.2, 0.3]
    small = {"graph": graph, "inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": x}]}
    pid = srv.proc.pid
    base = status_kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM from now
    got: dict = {}
    done = threading.Event()

    def attack():
        try:
            with srv.client(timeout=300) as c:
                got["r"] = c.post("/v1/eval", content=flood, headers={"content-type": "application/json"})
        finally:
            done.set()

    th = threading.Thread(target=attack)
    th.start()
    answered = []
    with srv.client(timeout=120) as c:
        while not done.is_set() or not answered:
            r = c.post("/v1/eval", json=small)
            assert r.status_code == 200, r.text[:300]
            answered.append(r.json()["outputs"][0]["data"][0])
    th.join(300)
    r = got["r"]
    assert r.status_code == 400, r.text[:300]
    err = r.json()["error"]
    assert err["detail"]["path"] == "$.inputs[0].shape", err
    assert len(err["detail"]["errors"]) == 2  # that envelope's own errors (shape, datatype), no other element's
    assert abs(answered[-1] - np.sin(np.float32(x)).sum()) < 1e-5
    assert (status_kb(pid, "VmHWM") - base) / 1024 < 400


@pytest.mark.parametrize("kind,head,path", [
    ("eval", {"graph_id": "g", "inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}, {"shape": [-1]}]},
     "$.inputs[1].shape[0]"),
    ("eval", {"graph_id": "g", "params": {"w": {"shape": [1], "datatype": 3}}}, "$.params.w.datatype"),
    ("grad", {"graph_id": "g", "sens": {"shape": "x", "datatype": "FP32"}}, "$.sens.shape"),
    ("vjp", {"graph_id": "g", "v": [{"shape": [1], "datatype": "FP32"}, 7]}, "$.v[1]"),
])
def test_the_first_bad_envelope_is_named_alone(kind, head, path):
    with pytest.raises(InvalidRequest) as e:
        validate(kind, head)
    assert e.value.detail["path"] == path, e.value.message
