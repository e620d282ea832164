"""The server's main-process peak memory while it sends one large gRPC answer (reliab9): an Eval whose output is
N float64 (default 43.25 M: 346 MB), asked by a plain grpcio stub that reads it, against a real server at its
defaults (one cpu worker). Prints the call's wall time and the main process's peak RSS growth (VmHWM after
clear_refs), per run; the answer's bytes are checked.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests:$PWD/benchmarks python benchmarks/grpc_answer_memory.py [N] [RUNS]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from body_shape_attacks import kb
from e2e.grpc_wire import open_channel, request
from e2e.server import Server
from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.proto import gradserve_pb2_grpc as pb_grpc


def job(n: int):
    gb = GraphBuilder("big")
    x = gb.input((1,), "float64", name="x")
    return request("eval", {"graph": graph_to_json(gb.build(gb.emit1("broadcast_to", gb.sin(x), shape=[n]))),
                            "inputs": [np.ones(1)]})


def main(n: int, runs: int) -> None:
    own = {k: v for k, v in os.environ.items() if k.startswith("GRADSERVE_")}
    s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", base_env={},
               env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_ELEMENTS": str(max(n, 1 << 27)), **own})
    try:
        stub = pb_grpc.GradserveStub(open_channel(s.grpc_target))
        m = job(n)
        for _ in range(runs):
            pid = s.proc.pid
            base = kb(pid, "VmRSS")
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM from now
            t0 = time.perf_counter()
            out = stub.Eval(m, timeout=600).outputs[0]
            wall = time.perf_counter() - t0
            ok = len(out.raw_contents) == 8 * n and np.frombuffer(out.raw_contents[:8], "<f8")[0] == np.sin(1.0)
            del out
            print(f"answer {8 * n / 1e6:.0f} MB: {wall:.1f} s, bytes ok {ok}, main process peak RSS "
                  f"+{(kb(pid, 'VmHWM') - base) / 1024:.0f} MiB (base {base / 1024:.0f} MiB)", flush=True)
    finally:
        s.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 43_250_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
