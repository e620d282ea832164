"""grpc_compressed_requests = true, the default: a stock client's gzip / deflate request messages are handed to the
server as sent (grpc.per_message_decompression = 0) and inflated by it within max_body_bytes and body_budget_bytes
(service.grpc_inflate), against one real server (max_body_bytes 16 MiB, so the budget is 32 MiB). The server's peak
RSS is read from /proc (VmHWM, reset through clear_refs before each attack)."""
from __future__ import annotations

import gzip
import os
import threading

import grpc
import numpy as np
import pytest
from e2e.grpc_wire import arrays, open_channel, request, rpc_error
from e2e.helpers import DX, X, Y, matmul_net
from e2e.server import module_server
from tritonclient.grpc import service_pb2 as opb
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from service.proto import gradserve_pb2_grpc as pb_grpc

MIB = 1 << 20
MAX_BODY = 16 * MIB
BUDGET = 2 * MAX_BODY  # body_budget_bytes' default
GRPC_COPIES = 3  # of a plain message received: C-core's frames, cygrpc's bytearray and the bytes made of it
MALLOC_SLACK_MIB = 96  # what the threads' malloc arenas keep of freed messages (49-50 MiB with MALLOC_ARENA_MAX=1)
pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                                reason="reads and resets the server's peak RSS through /proc (Linux)")


srv = module_server("grpc_gz", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_BODY_BYTES": str(MAX_BODY)})  # (the default)


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith(field + ":"))


def peak_reset(pid: int) -> int:
    base = status_kb(pid, "VmRSS")
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) restarts at the RSS now
    return base


def padded_grad(size: int):
    """A grad request whose first input carries `size` zero bytes: a few KiB of gzip (its shape does not match)."""
    m = request("grad", {"graph": matmul_net(), "inputs": [X, Y]})
    m.inputs[0].raw_contents = bytes(size)
    return m


def test_stock_clients_compressed_calls_are_served(srv):
    ch = open_channel(srv.grpc_target)
    stub, oip = pb_grpc.GradserveStub(ch), opb_grpc.GRPCInferenceServiceStub(ch)
    m = request("grad", {"graph": matmul_net(), "inputs": [X, Y]})
    for algorithm in (grpc.Compression.Gzip, grpc.Compression.Deflate, grpc.Compression.NoCompression):
        np.testing.assert_allclose(arrays(stub.Grad(m, timeout=60, compression=algorithm))[0], DX, rtol=1e-6)
        assert oip.ServerLive(opb.ServerLiveRequest(), timeout=60, compression=algorithm).live
    # a channel compressing every call, as a client configured once does
    with grpc.insecure_channel(srv.grpc_target, compression=grpc.Compression.Gzip) as gz:
        np.testing.assert_allclose(arrays(pb_grpc.GradserveStub(gz).Grad(m, timeout=60))[0], DX, rtol=1e-6)
    ch.close()


def test_a_gzip_bomb_is_refused_within_the_budget(srv):
    """64 MiB of zeros (~64 KiB of gzip) in one message: RESOURCE_EXHAUSTED naming max_body_bytes, the server's
    RSS grown by less than the budget; deflate alike."""
    ch = open_channel(srv.grpc_target)
    stub = pb_grpc.GradserveStub(ch)
    m = padded_grad(64 * MIB)
    pid = srv.proc.pid
    base = peak_reset(pid)
    for algorithm in (grpc.Compression.Gzip, grpc.Compression.Deflate):
        e = rpc_error(stub.Grad, m, timeout=60, compression=algorithm)
        assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "max_body_bytes" in e.details(), \
            (e.code(), e.details())
    grew_mib = (status_kb(pid, "VmHWM") - base) / 1024
    assert grew_mib < BUDGET / MIB, f"the server's RSS grew by {grew_mib:.0f} MiB"
    ch.close()


