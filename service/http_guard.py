"""uvicorn's HTTP protocol with the limits a shared server needs before the app sees a request.

uvicorn bounds idle keep-alive connections (timeout_keep_alive) and open connections
(limit_concurrency) but not the request head: a client sending its headers one byte a second,
or an endless header, would hold a connection (and uvicorn's memory) for good. This protocol
closes a connection whose head has not arrived `header_timeout_s` after the connection opened
(or the previous response ended), and answers 431 to a head larger than `max_header_bytes` (and to a chunked
body's framing, chunk lines and trailers, that runs past it with no body byte between). A client
that stops reading its response (the transport's buffer stays above its high-water mark, so uvicorn's
flow control holds the writer) is dropped after `send_timeout_s` with transport.abort(): close() would
wait for a buffer the client never takes, keeping the connection and its response for good.
The body's own time limit is the app's (service.http_body.read_body, every route that reads one), where
the admission place it holds is freed; a body answered before it is in (a route that reads none, an early
401 / 404 / 429) must still end within `body_timeout_s` of its answer, or the connection is closed. Each
response leaves in one send where it can (`OneSend`). With `lean`, small job requests skip uvicorn's ASGI
cycle (service.lean_http) under the same guards. One peer address holds at most `peer_cap` TCP connections
(`PeerShare`: max_connections x peer_connection_share): uvicorn's cap is server-wide, so one peer's 1000 silent
connections, each opened again as it was closed, answered every other client 503.
"""
from __future__ import annotations

import asyncio
import heapq
import logging

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - no httptools: the pure-Python parser
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base

log = logging.getLogger("gradserve.http")


def _plain(status: bytes, msg: str) -> bytes:
    body = msg.encode()
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def _refusal(status: int, msg: str):
    """An ASGI app that answers `status` with `msg` and closes: what GuardedHTTP.on_headers_complete runs in place
    of the app for a head it refuses, through uvicorn's cycle (so the head's body is read past as for any early
    answer)."""
    body = msg.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"),
               (b"content-length", str(len(body)).encode())]

    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _head_too_large(limit: int):
    """431: what a complete head above the limit gets."""
    return _refusal(431, f"request head above the limit max_header_bytes={limit}")


# A request asking to switch protocols (Connection: Upgrade, e.g. curl --http2's h2c or a WebSocket): the parser
# takes what follows its head as the other protocol's, so its body never reached the app (a valid job was answered
# "the body is not valid JSON") and the connection hung. Nothing here speaks another protocol: a clear 400, closed.
UPGRADE_REFUSED = _refusal(400, "Connection: Upgrade is not served on this port (its body would be read as another "
                                "protocol's): send the request without it (curl: --http1.1); HTTP/2 is the gRPC "
                                "port's")


# Transfer-Encoding (round 14): the parser frames a body by its last coding, chunked, and the app never saw the
# codings before it, so "gzip, chunked" was read as if the body were not gzipped (a proxy that decodes it reads
# another body); and on an HTTP/1.0 request the header's framing is faulty by RFC 9112 6.1 (a 1.0 proxy reads the
# body to the end of the connection), yet it was read as chunked and answered. Neither is guessed at: 501 naming
# the codings (a compressed body is Content-Encoding), 400 for HTTP/1.0; both closed.
TE_REFUSED = _refusal(501, "Transfer-Encoding other than chunked is not implemented here: send a compressed body with "
                           "Content-Encoding (gzip, deflate) instead")
TE_HTTP10_REFUSED = _refusal(400, "Transfer-Encoding on an HTTP/1.0 request: its framing is faulty (RFC 9112 6.1); "
                                  "send HTTP/1.1, or Content-Length")


def te_refusal(headers: list, version: str):
    """The refusal for a request head's Transfer-Encoding (see TE_REFUSED), or None: none, or plain chunked."""
    for k, _ in headers:  # (names as the parser gives them: lowercase; a plain loop: every request pays it)
        if k == b"transfer-encoding":
            break
    else:
        return None
    codings = [c.strip().lower() for k, v in headers if k == b"transfer-encoding" for c in v.split(b",") if c.strip()]
    if version != "1.1":
        return TE_HTTP10_REFUSED
    return None if codings == [b"chunked"] else TE_REFUSED


