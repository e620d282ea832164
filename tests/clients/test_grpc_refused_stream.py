"""The SDK's gRPC transport sends a call again when the server refused its stream (RST_STREAM REFUSED_STREAM,
HTTP/2 error code 7: grpc core refuses a stream that arrives while it still counts one whose answer the client has
read; 1000 calls at once on one channel, reliab7), while the call's timeout lasts and at most REFUSED_TRIES times
in all. Safe: a refused stream never reached the server's application. Other UNAVAILABLE failures are left to
the client's RetryPolicy; a call refused on every try is raised.

The server is a bare HTTP/2 peer on loopback (frames written by hand, tests/e2e/h2_raw.py) that refuses the
first `refuse` streams it sees and answers the next with a real gradserve.v1 JobResponse, so the refusal is
the real wire event a real grpc client reads, and the test counts the streams that arrived."""
from __future__ import annotations

import asyncio
import socket
from contextlib import contextmanager
import struct
import threading

import grpc
import numpy as np
import pytest

from e2e.h2_raw import ACK, DATA, END_HEADERS, END_STREAM, HEADERS, PING, RST_STREAM, SETTINGS, frame, hpack

from gradserve import errors
from gradserve._proto import gradserve_pb2 as pb
from gradserve._transport.grpc import REFUSED_TRIES, AsyncGRPCTransport, GRPCTransport

PREFACE_LEN = 24
REFUSED_STREAM, INTERNAL_ERROR = 7, 2
OUT = np.array([1.5, -2.0], np.float32)


def _answer() -> bytes:
    t = pb.Tensor(name="y", datatype="FP32", shape=[2], raw_contents=OUT.tobytes())
    return pb.JobResponse(outputs=[t], structure=pb.Structure(index=0)).SerializeToString()


class Refuser:
    """Accepts one connection at a time; resets the first `refuse` streams with `code`, answers the rest."""

    def __init__(self, refuse: int, code: int = REFUSED_STREAM):
        self.refuse, self.code, self.streams = refuse, code, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.target = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._conn, args=(conn,), daemon=True).start()

    def _conn(self, c: socket.socket) -> None:
        def exact(n):
            buf = b""
            while len(buf) < n:
                got = c.recv(n - len(buf))
                if not got:
                    raise ConnectionError
                buf += got
            return buf

        try:
            exact(PREFACE_LEN)
            c.sendall(frame(SETTINGS, 0, 0))
            while True:
                head = exact(9)
                kind, flags, sid = head[3], head[4], int.from_bytes(head[5:], "big") & 0x7FFFFFFF
                payload = exact(int.from_bytes(head[:3], "big"))
                if kind == SETTINGS and not flags & ACK:
                    c.sendall(frame(SETTINGS, ACK, 0))
                elif kind == PING and not flags & ACK:
                    c.sendall(frame(PING, ACK, 0, payload))
                elif kind == HEADERS:
                    self.streams.append(sid)
                    if len(self.streams) <= self.refuse:
                        c.sendall(frame(RST_STREAM, 0, sid, struct.pack(">I", self.code)))
                elif kind == DATA and flags & END_STREAM and len(self.streams) > self.refuse and \
                        sid == self.streams[-1]:
                    msg = _answer()
                    c.sendall(frame(HEADERS, END_HEADERS, sid, hpack([(":status", "200"),
                                                                     ("content-type", "application/grpc")]))
                              + frame(DATA, 0, sid, b"\x00" + struct.pack(">I", len(msg)) + msg)
                              + frame(HEADERS, END_HEADERS | END_STREAM, sid, hpack([("grpc-status", "0")])))
        except (ConnectionError, OSError):
            c.close()

    def close(self) -> None:
        self.sock.close()


def _eval(transport: GRPCTransport, timeout: float = 20) -> dict:
    return transport.call("eval", {"graph_id": "sha256:" + "0" * 64, "inputs": [np.ones(2, np.float32)]},
                          timeout=timeout)


def _streams_grpc_sends_itself(refuse: int) -> int:
    """How many streams one plain grpc call (no SDK) opens against `refuse` refusals: grpc's own transparent
    retry, which the SDK's is on top of."""
    srv = Refuser(refuse)
    try:
        with grpc.insecure_channel(srv.target) as ch:
            try:
                ch.unary_unary("/gradserve.v1.Gradserve/Eval")(b"", timeout=20)
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.UNAVAILABLE and "error code 7" in e.details(), e
        return len(srv.streams)
    finally:
        srv.close()


@pytest.fixture
def own():
    """(grpc's own streams per refused call: 1, or 2 where grpc retries transparently)."""
    return _streams_grpc_sends_itself(refuse=100)


@contextmanager
def _against(refuse: int):
    """(a Refuser of `refuse` streams, the SDK's transport to it), both closed after."""
    srv = Refuser(refuse=refuse)
    t = GRPCTransport(f"grpc://{srv.target}")
    try:
        yield srv, t
    finally:
        t.close()
        srv.close()


def test_a_refused_stream_is_sent_again_until_answered(own):
    with _against(3 * own) as (srv, t):  # every stream grpc itself opens for the SDK's first three tries is refused
        out = _eval(t)
        np.testing.assert_array_equal(out["outputs"][0]["array"], OUT)
        assert len(srv.streams) == 3 * own + 1, srv.streams  # the SDK's fourth try, answered


def test_a_call_refused_on_every_try_is_raised_as_a_connection_error(own):
    with _against(10 ** 6) as (srv, t):
        with pytest.raises(errors.APIConnectionError) as ei:
            _eval(t, timeout=60)  # (the tries' pauses come to under 3 s)
        assert ei.value.grpc_code == grpc.StatusCode.UNAVAILABLE and "error code 7" in str(ei.value)
        assert len(srv.streams) == REFUSED_TRIES * own, srv.streams  # REFUSED_TRIES tries, no more


def test_refusals_are_not_sent_again_past_the_calls_timeout(own):
    """The tries' pauses come to at least 1.4 s (refused_pause): a call of 0.5 s stops sending first."""
    with _against(10 ** 6) as (srv, t):
        with pytest.raises(errors.GradserveError) as ei:
            _eval(t, timeout=0.5)
        # the last refusal, or the call's deadline met by a try sent with little of it left
        assert (ei.value.grpc_code == grpc.StatusCode.UNAVAILABLE and "error code 7" in str(ei.value)) or \
            ei.value.grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED, ei.value
        assert own <= len(srv.streams) < REFUSED_TRIES * own, srv.streams


def test_other_resets_are_not_sent_again_by_the_transport():
    srv = Refuser(refuse=100, code=INTERNAL_ERROR)  # the server may have started this call
    t = GRPCTransport(f"grpc://{srv.target}", timeout=20)
    try:
        with pytest.raises(errors.GradserveError):
            _eval(t)
        assert len(srv.streams) == 1, srv.streams
    finally:
        t.close()
        srv.close()


def test_the_async_transport_sends_a_refused_stream_again_until_answered(own):
    async def go(target):
        t = AsyncGRPCTransport(f"grpc://{target}", timeout=20)
        try:
            return await t.call("eval", {"graph_id": "sha256:" + "0" * 64, "inputs": [np.ones(2, np.float32)]})
        finally:
            await t.aclose()

    srv = Refuser(refuse=3 * own)
    try:
        out = asyncio.run(go(srv.target))
        np.testing.assert_array_equal(out["outputs"][0]["array"], OUT)
        assert len(srv.streams) == 3 * own + 1, srv.streams
    finally:
        srv.close()
