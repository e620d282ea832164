"""The SDK's HTTP/1.1 keep-alive client for plain `http://` (the per-call path), on `http.client`.

Why not httpx here: a small job's round trip on loopback is ~0.2 ms, and httpx adds ~0.4 ms to it
(URL objects, cookie jar, h11's event machine, head and body in two sends). The standard library's
`http.client` does the HTTP: request line and headers (and their validation), the response head,
Content-Length, chunked and close-delimited bodies, `Connection: close`. This module adds what it
lacks: a thread-safe pool of idle keep-alive connections; head and small body in one send (it writes
them in two, which wakes the server twice); an idle connection that the server closed dropped before
reuse; a request on a reused connection that got no response byte sent once more on a new one (jobs
are pure); the answer read when writing the request failed (a server answering 413 or 429 before
reading the body closes its side); connect/read/write timeouts; its errors as the SDK's kinds.
httpx stays the transport for https, proxies, credentials in the URL and a caller's own httpx
transport (see `usable`).
Errors: `TimeoutError` (connect, write or read timeout), `ProtocolError` or `OSError` (the connection),
`ValueError` (a header or path that cannot go on the wire).
"""
from __future__ import annotations

import http.client
import socket
import threading
import urllib.request
from typing import Any
from urllib.parse import urlsplit

SMALL_BODY = 1 << 18  # bodies up to this go out with the head in one send; larger ones after it
MAX_IDLE = 32  # idle keep-alive connections kept per client


class ProtocolError(ConnectionError):
    """The server's answer is not HTTP/1.1 as http.client reads it."""


class _NoResponse(ConnectionError):
    """The connection closed before a byte of the response came (a stale keep-alive connection)."""


def usable(url: str) -> bool:
    """Whether this client can carry `url`: plain http, no credentials in it, no proxy configured for it."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http" or parts.username is not None or not parts.hostname:
        return False
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get("http") or proxies.get("all")):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname))  # NO_PROXY (on Linux: the environment's)


def timeouts(timeout: Any) -> tuple[float | None, float | None, float | None]:
    """(connect, read, write) seconds from a number, None (no limit), httpx's 4-tuple (connect, read, write,
    pool) or an httpx.Timeout."""
    if timeout is None or isinstance(timeout, (int, float)):
        t = None if timeout is None else float(timeout)
        return t, t, t
    if isinstance(timeout, tuple) and len(timeout) == 4:
        return timeout[0], timeout[1], timeout[2]
    return getattr(timeout, "connect", None), getattr(timeout, "read", None), getattr(timeout, "write", None)


def _check_headers(headers: dict) -> None:
    """http.client's own header validation (ValueError), run once on the client's fixed headers; nothing
    is sent (putheader only buffers)."""
    probe = http.client.HTTPConnection("localhost")
    probe.putrequest("GET", "/", skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        probe.putheader(str(k), str(v))


class Response:
    __slots__ = ("status", "headers", "content")

    def __init__(self, status: int, headers: dict, content: bytes):
        self.status, self.headers, self.content = status, headers, content  # header names lowercased


class _Connection(http.client.HTTPConnection):
    """http.client's connection, with a request's writes gathered so that head and a small body go out in
    one `sendall` (`send` is the method http.client writes through)."""

    _held: list | None = None

    def connect(self) -> None:
        super().connect()
        assert self.sock is not None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # (3.11's connect does too)

    def send(self, data: Any) -> None:
        if self._held is not None:
            self._held.append(data)
        else:
            super().send(data)

    def send_request(self, method: str, url: str, body: bytes | None, headers: dict) -> None:
        self._held = []
        try:
            self.request(method, url, body, headers)  # validates and buffers; nothing is written yet
        finally:
            held, self._held = self._held, None
        if body is not None and len(body) > SMALL_BODY:
            for data in held:  # no copy of a large body
                super().send(data)
        else:
            super().send(b"".join(held))


class HTTP1Client:
    """Requests to one `http://host:port[/prefix]`, over a pool of keep-alive connections."""

    def __init__(self, base_url: str, headers: dict, timeout: Any):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "", parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._headers = {"host": parts.netloc, **headers}
        _check_headers(self._headers)
        self._names = {k.lower(): k for k in self._headers}
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def request(self, method: str, path: str, content: bytes | None, headers: dict, timeout: Any = None) -> Response:
        ct, rt, wt = timeouts(self.timeout if timeout is None else timeout)
        merged = dict(self._headers)
        for k in headers:  # a call's header replaces the client's (as httpx)
            merged.pop(self._names.get(k.lower(), k), None)
        merged.update(headers)
        url = self.prefix + path
        conn, reused = self._take(ct)
        try:
            try:
                resp = _exchange(conn, method, url, content, merged, rt, wt)
            except _NoResponse:
                if not reused:
                    raise
                conn.close()  # the server had closed this idle connection as we sent: once more, on a new one
                conn, reused = self._connect(ct), False
                resp = _exchange(conn, method, url, content, merged, rt, wt)
        except http.client.InvalidURL as e:
            conn.close()
            raise ValueError(f"{method} {url}: {e}") from None
        except http.client.HTTPException as e:  # a malformed or cut-short answer
            conn.close()
            raise ProtocolError(f"{type(e).__name__}: {e!r}") from e
        except BaseException:
            conn.close()
            raise
        if conn.sock is not None:  # http.client closed it if the answer said so (or was HTTP/1.0)
            self._give_back(conn)
        return resp

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for c in idle:
            c.close()

    # -- connections -------------------------------------------------------------------------------
    def _connect(self, connect_timeout: float | None) -> _Connection:
        conn = _Connection(self.host, self.port, timeout=connect_timeout)
        conn.connect()
        return conn

    def _take(self, connect_timeout: float | None) -> tuple[_Connection, bool]:
        while True:
            with self._lock:
                if self._closed:
                    raise ProtocolError("the client is closed")
                c = self._idle.pop() if self._idle else None
            if c is None:
                return self._connect(connect_timeout), False
            if c.sock is not None and _quiet(c.sock):
                return c, True
            c.close()

    def _give_back(self, c: _Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append(c)
                return
        c.close()


def _exchange(conn: _Connection, method: str, url: str, body: bytes | None, headers: dict,
              rt: float | None, wt: float | None) -> Response:
    sock = conn.sock
    assert sock is not None
    sock.settimeout(wt)
    try:
        conn.send_request(method, url, body, headers)
    except (BrokenPipeError, ConnectionResetError) as e:
        # a server may answer (413, 429, 401) and close before taking the body: read what it said
        # (http.client leaves the connection ready for getresponse after a failed write)
        write_error: OSError | None = e
    else:
        write_error = None
    sock.settimeout(rt)
    try:
        r = conn.getresponse()
    except ConnectionResetError as e:  # RemoteDisconnected among them: closed (or reset) before the status line
        if write_error is not None:
            raise _NoResponse(f"{e!r} (writing the request: {write_error!r})") from write_error
        raise _NoResponse(f"the server closed the connection without answering: {e!r}") from e
    content = r.read()
    headers_out: dict[str, str] = {}
    for name, value in r.getheaders():
        name = name.lower()
        headers_out[name] = f"{headers_out[name]}, {value}" if name in headers_out else value
    return Response(r.status, headers_out, content)


def _quiet(s: socket.socket) -> bool:
    """Whether an idle kept connection is still open: nothing to read yet. Readable means the server
    closed it (or sent stray bytes): not reusable."""
    try:
        s.setblocking(False)  # (the exchange sets its timeouts again)
        s.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False
