"""The lean HTTP/1.1 path: a plain, small POST /v1/<job> goes from the HTTP parser to its job runner.

uvicorn's per-request ASGI cycle (a RequestResponseCycle, the scope and message dicts, an Event,
Starlette's Request, the send() that re-validates every header) is work a small job's answer does not
need: skipping it saves the server's main process ~40 us CPU per L3 request, ~70 us per L1 step
(benchmarks/lean_http_ab.py, issue #13). Here the protocol hands (headers,
body, peer) to the same `http_app._job_runner` the ASGI route calls and writes its Response's head
and body in one transport.write. Everything else takes uvicorn's path unchanged: other methods and
paths, HTTP/1.0, a query string, Expect: 100-continue, chunked or missing Content-Length, bodies above
LEAN_MAX_BODY, API keys, the access log and tracing (service.cli leaves the lean path off for those),
a root_path, a request that arrives while another on the connection is answered (pipelining), a
server at its concurrency limit (uvicorn's 503).
"""
from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from . import timeline
from .codec import header_int
from .http_app import PartsResponse, internal_error, job_headers
from .http_body import within
from .jobs import REQUEST_ID
from .ticker import Later

LEAN_MAX_BODY = 1 << 16  # bigger bodies gain nothing from the lean path (their cost is the bytes)
_RID = REQUEST_ID.encode()


class LeanJobs:
    """What the lean path serves: {raw path: job runner (http_app._job_runner)} and the largest body it takes."""

    def __init__(self, runners: dict, max_body_bytes: int):
        self.runners, self.max_body = runners, min(LEAN_MAX_BODY, max_body_bytes)
        self.taken = 0  # requests that took the lean path (tests tell the two paths apart by it)


class LeanBody:
    """A lean request's body and disconnect, as the job runner (http_app._job_runner) reads them (the methods of
    http_app.AsgiBody). The body is usually whole before the job starts; a body still coming is
    awaited within body_timeout_s (408 past it), as the ASGI route's read is."""

    __slots__ = ("body", "chunks", "waiter", "lost", "event", "started", "task")

    def __init__(self):
        self.body, self.chunks, self.waiter, self.lost, self.event, self.started = None, [], None, False, None, False
        self.task = None  # the task its job runs in (made only when an eager start has to wait: see _lean_start)

    def complete(self) -> None:
        c = self.chunks
        self.body = c[0] if len(c) == 1 else b"".join(c)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def disconnected(self) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ClientDisconnect())
        if self.event is not None:
            self.event.set()

    async def _whole(self, s) -> bytes:
        if self.body is None:
            if self.lost:
                raise ClientDisconnect()
            self.waiter = asyncio.get_running_loop().create_future()
            await within(self.waiter, s.body_timeout_s)
        return self.body

    def now(self) -> tuple | None:
        """read's answer when the body is whole (the usual small request), without a coroutine; else None."""
        return (self.body, None) if self.body is not None else None

    async def read(self, s, buffers, cl, hl):
        return await self._whole(s), None  # (its size was checked before the lean path took it)

    async def discard(self, s) -> None:
        await self._whole(s)

    def gone(self):
        if self.event is None:  # made only when a job outlives http_app.WATCH_AFTER_S
            self.event = asyncio.Event()
            if self.lost:
                self.event.set()
        return self.event.wait()


def _header_lines(headers) -> tuple[list[bytes], bool]:
    parts: list[bytes] = []
    close = False
    for name, value in headers:
        if name == b"connection" and b"close" in value.lower():
            close = True
        parts += (name, b": ", value, b"\r\n")
    return parts, close


# [status, the server's default headers (uvicorn replaces the list when the date changes, once a second), the
# status line and those headers as bytes, whether they say close]: the head's start, the same for most answers
_START: list = [None, None, b"", False]


def response_head(status: int, default_headers: list, raw_headers: list, keep_alive: bool) -> tuple[bytes, bool]:
    """(the response's status line and headers, whether the connection stays open), as uvicorn writes them."""
    start = _START
    if start[0] != status or start[1] is not default_headers:
        parts, close = _header_lines(default_headers)
        start = [status, default_headers, STATUS_LINE[status] + b"".join(parts), close]
        _START[:] = start
    parts, close = _header_lines(raw_headers)
    close = close or start[3]
    if not keep_alive and not close:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    return start[2] + b"".join(parts), keep_alive and not close


# uvicorn's HttpToolsProtocol methods the lean path overrides or calls (internals, not its public API: an
# uvicorn without them gets no lean path, service.http_guard.guarded_protocol checks `fits` first)
UVICORN_HOOKS = ("on_message_begin", "on_headers_complete", "on_body", "on_message_complete", "data_received",
                 "_start_asgi_task", "on_response_complete", "connection_lost", "shutdown",
                 "_unset_keepalive_if_required", "timeout_keep_alive_handler")


def fits(base: type) -> bool:
    """Whether `base` has every uvicorn hook the lean path relies on."""
    return all(callable(getattr(base, name, None)) for name in UVICORN_HOOKS)


