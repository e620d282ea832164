"""gRPC attack replays, round 7 (reliab7; benchmarks/grpc_stream_attacks.py measures them), against a real server
with few streams per connection (grpc_max_streams 8) and a small max_tensors:

- many more concurrent calls on one channel than streams: with grpc_reset_protection (grpc's overload protection:
  a call counts until the server has freed it) grpc core refuses some streams (REFUSED_STREAM, the call never
  started) even from a client that keeps to the server's cap; the SDK sends such a call again while its timeout
  lasts, so every call is answered; with the protection off, a bare grpcio stub's are all answered too;
- rapid reset (calls opened and reset at once on one connection): refused past the cap, others answered;
- MissingTensors past the hashes a question may name, and PutTensors past max_tensors: refused by their
  message's bytes before it is parsed (service.grpc_precheck), naming the limit.
Waits are on answers with generous ceilings."""
from __future__ import annotations

import asyncio
import hashlib
import threading

import grpc
import numpy as np
import pytest

from e2e.grpc_wire import open_channel
from e2e.h2_raw import rapid_reset
from e2e.server import module_server, server_in
from gradserve._transport.grpc import AsyncGRPCTransport, GRPCTransport
from service.grpc_precheck import MISSING_MESSAGE_BYTES, count_entries
from service.proto import gradserve_pb2 as pb
from service.proto import gradserve_pb2_grpc as pb_grpc
from service.tensor_store import MAX_ENTRIES

SC = grpc.StatusCode
MAX_TENSORS = 16
CALLS = 400  # 50 times the streams one connection may hold
HASH = hashlib.sha256(b"never uploaded").hexdigest()
MISSING = "/gradserve.v1.Gradserve/MissingTensors"
ENV = {"GRADSERVE_GRPC_MAX_STREAMS": "8", "GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_TENSORS": str(MAX_TENSORS),
       "GRADSERVE_MAX_BODY_BYTES": str(32 << 20)}


srv = module_server("grpc_round7", devices="cpu", env=ENV)


def test_many_more_calls_than_streams_on_one_channel_are_all_answered_by_the_sdk(srv):
    t = GRPCTransport(f"grpc://{srv.grpc_target}", timeout=120)
    answers, errors = [], []

    def ask():
        try:
            answers.append(t.call("missing_tensors", {"sha256": [HASH]}))
        except Exception as e:  # noqa: BLE001 - collected: the assert below names them
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(CALLS)]
    try:
        [th.start() for th in threads]
        [th.join(timeout=300) for th in threads]
    finally:
        t.close()
    assert not errors, errors[:3]
    assert [a["missing"] for a in answers] == [[HASH]] * CALLS  # (nothing was uploaded: the hash is missing)


def test_many_more_calls_than_streams_are_all_answered_by_the_async_sdk(srv):
    async def main():
        t = AsyncGRPCTransport(f"grpc://{srv.grpc_target}", timeout=120)
        try:
            return await asyncio.gather(*(t.call("missing_tensors", {"sha256": [HASH]}) for _ in range(CALLS)))
        finally:
            await t.aclose()

    assert [a["missing"] for a in asyncio.run(main())] == [[HASH]] * CALLS


def test_a_missing_tensors_question_past_its_message_bound_is_refused_unparsed(srv_stub):
    n = MAX_ENTRIES + 100  # 6,600 bytes past the 2^18 hashes' 17.3 MB (the bound's slack is 4 KiB)
    with pytest.raises(grpc.RpcError) as e:
        srv_stub.MissingTensors(pb.MissingTensorsRequest(sha256=[HASH] * n), timeout=120)
    assert e.value.code() == SC.RESOURCE_EXHAUSTED, e.value.details()
    assert f"{n * 66} bytes" in e.value.details(), e.value.details()
    assert f"missing_message_bytes={MISSING_MESSAGE_BYTES}" in e.value.details(), e.value.details()
    # the server goes on answering questions within the bound
    assert list(srv_stub.MissingTensors(pb.MissingTensorsRequest(sha256=[HASH]), timeout=60).missing) == [HASH]


def _tensor(a: np.ndarray) -> pb.Tensor:
    return pb.Tensor(datatype="FP32", shape=list(a.shape), raw_contents=a.astype("<f4").tobytes())


def test_an_upload_past_max_tensors_is_refused_before_its_parse_and_one_within_is_stored(srv_stub):
    over = pb.PutTensorsRequest(tensors=[pb.Tensor()] * (MAX_TENSORS + 1))
    with pytest.raises(grpc.RpcError) as e:
        srv_stub.PutTensors(over, timeout=60)
    assert e.value.code() == SC.RESOURCE_EXHAUSTED, e.value.details()
    assert f"at least {MAX_TENSORS + 1} tensors" in e.value.details() and \
        f"max_tensors={MAX_TENSORS}" in e.value.details(), e.value.details()
    arrays = [np.full(3, i, dtype=np.float32) for i in range(MAX_TENSORS)]
    out = srv_stub.PutTensors(pb.PutTensorsRequest(tensors=[_tensor(a) for a in arrays]), timeout=60)
    assert list(out.sha256) == [hashlib.sha256(a.astype("<f4").tobytes()).hexdigest() for a in arrays]


