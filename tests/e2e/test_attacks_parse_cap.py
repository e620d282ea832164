"""One JSON body's parse is bounded even alone (service.body_budget: max_parse_bytes). Before, a lone body went
ahead whatever its parse cost: one 32 MiB body of `{}` (11 M empty objects) took the server +952 MiB and
18.7 s (benchmarks/envelope_flood.py 32 1), a 256 MiB one would take ~7.6 GB. Now such a body is a 413 naming
max_parse_bytes and the estimate, read and counted but never parsed, while a b64 tensor body near
max_body_bytes (its parse costs about twice its size) is still served. A real server: max_body_bytes 9 MiB,
max_parse_bytes 36 MiB (four times max_body_bytes, the default's lower bound at 256 MiB and above; below, 1 GiB
is still allowed: settings.PARSE_CAP_MIN)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service import body_budget

from .helpers import status_kb, t
from .server import module_server

MIB = 1 << 20
MAX_BODY = 9 * MIB
pytestmark = pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(),
                                reason="reads and resets the server's peak RSS through /proc (Linux)")


srv = module_server("parse_cap", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_BODY_BYTES": str(MAX_BODY),
                         "GRADSERVE_MAX_ELEMENTS": str(1 << 22), "GRADSERVE_MAX_PARSE_BYTES": str(4 * MAX_BODY)})


def test_a_lone_body_of_empty_objects_is_a_413_in_bounded_memory_and_a_large_b64_body_is_served(srv):
    n = (8 * MIB) // 3
    flood = b'{"graph_id": "g", "inputs": [' + b",".join([b"{}"] * n) + b"]}"
    cost = body_budget.parse_cost(flood)  # (~290 MiB: 2.8 M separators)
    pid = srv.proc.pid
    base = status_kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM from now
    with srv.client(timeout=300) as c:
        r = c.post("/v1/eval", content=flood, headers={"content-type": "application/json"})
        assert r.status_code == 413, r.text[:300]
        err = r.json()["error"]
        assert err["code"] == "payload_too_large"
        assert {k: err["detail"][k] for k in ("limit", "value", "got")} == \
            {"limit": "max_parse_bytes", "value": 4 * MAX_BODY, "got": cost}, err
        assert "max_parse_bytes" in err["message"]
        grown = (status_kb(pid, "VmHWM") - base) / 1024  # MiB: the body read, counted, never parsed
        assert grown < 64, grown

        # a b64 tensor body near max_body_bytes: 1.6 M float32 (6.4 MB, 8.5 MB in b64), parsed alone, served
        x = np.random.default_rng(0).random(1_600_000, dtype=np.float32)
        gb = GraphBuilder("big")
        graph = graph_to_json(gb.build(gb.sum_to(gb.sin(gb.input(x.shape, name="x")), (1,))))
        r = c.post("/v1/graphs", json={"graph": graph})
        assert r.status_code == 201, r.text[:300]
        body = json.dumps({"graph_id": r.json()["graph_id"], "inputs": [t(x, "x", "b64")]}).encode()
        assert 8 * MIB < len(body) <= MAX_BODY and body_budget.parse_cost(body) < 2 * len(body) + 4096
        r = c.post("/v1/eval", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text[:300]
        got = r.json()["outputs"][0]["data"][0]
        want = np.sin(x.astype(np.float64)).sum()
        assert abs(got - want) <= 1e-5 * abs(want), (got, want)
