"""A direct lane to one of the server's workers (issue #13; the server's `direct_lanes`, on by default; this
client's GRADSERVE_DIRECT_LANES=0 turns it off): a same-host client's repeated shared-memory job sent
straight to the worker that ran it, without the server's process on the call's path (service.lanes).

A shared-memory job (http._ShmCall) whose request is byte for byte one the lane was granted for (the same
route, headers but the request id, and body: the body names the regions and carries the small tensors; the
large ones lie in the regions, where the worker reads them) goes as a frame over the lane's socket; the
worker's answer is the timing of its run, and the answer this client reads is the grant's HTTP answer with
that timing (the outputs land where the grant's did: the worker checks it, else it answers "fallback").
Everything else goes over HTTP, which asks for a lane (`X-Gradserve-Lane: ask`, or `add <token>` for another
request of the same client). A lane that fails is dropped (a new one is asked for after RETRY_S). A lane job whose
connection ends without its answer (the worker killed: by a crash, or by the server past the job's deadline)
raises what the server recorded for it (`GET /v1/lane/<token>`: WorkerDied or DeadlineExceeded, as that job's
HTTP answer would have), through the client's retry policy as an HTTP error; one whose answer does not come
within the grant's deadline plus the server's grace (the worker stopped before it took the job) is reported
(`POST /v1/lane/<token>/overdue`: the server kills the silent worker) and raises DeadlineExceeded alike;
a lane job done past its deadline (within the grace) raises DeadlineExceeded, as HTTP answers it (504);
otherwise (the lane refused or revoked, the job's answer an error or "fallback") that job goes over HTTP: a job
is a pure function of its request, so running it there gives what HTTP would have given, its error included.
"""
from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time
from typing import Any

from .. import errors
from .._wire import HEADER_LENGTH
from . import REQUEST_ID, _http1

HEADER = "x-gradserve-lane"
FRAME = struct.Struct("<QIQ")  # seq, template index, deadline ms (0: the grant's) (service.lanes.FRAME)
ANSWER_HEAD = struct.Struct("<I")
_TIMING = b',"timing":'
_HL = HEADER_LENGTH.lower()  # (answer headers are read by lowercase name)
RETRY_S = 1.0
MAX_TEMPLATES = 4  # (service.lanes.MAX_TEMPLATES)


def wanted() -> bool:
    """On unless GRADSERVE_DIRECT_LANES says off (0 / false / off); used only where the server grants a lane."""
    return os.environ.get("GRADSERVE_DIRECT_LANES", "1").strip().lower() not in ("0", "false", "off", "no")


