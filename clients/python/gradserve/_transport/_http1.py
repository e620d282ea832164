"""A lean HTTP/1.1 keep-alive client for plain `http://` (the SDK's per-call path).

Why not httpx here: a small job's round trip on loopback is ~0.2 ms, and httpx adds ~0.4 ms to it
(URL objects, cookie jar, h11's event machine, and headers and body written in two sends, which wakes
the server twice). This client writes each request in one `sendall` (head + body; two for large
bodies), reads the response with a few `recv` calls, and keeps connections alive in a thread-safe
pool. httpx stays the transport for https, proxies, credentials in the URL and a caller's own httpx
transport (see `usable`).

System calls per request on a kept connection: one poll (the idle check, on a poll object kept with the
connection), one write (`_send_all`: no poll before it), then poll + recv (the socket's timeout mode), settimeout
when the timeout changes. (Stop 51's blocking socket with the read timeout in the kernel, SO_RCVTIMEO, saved the
second poll, but a recv interrupted by a signal is restarted by CPython with the full SO_RCVTIMEO again: a handler
firing more often than the read timeout, SIGALRM every 0.3 s against 1 s, held a call to a silent server until it
answered, for good if never. In timeout mode CPython's poll keeps the deadline across such retries: PEP 475.)

What it does as httpx does: TCP_NODELAY; an idle connection that the server closed is dropped before
reuse; if writing the request fails (a server answering 413 or 429 before the body is read closes its
side) the response is still read; a request on a reused connection that got no byte back is sent once
more on a new one (jobs are pure); Content-Length and chunked bodies; `Connection: close` honoured.
Errors: `TimeoutError` (connect, write or read timeout), `ProtocolError` or `OSError` (the connection).

Why not the standard library's http.client (tried, with this pool and retry layer kept on top): its
response head goes through the email package's parser (~45 us a response) and it validates every
header by regex on every request; an SDK call cost ~0.16 ms more client CPU and ~20% more time (L3,
median of 12 interleaved runs; L1 ~9%). urllib3 cost more still (~45%) and would be a new dependency.
See benchmarks/LOOPS_REPORT.md, "the transport".
"""
from __future__ import annotations

import os
import select
import socket
import threading
import urllib.request
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

SMALL_BODY = 1 << 18  # bodies up to this go out with the head in one send; larger ones after it
MAX_HEAD = 1 << 16  # a response head above this is refused
MAX_IDLE = 32  # idle keep-alive connections kept per client


UNIX_SCHEME = "http+unix"  # http+unix://<the socket's path, percent-encoded>[/prefix] (as requests-unixsocket)


class ProtocolError(ConnectionError):
    """The server's answer is not HTTP/1.1 as this client reads it."""


class _NoResponse(ConnectionError):
    """The connection closed before a byte of the response came (a stale keep-alive connection)."""


def usable(url: str) -> bool:
    """Whether this client can carry `url`: plain http (or http+unix), no credentials in it, no proxy
    configured for it."""
    parts = urlsplit(url)
    if parts.scheme.lower() == UNIX_SCHEME:
        return bool(parts.netloc)
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


def _header_block(headers: dict) -> bytes:
    out = []
    for k, v in headers.items():
        k, v = str(k), str(v)
        if not k or ":" in k or "\r" in k or "\n" in k or "\r" in v or "\n" in v:
            raise ValueError(f"invalid HTTP header {k!r}: {v!r}")
        out.append(f"{k}: {v}\r\n")
    return "".join(out).encode("latin-1")


