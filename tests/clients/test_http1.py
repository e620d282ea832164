"""The SDK's lean HTTP/1.1 client (gradserve._transport._http1), which carries plain http:// calls:
one send per small request, framing (Content-Length, chunked, close-delimited), keep-alive reuse and
what a server may do to a kept connection (close it while idle, close or reset it as a request
arrives, answer before the body), malformed answers, errors and timeouts, headers, threads, and which
URLs stay with httpx. Scripted loopback servers here; a real gradserve-server in the last tests."""
from __future__ import annotations

import signal
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import gradserve as gs
from gradserve import errors
from gradserve._transport import _http1
from gradserve._transport.http import HTTPTransport


@pytest.fixture(autouse=True)
def _tcp_only(monkeypatch):
    """The scripts here count connections and requests: no GET /v1/local question first (the Unix socket
    discovery has its own tests, test_unix_socket.py)."""
    monkeypatch.setenv("GRADSERVE_UNIX_SOCKET", "0")


class Scripted:
    """A loopback server whose connections each run `script(conn, index)`; counts connections."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.script, self.connections, self.errors = script, 0, []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn, self.connections - 1), daemon=True).start()

    def _run(self, conn, i):
        try:
            self.script(conn, i)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(e)
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def read_request(conn) -> tuple[bytes, bytes]:
    """(head, body) of one request (Content-Length framing)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return b"", b""
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    n = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")), 0)
    while len(body) < n:
        body += conn.recv(65536)
    return head, body


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n%s" % (
        len(body), extra, body)


@pytest.fixture
def serve():
    made = []

    def start(script):
        s = Scripted(script)
        made.append(s)
        return s

    yield start
    for s in made:
        s.close()
        assert not s.errors, s.errors


def test_one_send_per_request_and_keep_alive(serve):
    """Head and body arrive together (one segment for a small request), and calls reuse one connection."""
    seen = []

    def script(conn, i):
        while True:
            data = conn.recv(65536)  # a request in one recv: it was written in one send
            if not data:
                return
            head, _, body = data.partition(b"\r\n\r\n")
            seen.append((head, body))
            conn.sendall(ok(b'{"n":%d}' % len(seen)))

    s = serve(script)
    c = _http1.HTTP1Client(s.url, {"user-agent": "t"}, 10)
    for k in range(1, 4):
        r = c.request("POST", "/v1/eval", b'{"a":1}', {"content-type": "application/json"})
        assert (r.status, r.content) == (200, b'{"n":%d}' % k)
    c.close()
    assert s.connections == 1
    head, body = seen[0]
    assert body == b'{"a":1}'
    lines = head.lower().split(b"\r\n")  # (header names are case-insensitive; http.client capitalizes its own)
    assert lines[0] == b"post /v1/eval http/1.1"
    assert b"content-length: 7" in lines and b"user-agent: t" in lines and any(l.startswith(b"host: 127.0.0.1:")
                                                                               for l in lines)


def test_chunked_and_close_delimited_bodies(serve):
    def script(conn, i):
        read_request(conn)
        if i == 0:
            conn.sendall(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                         b"4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nx-trailer: 1\r\n\r\n")
            head, _ = read_request(conn)  # the connection was kept: a second request on it
            assert head.startswith(b"GET /again")
            conn.sendall(ok(b"{}"))
        else:
            conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nuntil the end")  # neither length nor chunks: ends at close

    s = serve(script)
    c = _http1.HTTP1Client(s.url, {}, 10)
    assert c.request("GET", "/", None, {}).content == b"Wikipedia in \r\n\r\nchunks."
    assert c.request("GET", "/again", None, {}).content == b"{}"
    assert c.request("GET", "/", None, {}).content == b"until the end"
    assert s.connections == 2  # the HTTP/1.0 answer was not kept


def test_a_connection_the_server_closed_while_idle_is_not_reused(serve):
    def script(conn, i):
        read_request(conn)
        conn.sendall(ok(b'{"i":%d}' % i))
        # then close it, as uvicorn does after idle_timeout_s

    s = serve(script)
    c = _http1.HTTP1Client(s.url, {}, 10)
    assert c.request("GET", "/", None, {}).content == b'{"i":0}'
    deadline = time.monotonic() + 10
    while s.connections == 1 and time.monotonic() < deadline:  # wait until the server's close has arrived
        r = c.request("GET", "/", None, {})
        assert r.content == b'{"i":1}'
    assert s.connections == 2


