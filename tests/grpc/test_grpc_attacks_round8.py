"""gRPC attack replays, round 8 (reliab8; benchmarks/grpc_stream_attacks.py `unread` measures it): a client whose
gRPC answers (Gradserve's Eval, the Open Inference Protocol's ModelInfer) are never read (a raw HTTP/2 connection granting no flow-control credit) holds at most
grpc_unsent_answer_bytes of them (service.answer_budget): the answers past it are refused, its next jobs too
(RESOURCE_EXHAUSTED naming the setting) until its answers are taken or its connection closes, and another client
(another API key) is served meanwhile. Waits are on frames and answers with generous ceilings."""
from __future__ import annotations

import json

import grpc
import numpy as np
import pytest

from e2e.grpc_wire import arrays, open_channel, request, served_again, unread_calls
from e2e.h2_raw import RawH2
from e2e.helpers import big_answer_graph
from e2e.server import server_in
from oip.models import write_model
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc
from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.proto import gradserve_pb2 as pb
from service.proto import gradserve_pb2_grpc as pb_grpc

SC = grpc.StatusCode
EVAL = "/gradserve.v1.Gradserve/Eval"
GET_GRAPH = "/gradserve.v1.Gradserve/GetGraph"
INFER = "/inference.GRPCInferenceService/ModelInfer"
ANSWER = 1 << 20  # each answer: 2^17 float64
LIMIT = 4 * ANSWER
CALLS = 10  # on one connection, within grpc_max_streams
CEILING = 240.0
KEYS = ("key-unread", "key-other", "key-graphs")
# a pool that takes every call: with the e2e default queue (1 worker + 2 waiting) a busy box refused all but 3 of
# the 10 jobs as "every pool is full" before the first had ended, and the budget of 4 answers was never reached
ENV = {"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": str(CALLS),
       "GRADSERVE_GRPC_UNSENT_ANSWER_BYTES": str(LIMIT), "GRADSERVE_API_KEYS": ",".join(KEYS)}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    repo = tmp_path_factory.mktemp("models")
    write_model(repo, "big", big_answer_graph(ANSWER), {"kind": "eval"})
    with server_in(tmp_path_factory, "grpc_round8", devices="cpu",
                   env={**ENV, "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        yield s


def big_eval():
    return request("eval", {"graph": big_answer_graph(ANSWER), "inputs": [np.ones(1)]})


def big_infer():
    r = opb.ModelInferRequest(model_name="big")
    r.inputs.add(name="x", datatype="FP64", shape=[1])
    r.raw_input_contents.append(np.ones(1).tobytes())
    return r


def auth(key: str) -> list:
    return [("authorization", f"Bearer {key}")]


def test_a_client_that_never_reads_holds_at_most_its_unsent_answer_budget(srv):
    msg = big_eval()
    h = RawH2(srv.grpc_target, window=0)
    ch = open_channel(srv.grpc_target)
    stub = pb_grpc.GradserveStub(ch)
    try:
        held, refused = unread_calls(h, EVAL, msg.SerializeToString(), auth(KEYS[0]), CALLS, CEILING)
        # every job ran (the pool takes them all) and the first 4 answers fill the budget: the rest are refused
        assert len(held) == LIMIT // ANSWER and len(refused) == CALLS - len(held), (held, refused)

        # the same client's next job, on a connection that reads: refused, naming the setting
        with pytest.raises(grpc.RpcError) as e:
            stub.Eval(msg, metadata=auth(KEYS[0]), timeout=CEILING)
        assert e.value.code() == SC.RESOURCE_EXHAUSTED and "grpc_unsent_answer_bytes" in e.value.details(), \
            (e.value.code(), e.value.details())

        # another client is served meanwhile: 2 sin(1) everywhere (NumPy)
        got = arrays(stub.Eval(msg, metadata=auth(KEYS[1]), timeout=CEILING))[0]
        np.testing.assert_allclose(got, np.full(ANSWER // 8, 2 * np.sin(1.0)), rtol=1e-12)
    finally:
        h.close()
    # the connection closed: its calls end, their answers are dropped, and the client's jobs run again
    got = arrays(served_again(lambda: stub.Eval(msg, metadata=auth(KEYS[0]), timeout=CEILING), CEILING))[0]
    np.testing.assert_allclose(got, np.full(ANSWER // 8, 2 * np.sin(1.0)), rtol=1e-12)
    ch.close()


def test_unread_oip_answers_are_bounded_alike(srv):
    """The Open Inference Protocol's unary ModelInfer counts against the same budget (a different key from the test
    above: its connection may still be closing)."""
    key = KEYS[1]
    h = RawH2(srv.grpc_target, window=0)
    ch = open_channel(srv.grpc_target)
    oip = opb_grpc.GRPCInferenceServiceStub(ch)
    try:
        held, refused = unread_calls(h, INFER, big_infer().SerializeToString(), auth(key), CALLS, CEILING)
        assert len(held) == LIMIT // ANSWER and len(refused) == CALLS - len(held), (held, refused)
        with pytest.raises(grpc.RpcError) as e:
            oip.ModelInfer(big_infer(), metadata=auth(key), timeout=CEILING)
        assert e.value.code() == SC.RESOURCE_EXHAUSTED and "grpc_unsent_answer_bytes" in e.value.details(), \
            (e.value.code(), e.value.details())
    finally:
        h.close()
        ch.close()


def weighty_graph() -> dict:
    """y = x * w with w's 2^17 float64 inline: its JSON (a GetGraph answer) ~1.4 MB, asked for by a message of ~80."""
    gb = GraphBuilder("weighty")
    x = gb.input((ANSWER // 8,), "float64", name="x")
    w = gb.param("w", np.random.default_rng(0).standard_normal(ANSWER // 8))
    return graph_to_json(gb.build(gb.mul(x, w)))


def test_unread_graph_answers_are_bounded_alike(srv):
    """GetGraph's answer (a registered graph's JSON, up to max_body_bytes for a request of a few bytes) counts against
    the same budget: before, a client that never reads held every one of them (10 of 10 started)."""
    key = KEYS[2]
    ch = open_channel(srv.grpc_target)
    stub = pb_grpc.GradserveStub(ch)
    h = RawH2(srv.grpc_target, window=0)
    try:
        gid = stub.RegisterGraph(pb.RegisterGraphRequest(graph_json=json.dumps(weighty_graph()).encode()),
                                 metadata=auth(key), timeout=CEILING).graph_id
        n = len(stub.GetGraph(pb.GetGraphRequest(graph_id=gid), metadata=auth(key), timeout=CEILING).graph_json)
        assert n > ANSWER, n  # (far past HTTP/2's initial window: counted)
        ask = pb.GetGraphRequest(graph_id=gid).SerializeToString()
        held, refused = unread_calls(h, GET_GRAPH, ask, auth(key), CALLS, CEILING)
        assert len(held) == LIMIT // n and len(refused) == CALLS - len(held), (n, held, refused)
        with pytest.raises(grpc.RpcError) as e:
            stub.GetGraph(pb.GetGraphRequest(graph_id=gid), metadata=auth(key), timeout=CEILING)
        assert e.value.code() == SC.RESOURCE_EXHAUSTED and "grpc_unsent_answer_bytes" in e.value.details(), \
            (e.value.code(), e.value.details())
    finally:
        h.close()
        ch.close()
