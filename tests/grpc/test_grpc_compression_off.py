"""grpc_compressed_requests = false (the default is true: tests/grpc/test_grpc_compressed.py): gRPC's own
compression (grpc-encoding gzip / deflate) is refused uninflated, naming the algorithm, on gradserve.v1 and on
the Open Inference Protocol's service alike (grpc_inflate's per_message_decompression off, grpc allows identity
only); uncompressed calls are served."""
from __future__ import annotations

import grpc
import numpy as np
from e2e.grpc_wire import arrays, call, open_channel, request, rpc_error
from e2e.helpers import DX, X, Y, matmul_net
from e2e.server import server_in
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from service.proto import gradserve_pb2_grpc as pb_grpc


def test_compressed_grpc_calls_are_refused_uninflated_when_off(tmp_path_factory):
    env = {"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_GRPC_COMPRESSED_REQUESTS": "false"}
    with server_in(tmp_path_factory, "compression_off", devices="cpu", env=env) as s:
        ch = open_channel(s.grpc_target)
        stub, oip = pb_grpc.GradserveStub(ch), opb_grpc.GRPCInferenceServiceStub(ch)
        m = request("grad", {"graph": matmul_net(), "inputs": [X, Y]})
        m.inputs[0].raw_contents = bytes(32 << 20)  # (a bomb of zeros: a few KiB of gzip)
        for algorithm, name in ((grpc.Compression.Gzip, "gzip"), (grpc.Compression.Deflate, "deflate")):
            e = rpc_error(stub.Grad, m, timeout=60, compression=algorithm)
            assert e.code() == grpc.StatusCode.UNIMPLEMENTED and name in e.details(), (e.code(), e.details())
            e = rpc_error(oip.ServerLive, opb.ServerLiveRequest(), timeout=60, compression=algorithm)
            assert e.code() == grpc.StatusCode.UNIMPLEMENTED and name in e.details(), (e.code(), e.details())
        np.testing.assert_allclose(arrays(call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))[0], DX,
                                   rtol=1e-6)
        assert oip.ServerLive(opb.ServerLiveRequest(), timeout=60).live
        ch.close()