@pytest.mark.parametrize("algorithm", [grpc.Compression.Gzip, grpc.Compression.NoCompression], ids=["gzip", "plain"])
def test_many_large_calls_at_once_stay_within_the_budget(srv, algorithm):
    """16 clients send 2 messages each at once (15 MiB inflated: a few KiB of gzip, or sent plain; 960 MiB
    inflated and parsed if nothing bounded them): each call is answered with its message's own error (its input's
    size) or RESOURCE_EXHAUSTED naming body_budget_bytes (or a full pool), and the server's peak RSS grows by
    63-123 MiB (514 MiB with grpc inflating them): the budget's bytes, a lone message's copies past it, and what
    each thread's malloc arena keeps of the messages it freed (49-50 MiB with MALLOC_ARENA_MAX=1). Plain messages
    (their parse and decode copies charged above body_budget.FREE) grew it by 1,190 MiB uncharged."""
    m = padded_grad(15 * MIB)
    answers: list = []

    def attack():
        with grpc.insecure_channel(srv.grpc_target, compression=algorithm,
                                   options=[("grpc.max_send_message_length", -1)]) as c:
            stub = pb_grpc.GradserveStub(c)
            for _ in range(2):
                e = rpc_error(stub.Grad, m, timeout=120)
                answers.append((e.code(), e.details()))

    pid = srv.proc.pid
    base = peak_reset(pid)
    threads = [threading.Thread(target=attack) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    grew_mib = (status_kb(pid, "VmHWM") - base) / 1024
    print(f"peak RSS growth: {grew_mib:.0f} MiB; answers:", sorted({(a[0].name, a[1][:80]) for a in answers}))
    # a plain message is received whole by grpc before the server sees it, and grpc gives no handle on how many
    # at once (benchmarks/SERVICE_REPORT.md, "CI flake audit (stop 39)"): each of the 16 messages in flight costs
    # at most what a lone one does, grpc's GRPC_COPIES and its parse copy (a lone 15 MiB message: +51-61 MiB).
    # The budget bounds only the parse and decode copies (test_a_large_plain_message_is_charged_a_small_one_is_not).
    # Measured 541-779 MiB in 10 runs with 2 CPU burners, 899 MiB on CI.
    per_message = 0 if algorithm == grpc.Compression.Gzip else (GRPC_COPIES + 1) * 15
    bound = 16 * per_message + (2 * BUDGET / MIB if algorithm == grpc.Compression.Gzip else 0) + MALLOC_SLACK_MIB
    assert grew_mib < bound, f"the server's RSS grew by {grew_mib:.0f} MiB, above {bound:.0f} MiB"
    assert len(answers) == 32
    for code, details in answers:
        assert code == grpc.StatusCode.INVALID_ARGUMENT or (
            code == grpc.StatusCode.RESOURCE_EXHAUSTED and ("body_budget_bytes" in details or "full" in details)), \
            (code, details)


def test_corrupt_compressed_messages_are_invalid_and_streams_inflate_theirs(srv):
    """A message that starts as gzip but is not (truncated, or garbage after the magic) is INVALID_ARGUMENT naming
    what is wrong; a streaming method's messages (reflection's ServerReflectionInfo) are inflated one by one."""
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    ch = open_channel(srv.grpc_target)
    raw = ch.unary_unary("/gradserve.v1.Gradserve/Grad", request_serializer=None, response_deserializer=None)
    good = gzip.compress(request("grad", {"graph": matmul_net(), "inputs": [X, Y]}).SerializeToString())
    for body, says in ((good[:-9], "truncated"), (b"\x1f\x8b" + bytes(64), "corrupt"),
                       (good + b"tail", "after its end")):
        e = rpc_error(raw, body, timeout=60)  # (sent as bytes, uncompressed by grpc: as a client's own gzip)
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and says in e.details(), (e.code(), e.details())
    reflect = reflection_pb2_grpc.ServerReflectionStub(ch)
    asks = [reflection_pb2.ServerReflectionRequest(host="h" * 65536, list_services="")] * 2  # (compressible)
    answers = list(reflect.ServerReflectionInfo(iter(asks), timeout=60, compression=grpc.Compression.Gzip))
    assert len(answers) == 2
    for a in answers:
        assert "gradserve.v1.Gradserve" in {s.name for s in a.list_services_response.service}
    ch.close()


@pytest.mark.parametrize("compressed", [True, False])  # grpc_compressed_requests
def test_a_large_plain_message_is_charged_a_small_one_is_not(compressed):
    """A plain message above body_budget.FREE takes COPIES times its bytes past FREE from the budget until its handler
    returns (a lone one whatever its size; past the budget RESOURCE_EXHAUSTED naming body_budget_bytes, as a
    compressed one's); a small one is parsed in place, on the event loop's thread, and charged nothing."""
    import asyncio

    from service.body_budget import FREE, BodyBudget
    from service.errors import Overloaded
    from service.grpc_inflate import COPIES, Inflating

    budget = BodyBudget(2 * MAX_BODY)
    refused: list = []

    async def abort(context, e):
        refused.append(e)
        raise grpc.aio.AbortError()

    seen: list = []

    async def handler(request, context):
        seen.append((len(request), budget.used))
        return b"ok"

    def parse(data):
        seen.append(threading.get_ident())
        return data

    async def main():
        h = await Inflating(MAX_BODY, budget, abort, compressed).intercept_service(
            lambda details: asyncio.sleep(0, grpc.unary_unary_rpc_method_handler(handler, request_deserializer=parse)),
            None)
        loop_thread = threading.get_ident()
        assert await h.unary_unary(bytes(FREE), None) == b"ok"
        assert seen == [loop_thread, (FREE, 0)] and budget.used == 0  # small: in place, not charged
        seen.clear()
        large = bytes(FREE + 1)
        assert await h.unary_unary(large, None) == b"ok"
        assert seen == [loop_thread, (FREE + 1, COPIES)] and budget.used == 0  # its bytes past FREE, given back
        budget.take(1)  # another request's: no room left for a lone message past it
        big = bytes(MAX_BODY)  # (COPIES times it is past the budget)
        with pytest.raises(grpc.aio.AbortError):
            await h.unary_unary(big, None)
        assert len(refused) == 1 and isinstance(refused[0], Overloaded), refused
        assert refused[0].detail["limit"] == "body_budget_bytes" and "retry after" in refused[0].message
        assert budget.used == 1

    asyncio.run(main())


def test_a_job_methods_message_is_given_back_once_decoded_and_dropped():
    """A method in `held` gets its message in a Held: taken (the holder keeps none), the parsed copy of a large
    plain message (one of COPIES) goes back to the budget at `decoded`, once; the rest (grpc's bytes, the
    decoded arrays) when the handler returns. Another method's message is held whole until its handler returns."""
    import asyncio
    import sys
    from types import SimpleNamespace

    from service.body_budget import FREE, BodyBudget
    from service.grpc_inflate import COPIES, Held, Inflating, decoded, message_of

    budget = BodyBudget(8 * MAX_BODY)
    large = bytes(FREE + 1000)
    seen: list = []

    async def job(held, context):
        assert type(held) is Held
        m = message_of(held)
        assert held.message is None and message_of(held) is None  # (taken: the holder keeps no reference)
        seen.append(budget.used)
        refs = sys.getrefcount(m)
        del m
        decoded(held)
        decoded(held)  # (once)
        seen.extend([refs, budget.used])
        return b"ok"

    async def other(request, context):
        seen.append(budget.used)
        return b"ok"

    async def main():
        ic = Inflating(MAX_BODY, budget, None, False, held=frozenset({"/s/Job"}))
        for method, fn in (("/s/Job", job), ("/s/Other", other)):
            h = await ic.intercept_service(lambda d, fn=fn: asyncio.sleep(0, grpc.unary_unary_rpc_method_handler(
                fn, request_deserializer=lambda b: bytearray(b))), SimpleNamespace(method=method))
            assert await h.unary_unary(large, None) == b"ok"
            assert budget.used == 0
        # job: all COPIES held, then one given back (the handler's name the message's only reference: getrefcount
        # counts its argument too); other: all held
        assert seen == [COPIES * 1000, 2, (COPIES - 1) * 1000, COPIES * 1000], seen
        # compressed: its inflated bytes are freed once parsed, so two copies go back (one stays: the arrays)
        seen.clear()
        gz = Inflating(MAX_BODY, budget, None, True, held=frozenset({"/s/Job"}))
        h = await gz.intercept_service(lambda d: asyncio.sleep(0, grpc.unary_unary_rpc_method_handler(
            job, request_deserializer=lambda b: bytearray(b))), SimpleNamespace(method="/s/Job"))
        assert await h.unary_unary(gzip.compress(large), None) == b"ok"
        charged, refs, left = seen
        assert charged >= COPIES * len(large) and left == charged - 2 * (charged // COPIES) >= len(large), seen
        assert budget.used == 0

    asyncio.run(main())


def test_a_running_jobs_message_is_no_longer_charged_in_full(srv):
    """A gRPC job's message (4 MiB plain) is charged COPIES times its bytes past FREE while it is decoded; once its
    tensors are decoded the handler drops the parsed message and its copy goes back (grpc_inflate.Held), so
    while the job waits and runs the budget holds COPIES - 1 of them (before: all COPIES until the call
    returned); none once it has."""
    import time

    from e2e.helpers import metric, slow_input, slow_net
    from service.body_budget import FREE
    from service.grpc_inflate import COPIES

    # (~0.5 s quiet; tens of seconds at load 16 on 2 cores, past the 30 s default deadline: its own is generous)
    m = request("eval", {"graph": slow_net(1024, 50), "inputs": [slow_input(1024)], "deadline_ms": 280_000})
    size = len(m.SerializeToString())
    assert size > 4 * MIB
    ch = open_channel(srv.grpc_target)
    with srv.client(timeout=60) as http:
        fut = pb_grpc.GradserveStub(ch).Eval.future(m, timeout=300)
        held, end = [], time.monotonic() + 60
        while not fut.done() and time.monotonic() < end:
            held.append(metric(http, "gradserve_body_budget_bytes", state="held"))
            if held[-1] == (COPIES - 1) * (size - FREE):
                break
            time.sleep(0.02)
        assert held and held[-1] == (COPIES - 1) * (size - FREE), (held[-5:], size)
        assert np.isfinite(arrays(fut.result(timeout=300))[0]).all()
        end = time.monotonic() + 60
        while metric(http, "gradserve_body_budget_bytes", state="held") != 0:
            assert time.monotonic() < end, "the call's charge was never given back"
            time.sleep(0.05)
    ch.close()
