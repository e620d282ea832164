"""Who a gRPC call is for when its metadata repeats `authorization` (reliab11, service.api_keys.metadata_authorization).

gradserve.v1's key check read the first authorization value and its client identity (jobs.client_of, every
per-client share) the last (dict(metadata)): a valid key followed by any other value was let in as that key and
counted as a client of its own, a fresh one per value. So one client escaped every per-client bound: here
grpc_unsent_answer_bytes (a client that never reads held more answers than its budget: each call a new client), as
well the fair dispatch of the pools and the caches' per-client shares. The Open Inference Protocol's service read
the last value for both. Now both services read the first, as HTTP reads the first Authorization header.

A real server (API keys k1 / k2, one cpu worker, an unsent-answer budget of two 1 MiB answers). Waits are on
frames and answers with generous ceilings.
"""
from __future__ import annotations

import grpc
import numpy as np
import pytest
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from service.proto import gradserve_pb2_grpc as pb_grpc

from .grpc_wire import arrays, open_channel, request, served_again, unread_calls
from .h2_raw import RawH2
from .helpers import big_answer_graph
from .server import server_in

ANSWER = 1 << 20  # each answer: 2^17 float64, far above HTTP/2's initial window: held unsent by a peer granting none
LIMIT = 2 * ANSWER
CALLS = 4
CEILING = 240.0
EVAL = "/gradserve.v1.Gradserve/Eval"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_model

    repo = tmp_path_factory.mktemp("models")
    write_model(repo, "big", big_answer_graph(ANSWER), {"kind": "eval"})
    with server_in(tmp_path_factory, "grpc_identity", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": str(CALLS), "GRADSERVE_API_KEYS": "k1,k2",
                        "GRADSERVE_GRPC_UNSENT_ANSWER_BYTES": str(LIMIT), "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        yield s


def auth(*keys: str) -> list:
    return [("authorization", f"Bearer {k}") for k in keys]


def big_infer() -> opb.ModelInferRequest:
    r = opb.ModelInferRequest(model_name="big")
    r.inputs.add(name="x", datatype="FP64", shape=[1])
    r.raw_input_contents.append(np.ones(1).tobytes())
    return r


def test_a_repeated_authorization_is_the_first_keys_client_on_both_services(srv):
    msg = request("eval", {"graph": big_answer_graph(ANSWER), "inputs": [np.ones(1)]})
    want = np.full(ANSWER // 8, 2 * np.sin(1.0))
    h = RawH2(srv.grpc_target, window=0)
    ch = open_channel(srv.grpc_target)
    stub, oip = pb_grpc.GradserveStub(ch), opb_grpc.GRPCInferenceServiceStub(ch)
    try:
        held, refused = unread_calls(h, EVAL, msg.SerializeToString(), auth("k1"), CALLS, CEILING)
        assert len(held) == LIMIT // ANSWER and len(refused) == CALLS - len(held), (held, refused)
        # k1's budget is full: a call of k1 followed by other values is k1's, whatever the other values
        for i, call in enumerate((lambda md: stub.Eval(msg, metadata=md, timeout=CEILING),
                                  lambda md: oip.ModelInfer(big_infer(), metadata=md, timeout=CEILING))):
            for extra in (f"someone-{i}", "k2"):
                with pytest.raises(grpc.RpcError) as e:
                    call(auth("k1", extra))
                assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and \
                    "grpc_unsent_answer_bytes" in e.value.details(), (extra, e.value.code(), e.value.details())
        # a wrong key first is refused, whatever follows it
        with pytest.raises(grpc.RpcError) as e:
            stub.Eval(msg, metadata=auth("nope", "k1"), timeout=CEILING)
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED, e.value.code()
        # another client (k2 first) is served meanwhile
        np.testing.assert_allclose(arrays(stub.Eval(msg, metadata=auth("k2", "k1"), timeout=CEILING))[0], want,
                                   rtol=1e-12)
    finally:
        h.close()
    got = served_again(lambda: stub.Eval(msg, metadata=auth("k1", "someone"), timeout=CEILING), CEILING,
                       "grpc_unsent_answer_bytes")
    np.testing.assert_allclose(arrays(got)[0], want, rtol=1e-12)
    ch.close()
