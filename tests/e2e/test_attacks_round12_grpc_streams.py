"""Answers on Open Inference Protocol streams held half-open and never read (round 12, ModelStreamInfer).

A unary gRPC answer counts against its client's grpc_unsent_answer_bytes until written (round 8); a stream's did
not: its next answer waits for the last to be written, so a stream holds one at a time, but a client holds as many
streams as it likes (grpc_max_streams a connection, many connections). Measured before: 8 streams each asking for a
16 MiB answer and granting no flow-control credit held +545 MiB of the server's memory under a budget of 32 MiB.
Now a stream's answer counts as a unary one does until written: past the budget the stream gets an error message
naming the setting (the stream goes on), and the client's unary calls are refused alike, while another client is
served.

A real server (API keys k1 / k2, one cpu worker, answers of 1 MiB, a budget of two of them). Waits are on frames,
statistics and answers with generous ceilings.
"""
from __future__ import annotations

import struct
import time

import grpc
import httpx
import numpy as np
import pytest
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from .grpc_wire import open_channel, served_again
from .h2_raw import DATA, END_HEADERS, HEADERS, SETTINGS, WINDOW_UPDATE, RawH2, frame, hpack
from .helpers import big_answer_graph
from .server import server_in

ANSWER = 1 << 20
LIMIT = 2 * ANSWER + (64 << 10)  # (each answer is its tensor and a few bytes of message)
STREAMS = 4
CEILING = 120.0
STREAM_INFER = "/inference.GRPCInferenceService/ModelStreamInfer"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_model

    repo = tmp_path_factory.mktemp("models")
    write_model(repo, "big", big_answer_graph(ANSWER), {"kind": "eval"})
    with server_in(tmp_path_factory, "grpc_streams", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": str(2 * STREAMS),
                        "GRADSERVE_API_KEYS": "k1,k2", "GRADSERVE_GRPC_UNSENT_ANSWER_BYTES": str(LIMIT),
                        "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        yield s


def infer() -> opb.ModelInferRequest:
    r = opb.ModelInferRequest(model_name="big")
    r.inputs.add(name="x", datatype="FP64", shape=[1])
    r.raw_input_contents.append(np.ones(1).tobytes())
    return r


def inferences(srv) -> int:
    r = httpx.get(f"{srv.url}/v2/models/big/stats", headers={"Authorization": "Bearer k1"}, timeout=CEILING)
    return r.json()["model_stats"][0]["inference_count"]


def open_streams(h: RawH2, n: int) -> list[int]:
    """n ModelStreamInfer calls of k1, one request each, left open (no END_STREAM)."""
    m = infer().SerializeToString()
    head = hpack([(":method", "POST"), (":scheme", "http"), (":path", STREAM_INFER), (":authority", "x"),
                  ("content-type", "application/grpc"), ("te", "trailers"), ("authorization", "Bearer k1")])
    sids = []
    for i in range(n):
        sid = 1 + 2 * i
        h.sock.sendall(frame(HEADERS, END_HEADERS, sid, head) + frame(DATA, 0, sid, b"\x00" + struct.pack(">I", len(m)) + m))
        sids.append(sid)
    return sids


def read_messages(h: RawH2, sids: list[int]) -> dict[int, opb.ModelStreamInferResponse]:
    """Credit granted at last: each stream's first message."""
    h.sock.sendall(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 1 << 30)) + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 30)))
    bufs: dict[int, bytes] = {sid: b"" for sid in sids}
    out: dict[int, opb.ModelStreamInferResponse] = {}
    end = time.monotonic() + CEILING
    while len(out) < len(sids):
        assert time.monotonic() < end, sorted(out)
        kind, flags, sid, payload = h.read_frame()
        h.serve_control(kind, flags, payload)
        if kind == DATA and sid in bufs and sid not in out:
            bufs[sid] += payload
            b = bufs[sid]
            if len(b) >= 5 and len(b) >= 5 + struct.unpack(">I", b[1:5])[0]:
                out[sid] = opb.ModelStreamInferResponse.FromString(b[5:5 + struct.unpack(">I", b[1:5])[0]])
    return out


def test_answers_on_streams_never_read_count_in_the_clients_budget(srv):
    ch = open_channel(srv.grpc_target)
    stub = opb_grpc.GRPCInferenceServiceStub(ch)
    before = inferences(srv)
    h = RawH2(srv.grpc_target, window=0)
    try:
        sids = open_streams(h, STREAMS)
        end = time.monotonic() + CEILING
        while inferences(srv) < before + STREAMS:  # every stream's job ran; two answers wait for credit
            assert time.monotonic() < end, inferences(srv) - before
            time.sleep(0.1)
        # k1's budget is full of its streams' answers: its unary call is refused, naming the setting
        with pytest.raises(grpc.RpcError) as e:
            stub.ModelInfer(infer(), metadata=[("authorization", "Bearer k1")], timeout=CEILING)
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and \
            "grpc_unsent_answer_bytes" in e.value.details(), (e.value.code(), e.value.details())
        # another client is served meanwhile
        ok = stub.ModelInfer(infer(), metadata=[("authorization", "Bearer k2")], timeout=CEILING)
        np.testing.assert_allclose(np.frombuffer(ok.raw_output_contents[0], np.float64),
                                   np.full(ANSWER // 8, 2 * np.sin(1.0)))
        # with credit at last: two streams got their answer, the others an error naming the setting
        got = read_messages(h, sids)
        # (an error carries its request's id in infer_response too, as Triton's stream errors: not an answer)
        answered = [sid for sid, m in got.items() if m.HasField("infer_response") and not m.error_message]
        refused = [m.error_message for m in got.values() if m.error_message]
        assert len(answered) == 2 and len(refused) == STREAMS - 2, (answered, refused)
        assert all("grpc_unsent_answer_bytes" in msg for msg in refused), refused
    finally:
        h.close()
    # its streams gone, k1 is served again
    ok = served_again(lambda: stub.ModelInfer(infer(), metadata=[("authorization", "Bearer k1")], timeout=CEILING),
                      CEILING, "grpc_unsent_answer_bytes")
    assert len(ok.raw_output_contents[0]) == ANSWER
    ch.close()