class Headers(dict):
    """A call's headers, one of which (`vary`: the request id) changes call after call while the others and
    the body's length stay (gradserve._lane: one program's jobs). `HTTP1Client.request` writes the head these
    give (`HTTP1Client.head`'s bytes) from two pieces built once per client, method, path and body length,
    with the varying value between them: no header block built again per call. Made per call by
    `Headers.template(...).of(name, value)`, sharing the template's pieces; an ordinary dict to everyone else."""

    __slots__ = ("vary", "_memo")
    vary: str | None  # (None: a template)
    # [(key: client, its headers, method, path, body length; the head before the value; after it)]: one tuple,
    # replaced whole and read once (threads share a template)
    _memo: "list[tuple[Any, bytes | None, bytes]]"

    @classmethod
    def template(cls, headers: dict) -> "Headers":
        """The headers but the varying one, and the pieces their heads share (learnt on first use)."""
        t = cls(headers)
        t.vary, t._memo = None, [(None, None, b"")]
        return t

    def of(self, vary: str, value: str) -> "Headers":
        """(a template's) One call's headers: the template's and `vary: value`."""
        h = Headers(self)
        h[vary] = value
        h.vary, h._memo = vary, self._memo
        return h

    def head(self, client: "HTTP1Client", method: str, path: str, content: bytes | None) -> bytes:
        if self.vary is None:  # (a template itself)
            return client.head(method, path, self, content)
        value, (learnt, pre, post) = self[self.vary], self._memo[0]
        key = (client, client._fixed, method, path, None if content is None else len(content))
        if learnt != key:  # (learnt: the head with a marker for the value, split around it)
            pieces = client.head(method, path, {**self, self.vary: _MARK}, content).split(_MARK_BYTES)
            pre, post = (pieces[0], pieces[1]) if len(pieces) == 2 else (None, b"")
            self._memo[0] = (key, pre, post)
        if pre is None or "\r" in value or "\n" in value:
            return client.head(method, path, self, content)
        return b"".join((pre, value.encode("latin-1"), post))


_MARK = os.urandom(16).hex()  # (no header a caller writes holds it: Headers.head checks it is found once)
_MARK_BYTES = _MARK.encode()


class Response:
    __slots__ = ("status", "headers", "content")

    def __init__(self, status: int, headers: dict, content: bytes | bytearray):
        self.status, self.headers, self.content = status, headers, content  # header names lowercased


