"""Attack replays of huge declared sizes with tiny data (reliab4 gap 4), each against a real server with its
defaults (one cpu worker, a model repository of one model) while a second client probes /v2/health/live every
50 ms (body_shape_attacks.attack): a /v1/vjp `sens` far larger than the output or mismatched, OIP inferences
declaring huge shapes (JSON data, binary_data_size), UM-Bridge with a huge `inWrt` or config, an OIP request
naming one output 60 K times. Prints each answer, wall time, the probes' worst latency, peak RSS growth.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests:$PWD/benchmarks python benchmarks/declared_shape_attacks.py
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from engine import GraphBuilder
from engine.serialize import graph_to_json
from e2e.server import Server
from body_shape_attacks import attack
from oip.models import write_model


def sin_graph() -> dict:
    gb = GraphBuilder("m")
    return graph_to_json(gb.build(gb.sin(gb.input((4,), "float64", name="x"))))


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    write_model(tmp / "repo", "m", sin_graph(), {"kind": "eval"})
    s = Server(tmp / "server.log", devices="cpu", base_env={},
               env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MODEL_REPOSITORY": str(tmp / "repo")})
    x = {"name": "x", "shape": [4], "datatype": "FP64", "data": [0.1, 0.2, 0.3, 0.4]}
    try:
        with s.client(timeout=300) as c:
            def post(route: str, body, headers=None):
                content = body if isinstance(body, bytes) else json.dumps(body).encode()
                return lambda: (lambda r: (r.status_code, r.text))(c.post(
                    route, content=content, headers={"content-type": "application/json", **(headers or {})}))

            g = sin_graph()
            for shape, data in (([1 << 40], [1.0]), ([1 << 26], [1.0]), ([4, 1 << 20], [1.0] * 4),
                                ([2 ** 63], [1.0]), ([-1], [1.0]), ([4], [1.0] * (1 << 20))):
                sens = {"name": "out", "shape": shape, "datatype": "FP64", "data": data}
                attack(s, f"vjp sens shape {shape}, {len(data)} values",
                       post("/v1/vjp", {"graph": g, "inputs": [x], "v": [sens]}))
            attack(s, "vjp sens b64 of 64 Mi elements declared, 8 bytes sent",
                   post("/v1/vjp", {"graph": g, "inputs": [x], "v": [{"name": "out", "shape": [1 << 26],
                                                                       "datatype": "FP64", "b64": "AAAAAAAAAAA="}]}))
            for shape in ([1 << 40], [1 << 26], [2 ** 62, 4]):
                attack(s, f"OIP infer x shape {shape}, 4 values",
                       post("/v2/models/m/infer", {"inputs": [{**x, "shape": shape}]}))
            head = json.dumps({"inputs": [{"name": "x", "shape": [1 << 26], "datatype": "FP64",
                                           "parameters": {"binary_data_size": 8 << 26}}]}).encode()
            attack(s, "OIP infer binary_data_size 512 MiB declared, 32 bytes sent",
                   post("/v2/models/m/infer", head + b"\0" * 32, {"inference-header-content-length": str(len(head))}))
            attack(s, "OIP infer one output named 60000 times",
                   post("/v2/models/m/infer", {"inputs": [x], "outputs": [{"name": "out"}] * 60000}))
            for extra in ({"inWrt": 10 ** 30}, {"inWrt": -1}, {"config": {"device": "cpu" * 1000000}},
                          {"config": {f"k{i}": i for i in range(200000)}}):
                attack(s, f"UM-Bridge Gradient {str(extra)[:40]}",
                       post("/umbridge/Gradient", {"name": "m", "outWrt": 0, "inWrt": 0, "input": [[0.1] * 4],
                                                   "sens": [1.0] * 4, **extra}))
        print("server RSS now", Path(f"/proc/{s.proc.pid}/status").read_text().split("VmRSS:")[1].split()[0], "kB")
    finally:
        s.stop()


if __name__ == "__main__":
    main()