class LeanProtocol:
    """The lean path, mixed into uvicorn's httptools protocol by `lean_protocol` (which sets `lean_jobs`)."""

    lean_jobs: LeanJobs
    _lean = None  # the lean request whose body is being read: [runner, heads, LeanBody, keep-alive]
    _lean_busy: LeanBody | None = None  # the body of the lean request being answered
    _lean_ready = None  # a lean request whose body is whole, to start once its chunk is parsed (data_received)
    _lean_close = False  # a graceful shutdown began: close once the lean answer is out
    scope: Any  # uvicorn's, per request (None on the lean path: `asgi_scope`)
    headers: list

    def _lean_take(self):
        """[runner, heads, LeanBody, keep-alive] when this request can take the lean path, else None."""
        jobs = self.lean_jobs
        runner = jobs.runners.get(self.url)  # (a query string or a root_path: no match)
        p = self.parser
        if (runner is None or self._lean_busy is not None or self.expect_100_continue or self.pipeline
                or self.root_path or self.transport.is_closing() or p.get_method() != b"POST"
                or p.get_http_version() != "1.1" or (self.cycle is not None and not self.cycle.response_complete)
                or p.should_upgrade()):
            return None
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            return None  # uvicorn answers 503
        heads = job_headers(self.headers)  # (one pass over the headers: it keeps transfer-encoding too)
        cl = header_int(heads.get(b"content-length"))
        if cl is None or b"transfer-encoding" in heads or cl > jobs.max_body:
            return None
        jobs.taken += 1
        return [runner, heads, LeanBody(), p.should_keep_alive()]

    def on_message_begin(self) -> None:
        # uvicorn's builds the request's ASGI scope here (two dicts and a copy of the lifespan state, ~1 us a
        # request), which a lean request never reads: built by `asgi_scope` once a request leaves the lean path
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        self.scope = None

    def asgi_scope(self) -> None:
        """The request's ASGI scope as uvicorn's on_message_begin builds it, over the URL and headers parsed so far
        (before uvicorn's on_headers_complete, which fills it in: here, and http_guard's 431 answer)."""
        if self.scope is None:
            url, headers, expect = self.url, self.headers, self.expect_100_continue
            super().on_message_begin()
            self.url, self.expect_100_continue = url, expect
            self.headers = self.scope["headers"] = headers  # type: ignore[index]  # (set by uvicorn just above)

    def on_headers_complete(self) -> None:
        self._lean = self._lean_take()
        if self._lean is None:
            self.asgi_scope()
            super().on_headers_complete()
        else:
            timeline.stamp("srv.headers")

    def on_body(self, body: bytes) -> None:
        if self._lean is not None:
            self._lean[2].chunks.append(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        lean, self._lean = self._lean, None
        if lean is None:
            super().on_message_complete()
        else:
            lean[2].complete()
            if not lean[2].started:  # (else its job started while the body was on its way)
                # started once the parser has read the rest of this chunk (data_received): bytes after it
                # that the parser refuses get uvicorn's 400 alone, as on uvicorn's path; what follows on
                # the connection meanwhile waits behind it (pipelined)
                self._lean_busy = lean[2]
                self._lean_ready = lean

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        ready = self._lean_ready
        if ready is not None:
            self._lean_ready = None
            if self.transport.is_closing():  # the parser refused what followed: no answer, as on uvicorn's path
                self._lean_busy = None
            else:
                self._lean_start(ready)
        lean = self._lean
        if lean is not None and not lean[2].started and not self.transport.is_closing():
            self._lean_start(lean)  # a body still coming: start (408 if it stalls, 429 first under
            # overload), as uvicorn's cycle does

    def _lean_start(self, lean: list) -> None:
        """Run the request's job. With its body whole it starts here, eagerly: a small job that never waits
        (the inline lane: service.inline) is answered before this returns, without a task, its loop
        callback and a loop iteration (~5 us); one that waits goes on in a task from where it waits."""
        src = lean[2]
        self._lean_busy = src
        src.started = True
        coro = self._lean_run(*lean)
        if src.body is None:  # still coming: LeanBody._whole waits for it under a TimeLimit (in a task)
            task = self.loop.create_task(coro)
        else:
            try:
                waiting = coro.send(None)
            except StopIteration:
                return
            task = src.task = self.loop.create_task(_Rest(coro, waiting).run())
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def _start_asgi_task(self, cycle, app) -> None:
        if self._lean_busy is not None:  # a pipelined request behind a lean one: after it, in order
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, app))
        else:
            super()._start_asgi_task(cycle, app)

    async def _lean_run(self, runner, heads: dict, src: LeanBody, keep_alive: bool) -> None:
        try:
            try:
                resp = await runner(heads, self.client[0] if self.client else None, src)
            except Exception as e:  # noqa: BLE001 - the 500 the ASGI route gives (http_app.internal_error)
                resp = internal_error("/v1/" + runner.__name__, heads.get(_RID), e)
            if not src.lost:
                await self._lean_write(resp, keep_alive and not self._lean_close)
                timeline.stamp("srv.written")
        except BaseException:
            self.transport.close()
            raise
        finally:
            self._lean_busy = None
        if self._lean_close:  # a shutdown that began while the answer was being written
            self.transport.close()
        self.on_response_complete()  # uvicorn's: count it, resume reading, the next pipelined request

    async def _lean_write(self, resp, keep_alive: bool) -> None:
        head, keep = response_head(resp.status_code, self.server_state.default_headers, resp.raw_headers,
                                   keep_alive)
        if isinstance(resp, PartsResponse):  # a large answer: streamed under flow control
            send = _Sender(self, head)
            await resp(None, None, send)
            done = send.done
        else:
            # a client that does not read: wait as uvicorn's cycle does (http_guard drops it past
            # send_timeout_s), never pile answer upon answer into the transport's buffer
            if self.flow.write_paused and not self.transport.is_closing():
                await self.flow.drain()
            done = not self.transport.is_closing()
            if done:
                self.transport.write(head + resp.body)
        if not (done and keep):
            self.transport.close()

    def on_response_complete(self) -> None:
        """uvicorn's (count the request, resume reading, start the next pipelined request, else arm the
        keep-alive timeout), with the keep-alive timeout on the loop's shared ticker (service.ticker.Later):
        a TimerHandle pushed on the loop's heap and cancelled by the next request cost ~5 us a request. The
        timer is armed once per idle spell, not per answer: the next request marks the connection busy
        (`_unset_keepalive_if_required`) instead of cancelling it, and a timer that fires finds how long the
        connection has really been idle (`_keep_alive_due`)."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            self._idle_at = None
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._idle_at = self.loop.time()
            if self.timeout_keep_alive_task is None:
                self.timeout_keep_alive_task = Later(self.timeout_keep_alive, self._keep_alive_due, self.loop)

    _idle_at: float | None = None  # loop time of the answer after which the connection went idle; None: a request in

    def _unset_keepalive_if_required(self) -> None:
        self._idle_at = None  # (uvicorn's data_received: a request is coming; the timer, if armed, stands down)

    def _keep_alive_due(self) -> None:
        self.timeout_keep_alive_task = None
        idle_at = self._idle_at
        if idle_at is None:  # busy: its answer arms the timer again
            return
        left = idle_at + self.timeout_keep_alive - self.loop.time()
        if left > 0:  # requests came and went since it was armed: idle for less than the timeout yet
            self.timeout_keep_alive_task = Later(left, self._keep_alive_due, self.loop)
        else:
            self.timeout_keep_alive_handler()

    def connection_lost(self, exc) -> None:
        task, self.timeout_keep_alive_task, self._idle_at = self.timeout_keep_alive_task, None, None
        if task is not None:  # (its callback holds this protocol: released now, not at the timeout)
            task.cancel()
        super().connection_lost(exc)
        for src in (self._lean_busy, self._lean and self._lean[2]):
            if src:
                src.disconnected()

    def shutdown(self) -> None:
        if self._lean_busy is not None or self._lean is not None:  # finish the answer, then close
            self._lean_close = True
        else:
            super().shutdown()


def lean_protocol(base: type, jobs: LeanJobs) -> type:
    """`base` (uvicorn's httptools protocol) with the lean path for `jobs`."""
    return type("LeanHTTP", (LeanProtocol, base), {"lean_jobs": jobs})


class _Rest:
    """The rest of a coroutine started outside a task (LeanProtocol._lean_start) that yielded `waiting`
    (the future it awaits, or None: a bare yield): `run()` goes on from there in a task, as if the task
    had run it from the start (the task waits on `waiting`, then resumes it, or throws its cancel into it)."""

    __slots__ = ("coro", "waiting")

    def __init__(self, coro, waiting):
        self.coro, self.waiting = coro, waiting

    def __await__(self):
        while True:
            try:
                yield self.waiting
            except BaseException as e:  # (a cancel while it waited)
                try:
                    self.waiting = self.coro.throw(e)
                except StopIteration as stop:
                    return stop.value
                continue
            return (yield from self.coro.__await__())

    async def run(self):
        return await self


class _Sender:
    """The ASGI send of a streamed lean response (PartsResponse): the head, then each chunk once the
    transport can take it (uvicorn's flow control)."""

    __slots__ = ("proto", "head", "done")

    def __init__(self, proto, head: bytes):
        self.proto, self.head, self.done = proto, head, False

    async def __call__(self, message: dict) -> None:
        if message["type"] != "http.response.body":
            return  # (the start: its head is `head`)
        p = self.proto
        if p.flow.write_paused and not p.transport.is_closing():
            await p.flow.drain()
        if p.transport.is_closing():
            return
        body = message.get("body", b"")
        if self.head is not None:
            p.transport.write(self.head)
            self.head = None
        if body:
            p.transport.write(body)
        self.done = not message.get("more_body", False)