class HTTP1Client:
    """Requests to one `http://host:port[/prefix]`, over a pool of keep-alive connections."""

    def __init__(self, base_url: str, headers: dict, timeout: Any):
        parts = urlsplit(base_url)
        self.address: tuple[str, int] | None = (parts.hostname or "", parts.port or 80)
        # a Unix socket to the same server: connections go there while it answers, else to `address`
        self.unix_path: str | None = None
        host = parts.netloc
        if parts.scheme.lower() == UNIX_SCHEME:  # that socket only
            self.address, self.unix_path, host = None, unquote(parts.netloc), "localhost"
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._headers = {"host": host, **headers}
        self._names = {k.lower(): k for k in self._headers}
        self._fixed = _header_block(self._headers)
        self._idle: list[tuple[socket.socket, Callable]] = []  # (connection, its idle check: _readable_check)
        self._lock = threading.Lock()
        self._closed = False

    def request(self, method: str, path: str, content: bytes | None, headers: dict, timeout: Any = None) -> Response:
        ct, rt, wt = timeouts(self.timeout if timeout is None else timeout)
        body = b"" if content is None else content
        head = headers.head(self, method, path, content) if type(headers) is Headers else \
            self.head(method, path, headers, content)
        conn, reused = self._take(ct)
        try:
            try:
                resp, keep = self._exchange(conn[0], method, head, body, rt, wt)
            except _NoResponse:
                if not reused:
                    raise
                conn[0].close()  # the server had closed this idle connection as we sent: once more, on a new one
                conn, reused = self._connect(ct), False
                resp, keep = self._exchange(conn[0], method, head, body, rt, wt)
        except BaseException:
            conn[0].close()
            raise
        if keep:
            self._give_back(conn)
        else:
            conn[0].close()
        return resp

    def head(self, method: str, path: str, headers: dict, content: bytes | None) -> bytes:
        """The request's head: its line, the client's headers (those the call gives replaced, as httpx), the
        call's, and the body's length."""
        end = b"content-length: %d\r\n\r\n" % len(content) if content is not None else \
            b"content-length: 0\r\n\r\n" if method == "POST" else b"\r\n"
        fixed = self._fixed
        for k in headers:
            if k.lower() in self._names:  # a call's header replaces the client's (as httpx)
                merged = dict(self._headers)
                for k2 in headers:
                    merged.pop(self._names.get(k2.lower(), k2), None)
                fixed = _header_block(merged)
                break
        return b"".join((f"{method} {self.prefix}{path} HTTP/1.1\r\n".encode("latin-1"), fixed,
                         _header_block(headers), end))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for s, _ in idle:
            s.close()

    # -- connections -------------------------------------------------------------------------------
    def _connect(self, connect_timeout: float | None) -> tuple[socket.socket, Callable]:
        path = self.unix_path
        if path is not None:
            try:
                s = unix_connect(path, connect_timeout)
                return s, _readable_check(s)
            except OSError:
                if self.address is None:
                    raise
                self.unix_path = None  # the socket is gone (or refuses): TCP from now on
        assert self.address is not None  # (a http+unix:// client has no TCP address: it raised above)
        t = socket.create_connection(self.address, timeout=connect_timeout)
        s = t
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s, _readable_check(s)

    def try_unix(self, path: str, path_arg: str, accept: Callable[[Response], bool], timeout: Any = None) -> bool:
        """Whether `GET <path_arg>` over the Unix socket at `path` gives a response that `accept`s; if so,
        new connections go there from now on (the idle TCP ones are closed)."""
        ct, rt, wt = timeouts(self.timeout if timeout is None else timeout)
        head = (f"GET {self.prefix}{path_arg} HTTP/1.1\r\n".encode("latin-1") + self._fixed + b"\r\n")
        try:
            s = unix_connect(path, ct)
        except OSError:
            return False
        try:
            resp, keep = self._exchange(s, "GET", head, b"", rt, wt)
        except (OSError, ProtocolError):
            s.close()
            return False
        if not accept(resp):
            s.close()
            return False
        with self._lock:
            self.unix_path, idle = path, self._idle
            self._idle = []
        for c, _ in idle:
            c.close()
        if keep:
            self._give_back((s, _readable_check(s)))
        else:
            s.close()
        return True

    def _take(self, connect_timeout: float | None) -> tuple[tuple[socket.socket, Callable], bool]:
        while True:
            with self._lock:
                if self._closed:
                    raise ProtocolError("the client is closed")
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect(connect_timeout), False
            if not conn[1](0):  # nothing to read: still open (readable: the server closed it, or stray bytes)
                return conn, True
            conn[0].close()

    def _give_back(self, conn: tuple[socket.socket, Callable]) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append(conn)
                return
        conn[0].close()

    # -- one exchange ------------------------------------------------------------------------------
    def _exchange(self, s: socket.socket, method: str, head: bytes, body, rt, wt) -> tuple[Response, bool]:
        if s.gettimeout() != wt:  # (settimeout costs a system call even when the value stays)
            s.settimeout(wt)
        try:
            if len(body) <= SMALL_BODY:
                _send_all(s, head + body if body else head)
            else:
                s.sendall(head)
                s.sendall(body)
        except (BrokenPipeError, ConnectionResetError) as e:
            # a server may answer (413, 429, 401) and close before taking the body: read what it said
            write_error: OSError | None = e
        else:
            write_error = None
        if rt != wt:
            s.settimeout(rt)
        try:
            return _read_response(s, method)
        except _NoResponse as e:
            if write_error is not None:
                raise _NoResponse(f"{e} (writing the request: {write_error!r})") from write_error
            raise


def _send_all(s: socket.socket, data: bytes) -> None:
    """s.sendall(data) without the poll it makes first in timeout mode (a system call, ~3 us on a VM, on every
    SDK call): a socket with a timeout is non-blocking, so one write takes what the buffer holds (a small
    request on a kept connection: all of it); the rest, if any, goes by sendall with its timeout."""
    n = 0
    if _RAW_WRITE:
        try:
            n = os.write(s.fileno(), data)
        except BlockingIOError:  # (the buffer full: sendall waits for room within the write timeout)
            n = 0
    if n < len(data):
        s.sendall(memoryview(data)[n:])


