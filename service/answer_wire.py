"""A large gRPC job answer written as its wire bytes once, and what an answer counts for in the client's unsent-answer
budget (reliab9).

Built as a message, a 346 MB answer was copied four times in the main process before grpc took it: each output's
bytes into a `bytes`, that into the message, the message serialized by grpc's response serializer, and grpc's own
copy into its send buffer (peak +990-1,320 MiB). And grpc.aio keeps the message and its serialized bytes until the
answer is sent, so an answer a client never read held ~3.5 bytes per byte counted in grpc_unsent_answer_bytes.
Here the JobResponse's protobuf encoding is joined once from its small fields' encoding and each output's bytes
as they lie (the worker's array, no copy), and the job methods' response serializer passes such `bytes` through
(`passing_bytes`): the joined answer and grpc's copy are all that is held. Field order follows protobuf's own
serializer (outputs, field 1, first; each Tensor's raw_contents, field 4, last), so the bytes are the ones
`SerializeToString` writes.
"""
from __future__ import annotations

from typing import Any, Callable

import grpc

from . import codec
from .answer_budget import COUNTED
from .proto import gradserve_pb2 as pb

OUTPUTS = 1  # JobResponse.outputs
RAW_CONTENTS = 4  # Tensor.raw_contents
LENGTH_DELIMITED = 2  # protobuf's wire type of bytes, strings and messages


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field_head(number: int, length: int) -> bytes:
    """A length-delimited field's key and length (its value follows)."""
    return _varint(number << 3 | LENGTH_DELIMITED) + _varint(length)


def job_answer_bytes(outputs: list, rest: pb.JobResponse) -> bytes:
    """The JobResponse of `outputs` ((name, array) pairs) and `rest` (its other fields, no outputs), serialized:
    each output's bytes copied once, into the answer."""
    parts: list[Any] = []
    for name, a in outputs:
        head = pb.Tensor(name=name, datatype=codec.v2_datatype(a.dtype), shape=list(a.shape)).SerializeToString()
        raw = codec.tensor_to_bytes(a)
        n = memoryview(raw).nbytes
        raw_key = field_head(RAW_CONTENTS, n) if n else b""  # (proto3: empty bytes are not written)
        parts += [field_head(OUTPUTS, len(head) + len(raw_key) + n), head, raw_key, raw]
    parts.append(rest.SerializeToString())
    return b"".join(parts)


def counted_bytes(nbytes: int) -> int:
    """What an answer of `nbytes` counts for in grpc_unsent_answer_bytes: at least COUNTED. A small answer a
    client never reads is held as a large one is (a connection's 64 KiB window goes to the first), with its call's
    state: uncounted, one connection's grpc_max_streams of them held ~8 MiB and a client may open many connections.
    Counted as COUNTED each, their number is bounded by the budget (grpc_unsent_answer_bytes / 64 KiB: 2048 at the
    default)."""
    return max(nbytes, COUNTED)


def passing_bytes(serialize: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """A response serializer that takes an answer already serialized (`bytes`) as it is."""
    return lambda m: m if type(m) is bytes else serialize(m)


class WireAnswers:
    """Stands for a grpc server while a generated add_*Servicer_to_server registers its handlers: those of
    `methods` get `passing_bytes` serializers, then all go to `server`."""

    def __init__(self, server, methods: frozenset):
        self.server, self.methods = server, methods

    def add_generic_rpc_handlers(self, handlers) -> None:
        pass  # (the same handlers come next, by name: registered below with a generic handler of their own)

    def add_registered_method_handlers(self, service: str, handlers: dict) -> None:
        handlers = {name: h._replace(response_serializer=passing_bytes(h.response_serializer))
                    if name in self.methods else h for name, h in handlers.items()}
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
        self.server.add_registered_method_handlers(service, handlers)