JOIN_MAX = 1 << 16  # a held head is joined to a first body write up to this size (a copy), else sent before it


class OneSend:
    """The transport as uvicorn's response cycle sees it: the response head (written on
    `http.response.start`) is held until the body's first write, so a small response leaves in one
    send: one syscall and one wake-up of the client instead of two. A head with no body write in the
    same loop step (HEAD, a streamed body) goes at the end of the step; close() sends it first."""

    __slots__ = ("_t", "_cycle", "_head", "_held")

    def __init__(self, transport, cycle):
        self._t, self._cycle, self._head, self._held = transport, cycle, None, False

    def write(self, data) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if len(data) <= JOIN_MAX:
                data = head + data
            else:
                self._t.write(head)
        elif not self._held and self._cycle.response_started:  # the response's first write: its head
            self._held = True
            self._head = data
            asyncio.get_running_loop().call_soon(self.flush)
            return
        self._t.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            if not self._t.is_closing():
                self._t.write(head)

    def close(self) -> None:
        self.flush()
        self._t.close()

    def __getattr__(self, name):
        return getattr(self._t, name)


class SendGuard:
    """A client that stops reading: its transport's buffer stays above the high-water mark past
    `send_timeout_s` (None: no limit), and the connection is reset (mixed in by `guarded_protocol`)."""

    send_timeout_s: float | None = None
    _send_timer: asyncio.TimerHandle | None = None

    def pause_writing(self) -> None:
        super().pause_writing()
        if self.send_timeout_s is not None and self._send_timer is None:
            self._send_timer = self.loop.call_later(self.send_timeout_s, self._send_stalled)

    def resume_writing(self) -> None:
        self._send_ok()
        super().resume_writing()

    def connection_lost(self, exc) -> None:
        self._send_ok()
        super().connection_lost(exc)

    def _send_ok(self) -> None:
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _send_stalled(self) -> None:
        self._send_timer = None
        log.info("a client did not take its response within send_timeout_s=%g: connection dropped",
                 self.send_timeout_s)
        self.transport.abort()  # (connection_lost wakes whatever waits on the flow control)


class PeerShare:
    """At most `peer_cap` open connections from one peer (None: no cap); past it a new one gets 503 and is closed.
    `peer_key(address)`: the peer it counts as (an IPv6 /64, say), None for one not counted (a trusted proxy).
    `peers` (peer -> its open connections) is the protocol class's own (`guarded_protocol`). At max_connections
    (uvicorn's limit_concurrency), a counted new connection closes an idle one of the peer holding the most
    (`_evict_idle`)."""

    peer_cap: int | None = None
    peer_key = None
    peers: dict
    members: dict  # peer -> its open connections (the protocols)
    _peer: str | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else None  # (None: the Unix socket, same host)
        if self.peer_cap is None or host is None:
            return
        host = host if self.peer_key is None else self.peer_key(host)
        if host is None:
            return
        held = self.peers.get(host, 0)
        if held >= self.peer_cap:
            log.info("peer %s holds %d connections, its share of max_connections: a new one refused", host, held)
            transport.write(_plain(b"503 Service Unavailable", f"this peer address holds {held} open connections, "
                                   f"its share of max_connections (peer_connection_share): close some first"))
            transport.close()
            # (out of uvicorn's count now, not when the close is done: a peer opening them again as fast as they
            # went kept the server-wide count at max_connections, and everyone else had 503)
            self.connections.discard(self)
            return
        self.peers[host] = held + 1
        self._peer = host
        self.members.setdefault(host, set()).add(self)
        cap = getattr(self, "limit_concurrency", None)
        if cap is not None and len(self.connections) >= cap:  # (uvicorn's 503 for any request from here)
            self._evict_idle()

    def _evict_idle(self) -> None:
        """Close an idle connection (no request begun or running) of the peer holding the most, to make room for
        this one: 10 000 silent connections from 40 addresses (250 each, within their share) held the server at
        max_connections, every other client's request 503 until header_timeout_s closed them, for good while they
        were opened again. A client with one connection is the last to lose it; a busy one never does. (The few
        largest peers' own connections are looked at, not all: a scan of all, once a connection, cost 8 s of the
        server's CPU for those 10 000.)"""
        # (by the connections not yet closed: a peer's count in `peers` drops only as a closed one is lost)
        for peer, held in heapq.nlargest(4, self.members.items(), key=lambda kv: len(kv[1])):
            victim = next((c for c in held if c is not self and c._idle()), None)
            if victim is not None:
                log.info("at max_connections: an idle connection of peer %s (of its %d) closed for a new one",
                         peer, len(held))
                held.discard(victim)
                victim.transport.close()
                self.connections.discard(victim)
                return

    def _idle(self) -> bool:
        """No request head begun, none running (ASGI's or the lean path's), none queued behind."""
        return (self._in_head and not self._head_bytes and not getattr(self, "pipeline", ())  # (h11: none)
                and (self.cycle is None or self.cycle.response_complete)
                and getattr(self, "_lean_busy", None) is None and getattr(self, "_lean_ready", None) is None)

    def connection_lost(self, exc) -> None:
        if self._peer is not None:
            left = self.peers.pop(self._peer) - 1
            if left:
                self.peers[self._peer] = left
            held = self.members.get(self._peer)
            if held is not None:
                held.discard(self)
                if not held:
                    del self.members[self._peer]
            self._peer = None
        super().connection_lost(exc)


