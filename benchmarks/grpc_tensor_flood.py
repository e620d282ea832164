"""A gradserve.v1 gRPC EvalRequest of N empty `Tensor{}` (2 bytes each: 2 M in 3.8 MiB) against a real
server: the answer's status and time, and the server's peak RSS growth (reliab2: refused by max_tensors
before a Python object is made per tensor).

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/grpc_tensor_flood.py [N]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import grpc

from e2e.grpc_wire import open_channel
from e2e.server import Server
from parse_stall import kb
from service.proto import gradserve_pb2 as pb, gradserve_pb2_grpc as pb_grpc


def main(n: int = 2_000_000) -> None:
    m = pb.EvalRequest(graph_id="g")
    m.inputs.extend([pb.Tensor()] * n)
    s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", env={"GRADSERVE_CPU_WORKERS": "1"})
    try:
        pid = s.proc.pid
        base = kb(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        ch = open_channel(s.grpc_target)
        t0 = time.perf_counter()
        try:
            pb_grpc.GradserveStub(ch).Eval(m, timeout=600)
            code, details = "OK", ""
        except grpc.RpcError as e:
            code, details = e.code().name, e.details()
        wall = time.perf_counter() - t0
        ch.close()
        print(f"{n} empty tensors ({m.ByteSize() / 2**20:.1f} MiB): {code} in {wall:.2f} s; server peak RSS "
              f"+{(kb(pid, 'VmHWM') - base) / 1024:.0f} MiB; {details[:160]}")
    finally:
        s.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
