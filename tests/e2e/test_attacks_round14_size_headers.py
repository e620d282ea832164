"""Size headers with thousands of digits (round 14, service.codec.header_int: the one reading of a size header).

HTTP allows leading zeros in Content-Length (1*DIGIT), and the HTTP parser in front frames such a body right;
the server then read the value again with int(), which refuses strings of more than 4300 digits (ValueError):
for a body that was well framed, a 500 internal error (/v1, /v2), or uvicorn's bare "Invalid HTTP request" 400
where the lean path's parser callback raised it. The binary extension's
Inference-Header-Content-Length was read the same way (5000 zeros then its length: a 500; 30 nines: a 500 instead
of a 400). Now a size header is ASCII digits, read without int()'s digit limit: the request is answered, and a
header length past the body is a 400 naming the header. Against the session server (tests/e2e/conftest.py).
"""
from __future__ import annotations

import json
import socket

import numpy as np

from service import codec

from .helpers import DX, X, Y, body_for, decode, matmul_net
from .limited_server import CEILING

ZEROS = "0" * 5000


def _post_raw(port: int, path: str, body: bytes, content_length: str, extra: bytes = b"") -> bytes:
    """One request over a raw socket (its Content-Length as written here), the whole answer (the server
    closes after it: Connection: close)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=CEILING)
    try:
        s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n%s"
                  b"Content-Length: %s\r\n\r\n" % (path.encode(), extra, content_length.encode()) + body)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
        return got
    finally:
        s.close()


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
