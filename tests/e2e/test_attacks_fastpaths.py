"""Hostile and broken HTTP clients against the fast paths (service.lean_http, service.http_guard): raw
sockets against two real servers that differ only in GRADSERVE_LEAN_HTTP, so every request of the lean
path is also answered by uvicorn's ASGI path and the two answers are compared (status, error code,
message and path). After each attack both servers still answer /v2/health/ready and a job, every
admission place is back, and no worker restarted.

Timeouts are short here (2 s for heads, bodies and a client that does not read; 3 s idle) so that each
attack ends in seconds; every wait has a generous ceiling and none is a tight sleep."""
from __future__ import annotations

import json
import os
import socket
import struct
import time

import httpx
import numpy as np
import pytest

from service import codec

from .helpers import X, Y, call, decode, matmul_net, metric
from .server import Server

ENV = {"GRADSERVE_BODY_TIMEOUT_S": "2", "GRADSERVE_HEADER_TIMEOUT_S": "2", "GRADSERVE_IDLE_TIMEOUT_S": "3",
       "GRADSERVE_SEND_TIMEOUT_S": "2", "GRADSERVE_MAX_HEADER_BYTES": "8192", "GRADSERVE_GRPC": "false"}
DX = np.array([[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]], np.float32)
CEILING = 20.0  # seconds any single answer may take on a loaded 2-core box


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """{"lean": server with the lean path, "asgi": the same without it}, started side by side."""
    d = tmp_path_factory.mktemp("fastpaths")
    s = {name: Server(d / f"{name}.log", env=dict(ENV, GRADSERVE_LEAN_HTTP=flag), devices="cpu", wait=False)
         for name, flag in (("lean", "true"), ("asgi", "false"))}
    try:
        for one in s.values():
            one.wait_ready()
        yield s
    finally:
        for one in s.values():
            one.stop()


def _tensor(a: np.ndarray) -> dict:
    return {"shape": list(a.shape), "datatype": "FP32", "data": a.ravel().tolist()}


GOOD = json.dumps({"graph": matmul_net(), "inputs": [_tensor(X), _tensor(Y)]}).encode()


def post(body: bytes = GOOD, extra: str = "", path: str = "/v1/grad", version: str = "1.1",
         length: bool = True) -> bytes:
    head = f"POST {path} HTTP/{version}\r\nHost: x\r\nContent-Type: application/json\r\n"
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + extra + "\r\n").encode("latin-1") + body


class Reader:
    """HTTP/1.1 responses off a raw socket: (status, {header: value}, body) each, None once closed."""

    def __init__(self, s: socket.socket):
        self.s, self.buf = s, b""

    def _more(self) -> bool:
        """More bytes came (False: the server closed or reset); the socket's timeout raises."""
        try:
            chunk = self.s.recv(65536)
        except ConnectionResetError:
            return False
        self.buf += chunk
        return bool(chunk)

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            if not self._more():
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
        if status == 100:
            return self.response()
        n = int(headers.get("content-length", 0))
        while len(self.buf) < n:
            if not self._more():
                return None
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body


def connect(srv: Server) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(CEILING)
    return s


def shape(resp) -> tuple:
    """What must be the same on both paths: the status, and for an error its code, message and path
    (the request id and timings differ by nature)."""
    if resp is None:
        return (None,)
    status, headers, body = resp
    if headers.get("content-type", "").startswith("application/json") and status != 200:
        err = json.loads(body)["error"]
        return status, err["code"], err["message"], err["detail"].get("path")
    if status == 200 and body.startswith(b'{"outputs"'):
        out = codec.decode_response(body, headers.get(codec.HEADER_LENGTH.lower()))["outputs"][0]["array"]
        np.testing.assert_allclose(out, DX, rtol=1e-6)
        return (200,)
    return status, body  # (uvicorn's own plain-text 400 for what its parser refuses, or another route's answer)


def exchange(srv: Server, chunks: list, answers: int, after=None) -> list:
    """Send `chunks` (each its own send), then read `answers` responses (fewer if the server closes)."""
    s = connect(srv)
    try:
        for c in chunks:
            s.sendall(c)
        if after:
            after(s)
        r = Reader(s)
        got = []
        for _ in range(answers):
            got.append(r.response())  # (the socket's timeout, CEILING, bounds the wait)
            if got[-1] is None:
                break
        return got
    finally:
        s.close()