@pytest.mark.parametrize("n", [0, 1, 5, 40])
def test_entries_are_counted_as_protobuf_parses_them(n):
    """count_entries against protobuf's own parse: field 1's entries among other fields of every wire type."""
    m = pb.GradRequest(graph_id="g" * 300, graph_json=b"{}", deadline_ms=7, get_all=True, order=300)
    m.inputs.extend(_tensor(np.arange(i, dtype=np.float32)) for i in range(n))
    m.params["w"].CopyFrom(_tensor(np.ones(2, np.float32)))
    data = m.SerializeToString()
    field = pb.GradRequest.DESCRIPTOR.fields_by_name["inputs"].number
    assert count_entries(data, field, 10 ** 6) == len(pb.GradRequest.FromString(data).inputs) == n
    assert count_entries(data, field, 3) == min(n, 3)


# an unknown field 2 as a group (wire types 3 / 4: protobuf keeps it, and parses what follows): empty, and one
# holding a field-1 entry of its own (not the message's)
_GROUPS = [bytes([0x13, 0x14]), bytes([0x13, 0x0A, 0x00, 0x14]), bytes([0x13, 0x1B, 0x0A, 0x00, 0x1C, 0x14])]


@pytest.mark.parametrize("group", _GROUPS, ids=["empty", "field1-inside", "nested"])
def test_entries_after_an_unknown_group_are_counted_as_protobuf_parses_them(group):
    """A group (wire type 3 .. 4) before the tensors ended the count at 0 while protobuf parses them all: the
    precheck let any number of tensors through to the parse."""
    data = group + pb.PutTensorsRequest(tensors=[pb.Tensor()] * 5).SerializeToString() + group
    assert count_entries(data, 1, 10 ** 6) == len(pb.PutTensorsRequest.FromString(data).tensors) == 5


def test_an_upload_past_max_tensors_behind_an_unknown_group_is_refused_before_its_parse(srv):
    data = _GROUPS[0] + pb.PutTensorsRequest(tensors=[pb.Tensor()] * (MAX_TENSORS + 1)).SerializeToString()
    ch = open_channel(srv.grpc_target)
    try:
        put = ch.unary_unary("/gradserve.v1.Gradserve/PutTensors")  # (bytes as they are: no serializer)
        with pytest.raises(grpc.RpcError) as e:
            put(data, timeout=60)
    finally:
        ch.close()
    assert e.value.code() == SC.RESOURCE_EXHAUSTED, e.value.details()
    # (the precheck's words: the parsed request's count says "has 17 tensors")
    assert f"at least {MAX_TENSORS + 1} tensors" in e.value.details() and "counted no further" in \
        e.value.details(), e.value.details()


def _ask_all(stub, n: int) -> list:
    """n MissingTensors calls at once on `stub`'s one channel: each one's answer or error."""
    out: list = []

    def ask():
        try:
            out.append(list(stub.MissingTensors(pb.MissingTensorsRequest(sha256=[HASH]), timeout=120).missing))
        except grpc.RpcError as e:
            out.append((e.code(), e.details()))

    threads = [threading.Thread(target=ask) for _ in range(n)]
    [th.start() for th in threads]
    [th.join(timeout=300) for th in threads]
    return out


def test_without_reset_protection_a_bare_stubs_calls_are_all_answered(tmp_path_factory):
    env = {**ENV, "GRADSERVE_GRPC_RESET_PROTECTION": "false"}
    with server_in(tmp_path_factory, "no_reset_protection", devices="cpu", env=env) as s:
        ch = open_channel(s.grpc_target)
        answers = _ask_all(pb_grpc.GradserveStub(ch), CALLS)
        ch.close()
    assert [a for a in answers if a != [HASH]] == [] and len(answers) == CALLS


def test_calls_opened_and_reset_at_once_are_refused_past_the_cap_and_others_answered(srv, srv_stub):
    """Rapid reset (CVE-2023-44487) on one connection: 20 K calls, each reset (CANCEL) as soon as it is sent.
    The server refuses the streams that arrive while it still holds grpc_max_streams calls (the reset ones
    count until freed: grpc_reset_protection), and another channel's call is answered meanwhile and after."""
    def answered():
        assert list(srv_stub.MissingTensors(pb.MissingTensorsRequest(sha256=[HASH]), timeout=60).missing) == [HASH]

    refused = rapid_reset(srv.grpc_target, MISSING, pb.MissingTensorsRequest(sha256=[HASH]).SerializeToString(),
                          40, 500, answered)
    assert refused, "no stream was refused: the reset calls did not count against grpc_max_streams"
    assert list(srv_stub.MissingTensors(pb.MissingTensorsRequest(sha256=[HASH]), timeout=60).missing) == [HASH]