class Lanes:
    """One client's lane: its socket, token and the requests it carries (by their bytes)."""

    def __init__(self, timeout: Any, handle):
        """handle: the transport's (status, headers, content, rid) -> the decoded body or its typed error raised."""
        self.timeout = _http1.timeouts(timeout)[1]
        self.handle = handle
        self.lock = threading.Lock()
        self.path: str | None = None
        self.token: str | None = None
        self.sock: socket.socket | None = None
        self.templates: dict = {}  # request key -> (index, status, headers, the answer's bytes before its timing)
        self.seq = 0
        self.retry_at = 0.0
        self.wait_s = 0.0  # the lease's deadline plus the server's grace: how long a lane job's answer may take

    @staticmethod
    def _key(call) -> tuple:
        heads = tuple(sorted((k, v) for k, v in call.headers.items() if k != REQUEST_ID))
        return call.method, call.path, heads, bytes(call.content)

    def exchange(self, call, timeout: Any, send) -> tuple | None:
        """(status, headers, content) of `call` run on the lane; None: send it over HTTP (with `ask`'s header).
        send: the transport's (method, path, content, headers, timeout, rid) -> (status, headers, content)."""
        if self.token is None or not self.lock.acquire(blocking=False):
            return None
        try:
            got = self.templates.get(self._key(call))
            if got is None:
                return None
            index, status, headers, head = got
            sent = False
            try:
                sent, answer = self._send(index, timeout)
            except _Overdue:  # past the job's deadline and grace: the server is told, and says what it did
                token = self.token
                self.drop()
                _why(send, self.handle, token, call.rid, max(10.0, self.wait_s), overdue=True)
                return None
            except TimeoutError as e:
                self.drop()
                raise errors.APITimeoutError(f"{call.method} {call.path} timed out on the direct lane: {e}",
                                             request_id=call.rid) from e
            except OSError:
                answer = None
            if answer is not None and "status" in answer:  # HTTP's error answer for this job (done past its
                # deadline: 504), which the caller raises as HTTP's; the lane kept (its worker goes on)
                return int(answer["status"]), {}, json.dumps(answer.get("body")).encode()
            if answer is None or "timing" not in answer:  # gone, revoked, an error or a fallback: over HTTP
                token = self.token
                self.drop()
                if sent and answer is None:  # its worker went away with the job: what the server recorded
                    _why(send, self.handle, token, call.rid)
                return None
            return status, headers, b"".join((head, json.dumps(answer["timing"], separators=(",", ":")).encode(),
                                               b"}"))
        finally:
            self.lock.release()

    def _send(self, index: int, timeout: Any) -> tuple[bool, dict | None]:
        """(whether the frame went out, the worker's answer or None when the connection ended first)."""
        limit = _http1.timeouts(timeout)[1] if timeout is not None else self.timeout
        if self.sock is None:
            assert self.path is not None and self.token is not None
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.settimeout(limit)
                s.connect(self.path)
                s.sendall(self.token.encode())
            except OSError:
                s.close()
                raise
            self.sock = s
        self.sock.settimeout(limit)
        self.seq += 1
        self.sock.sendall(FRAME.pack(self.seq, index, 0))
        overdue = limit is None or self.wait_s < limit  # (else the caller's own timeout comes first)
        self.sock.settimeout(max(self.wait_s, 1e-3) if overdue else limit)
        try:
            head = _read(self.sock, ANSWER_HEAD.size)
            body = None if head is None else _read(self.sock, ANSWER_HEAD.unpack(head)[0])
        except TimeoutError:
            if overdue:
                raise _Overdue from None
            raise
        except OSError:  # (reset: the worker killed)
            body = None
        if body is None:
            return True, None
        d = json.loads(body)
        return True, (d if d.get("seq") == self.seq else {})

    def ask(self, call) -> None:
        """The header asking the server for a lane for this request (none: not now, or it has one: another
        thread's call holds the lane)."""
        if self.token is not None and self._key(call) not in self.templates:
            if len(self.templates) < MAX_TEMPLATES:
                call.headers[HEADER] = f"add {self.token}"
                return
            if not self.lock.acquire(blocking=False):
                return  # (another thread's call is on the lane)
            try:  # full of requests not sent any more (regions replaced, inputs changed): a new lane
                self.drop()
                self.retry_at = 0.0
            finally:
                self.lock.release()
        if self.token is None and time.monotonic() >= self.retry_at:
            call.headers[HEADER] = "ask"

    def learn(self, call, status: int, headers, content, resp: dict) -> None:
        """The HTTP answer of a request that asked: a lane (and this request on it) where the server granted one."""
        got = (resp.get("timing") or {}).get("direct_lane") if HEADER in call.headers else None
        if not (isinstance(got, list) and len(got) == 4 and isinstance(content, (bytes, bytearray))) or \
                headers.get(_HL) is not None:  # (its outputs in the body, not all in the region)
            return
        path, token, index, wait_s = got
        at = bytes(content).rfind(_TIMING)
        if at < 0 or not bytes(content).endswith(b"}"):
            return
        with self.lock:
            if token != self.token:
                self.drop()
                self.path, self.token = path, token
            self.wait_s = float(wait_s)
            call.headers.pop(HEADER, None)
            self.templates[self._key(call)] = (index, status, headers, bytes(content[:at + len(_TIMING)]))

    def drop(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.path = self.token = None
        self.templates.clear()
        self.retry_at = time.monotonic() + RETRY_S

    def close(self) -> None:
        """The lane dropped; one granted but never connected to is told so (a connection that sends its token and
        ends, as a closed one): its worker goes back to the pool now, not when another client's job revokes it."""
        if self.sock is None and self.path is not None and self.token is not None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.settimeout(1.0)
                s.connect(self.path)
                s.sendall(self.token.encode())
            except OSError:
                pass
            finally:
                s.close()
        self.drop()


def _read(s: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        got = s.recv(n - len(buf))
        if not got:
            return None
        buf += got
    return bytes(buf)


class _Overdue(Exception):
    """No answer within the lane's deadline plus grace (Lanes.wait_s)."""


def _why(send, handle, token: str | None, rid: str, wait_s: float = 10.0, overdue: bool = False) -> None:
    """Raises the error the server recorded for the lane `token` (its worker died, or was killed past the job's
    deadline); returns when there is none (revoked). The server may not have seen the worker's end yet ("held"):
    asked again, for up to `wait_s`. `overdue`: the job's answer did not come within its deadline and grace: the
    server is told first (it kills the worker if it was silent that long: a worker stopped or stuck before it
    took the job, which no timer of the server's covers)."""
    end = time.monotonic() + wait_s
    first = True
    while token is not None:
        if overdue and first:
            status, headers, content = send("POST", f"/v1/lane/{token}/overdue", b"", {}, None, rid)
        else:
            status, headers, content = send("GET", f"/v1/lane/{token}", None, {}, None, rid)
        first = False
        if status != 200:
            if status != 404:
                handle(status, headers, content, rid)  # (raises it)
            return
        if json.loads(bytes(content)).get("state") != "held" or time.monotonic() >= end:
            return
        time.sleep(0.02)