_RAW_WRITE = os.name == "posix"  # (a Windows socket is no file descriptor os.write takes)


def unix_connect(path: str, timeout: float | None) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(path)
    except BaseException:
        s.close()
        raise
    return s


def _readable_check(s: socket.socket) -> Callable:
    """f(0) -> whether `s` is readable now, in one system call: a poll object kept with the connection
    (select where there is no poll). An idle kept connection that is readable was closed by the server."""
    if hasattr(select, "poll"):
        p = select.poll()
        p.register(s, select.POLLIN)
        return p.poll
    return lambda timeout: select.select([s], [], [], timeout)[0]


def _read_head(s: socket.socket, buf: bytearray) -> tuple[bytearray, int]:
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            return buf, end
        if len(buf) > MAX_HEAD:
            raise ProtocolError(f"response head above {MAX_HEAD} bytes")
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            if buf:
                raise
            chunk = b""
        if not chunk:
            if buf:
                raise ProtocolError("the server closed the connection in the middle of the response head")
            raise _NoResponse("the server closed the connection without answering")
        buf += chunk


def _parse_head(raw: bytes) -> tuple[str, int, dict]:
    lines = raw.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"bad response header line {line[:80]!r}")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return version, int(code), headers


def _read_response(s: socket.socket, method: str) -> tuple[Response, bool]:
    rest = bytearray()
    while True:  # interim responses (1xx) are skipped
        buf, end = _read_head(s, rest)
        version, status, headers = _parse_head(bytes(buf[:end]))
        rest = buf[end + 4:]
        if not 100 <= status < 200:
            break
    keep = version == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if method == "HEAD" or status in (204, 304):
        return Response(status, headers, b""), keep and not rest
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return Response(status, headers, _read_chunked(s, rest)), keep
    cl = headers.get("content-length")
    if cl is None:  # delimited by the end of the connection
        chunks = [bytes(rest)]
        while chunk := s.recv(65536):
            chunks.append(chunk)
        return Response(status, headers, b"".join(chunks)), False
    if not cl.isdigit():
        raise ProtocolError(f"bad Content-Length {cl!r}")
    n = int(cl)
    if len(rest) == n:  # (the common case: the body whole in what came with the head; the bytearray itself, as
        return Response(status, headers, rest), keep  # a body read in several recvs is: no two more copies)
    if len(rest) > n:
        return Response(status, headers, bytes(rest[:n])), False
    body = bytearray(n)
    body[:len(rest)] = rest
    view, got = memoryview(body), len(rest)
    while got < n:
        k = s.recv_into(view[got:], n - got)
        if not k:
            raise ProtocolError(f"the server closed the connection after {got} of {n} body bytes")
        got += k
    return Response(status, headers, body), keep


def _read_chunked(s: socket.socket, buf: bytearray) -> bytes:
    out = bytearray()

    def fill(n: int) -> None:  # at least n bytes in buf
        while len(buf) < n:
            chunk = s.recv(65536)
            if not chunk:
                raise ProtocolError("the server closed the connection in the middle of a chunked body")
            buf.extend(chunk)

    while True:
        while (i := buf.find(b"\r\n")) < 0:
            fill(len(buf) + 1)
        size_text = bytes(buf[:i]).split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size {size_text[:20]!r}") from None
        del buf[:i + 2]
        if size == 0:  # trailers (none expected), then the blank line
            while (j := buf.find(b"\r\n")) != 0:
                if j < 0:
                    fill(len(buf) + 1)
                else:
                    del buf[:j + 2]
            del buf[:2]
            return bytes(out)
        fill(size + 2)
        out += buf[:size]
        del buf[:size + 2]
