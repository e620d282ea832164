"""Small gRPC answers a client never reads count against its grpc_unsent_answer_bytes (reliab9): each answer under
64 KiB is counted as 64 KiB (service.answer_wire.counted_bytes), so their number is bounded by the budget (before,
they were not counted: one connection held every call's answer, a client as many as its connections' streams).
A raw HTTP/2 connection granting no flow-control credit asks many small Evals; at most budget / 64 KiB answers
wait, the others are refused (a status alone), another client is served meanwhile, and once the connection
closes the client's jobs run again. Waits are on frames and answers with generous ceilings."""
from __future__ import annotations

import numpy as np

from e2e.grpc_wire import arrays, open_channel, request, served_again, unread_calls
from e2e.h2_raw import RawH2
from e2e.server import module_server
from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.proto import gradserve_pb2_grpc as pb_grpc

EVAL = "/gradserve.v1.Gradserve/Eval"
N = 128  # each answer: 128 float64, 1 KiB
COUNTED = 64 << 10  # what each counts for (HTTP/2's initial window, service.answer_budget.COUNTED)
HELD = 8  # answers the budget takes
LIMIT = HELD * COUNTED
CALLS = 40  # on one connection, within grpc_max_streams
CEILING = 240.0
KEYS = ("key-unread", "key-other")


srv = module_server("grpc_small_answers", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_GRPC_UNSENT_ANSWER_BYTES": str(LIMIT),
                         "GRADSERVE_API_KEYS": ",".join(KEYS)})


def small_eval():
    gb = GraphBuilder("small")
    x = gb.input((1,), "float64", name="x")
    return request("eval", {"graph": graph_to_json(gb.build(gb.emit1("broadcast_to", gb.sin(x), shape=[N]))),
                            "inputs": [np.ones(1)]})


def auth(key: str) -> list:
    return [("authorization", f"Bearer {key}")]


def test_small_unread_answers_are_bounded_by_the_budget_in_number(srv):
    msg = small_eval()
    want = np.full(N, np.sin(1.0))
    h = RawH2(srv.grpc_target, window=0)
    ch = open_channel(srv.grpc_target)
    stub = pb_grpc.GradserveStub(ch)
    try:
        held, refused = unread_calls(h, EVAL, msg.SerializeToString(), auth(KEYS[0]), CALLS, CEILING)
        assert 1 <= len(held) <= HELD and len(held) + len(refused) == CALLS, (held, refused)
        # another client is served meanwhile
        np.testing.assert_allclose(arrays(stub.Eval(msg, metadata=auth(KEYS[1]), timeout=CEILING))[0], want,
                                   rtol=1e-12)
    finally:
        h.close()
    # the connection closed: its calls end, their answers are dropped, and the client's jobs run again
    got = arrays(served_again(lambda: stub.Eval(msg, metadata=auth(KEYS[0]), timeout=CEILING), CEILING,
                              naming="grpc_unsent_answer_bytes"))[0]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    ch.close()