class HeadGuard:
    """The request head's limits, `header_timeout_s` and `max_header_bytes`, and one send per response
    (`OneSend`) (mixed in by `guarded_protocol`, which sets the limits and `too_large`, the 431 app)."""

    header_timeout_s: float
    max_header_bytes: int
    body_timeout_s: float | None = None
    too_large = None
    _head_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None
    _head_bytes = 0
    _in_head = True  # between requests, or reading a head
    # a chunked body's framing (chunk lines, extensions, trailers) read since its last body byte: the parser keeps
    # trailers (in the request's headers) and a long line (joined piece by piece, each join a copy) until it ends,
    # so a client sending trailers for its whole body_timeout_s grew the server by ~200 MiB a second
    _framing = 0
    _got_body = False

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc) -> None:
        self._disarm()
        self._body_disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        in_body = not self._in_head
        if in_body:
            self._got_body = False
        else:
            self._head_bytes += len(data)
        super().data_received(data)
        if in_body and not self._in_head:  # the same request's body still: a read holding none of it is framing
            self._framing = 0 if self._got_body else self._framing + len(data)
            if self._framing > self.max_header_bytes:
                self._framing_too_long()
        if self._in_head and self._head_bytes:  # a head begun in this chunk and not yet complete
            if self._head_bytes > self.max_header_bytes:  # still no end of the head in sight
                self._refuse(b"431 Request Header Fields Too Large",
                             f"request head above the limit max_header_bytes={self.max_header_bytes}")
            elif self._head_timer is None:
                # armed only now: a head that arrives whole (nearly every request) never pays for a
                # timer; one still incomplete is timed from this, its first chunk, as before
                self._arm()

    def on_headers_complete(self) -> None:
        # a head that came whole with its chunk is measured here: the chunk's size bounds it, so only a
        # chunk above the limit, or a second head in one chunk (_head_bytes reset), costs the exact sum
        n, limit = self._head_bytes, self.max_header_bytes
        self._in_head = False
        self._head_bytes = 0
        self._disarm()
        refused = UPGRADE_REFUSED if self.parser.should_upgrade() else None
        if refused is None:
            refused = te_refusal(self.headers, self.parser.get_http_version())
        if refused is None and (n == 0 or n > limit) and \
                len(self.url) + sum([len(k) + len(v) + 4 for k, v in self.headers]) > limit:
            refused = self.too_large
        if refused is not None:
            app, self.app = self.app, refused
            if hasattr(self, "asgi_scope"):  # (the lean path builds a request's scope only when uvicorn needs it)
                self.asgi_scope()
            try:
                _Base.on_headers_complete(self)  # (uvicorn's own: never the lean path)
            finally:
                self.app = app
        else:
            super().on_headers_complete()
        cycle = getattr(self, "cycle", None)  # (httptools' protocol: the request's response cycle)
        if cycle is not None and cycle.transport is self.transport:
            cycle.transport = OneSend(self.transport, cycle)

    def on_body(self, body: bytes) -> None:
        self._got_body = True
        super().on_body(body)

    def _unsupported_upgrade_warning(self) -> None:
        pass  # (uvicorn's warning for each upgrade request: answered with UPGRADE_REFUSED, nothing to log)

    def on_message_complete(self) -> None:
        # the next byte starts a new head when the parser has read this request's whole body: not when
        # the response is done (an early answer, 413 or 429, may leave body bytes still to come)
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = self._framing = 0
        self._body_disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # uvicorn resumes reading at every response, even with pipelined requests still queued behind it: a
        # client that pipelined 200 K requests had them all read and queued at once (+509 MiB). Reading waits
        # for the queue to empty instead (the requests of one read still queue: a bound of one read's worth).
        if self.pipeline and not self.transport.is_closing():
            self.flow.pause_reading()
        # answered before its body was in (401, 404, 429, a route that reads none): the rest is read past, and
        # must come within body_timeout_s, or the connection goes (a byte now and then, each within the idle
        # timeout, held it for good: the routes that read a body time it themselves, these do not read it)
        if not self._in_head and self.body_timeout_s is not None and self._body_timer is None \
                and not self.transport.is_closing():
            self._body_timer = self.loop.call_later(self.body_timeout_s, self._body_timeout)

    def _body_disarm(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_timeout(self) -> None:
        self._body_timer = None
        if not self._in_head and not self.transport.is_closing():
            log.info("a request body still arriving body_timeout_s=%g after its answer: connection closed",
                     self.body_timeout_s)
            self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timeout)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self._in_head and self._head_bytes:  # started a request and stalled: say why
            self._refuse(b"408 Request Timeout",
                         f"request head not received within header_timeout_s={self.header_timeout_s:g}")
        elif self._in_head and not self.transport.is_closing():  # never said anything: just close
            self.transport.close()

    def _framing_too_long(self) -> None:
        msg = (f"request body framing (chunk lines, extensions, trailers) of {self._framing} bytes with no body "
               f"byte between: above the limit max_header_bytes={self.max_header_bytes}")
        log.info("%s: connection closed", msg)
        cycle = getattr(self, "cycle", None)
        if cycle is None or not cycle.response_started:
            self._refuse(b"431 Request Header Fields Too Large", msg)
        elif not self.transport.is_closing():  # answered already (an early 401, 404, 429): no second answer
            self.transport.close()

    def _refuse(self, status: bytes, msg: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_plain(status, msg))
            self.transport.close()