def test_a_request_lost_on_a_kept_connection_is_sent_once_more(serve):
    """The server closes a kept connection as the next request arrives (its idle timeout firing then):
    no byte came back, so the request goes again on a new connection; a new connection is not retried."""
    def script(conn, i):
        read_request(conn)
        if i == 0:
            conn.sendall(ok(b'{"first":1}'))
            read_request(conn)  # the second request on this connection: dropped unanswered
            conn.shutdown(socket.SHUT_RDWR)
        elif i == 1:
            conn.sendall(ok(b'{"again":1}'))

    s = serve(script)
    c = _http1.HTTP1Client(s.url, {}, 10)
    c.request("GET", "/", None, {})
    c._take = lambda t: (c._idle.pop(), True)  # skip the idle check: the close must race the request here
    assert c.request("POST", "/", b"{}", {}).content == b'{"again":1}'
    assert s.connections == 2
    del c._take
    with pytest.raises(_http1._NoResponse):  # the third connection closes unanswered: not sent again
        c.request("POST", "/", b"{}", {})
    assert s.connections == 3


def test_a_request_whose_write_failed_on_a_kept_connection_is_sent_once_more(serve, monkeypatch):
    """The server resets a kept connection as a large request arrives: the write fails and no answer
    comes, so the request goes again on a new connection, whole."""
    import struct

    got = []

    def script(conn, i):
        if i == 0:
            read_request(conn)
            conn.sendall(ok(b'{"first":1}'))
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        else:
            _, body = read_request(conn)
            got.append(len(body))
            conn.sendall(ok(b'{"again":1}'))

    write_errors = []
    exchange = _http1.HTTP1Client._exchange

    def recorded(self, *a):
        try:
            return exchange(self, *a)
        except _http1._NoResponse as e:  # (raised from the write's error when the write failed)
            write_errors.append(e.__cause__)
            raise

    monkeypatch.setattr(_http1.HTTP1Client, "_exchange", recorded)
    s = serve(script)
    c = _http1.HTTP1Client(s.url, {}, 10)
    c.request("GET", "/", None, {})
    assert c.request("POST", "/", b"x" * (8 << 20), {}).content == b'{"again":1}'
    assert s.connections == 2 and got == [8 << 20]
    assert [type(e) for e in write_errors] in ([BrokenPipeError], [ConnectionResetError])
    c.close()


def test_an_answer_before_the_body_is_read(serve):
    """A server may answer (413 here) and close without reading a large body: the answer is what the
    caller gets, as a typed error with the server's request id, not a broken pipe."""
    def script(conn, i):
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += conn.recv(65536)
        body = b'{"error":{"code":"payload_too_large","message":"too big","detail":{}}}'
        conn.sendall(b"HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\nconnection: close\r\n"
                     b"x-request-id: rid-413\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(10)
        try:
            while conn.recv(1 << 20):  # take what comes, so the client's send does not block for good
                pass
        except OSError:
            pass

    s = serve(script)
    t = HTTPTransport(s.url, timeout=30)
    assert t._lean is not None
    with pytest.raises(errors.PayloadTooLarge) as ei:
        t.call("eval", {"graph_id": "g", "inputs": [np.zeros(1 << 20, np.float32)]}, binary=True)
    assert ei.value.request_id == "rid-413"
    t.close()


def test_timeouts_and_connection_errors_are_the_sdks(serve):
    released = threading.Event()

    def script(conn, i):
        read_request(conn)
        released.wait(120)  # never answers in time: only once the test is done

    s = serve(script)
    t = HTTPTransport(s.url, timeout=60)
    t0 = time.monotonic()
    try:
        with pytest.raises(errors.APITimeoutError) as ei:
            t.call("health_live", None, timeout=0.3)
        assert time.monotonic() - t0 < 30 and ei.value.request_id  # the call's timeout, not the transport's 60 s
    finally:
        released.set()
    t.close()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))  # bound, not listening: refused
    port = dead.getsockname()[1]
    with pytest.raises(errors.APIConnectionError) as ce:
        HTTPTransport(f"http://127.0.0.1:{port}").call("health_live", None)
    dead.close()
    assert f"127.0.0.1:{port}" in str(ce.value) and ce.value.request_id


def test_a_malformed_answer_is_a_connection_error(serve):
    """What is not HTTP/1.x (or is cut short) is the SDK's APIConnectionError, and the connection is dropped."""
    def script(conn, i):
        read_request(conn)
        if i == 0:
            conn.sendall(b"SMTP ready\r\n\r\n")
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort")  # 5 of 10 bytes, then closed

    s = serve(script)
    t = HTTPTransport(s.url, timeout=10)
    for _ in range(2):
        with pytest.raises(errors.APIConnectionError) as ei:
            t.call("health_live", None)
        assert isinstance(ei.value.__cause__, _http1.ProtocolError)
    assert s.connections == 2 and not t._lean._idle
    t.close()


