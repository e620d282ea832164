"""HTTP/2 frame floods on the gRPC port that rounds 7-14 did not replay (round 15), against the session server:
while each goes on from one raw connection, another caller's calls are answered right, and after it too.

- SETTINGS, WINDOW_UPDATE and PRIORITY floods (control frames the server must read; SETTINGS it acknowledges);
- a CONTINUATION flood: a header block that never ends (HEADERS without END_HEADERS, then CONTINUATION frames of
  literal headers): grpc core resets the stream once its metadata limit is passed and reads on;
- an HPACK bomb: one 4 KB header put in the dynamic table, then named by its one-byte index 15,000 times (60 MB
  of headers from a 19 KB block): the server closes the connection;
- streams opened (HEADERS) whose message never comes: refused past grpc_max_streams (RST_STREAM), the others'
  calls answered.

No finding to fix here: these pin grpc core's behaviour so that an upgrade or an option that loosens it shows.
(While a peer wrote frames as fast as loopback takes them, of an unknown type or CONTINUATION, grpc core's read
buffer grew the server's RSS by hundreds of MiB: bounded since by grpc_read_buffer_bytes, checked by
tests/grpc/test_grpc_frame_floods.py. Each flood here is bounded in bytes: 8-64 MiB.) Waits are on answers and frames, with generous ceilings."""
from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from service.proto import gradserve_pb2_grpc as pb_grpc

from . import grpc_wire as gw
from .h2_raw import END_HEADERS, END_STREAM, GOAWAY, HEADERS, RST_STREAM, SETTINGS, WINDOW_UPDATE, RawH2, frame, hpack
from .h2_raw import _hpack_int

CEILING = 60.0
PRIORITY, CONTINUATION = 2, 9
MiB = 1 << 20
HEAD = [(":method", "POST"), (":scheme", "http"), (":path", "/gradserve.v1.Gradserve/Eval"), (":authority", "x"),
        ("content-type", "application/grpc"), ("te", "trailers")]


@pytest.fixture(scope="module")
def stub(server):
    """(the session server: no server of this module's own)"""
    ch = gw.open_channel(server.grpc_target)
    yield pb_grpc.GradserveStub(ch)
    ch.close()


class Flood:
    """`chunk(i)` written from a thread until `most` bytes, or the server ends the connection; the frames read
    meanwhile kept where they are RST_STREAM or GOAWAY (SETTINGS and PINGs acknowledged as a live peer must)."""

    def __init__(self, target: str, first: bytes, chunk, most: int):
        self.h, self.most = RawH2(target), most
        self.h.sock.sendall(first)
        self.chunk, self.sent, self.frames, self.ended = chunk, 0, [], None
        self.writer = threading.Thread(target=self._write, daemon=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.writer.start()
        self.reader.start()

    def _write(self) -> None:
        i = 0
        try:
            while self.sent < self.most:
                block = self.chunk(i)
                self.h.sock.sendall(block)
                self.sent += len(block)
                i += 1
        except OSError as e:  # (the server ended the connection)
            self.ended = e

    def _read(self) -> None:
        try:
            while True:
                kind, flags, sid, payload = self.h.read_frame()
                self.h.serve_control(kind, flags, payload)
                if kind in (RST_STREAM, GOAWAY):  # (not the acknowledgements: a million of them)
                    self.frames.append((kind, sid, payload[:64]))
        except (ConnectionError, OSError):
            self.frames.append(("closed", 0, b""))

    def finish(self) -> None:
        self.writer.join(CEILING * 3)
        assert not self.writer.is_alive(), f"the flood still writing after {CEILING * 3} s ({self.sent} bytes)"
        try:
            self.h.sock.shutdown(socket.SHUT_RDWR)  # (wakes the reader's recv: a close alone does not)
        except OSError:
            pass
        self.h.close()
        self.reader.join(CEILING)


def answered_meanwhile(stub, flood: Flood) -> None:
    """Another caller's calls answered right while the flood goes on (at least one), then after it."""
    calls = 0
    while flood.writer.is_alive() or calls == 0:
        gw.canary(stub, CEILING)
        calls += 1
    flood.finish()
    gw.canary(stub, CEILING)


def _settings(i: int) -> bytes:
    return frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535 + i % 7)) * 500  # SETTINGS_INITIAL_WINDOW_SIZE


def _window(i: int) -> bytes:
    return frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)) * 500


_PRIORITIES = b"".join(frame(PRIORITY, 0, 1 + 2 * j, struct.pack(">IB", 0, 16)) for j in range(500))


def _priority(i: int) -> bytes:  # (streams never opened: PRIORITY is allowed on idle streams)
    return _PRIORITIES


# (SETTINGS: 8 MiB, ~600 K frames, each acknowledged by the server: about a second here, at load 2-10)
@pytest.mark.parametrize("chunk, most", [(_settings, 8 * MiB), (_window, 64 * MiB), (_priority, 64 * MiB)],
                         ids=["settings", "window_update", "priority"])
def test_a_control_frame_flood_leaves_others_answered(server, stub, chunk, most):
    answered_meanwhile(stub, Flood(server.grpc_target, b"", chunk, most))


def test_a_header_block_that_never_ends_is_reset_and_others_are_answered(server, stub):
    literal = frame(CONTINUATION, 0, 1, hpack([("x-pad", "b" * 1000)] * 10))  # ~10 KB of headers a frame
    flood = Flood(server.grpc_target, frame(HEADERS, 0, 1, hpack(HEAD)), lambda i: literal * 50, 64 * MiB)
    answered_meanwhile(stub, flood)
    assert any(k == RST_STREAM and sid == 1 for k, sid, _ in flood.frames) or flood.ended, \
        "the endless header block was neither reset nor its connection ended"


def test_an_hpack_bomb_ends_its_connection_and_others_are_answered(server, stub):
    # a literal with incremental indexing (0x40): "x-big" = 4 KB into the dynamic table, as entry 62 (0xbe)
    big = b"\x40" + _hpack_int(5, 7) + b"x-big" + _hpack_int(4000, 7) + b"v" * 4000
    block = frame(HEADERS, END_HEADERS | END_STREAM, 1, hpack(HEAD) + big + b"\xbe" * 15000)
    h = RawH2(server.grpc_target)
    try:
        h.sock.sendall(block)
        h.sock.settimeout(CEILING)
        end, closed = time.monotonic() + CEILING, False
        while not closed and time.monotonic() < end:
            try:
                kind, flags, _, payload = h.read_frame()
                h.serve_control(kind, flags, payload)
            except (ConnectionError, OSError):
                closed = True
        assert closed, "the 60 MB header list was not refused"
    finally:
        h.close()
    gw.canary(stub, CEILING)


def test_streams_whose_message_never_comes_are_refused_past_the_cap(server, stub):
    head = hpack(HEAD)
    def opened(i: int) -> bytes:
        return b"".join(frame(HEADERS, END_HEADERS, 1 + 2 * (100 * i + j), head) for j in range(100))

    flood = Flood(server.grpc_target, b"", opened, 16 * MiB)
    answered_meanwhile(stub, flood)
    assert sum(1 for k, _, _ in flood.frames if k == RST_STREAM) > 0 or flood.ended, \
        "streams past grpc_max_streams were neither refused nor their connection ended"
