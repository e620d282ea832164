"""Framing the HTTP parser accepts and the server then read otherwise (round 14).

Size headers with thousands of digits (service.codec.header_int: the one reading of a size header).

HTTP allows leading zeros in Content-Length (1*DIGIT), and the HTTP parser in front frames such a body right;
the server then read the value again with int(), which refuses strings of more than 4300 digits (ValueError):
for a body that was well framed, a 500 internal error (/v1, /v2), or uvicorn's bare "Invalid HTTP request" 400
where the lean path's parser callback raised it. The binary extension's
Inference-Header-Content-Length was read the same way (5000 zeros then its length: a 500; 30 nines: a 500 instead
of a 400). Now a size header is ASCII digits, read without int()'s digit limit: the request is answered, and a
header length past the body is a 400 naming the header.

Transfer-Encoding (service.http_guard.te_refusal): "gzip, chunked" was framed by its last coding and the body read
as if not gzipped (a proxy that decodes it forwards another body), and Transfer-Encoding on an HTTP/1.0 request
(faulty framing by RFC 9112 6.1: a 1.0 reader takes the body to the connection's end) was read as chunked and
answered, with a pipelined request behind it. Now 501 / 400, the connection closed, nothing behind run.

Against the session server (tests/e2e/conftest.py).
"""
from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from service import codec

from .helpers import DX, X, Y, body_for, decode, matmul_net
from .limited_server import CEILING

ZEROS = "0" * 5000


def _exchange(port: int, raw: bytes) -> bytes:
    """`raw` sent over a new connection; everything the server answers until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=CEILING)
    try:
        s.sendall(raw)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
        return got
    finally:
        s.close()


def _post_raw(port: int, path: str, body: bytes, content_length: str) -> bytes:
    """One request over a raw socket (its Content-Length as written here), the whole answer (the server
    closes after it: Connection: close)."""
    return _exchange(port, b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %s\r\n\r\n" % (path.encode(), content_length.encode()) + body)


def _json_of(answer: bytes) -> dict:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), answer[:600]
    if b"transfer-encoding: chunked" in head.lower():  # (de-chunk)
        out, rest = b"", body
        while True:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return json.loads(body)


def test_a_content_length_with_thousands_of_leading_zeros_is_read_as_its_value(server):
    body, _ = body_for({"graph": matmul_net(), "inputs": [X, Y]}, "json")
    got = _json_of(_post_raw(server.port, "/v1/grad", body, ZEROS + str(len(body))))
    np.testing.assert_allclose(np.array(got["outputs"][0]["data"], np.float32).reshape(DX.shape), DX, rtol=1e-6)


def test_a_header_length_with_thousands_of_digits_is_read_or_refused_by_name(client):
    body, headers = body_for({"graph": matmul_net(), "inputs": [X, Y]}, "binary")
    n = headers[codec.HEADER_LENGTH]
    r = client.post("/v1/grad", content=body, headers={**headers, codec.HEADER_LENGTH: ZEROS + n})
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], DX, rtol=1e-6)
    for past in ("9" * 30, ZEROS + str(len(body) + 1)):
        r = client.post("/v1/grad", content=body, headers={**headers, codec.HEADER_LENGTH: past})
        assert r.status_code == 400, r.text[:300]
        assert codec.HEADER_LENGTH in r.text and "outside the body" in r.text, r.text[:300]


PIPELINED = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"  # (its answer would name gradserve_ metrics)


@pytest.mark.parametrize("version, te, status", [("1.1", b"gzip, chunked", b"501"),
                                                 ("1.1", b"deflate, chunked", b"501"), ("1.0", b"chunked", b"400")])
def test_a_transfer_encoding_the_server_would_misread_is_refused_and_closed(server, version, te, status):
    body, _ = body_for({"graph": matmul_net(), "inputs": [X, Y]}, "json")
    raw = (b"POST /v1/grad HTTP/%s\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: %s\r\n\r\n"
           % (version.encode(), te) + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n" + PIPELINED)
    got = _exchange(server.port, raw)  # (returns once the server closed)
    assert got.startswith(b"HTTP/1.1 " + status), got[:300]
    assert b"Transfer-Encoding" in got and b"gradserve_" not in got, got[:600]


def test_plain_chunked_bodies_are_still_served(server):
    body, _ = body_for({"graph": matmul_net(), "inputs": [X, Y]}, "json")
    raw = (b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: Chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    got = _json_of(_exchange(server.port, raw))
    np.testing.assert_allclose(np.array(got["outputs"][0]["data"], np.float32).reshape(DX.shape), DX, rtol=1e-6)