def settled(srv: Server) -> None:
    """The server is still whole: ready, a job answered correctly and soon, no admission place held,
    no worker restarted."""
    with httpx.Client(base_url=srv.url, timeout=CEILING) as c:
        t0 = time.monotonic()
        assert c.get("/v2/health/ready").status_code == 200
        np.testing.assert_allclose(decode(call(c, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))["outputs"][0]
                                   ["array"], DX, rtol=1e-6)
        assert time.monotonic() - t0 < CEILING
        end = time.monotonic() + CEILING
        while c.get("/v1/devices").json()["admitting"]:
            assert time.monotonic() < end, "an attack kept its admission place"
            time.sleep(0.05)
        assert metric(c, "gradserve_worker_restarts_total") == 0, "a worker died"
    assert "Traceback" not in srv.output()


# -- framing: each case's bytes, the answers it must get, the same on both paths ---------------------------
SMALL = b'{"graph": 1}'
CASES = {
    "plain": ([post()], [200]),
    "two_in_one_packet": ([post() + post()], [200, 200]),
    "lean_then_other_route": ([post() + b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n" + post()], [200, 200, 200]),
    "byte_by_byte": ([bytes([b]) for b in post()], [200]),
    "content_length_and_chunked": ([post(extra="Transfer-Encoding: chunked\r\n")], [400]),
    "chunked_and_content_length": ([post(length=False, extra=f"Transfer-Encoding: chunked\r\nContent-Length: "
                                                              f"{len(GOOD)}\r\n")], [400]),
    "duplicate_content_length": ([post(extra=f"Content-Length: {len(GOOD)}\r\n")], [400]),
    "conflicting_content_length": ([post(extra=f"Content-Length: {len(GOOD) + 1}\r\n")], [400]),
    "negative_content_length": ([post(length=False, extra="Content-Length: -5\r\n")], [400]),
    "signed_content_length": ([post(length=False, extra=f"Content-Length: +{len(GOOD)}\r\n")], [400]),
    "huge_content_length": ([post(length=False, extra="Content-Length: " + "9" * 30 + "\r\n")], [400]),
    "above_max_body": ([post(SMALL, length=False, extra=f"Content-Length: {(8 << 20) + 1}\r\n")], [413]),
    "body_longer_than_declared": ([post() + b"junk!!"], [400]),  # the junk is a bad next request
    "http_1_0": ([post(version="1.0")], [200]),
    "connection_close": ([post(extra="Connection: close\r\n") + post()], [200, None]),
    "expect_100_continue": ([post(extra="Expect: 100-continue\r\n")], [200]),
    "obs_fold": ([post(extra="X-Folded: a\r\n b\r\n")], [400]),
    "nul_in_header": ([post(extra="X-Nul: a\0b\r\n")], [400]),
    "cr_in_header": ([post(extra="X-Request-ID: a\rb\r\n")], [400]),
    "non_ascii_header": ([post(extra="X-Request-ID: caf\xe9\r\n")], [200]),
    "many_headers": ([post(extra="".join(f"X-H{i}: v\r\n" for i in range(700)))], [200]),
    "chunked_body": ([post(length=False, extra="Transfer-Encoding: chunked\r\n")[:-len(GOOD)]
                      + f"{len(GOOD):x}\r\n".encode() + GOOD + b"\r\n0\r\n\r\n"], [200]),
    "bad_json": ([post(b"{nope")], [400]),
    "empty_body": ([post(b"")], [400]),
    "query_string": ([post(path="/v1/grad?x=1")], [200]),
    "percent_encoded_path": ([post(path="/v1/%67rad")], [200]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_framing_same_answer_on_both_paths(servers, case):
    chunks, want = CASES[case]
    got = {name: [shape(a) for a in exchange(srv, chunks, len(want))] for name, srv in servers.items()}
    assert [a[0] for a in got["lean"]] == want, got["lean"]
    assert got["lean"] == got["asgi"]


def test_non_ascii_request_id_is_echoed_byte_for_byte(servers):
    """A request id of latin-1 bytes comes back as the same bytes on a 200 and on an error, both paths."""
    for srv in servers.values():
        for body, status in ((GOOD, 200), (b"{nope", 400)):
            s = connect(srv)
            try:
                s.sendall(post(body, extra="X-Request-ID: caf\xe9\r\n"))
                r = Reader(s).response()
            finally:
                s.close()
            assert r[0] == status and r[1]["x-request-id"] == "caf\xe9", r[:2]


def test_half_closed_client_still_gets_its_answer(servers):
    got = {name: [shape(a) for a in exchange(srv, [post()], 1, after=lambda s: s.shutdown(socket.SHUT_WR))]
           for name, srv in servers.items()}
    assert got["lean"] == got["asgi"] == [(200,)]


# -- time: heads and bodies that never end -----------------------------------------------------------------------
def trickle(srv: Server, first: bytes, drip: bytes) -> tuple:
    """Send `first`, then a byte of `drip` every 0.3 s until the server answers or closes: (answer or None,
    seconds)."""
    s = connect(srv)
    s.settimeout(0.3)
    t0 = time.monotonic()
    try:
        s.sendall(first)
        r = Reader(s)
        for i in range(int(CEILING / 0.3)):
            try:
                s.sendall(drip[i % len(drip):i % len(drip) + 1])
            except OSError:
                break
            try:
                got = r.response()
            except socket.timeout:  # nothing yet: another byte
                continue
            return got, time.monotonic() - t0
        return "no answer", time.monotonic() - t0
    finally:
        s.close()


@pytest.mark.parametrize("path", ["lean", "asgi"])
def test_a_request_line_that_never_ends_gets_408(servers, path):
    got, dt = trickle(servers[path], b"POST /v1/grad", b"a")
    assert got is not None and got[0] == 408 and b"header_timeout_s" in got[2], got
    assert dt < CEILING
    settled(servers[path])


@pytest.mark.parametrize("path", ["lean", "asgi"])
def test_a_body_that_trickles_gets_408_and_frees_its_place(servers, path):
    got, dt = trickle(servers[path], post()[:-len(GOOD)] + GOOD[:10], b" ")
    assert got is not None and got[0] == 408, got
    assert json.loads(got[2])["error"]["detail"]["limit"] == "body_timeout_s"
    assert got[1].get("connection") == "close"
    settled(servers[path])


# -- clients that do not read, or go away mid-answer ---------------------------------------------------------
def big_answer_request(n: int = 250_000) -> bytes:
    """A 300-byte job whose JSON answer is ~2.5 MB (n float32 values, under the 1 MiB of raw output
    above which answers are streamed): the cheapest way to make the server write a lot."""
    g = {"format": "gradserve.graph/1", "name": "big", "inputs": [{"name": "x", "shape": [1], "dtype": "float32"}],
         "params": [], "nodes": [{"op": "broadcast_to", "inputs": ["x"], "outputs": ["b"], "attrs": {"shape": [n]}}],
         "outputs": "b"}
    return post(json.dumps({"graph": g, "inputs": [{"shape": [1], "datatype": "FP32", "data": [1.2345678]}]}).encode(),
                path="/v1/eval")


def rss_mb(srv: Server) -> float:
    with open(f"/proc/{srv.proc.pid}/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS")) / 1024


def tcp_closed(s: socket.socket) -> bool:
    """The kernel's state of the connection is CLOSE: the server reset it (Linux TCP_INFO, first byte)."""
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == 7


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the server's RSS from /proc (Linux)")
@pytest.mark.parametrize("path", ["lean", "asgi"])
def test_a_client_that_never_reads_is_dropped_and_costs_bounded_memory(servers, path):
    """One request after another (each answered before the next is sent, so each takes the lean path),
    none read: the server must not keep piling ~2.5 MB answers into its buffer (the lean path did: +2.4 MB
    a request, without end), and resets the connection send_timeout_s (2 s) after its buffer stopped
    draining (close() would wait for the client forever). Meanwhile another client is served as usual."""
    srv = servers[path]
    req = big_answer_request()
    with httpx.Client(base_url=srv.url, timeout=CEILING) as c:
        assert c.post("/v1/eval", content=req.split(b"\r\n\r\n", 1)[1],
                      headers={"content-type": "application/json"}).status_code == 200  # compiled, warm
        before = rss_mb(srv)
        s = connect(srv)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(1.0)
        sent, blocked, t0 = 0, False, time.monotonic()
        try:
            while not tcp_closed(s):
                assert time.monotonic() - t0 < CEILING, f"not dropped after {sent} requests"
                if sent < 40 and not blocked:
                    try:
                        s.sendall(req)
                        sent += 1
                    except socket.timeout:  # the server stopped reading us: fine, it must still drop us
                        blocked = True
                    except OSError:  # reset meanwhile
                        break
                assert call(c, "grad", {"graph": matmul_net(), "inputs": [X, Y]}).status_code == 200
                time.sleep(0.1)
            grown = rss_mb(srv) - before
        finally:
            s.close()
    assert grown < 40, f"the server grew by {grown:.0f} MB for a client that never reads ({sent} requests)"
    settled(srv)


@pytest.mark.parametrize("path", ["lean", "asgi"])
def test_reset_mid_answer(servers, path):
    """A client reads the first bytes of a large answer and resets the connection (SO_LINGER 0): the server
    shrugs it off."""
    srv = servers[path]
    for _ in range(3):
        s = connect(srv)
        s.sendall(big_answer_request(400_000))  # 1.6 MB raw: streamed in chunks
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    settled(srv)


@pytest.mark.parametrize("path", ["lean", "asgi"])
def test_reset_while_the_job_runs_and_mid_body(servers, path):
    srv = servers[path]
    for data in (post(), post()[:-20]):
        s = connect(srv)
        s.sendall(data)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    settled(srv)
