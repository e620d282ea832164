"""gRPC attack replays, round 7 (reliab7), against a real server with its defaults (one cpu worker) while a second
client probes /v2/health/live every 50 ms (body_shape_attacks.attack: the answers, wall time, the probes' worst
latency, the server's peak RSS growth).

- `streams`: N concurrent calls on one channel past grpc_max_streams: a bare grpcio stub's, then the SDK's.
- `missing`: MissingTensors naming 10^6 hashes (over the 2^18 a question may name) and 2^18 (allowed).
- `put`: PutTensors of 10^6 empty tensors (past max_tensors).

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/grpc_stream_attacks.py [streams] [missing] [put]
"""
from __future__ import annotations

import collections
import sys
import tempfile
import threading
from pathlib import Path

import grpc

from body_shape_attacks import attack
from e2e.grpc_wire import open_channel
from e2e.server import Server
from service.proto import gradserve_pb2 as pb, gradserve_pb2_grpc as pb_grpc

HASH = "ab" * 32


def concurrently(n: int, one) -> tuple[str, str]:
    """`one()` in n threads at once: (the count of each outcome, the first error's details)."""
    codes: collections.Counter = collections.Counter()
    first: list[str] = []
    lock = threading.Lock()

    def run():
        try:
            one()
            c = "OK"
        except grpc.RpcError as e:
            c = e.code().name
            first.append(e.details())
        except Exception as e:  # noqa: BLE001 - the SDK's errors: counted by type
            c = type(e).__name__
            first.append(str(e))
        with lock:
            codes[c] += 1

    ths = [threading.Thread(target=run) for _ in range(n)]
    [t.start() for t in ths]
    [t.join() for t in ths]
    return str(dict(codes)), (first or [""])[0]


def one_call(stub, method: str, m):
    def go():
        try:
            getattr(stub, method)(m, timeout=120)
            return "OK", ""
        except grpc.RpcError as e:
            return e.code().name, e.details()
    return go


def main(which: list[str]) -> None:
    s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", base_env={}, env={"GRADSERVE_CPU_WORKERS": "1"})
    try:
        ch = open_channel(s.grpc_target)
        stub = pb_grpc.GradserveStub(ch)
        if "streams" in which:
            ask = pb.MissingTensorsRequest(sha256=[HASH])
            for n in (1000, 1000):
                attack(s, f"{n} concurrent calls, one channel, grpcio stub",
                       lambda: concurrently(n, lambda: stub.MissingTensors(ask, timeout=60)))
            from gradserve._transport.grpc import GRPCTransport
            sdk = GRPCTransport(f"grpc://{s.grpc_target}", timeout=60)
            for n in (1000, 1000):
                attack(s, f"{n} concurrent calls, one channel, the SDK's transport",
                       lambda: concurrently(n, lambda: sdk.call("missing_tensors", {"sha256": [HASH]})))
            sdk.close()
        if "missing" in which:
            for n in (10 ** 6, 1 << 18):
                attack(s, f"MissingTensors of {n} hashes", one_call(stub, "MissingTensors",
                                                                   pb.MissingTensorsRequest(sha256=[HASH] * n)))
        if "put" in which:
            m = pb.PutTensorsRequest()
            m.tensors.extend([pb.Tensor()] * 10 ** 6)
            attack(s, "PutTensors of 10^6 empty tensors", one_call(stub, "PutTensors", m))
        ch.close()
    finally:
        s.stop()


if __name__ == "__main__":
    main(sys.argv[1:] or ["streams", "missing", "put"])
