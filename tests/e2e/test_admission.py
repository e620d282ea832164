"""Admission: a request holds a place from before its body is read until its job is in a pool, so
under a flood the server reads only as many bodies at once as could become jobs (1 worker + a queue
of 1 here: two places)."""
from __future__ import annotations

import json
import socket
import time

import numpy as np

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service import codec

from .server import module_server


tiny_server = module_server("admission", name="tiny_server", devices="cpu",
                            env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": "1", "GRADSERVE_GRPC": "false"})


def _job() -> tuple[bytes, dict]:
    n = 1 << 16
    gb = GraphBuilder("neg")
    g = graph_to_json(gb.build(gb.neg(gb.input((n,), name="x"))))
    a = np.arange(n, dtype=np.float32)
    d, raw = codec.encode_tensor("x", a, binary=True)
    head = json.dumps({"graph": g, "inputs": [d], "binary_output": True}).encode()
    return head + bytes(raw), {"Content-Type": "application/octet-stream", codec.HEADER_LENGTH: str(len(head))}


def _start_upload(port: int, body: bytes, headers: dict) -> socket.socket:
    """A request whose body is still arriving: headers and the first half of the body only."""
    s = socket.create_connection(("127.0.0.1", port))
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    s.sendall(f"POST /v1/eval HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode())
    s.sendall(body[:len(body) // 2])
    return s


def _finish(s: socket.socket, body: bytes) -> int:
    s.sendall(body[len(body) // 2:])
    s.settimeout(60)
    got = b""
    while b"\r\n" not in got:
        got += s.recv(65536)
    s.close()
    return int(got.split(b" ", 2)[1])


def test_bodies_still_arriving_hold_places_and_release_them(tiny_server):
    body, headers = _job()
    with tiny_server.client() as c:
        assert c.post("/v1/eval", content=body, headers=headers).status_code == 200  # idle: admitted
        slow = [_start_upload(tiny_server.port, body, headers) for _ in range(2)]  # both places taken
        try:
            end = time.monotonic() + 30  # until the server has read their headers and admitted them
            while c.get("/v1/devices").json()["admitting"] < 2:
                assert time.monotonic() < end, "the slow uploads were not admitted"
                time.sleep(0.02)
            r = c.post("/v1/eval", content=body, headers=headers)
            # the worker is idle, but two bodies are on their way to its two places
            assert r.status_code == 429, r.text[:300]
            assert r.json()["error"]["code"] == "overloaded" and "Retry-After" in r.headers
            # a client that closes after one request gets the 429 too, not a connection reset: the
            # server reads past the body it will not run before it closes the connection
            for _ in range(3):
                refused = _start_upload(tiny_server.port, body, dict(headers, Connection="close"))
                assert _finish(refused, body) == 429
            # a client that waits for 100 Continue (curl, for large bodies) is refused before it uploads
            waiting = socket.create_connection(("127.0.0.1", tiny_server.port))
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            waiting.sendall(f"POST /v1/eval HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{head}"
                            "Expect: 100-continue\r\n\r\n".encode())
            waiting.settimeout(30)
            status_line = waiting.recv(65536).split(b"\r\n", 1)[0]
            waiting.close()
            assert status_line.split(b" ")[1] == b"429", status_line  # not 100 Continue
        finally:
            codes = [_finish(s, body) for s in slow]
        assert codes == [200, 200]  # the admitted jobs ran
        assert c.get("/v1/devices").json()["admitting"] == 0
        r = c.post("/v1/eval", content=body, headers=headers)  # their places are free again
        assert r.status_code == 200, r.text[:300]
        out = codec.decode_response(r.content, r.headers.get(codec.HEADER_LENGTH))
        assert np.array_equal(out["outputs"][0]["array"], -np.arange(1 << 16, dtype=np.float32))


def test_a_body_that_fails_to_decode_gives_its_place_back(tiny_server):
    body, headers = _job()
    with tiny_server.client() as c:
        for _ in range(5):  # more bad requests than places: each must release its own
            r = c.post("/v1/eval", content=b"{not json", headers={"Content-Type": "application/json"})
            assert r.status_code == 400
        assert c.post("/v1/eval", content=body, headers=headers).status_code == 200