def answering_ok(heads: list):
    """A script that answers every request `{}`, keeping each request's head (lowercased) in `heads`."""
    def script(conn, i):
        while True:
            head, _ = read_request(conn)
            if not head:
                return
            heads.append(head.lower())
            conn.sendall(ok(b"{}"))
    return script


def test_headers_a_call_replaces_and_injection_refused(serve):
    heads: list = []
    s = serve(answering_ok(heads))
    c = _http1.HTTP1Client(s.url, {"Content-Type": "text/plain", "X-Team": "a"}, 10)
    c.request("POST", "/", b"{}", {"content-type": "application/json"})
    assert heads[0].count(b"content-type:") == 1 and b"content-type: application/json" in heads[0]
    assert b"x-team: a" in heads[0]
    with pytest.raises(ValueError, match="invalid HTTP header 'x-evil'"):
        c.request("POST", "/", b"{}", {"x-evil": "a\r\nx-injected: 1"})
    with pytest.raises(ValueError, match="invalid HTTP header 'bad name:'"):
        _http1.HTTP1Client(s.url, {"bad name:": "v"}, 10)
    assert c.request("POST", "/", b"{}", {}).status == 200  # the refused call sent nothing: the client works on
    assert len(heads) == 2 and all(b"x-injected" not in h for h in heads)
    c.close()


def test_which_urls_take_the_lean_client(monkeypatch):
    for k in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(k, raising=False)
    assert _http1.usable("http://127.0.0.1:8000")
    assert _http1.usable("http://gradserve.internal/prefix")
    assert not _http1.usable("https://127.0.0.1:8000")  # TLS: httpx
    assert not _http1.usable("http://user:pw@127.0.0.1:8000")  # credentials in the URL: httpx
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert not _http1.usable("http://gradserve.internal:8000")  # through the proxy: httpx
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert _http1.usable("http://127.0.0.1:8000")
    assert HTTPTransport("https://example.invalid")._lean is None


def test_timeouts_from_numbers_and_httpx_timeout():
    import httpx

    assert _http1.timeouts(5) == (5.0, 5.0, 5.0)
    assert _http1.timeouts(None) == (None, None, None)
    assert _http1.timeouts(httpx.Timeout(3.0, connect=1.0)) == (1.0, 3.0, 3.0)
    assert _http1.timeouts((1.0, 2.0, 3.0, 4.0)) == (1.0, 2.0, 3.0)  # what httpx.Timeout takes as a tuple


# -- against a real gradserve-server --------------------------------------------------------------------
def square_graph(shape, total=False) -> dict:
    from engine import GraphBuilder
    from engine.serialize import graph_to_json

    gb = GraphBuilder("sq")
    x = gb.input(shape, name="x")
    y = gb.mul(x, x)
    return graph_to_json(gb.build(gb.sum(y) if total else y))


def test_sdk_over_the_lean_client_from_threads(real_server):
    """One Client shared by 3 threads (the server runs one job and queues two): each call gets its own
    answer (a connection carries one call at a time)."""
    g = square_graph((3,), total=True)
    with gs.Client(real_server.url, max_retries=8) as c:
        assert c._transport._lean is not None
        gid = c.register_graph(g)

        def one(k):
            x = np.full(3, k, np.float32)
            return k, c.grad(gid, [x], device="cpu").value

        with ThreadPoolExecutor(3) as ex:
            got = list(ex.map(one, range(40)))
        for k, v in got:
            np.testing.assert_allclose(v, np.full(3, 2.0 * k, np.float32))
        assert 1 <= len(c._transport._lean._idle) <= 3


def test_large_binary_round_trip_and_prefix(real_server):
    """A 4 MB binary request and response (the body read into one buffer), and a base URL with a slash."""
    g = square_graph((1 << 20,))
    x = np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32)
    with gs.Client(real_server.url + "/", max_retries=0) as c:
        out = c.eval(g, [x], device="cpu", binary_output=True).value
    np.testing.assert_array_equal(out, x * x)


