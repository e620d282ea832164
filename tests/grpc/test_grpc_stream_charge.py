"""A ModelStreamInfer message is charged in full only while it is decoded (service.grpc_inflate.Held, as a unary
job's): once its inputs are decoded the handler drops the parsed message and its copy goes back to the body
budget while the job waits and runs. Before, each stream message, parsed, and its whole charge (COPIES times its
bytes past FREE) were kept until its job's answer was sent. A real server, one cpu worker, the OIP model
repository with a slow model of a 4 MiB input. Expected values: NumPy."""
from __future__ import annotations

import asyncio
import queue
import sys
import time
from types import SimpleNamespace

import grpc
import numpy as np
import pytest
from e2e.grpc_wire import open_channel
from e2e.helpers import metric, slow_input, slow_net
from e2e.server import server_in
from tritonclient.grpc import service_pb2 as opb
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from service.body_budget import FREE, BodyBudget
from service.grpc_inflate import COPIES, Held, Inflating, decoded, message_of

N, K = 1024, 20  # the slow model: K chained (N x N) matmuls of its one input


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_model

    repo = tmp_path_factory.mktemp("stream_models")
    write_model(repo, "slow", slow_net(N, K), {"kind": "eval"})
    with server_in(tmp_path_factory, "stream_charge", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MODEL_REPOSITORY": str(repo),
                        "GRADSERVE_MAX_ELEMENTS": str(N * N), "GRADSERVE_DEFAULT_DEADLINE_S": "300"}) as s:
        yield s


def _want(x: np.ndarray) -> float:
    y = x.astype(np.float64)
    for _ in range(K):
        y = np.tanh(y @ x.astype(np.float64))
    return float(y.sum())


def _infer(x: np.ndarray, rid: str) -> opb.ModelInferRequest:
    m = opb.ModelInferRequest(model_name="slow", id=rid)
    m.inputs.add(name="x", datatype="FP32", shape=list(x.shape))
    m.raw_input_contents.append(x.tobytes())
    m.parameters["triton_enable_empty_final_response"].bool_param = True
    return m


def test_a_stream_messages_copy_goes_back_once_decoded(srv):
    x = slow_input(N)
    requests = [_infer(x, "a"), _infer(-x, "b")]
    size = len(requests[0].SerializeToString())
    assert size > 4 * (1 << 20)
    asks: queue.Queue = queue.Queue()
    ch = open_channel(srv.grpc_target)
    answers = opb_grpc.GRPCInferenceServiceStub(ch).ModelStreamInfer(iter(asks.get, None), timeout=300)
    got = []
    with srv.client(timeout=60) as http:
        for m in requests:
            asks.put(m)
            held, end = [], time.monotonic() + 120
            while time.monotonic() < end:  # (until its job runs with the message dropped, or the ceiling)
                held.append(metric(http, "gradserve_body_budget_bytes", state="held"))
                if held[-1] == (COPIES - 1) * (size - FREE):
                    break
                time.sleep(0.02)
            assert held[-1] == (COPIES - 1) * (size - FREE), (held[-5:], size)
            got.append(next(answers))
        asks.put(None)
        assert list(answers) == []
        end = time.monotonic() + 60
        while metric(http, "gradserve_body_budget_bytes", state="held") != 0:
            assert time.monotonic() < end, "the stream's charge was never given back"
            time.sleep(0.05)
    ch.close()
    for r, sign, rid in zip(got, (1, -1), ("a", "b")):
        assert not r.error_message, r.error_message
        out = r.infer_response
        assert out.id == rid and out.parameters["triton_final_response"].bool_param
        value = np.frombuffer(out.raw_output_contents[0], dtype=np.float32)[0]
        want = _want(sign * x)
        assert abs(value - want) <= 1e-4 * max(1.0, abs(want)), (value, want)


def test_a_held_streams_messages_are_given_back_one_by_one():
    """The interceptor alone: a held stream method's handler gets each message in a Held, its copy given back
    once decoded, the rest when it asks for the next; another stream method's messages are held whole."""
    budget = BodyBudget(1 << 30)
    large = bytes(FREE + 1000)
    seen: list = []

    async def job(requests, context):
        async for held in requests:
            assert type(held) is Held
            m = message_of(held)
            seen.append(budget.used)
            refs = sys.getrefcount(m)
            del m
            decoded(held)
            seen.extend([refs, budget.used])
            yield b"ok"

    async def other(requests, context):
        async for m in requests:
            seen.append(budget.used)
            yield b"ok"

    async def messages():
        for _ in range(2):
            yield large

    async def main():
        ic = Inflating(1 << 30, budget, None, False, held=frozenset({"/s/Job"}))
        for method, fn in (("/s/Job", job), ("/s/Other", other)):
            h = await ic.intercept_service(lambda d, fn=fn: asyncio.sleep(0, grpc.stream_stream_rpc_method_handler(
                fn, request_deserializer=lambda b: bytearray(b))), SimpleNamespace(method=method))
            assert [r async for r in h.stream_stream(messages(), None)] == [b"ok", b"ok"]
            assert budget.used == 0

    asyncio.run(main())
    one = [COPIES * 1000, 2, (COPIES - 1) * 1000]  # (getrefcount counts its argument: the handler's name alone)
    assert seen == one + one + [COPIES * 1000] * 2, seen
