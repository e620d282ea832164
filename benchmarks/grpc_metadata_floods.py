"""gRPC metadata floods and many concurrent calls on one channel (reliab6 item 3) against a real server with its
defaults (one cpu worker) while a second client probes /v2/health/live every 50 ms. Prints the calls' status
codes, the probes' worst latency and the server's peak RSS growth.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/grpc_metadata_floods.py
"""
import sys, tempfile, threading
from pathlib import Path
import grpc
from e2e.server import Server
from body_shape_attacks import attack
from service.proto import gradserve_pb2 as pb, gradserve_pb2_grpc as pbg

s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", base_env={}, env={"GRADSERVE_CPU_WORKERS": "1"})
try:
    ch = grpc.insecure_channel(s.grpc_target, options=[("grpc.max_metadata_size", 64 << 20)])
    stub = pbg.GradserveStub(ch)
    def call(md, n=1):
        def go():
            codes = {}
            def one():
                try:
                    stub.MissingTensors(pb.MissingTensorsRequest(sha256=[]), metadata=md, timeout=60); c = "OK"
                except grpc.RpcError as e:
                    c = e.code().name
                codes[c] = codes.get(c, 0) + 1
            ths = [threading.Thread(target=one) for _ in range(n)]
            [t.start() for t in ths]; [t.join() for t in ths]
            return str(codes), ""
        return go
    attack(s, "one 1 MiB metadata value", call([("x-big", "a" * (1 << 20))]))
    attack(s, "10 K metadata entries", call([(f"x-{i}", "v") for i in range(10_000)]))
    attack(s, "200 calls with 8 KiB metadata each at once", call([("x-big", "a" * 8000)], 200))
    attack(s, "1000 concurrent calls, one channel", call([], 1000))
finally:
    s.stop()