def guarded_protocol(header_timeout_s: float, max_header_bytes: int, lean=None,
                     send_timeout_s: float | None = None, body_timeout_s: float | None = None,
                     peer_cap: int | None = None, peer_key=None) -> type:
    """The protocol class; `lean` (service.lean_http.LeanJobs): small job requests skip uvicorn's ASGI cycle;
    `send_timeout_s`: the longest a response may wait on a client that does not read (None: no limit);
    `body_timeout_s`: the longest the rest of a body answered early may take to come (None: no limit);
    `peer_cap`: the most connections one peer holds open (None: no cap), `peer_key` what a peer address counts as
    (PeerShare)."""
    base = _Base
    if lean is not None and _Base.__name__ == "HttpToolsProtocol":
        from .lean_http import fits, lean_protocol

        if fits(_Base):
            base = lean_protocol(_Base, lean)
        else:
            log.warning("this uvicorn's HTTP protocol lacks a hook the lean path needs: every request takes "
                        "uvicorn's ASGI path")
    return type("GuardedHTTP", (PeerShare, SendGuard, HeadGuard, base), {
        "header_timeout_s": header_timeout_s, "max_header_bytes": max_header_bytes, "send_timeout_s": send_timeout_s,
        "body_timeout_s": body_timeout_s, "peer_cap": peer_cap, "peers": {}, "members": {},
        "peer_key": None if peer_key is None else staticmethod(peer_key),
        "too_large": staticmethod(_head_too_large(max_header_bytes))})
