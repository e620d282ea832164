"""How long a second client's health probes wait while one client registers, or evaluates inline, a chain graph
near max_nodes (reliab4 gap 2), against a real server with its defaults (one cpu worker, max_nodes 100 K), a probe
on /v2/health/live every 50 ms. Prints each step's answer, wall time, the probes' worst latency and the server's
peak RSS growth (body_shape_attacks.attack).

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/graph_stall.py [NODES]
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from engine import GraphBuilder
from engine.serialize import graph_to_json
from e2e.server import Server


def chain(nodes: int) -> dict:
    """x -> sin -> sin -> ... (nodes - 1 sins) as gradserve.graph/1."""
    gb = GraphBuilder("chain")
    y = gb.input((4,), name="x")
    for _ in range(nodes - 1):
        y = gb.sin(y)
    return graph_to_json(gb.build(y))


def main(nodes: int = 99_000) -> None:
    from body_shape_attacks import attack  # (run as a script: tests import `chain` from benchmarks.graph_stall)

    tmp = Path(tempfile.mkdtemp())
    s = Server(tmp / "server.log", devices="cpu", base_env={}, env={"GRADSERVE_CPU_WORKERS": "1"})
    graph = chain(nodes)
    register = json.dumps({"graph": graph}).encode()
    job = json.dumps({"graph": graph, "inputs": [{"name": "x", "shape": [4], "datatype": "FP32",
                                                  "data": [0.1, 0.2, 0.3, 0.4]}]}).encode()
    print(f"{nodes} nodes: register body {len(register) >> 10} KiB", flush=True)
    try:
        with s.client(timeout=600) as c:
            def post(route: str, body: bytes):
                return lambda: (lambda r: (r.status_code, r.text))(
                    c.post(route, content=body, headers={"content-type": "application/json"}))

            attack(s, f"register {nodes}-node chain", post("/v1/graphs", register))
            attack(s, f"register {nodes}-node chain again (known)", post("/v1/graphs", register))
            attack(s, f"eval {nodes}-node chain inline", post("/v1/eval", job))
            attack(s, f"grad {nodes}-node chain inline", post("/v1/grad", job))
    finally:
        s.stop()


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
