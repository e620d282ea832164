"""HTTP/2 frames written at the gRPC port as fast as loopback takes them hold bounded server memory (grpcmem).

grpc core reads a connection's socket ahead of its HTTP/2 parser, and with no bound its read buffer grew with what
a peer wrote faster than it was parsed: frames of a type HTTP/2 does not define (skipped, so read at full speed),
or a header block that never ends (HEADERS without END_HEADERS, then CONTINUATION frames), grew the server's RSS by
300-650 MiB while the connection lasted (grpcio 1.85; a bare grpc.aio server the same). The server bounds it with
grpc_read_buffer_bytes (grpc.experimental.tcp_max_read_buffer_size, 1 MiB): +1-5 MiB measured.

Against the session server: the server's peak RSS (VmHWM, reset through /proc's clear_refs as the flood starts)
grows by at most FLOOD_RSS_MIB while FLOOD_BYTES are written, and another caller's calls are answered meanwhile and
after (round 15's Flood: a thread writes, waits are on answers and frames with generous ceilings)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from e2e import grpc_wire as gw
from e2e.h2_raw import ACK, HEADERS, SETTINGS, frame, hpack
from e2e.helpers import status_kb
from e2e.test_attacks_round15_h2_frames import CEILING, CONTINUATION, HEAD, Flood, answered_meanwhile

from service.proto import gradserve_pb2_grpc as pb_grpc

MiB = 1 << 20
FLOOD_BYTES = 1024 * MiB  # (unbounded, the read buffer passed 300 MiB within the first 1-2 GiB)
FLOOD_RSS_MIB = 48  # measured with the bound: +0-2.4 MiB; without: +136-340 MiB (load ~20, 2 cores)
UNKNOWN = 0x42  # a frame type HTTP/2 does not define: a receiver must ignore it
pytestmark = pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(),
                                reason="reads and resets the server's peak RSS through /proc (Linux)")


class HeaderBlockFlood(Flood):
    """A header block that never ends. Nothing may come between its frames, so the server's SETTINGS is
    acknowledged before it starts and nothing is written by the reader after (an ACK inside the block is a
    protocol error that ends the connection at once, and the flood with it)."""

    def __init__(self, target: str, continuation: bytes, most: int):
        self.settled = threading.Event()
        self.block = frame(HEADERS, 0, 1, hpack(HEAD))  # stream 1, no END_HEADERS
        super().__init__(target, b"", lambda i: self._chunk(i, continuation), most)

    def _chunk(self, i: int, continuation: bytes) -> bytes:
        if i == 0:
            assert self.settled.wait(CEILING), f"no SETTINGS from the server within {CEILING} s"
            return self.block + continuation
        return continuation

    def _read(self) -> None:
        ack = self.h.serve_control

        def first_settings_only(kind: int, flags: int, payload: bytes) -> None:
            if kind == SETTINGS and not flags & ACK and not self.settled.is_set():
                ack(kind, flags, payload)
                self.settled.set()

        self.h.serve_control = first_settings_only
        super()._read()


def _unknown_frames(target: str) -> Flood:
    chunk = frame(UNKNOWN, 0, 0, b"u" * 16000) * 30  # 16000 of the 16384 bytes a frame may carry by default
    return Flood(target, b"", lambda i: chunk, FLOOD_BYTES)


def _header_block(target: str) -> Flood:
    continuation = frame(CONTINUATION, 0, 1, hpack([("x-pad", "b" * 1000)] * 10)) * 50  # ~10 KB of headers each
    return HeaderBlockFlood(target, continuation, FLOOD_BYTES)


@pytest.mark.parametrize("flood", [_unknown_frames, _header_block], ids=["unknown_type", "continuation"])
def test_a_frame_flood_holds_bounded_memory_and_others_are_answered(server, flood):
    ch = gw.open_channel(server.grpc_target)
    try:
        stub = pb_grpc.GradserveStub(ch)
        gw.canary(stub, CEILING)  # (the job's graph compiled and cached before the peak is taken)
        pid = server.proc.pid
        base = status_kb(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM from now
        f = flood(server.grpc_target)
        answered_meanwhile(stub, f)
        grew = (status_kb(pid, "VmHWM") - base) / 1024
    finally:
        ch.close()
    assert f.sent > 64 * MiB or f.ended, f"the flood wrote only {f.sent} bytes and its connection was not ended"
    assert grew <= FLOOD_RSS_MIB, \
        f"the server's RSS grew by {grew:.0f} MiB during {f.sent / MiB:.0f} MiB of frames (ceiling {FLOOD_RSS_MIB})"
