"""Limits a gRPC request message meets before it is parsed (service.grpc_inflate calls them on its bytes).

grpc's own receive limit (max_receive_message_length = max_body_bytes) is one for every method; parsing a
message makes a protobuf object per entry, so a cheap question's message is held to what its method can take:

- MissingTensors names at most tensor_store.MAX_ENTRIES hashes: its message at most MISSING_MESSAGE_BYTES
  (each hash 64 hex digits + a tag and a length byte; RESOURCE_EXHAUSTED naming missing_message_bytes). 10^6
  hashes (66 MB) were parsed first, +188 MiB, then refused by their count.
- PutTensors holds at most max_tensors tensors: its top-level entries are counted (without parsing them) up to
  one past the limit; 10^6 empty tensors (2 MB) were parsed, +62 MiB, then refused by their count.
"""
from __future__ import annotations

from typing import Callable

from .errors import LimitExceeded, PayloadTooLarge
from .tensor_store import MAX_ENTRIES

MISSING_MESSAGE_BYTES = MAX_ENTRIES * 66 + 4096
Check = Callable[[bytes], None]


def within_bytes(limit: int, setting: str, what: str) -> Check:
    def check(data: bytes) -> None:
        if len(data) > limit:
            raise PayloadTooLarge(f"the {what} message is {len(data)} bytes, above the limit {setting}={limit}",
                                  limit=setting, value=limit, got=len(data))
    return check


def _varint(data: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        b = data[i]
        n |= (b & 0x7F) << shift
        i += 1
        if b < 0x80:
            return n, i
        shift += 7


def count_entries(data: bytes, field: int, stop: int) -> int:
    """How many top-level entries of length-delimited `field` the message `data` has, counting no further than
    `stop`; malformed bytes end the count (the parse says what is wrong). An unknown field may be a group (wire
    types 3 .. 4, which protobuf keeps and parses past): its contents are not the message's entries."""
    n, i, tag, depth = 0, 0, field << 3 | 2, 0
    try:
        while i < len(data) and n < stop:
            key, i = _varint(data, i)
            wire = key & 7
            if wire == 0:
                _, i = _varint(data, i)
            elif wire == 2:
                size, i = _varint(data, i)
                i += size
                n += key == tag and not depth
            elif wire in (1, 5):
                i += 8 if wire == 1 else 4
            elif wire == 3 or (wire == 4 and depth):
                depth += 1 if wire == 3 else -1
            else:
                return n
    except ValueError:
        return n
    return n


def within_entries(field: int, limit: int, path: str) -> Check:
    def check(data: bytes) -> None:
        if count_entries(data, field, limit + 1) > limit:
            raise LimitExceeded(f"the request has at least {limit + 1} tensors ({path}; counted no further), above "
                                f"the limit max_tensors={limit}", limit="max_tensors", value=limit)
    return check


def message_checks(service: str, max_tensors: int) -> dict[str, Check]:
    """Full method name -> the check its message's bytes meet before they are parsed."""
    return {f"/{service}/MissingTensors": within_bytes(MISSING_MESSAGE_BYTES, "missing_message_bytes",
                                                       "MissingTensors"),
            f"/{service}/PutTensors": within_entries(1, max_tensors, "$.tensors")}
