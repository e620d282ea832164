"""TFRecord files for TFRecordDataset: records framed by length and masked CRC-32C, tf.train.Example messages
decoded from protobuf's wire format (a few fields: no generated code)."""
from __future__ import annotations

import gzip
import struct
import zlib
from typing import Any, Iterator

from ._schema import _syntax_error


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC = _crc_table()


def _masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC-32C (Castagnoli) of data."""
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    c ^= 0xFFFFFFFF
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def header_ok(path: str) -> bool:
    """Whether the file opens and its first record's length has a valid masked CRC (MindSpore 2.10's check of
    every file before it reads: TFRecordNode::ValidateTFRecordFiles)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    head = head[:8].ljust(8, b"\0") + head[8:12].ljust(4, b"\0")
    return struct.unpack("<I", head[8:])[0] == _masked_crc(head[:8])


def read_records(path: str, compression: str = "") -> list[bytes]:
    """The records of a TFRecord file (compression "GZIP" / "ZLIB": the file a gzip / zlib stream of it): uint64
    length, masked CRC of it, data, masked CRC of the data."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        data = gzip.decompress(data) if compression == "GZIP" else zlib.decompress(data) if compression else data
    except (OSError, EOFError, zlib.error):
        data = b"\0"  # (not a stream of that kind: the invalid-file error below)
    records, at = [], 0
    while at < len(data):
        head = data[at: at + 12]
        n = struct.unpack("<Q", head[:8])[0] if len(head) == 12 else -1
        body = data[at + 12: at + 12 + n + 4] if n >= 0 else b""
        if n < 0 or len(body) != n + 4 or struct.unpack("<I", head[8:])[0] != _masked_crc(head[:8]) \
                or struct.unpack("<I", body[n:])[0] != _masked_crc(body[:n]):
            raise _syntax_error("Invalid file. The following files either cannot be opened, or are not valid "
                                f"TFRecordDataset files:\n    {path}\n")
        records.append(body[:n])
        at += 16 + n
    return records


def _varint(buf: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        b = buf[at]
        value |= (b & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not b & 0x80:
            return value, at


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message: varints as ints, the rest as bytes."""
    at = 0
    while at < len(buf):
        key, at = _varint(buf, at)
        kind = key & 7
        if kind == 0:
            value, at = _varint(buf, at)
            yield key >> 3, kind, value
        elif kind == 2:
            n, at = _varint(buf, at)
            yield key >> 3, kind, buf[at: at + n]
            at += n
        elif kind in (1, 5):
            n = 8 if kind == 1 else 4
            yield key >> 3, kind, buf[at: at + n]
            at += n
        else:
            raise ValueError(f"TFRecord: protobuf wire type {kind} is not read")


def _feature(buf: bytes) -> tuple[str, list]:
    """A tf.train.Feature: ("bytes" | "float" | "int", its values)."""
    for num, _, value in _fields(buf):
        kind = {1: "bytes", 2: "float", 3: "int"}.get(num)
        if kind is None or not isinstance(value, bytes):
            continue
        values: list = []
        for _, wire, v in _fields(value):
            if kind == "bytes":
                values.append(v)
            elif kind == "float":
                values += list(struct.unpack(f"<{len(v) // 4}f", v)) if wire == 2 else [struct.unpack("<f", v)[0]]
            elif wire == 0:
                values.append(v - (1 << 64) if v >= 1 << 63 else v)
            else:
                values += _packed_ints(v)
        return kind, values
    return "int", []


def _packed_ints(buf: bytes) -> list[int]:
    out, at = [], 0
    while at < len(buf):
        v, at = _varint(buf, at)
        out.append(v - (1 << 64) if v >= 1 << 63 else v)
    return out


def parse_example(record: bytes) -> dict[str, tuple[str, list]]:
    """tf.train.Example -> {feature name: (kind, values)}."""
    found = {}
    for num, _, features in _fields(record):
        if num != 1 or not isinstance(features, bytes):
            continue
        for fnum, _, entry in _fields(features):
            if fnum != 1 or not isinstance(entry, bytes):
                continue
            parts = {n: v for n, _, v in _fields(entry)}
            found[bytes(parts.get(1, b"")).decode()] = _feature(bytes(parts.get(2, b"")))
    return found
