"""Attack replays on parameter values by content hash (reliab6: service.tensor_store, POST /v1/tensors(/missing),
gRPC PutTensors / MissingTensors), against a real server with its defaults (one cpu worker) while a second client
probes /v2/health/live every 50 ms. Prints each attack's answer, wall time, the probes' worst latency and the
server's peak RSS growth (body_shape_attacks.attack).

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/tensor_store_attacks.py [REPEATS]

- a registration whose one parameter value names one uploaded 1 MiB piece REPEATS times (a ~67-byte hash per
  MiB joined: 10^5 of them, a 6.7 MB body, asked for 100 GB);
- POST /v1/tensors/missing and gRPC MissingTensors with 10^6 hashes (above the 2^18 a request may name), and
  with 2^18.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import grpc
import numpy as np

from engine import GraphBuilder
from engine.serialize import graph_to_json
from e2e.server import Server
from body_shape_attacks import attack

MIB = 1 << 20


def graph_naming(key: str, repeats: int) -> dict:
    """x * w, w's value (float32, repeats MiB of it) named as `key` repeated."""
    gb = GraphBuilder("by_hash")
    x = gb.input((4,), name="x")
    w = gb.param("w", np.zeros(4, np.float32))
    d = graph_to_json(gb.build(gb.mul(x, w)))
    n = repeats * MIB // 4
    for p in d["params"]:
        p["value"] = {"shape": [n // 4, 4] if n >= 4 else [n], "dtype": "float32", "sha256": [key] * repeats}
    return d


def main(repeats: int = 300) -> None:
    from service.proto import gradserve_pb2 as pb, gradserve_pb2_grpc as pbg

    tmp = Path(tempfile.mkdtemp())
    s = Server(tmp / "server.log", devices="cpu", base_env={}, env={"GRADSERVE_CPU_WORKERS": "1"})
    try:
        with s.client(timeout=600) as c, grpc.insecure_channel(s.grpc_target, options=[
                ("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]) as ch:
            stub = pbg.GradserveStub(ch)
            piece = np.random.default_rng(0).integers(0, 255, MIB, dtype=np.uint8).tobytes()
            key = stub.PutTensors(pb.PutTensorsRequest(tensors=[pb.Tensor(
                name="w", datatype="UINT8", shape=[MIB], raw_contents=piece)])).sha256[0]

            def post(route: str, body: bytes):
                return lambda: (lambda r: (r.status_code, r.text))(
                    c.post(route, content=body, headers={"content-type": "application/json"}))

            def rpc(method, request):
                def send():
                    try:
                        out = method(request, timeout=600)
                        return "OK", f"{len(out.missing)} missing"
                    except grpc.RpcError as e:
                        return e.code().name, e.details()
                return send

            body = json.dumps({"graph": graph_naming(key, repeats)}).encode()
            attack(s, f"register one 1 MiB piece named {repeats} times ({len(body) >> 10} KiB)",
                   post("/v1/graphs", body))
            for n in (10 ** 6, 1 << 18):
                keys = [f"{i:064x}" for i in range(n)]
                attack(s, f"HTTP missing, {n} hashes", post("/v1/tensors/missing", json.dumps({"sha256": keys}).encode()))
                attack(s, f"gRPC MissingTensors, {n} hashes", rpc(stub.MissingTensors, pb.MissingTensorsRequest(sha256=keys)))
    finally:
        s.stop()


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