def test_a_header_templates_head_is_the_plain_heads(serve):
    """_http1.Headers (the SDK lane's request headers: the same but for the request id, call after call) give the
    head the plain dict gives, byte for byte, whatever the client's own headers replace, the body's length, the
    method or the path; a value that would inject a header is refused as the plain dict's is."""
    heads: list = []
    s = serve(answering_ok(heads))
    for base in ({"user-agent": "t"}, {"Content-Type": "text/plain", "X-Team": "a"}, {"X-Request-ID": "mine"}):
        c = _http1.HTTP1Client(s.url + "/pre", base, 10)
        t = _http1.Headers.template({"content-type": "application/octet-stream", "Inference-Header-Content-Length": "7"})
        for k, (method, path, body) in enumerate([("POST", "/v1/eval", b"x" * 9), ("POST", "/v1/eval", b"x" * 9),
                                                   ("POST", "/v1/eval", b"x" * 11), ("POST", "/v1/grad", b"x"),
                                                   ("POST", "/v1/grad", None), ("GET", "/v1/grad", None)]):
            rid = f"{k:032x}"
            h = t.of("x-request-id", rid)
            assert dict(h) == {**t, "x-request-id": rid}
            plain = c.head(method, path, {**t, "x-request-id": rid}, body)
            assert h.head(c, method, path, body) == plain
            assert c.request(method, path, body, h).status == 200
            assert heads[-1] + b"\r\n\r\n" == plain.lower()
            assert t.head(c, method, path, body) == c.head(method, path, dict(t), body)
        with pytest.raises(ValueError, match="invalid HTTP header 'x-request-id'"):
            c.request("POST", "/v1/eval", b"x" * 9, t.of("x-request-id", "a\r\nx-injected: 1"))
        c.close()
    assert all(b"x-injected" not in h for h in heads)


def _pair(buf: int = 4096):
    """A connected pair with small buffers; `a` in timeout mode (non-blocking underneath), as the client's."""
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buf)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buf)
    a.settimeout(10)
    return a, b


def _read_all(b, n: int, out: list, delay: float = 0.0):
    time.sleep(delay)
    got = bytearray()
    while len(got) < n:
        chunk = b.recv(65536)
        if not chunk:
            break
        got += chunk
    out.append(bytes(got))


def test_a_request_past_the_socket_buffer_is_written_whole_and_in_order():
    """The small-request send writes what the buffer takes at once and the rest within the write timeout: a
    reader that starts late still gets every byte in order, whether the buffer had room (a partial write) or
    was full (nothing written at first)."""
    data = np.random.default_rng(3).integers(0, 256, _http1.SMALL_BODY, np.uint8).tobytes()
    for prefill in (False, True):
        a, b = _pair()
        sent = b""
        if prefill:  # the buffer full before the call: its first write takes nothing
            a.setblocking(False)
            try:
                while True:
                    sent += b"p" * a.send(b"p" * 1024)
            except BlockingIOError:
                pass
            a.settimeout(10)
        out: list = []
        reader = threading.Thread(target=_read_all, args=(b, len(sent) + len(data), out, 0.2))
        reader.start()
        _http1._send_all(a, data)
        reader.join(30)
        assert out == [sent + data], prefill
        a.close()
        b.close()


def test_a_small_request_write_keeps_its_timeout():
    """A peer that never reads: the send fails with the write timeout (as sendall's), not blocking for good."""
    a, b = _pair()
    a.settimeout(0.3)
    t = time.monotonic()
    with pytest.raises(TimeoutError):
        _http1._send_all(a, b"x" * _http1.SMALL_BODY)
    assert time.monotonic() - t < 30
    a.close()
    b.close()


def test_a_read_timeout_is_a_deadline_across_signals(serve):
    """A handler firing every 50 ms (a SIGALRM timer) against a read timeout of 0.3 s: the call to a server that never
    answers fails with TimeoutError, the signals arriving meanwhile. Before (stop 51's blocking socket with the read
    timeout in the kernel, SO_RCVTIMEO) CPython restarted the interrupted recv with the full timeout each time: the
    call waited until the server answered (here after 20 s, its 200 read back), for good if it never did."""
    if not hasattr(signal, "setitimer"):
        pytest.skip("no interval timer here")
    answer = threading.Event()

    def script(conn, i):
        read_request(conn)
        answer.wait(20)  # (the ceiling: then it answers, which the stretched read took for its answer)
        conn.sendall(ok(b'{"late":1}'))

    s = serve(script)
    c = _http1.HTTP1Client(s.url, {}, 10)
    hits: list = []
    old = signal.signal(signal.SIGALRM, lambda *_: hits.append(1))
    signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
    try:
        with pytest.raises(TimeoutError):
            c.request("POST", "/v1/eval", b'{"a":1}', {}, 0.3)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        answer.set()
        c.close()
    assert len(hits) >= 2  # (the wait was interrupted, more than once)


def test_a_response_body_read_with_its_head_is_that_buffer_not_copies_of_it():
    """A body that came whole with the head is the response's content as read (a bytearray, as a body read in
    several recvs is): no `bytes(rest[:n])` (two more copies of every answer); bytes past the body still drop
    the connection."""
    body = b'{"ok":3}' * 400
    a, b = socket.socketpair()
    b.sendall(ok(body))
    resp, keep = _http1._read_response(a, "POST")
    assert resp.content == body and type(resp.content) is bytearray and keep
    b.sendall(ok(body) + b"X")  # (a stray byte after the body: not kept)
    resp, keep = _http1._read_response(a, "POST")
    assert resp.content == body and not keep
    a.close()
    b.close()
