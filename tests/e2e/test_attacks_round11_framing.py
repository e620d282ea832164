"""A chunked body's framing (reliab11): what a client sends between body bytes, against the session server.

HTTP/1.1 chunked framing holds bytes that are not the body: each chunk's size line (with optional extensions) and,
after the last chunk, trailer fields. The parser keeps the trailers (uvicorn appends them to the request's headers)
and joins a long line piece by piece, each join a copy, until the line ends; neither counted against any limit,
only the body's time (body_timeout_s) ended them. One connection streaming trailers for 2 s grew the server by
430 MiB (186 MiB sent; 30 s by default), and one long trailer line cost the event loop its joins (another client's
median job 2 ms -> 44 ms). Now framing read with no body byte between is bounded by max_header_bytes (the head's own
limit): past it, 431 naming it, and the connection closed (service.http_guard.HeadGuard). Tiny chunks (a byte of
body each) and a small trailer still frame a body that is answered.
"""
from __future__ import annotations

import json
import socket

import numpy as np

from .helpers import DX, X, Y, canary, matmul_net, t
from .limited_server import CEILING, read_all

GOOD = json.dumps({"graph": matmul_net(), "inputs": [t(X), t(Y)]}).encode()
HEAD = b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
SENT_CAP = 64 << 20  # what a test sends at most: the base tree took it all (and held the trailers)


def _conn(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=CEILING)


def _flood(server, first: bytes, unit: bytes) -> tuple[int, bytes]:
    """Send `first`, then `unit` again and again until the server closes (or SENT_CAP is sent): the bytes sent
    after `first` and the answer."""
    s, sent = _conn(server), 0
    try:
        s.sendall(first)
        try:
            while sent < SENT_CAP:
                s.sendall(unit)
                sent += len(unit)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return sent, read_all(s)
    finally:
        s.close()


def _chunk(body: bytes) -> bytes:
    return b"%x\r\n" % len(body) + body + b"\r\n"


def _refused(answer: bytes, sent: int) -> None:
    # (the session server's max_header_bytes is the setting's default: tests/e2e/server.py sets none)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:300]
    assert b"max_header_bytes=65536" in answer and b"trailers" in answer, answer[:400]
    assert sent < 8 << 20, f"{sent} bytes of framing were read before the refusal"


def test_trailers_without_end_are_a_431_and_the_connection_closed(server, client):
    lines = b"".join(b"X-T%d: %s\r\n" % (i, b"a" * 100) for i in range(10_000))  # 1.1 MB of trailer fields
    sent, answer = _flood(server, HEAD + _chunk(GOOD) + b"0\r\n", lines)
    _refused(answer, sent)
    canary(client)


def test_one_endless_trailer_line_is_a_431(server, client):
    sent, answer = _flood(server, HEAD + _chunk(GOOD) + b"0\r\nX-Big: ", b"a" * (1 << 16))
    _refused(answer, sent)
    canary(client)


def test_an_endless_chunk_extension_is_a_431(server, client):
    sent, answer = _flood(server, HEAD + b"%x;e=" % len(GOOD), b"a" * (1 << 16))
    _refused(answer, sent)
    canary(client)


def test_tiny_chunks_and_a_small_trailer_still_frame_a_body(server, client):
    """A byte of body a chunk (framing five times the body) and a trailer field under the limit: answered."""
    tiny = b"".join(_chunk(GOOD[i:i + 1]) for i in range(len(GOOD)))
    for body in (tiny + b"0\r\n\r\n", _chunk(GOOD) + b"0\r\nX-Checksum: " + b"c" * 2000 + b"\r\n\r\n"):
        s = _conn(server)
        try:
            s.sendall(HEAD.replace(b"Host: x", b"Host: x\r\nConnection: close") + body)
            answer = read_all(s)
        finally:
            s.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        out = json.loads(answer.split(b"\r\n\r\n", 1)[1])["outputs"][0]
        np.testing.assert_allclose(np.array(out["data"], np.float32).reshape(out["shape"]), DX, rtol=1e-6)
    canary(client)
