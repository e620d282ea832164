"""Direct lanes (setting `direct_lanes`, on by default; issue #13): a same-host SDK client's repeated
shared-memory job sent straight to one worker, the server main off the call's path.

Grant: a job whose request carries `X-Gradserve-Lane: ask` (or `add <token>` for the same client's lease) and whose
every input and parameter is a ref the worker reads on its own (a made region's "made" ref, read where the client
writes it, or an "inline" value the request itself carried) and whose outputs go into a made region is run as usual;
the pool also asks its worker to keep the job message as a template and to listen on a socket in the pool's 0700
directory. The job's timing then names the lane: `direct_lane: [path, token, template index, wait_s]` (wait_s: the
grant's deadline plus deadline_grace_s, how long the client waits for a lane job's answer). The worker is `leased`:
it takes no other job until the lease ends.

A job on the lane (the SDK, gradserve._transport._lanes): a connection that first sends the token, then frames FRAME
(seq, template index, deadline in ms, 0: the grant's); the worker runs the template again (under the grant's job id:
a reclaim of the lease's lent cores names it) and answers ANSWER_HEAD (the JSON's length) and JSON {"seq", "timing"}
or {"seq", "error": error dict (worker.job_error)} or {"seq", "fallback": true} (the outputs did not land where the
template's did: the client sends that job over HTTP) or {"seq", "status", "body"}: HTTP's error answer, which the
client raises (a job done past its deadline, within the grace: 504 DeadlineExceeded, as HTTP answers it; `late`).
A grant whose outputs did not all land in the region (the answer's body carries some: the client cannot take a lane
from it) makes no lane: its lease ends with the job. The same template with the same request bytes is the same job:
made inputs are read where they lie, inline ones are the request's own bytes (the SDK keys a lane on them).

The server stays informed off the path: the worker posts ("lane_start", token, seq, deadline_s) and ("lane_done",
token, seq, timing, wall seconds, the error code of an answer its client raises) on its pipe. A lane job done is
counted as its HTTP request would be (JobTally.job: gradserve_requests_total, the request latency histogram, under
the grant's endpoint), a late one's 504 too; an error answer or a fallback is not, its client sends that job over
HTTP, where it is. The pool's fair order counts a lease's job in flight as its
client's. The pool kills a worker whose lane job runs past its deadline plus deadline_grace_s (the client's
connection then ends); a worker that never announces the job (stopped, stuck before it read the frame) leaves the
client without an answer for wait_s: it posts /v1/lane/<token>/overdue and the pool kills the worker once it has
been silent that long (Pool.lane_overdue), the lease's cause DeadlineExceeded. The pool counts the jobs, lends the
lease idle workers' cores (("lend", ...)), and revokes a lease when another client's job would queue, when the queue
is full (its client's jobs then meet HTTP's admission: a 429 past its share), or when its lent cores are taken back
(("revoke",): the worker ends the lane after the job in flight and answers ("revoked",); as it does when its client
closes the connection). A worker that dies ends its lease; the client's connection sees EOF and asks
`GET /v1/lane/<token>` why: the error the pool recorded (WorkerDied, or DeadlineExceeded when the pool killed it past
the deadline) is answered as that job's HTTP error would be, and the client raises it; a revoked lease answers 200
{"state": "revoked"} (the client sends that job over HTTP). Never the pool's last idle worker; one lease per client.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import struct
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

FRAME = struct.Struct("<QIQ")  # seq, template index, deadline ms from now (0: none)
ANSWER_HEAD = struct.Struct("<I")  # the answer JSON's length
TOKEN_BYTES = 32  # hex characters
MAX_TEMPLATES = 4  # a lease's templates (a client's region pairs in rotation, a few request variants)
ENDED_KEPT = 64  # ended leases whose cause GET /v1/lane/<token> answers
HEADER = "x-gradserve-lane"
# the longest a lane connection may keep its worker waiting on one read (the token, the rest of a frame) or one
# answer's write (a client that stops reading): past it the connection is closed (the client falls back to HTTP),
# so a truncated frame or a slow reader cannot hold the worker from its pipe (the pool's revoke, stop) for long
IO_S = 5.0
# a lease nobody connects to within this (or max_deadline_s, if less) ends: its client died after the grant, or
# never meant to come; its worker stayed leased to nobody until another client's job revoked it
UNCLAIMED_S = 30.0
MAX_PENDING = 4  # connections at a time whose token has not all come (a client sends it as it connects)


@dataclass(eq=False)
class Lease:
    token: str
    path: str
    client: str
    worker: Any  # service.pools.Worker
    job_id: int  # the grant's job id: every lane run goes under it (a reclaim of lent cores names it)
    key: str  # the program's (derived graph's) key
    lend: tuple | None  # the cores lent to the lease (at its grant or since: ("lend", ...)), while they stay lent
    within_s: float  # the grant's deadline, from its start: a lane job's unless its frame names one
    kind: str = ""  # the grant's endpoint ("grad", ...): lane jobs are counted under it, as over HTTP
    templates: int = 0
    jobs: dict = field(default_factory=dict)  # lane job id -> its deadline timer (service.ticker.Later)
    revoking: bool = False
    watch: Any = None  # the overdue watch a client's report armed (Pool.lane_overdue), while armed


class LaneDir:
    """The pool's directory for lane sockets: made 0700 on first use, removed at stop."""

    def __init__(self) -> None:
        self.path: str | None = None

    def new_path(self) -> tuple[str, str]:
        if self.path is None:
            self.path = tempfile.mkdtemp(prefix="gradserve-lanes-")  # (mode 0700)
        token = secrets.token_hex(TOKEN_BYTES // 2)
        return os.path.join(self.path, token[:16]), token

    def close(self) -> None:
        if self.path is not None:
            for n in os.listdir(self.path):
                unlink(os.path.join(self.path, n))
            try:
                os.rmdir(self.path)
            except OSError:
                pass
            self.path = None


def unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def carried(in_refs: list, p_refs: dict, target: tuple | None) -> bool:
    """Whether a job with these refs can be replayed from its message: every input is read where the client
    writes it (made) or is the request's own bytes (inline), and its outputs go into a made region."""
    from .out_memfd import is_made

    if target is None or not is_made(target):
        return False
    return all(type(r) is tuple and r and r[0] in ("made", "inline") for r in [*in_refs, *p_refs.values()])


def asked(header: str | None) -> tuple[str, str | None] | None:
    """("ask", None) / ("add", token) from the request's lane header; None for anything else."""
    if not header:
        return None
    kind, _, token = header.strip().partition(" ")
    if kind == "ask" and not token:
        return "ask", None
    if kind == "add" and len(token) == TOKEN_BYTES:
        return "add", token
    return None


class LaneServer:
    """The worker's side: the listening socket, its one connection, the templates. Runs in the worker's loop
    (worker.worker_main selects on the pipe and these sockets)."""

    def __init__(self, path: str, token: str, grant_s: float = 0.0, max_s: float = 0.0, label: str = ""):
        """grant_s, max_s: the grant's deadline and the server's max_deadline_s (job_deadline_s); label: the
        worker's device (a late job's error names it)."""
        self.path, self.token = path, token.encode()
        self.grant_s, self.max_s, self.label = grant_s, max_s, label
        self.templates: list[tuple] = []  # (the job message, the output refs it gave)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.conn: socket.socket | None = None
        # connections whose token has not all come: socket -> (its bytes so far, when it is given up)
        self.pending: dict[socket.socket, tuple[bytearray, float]] = {}
        self.claim_by = time.monotonic() + min(UNCLAIMED_S, max_s or UNCLAIMED_S)  # (until a connection comes)

    def fds(self) -> list:
        return [self.listener, *self.pending] + ([self.conn] if self.conn is not None else [])

    def wait_s(self) -> float | None:
        """How long the worker may wait for its fds: until the first unsent token's time is up, or the lease's to be
        claimed (None: no bound)."""
        ends = [end for _, end in self.pending.values()] + ([self.claim_by] if self.conn is None else [])
        return max(0.0, min(ends) - time.monotonic()) if ends else None

    def unclaimed(self) -> bool:
        """No connection came within UNCLAIMED_S of the grant: the lease is to end."""
        return self.conn is None and time.monotonic() >= self.claim_by

    def accept(self) -> None:
        """A client connects: it must send the token first (else it is closed); one connection at a time. The
        token is read as it comes (greet), never waited for: a peer that connects and sends nothing held the
        worker (its lane client's frames, the pool's revoke) for IO_S a connection."""
        c, _ = self.listener.accept()
        c.setblocking(False)
        self.pending[c] = (bytearray(), time.monotonic() + IO_S)
        while len(self.pending) > MAX_PENDING:  # (the oldest goes: a flood keeps no more than these open)
            self._drop(next(iter(self.pending)))

    def greet(self, c: socket.socket) -> None:
        """A pending connection is readable: more of its token; the lane's connection once it is all there."""
        buf, _ = self.pending[c]
        try:
            got = c.recv(TOKEN_BYTES - len(buf))  # (never past the token: a frame sent with it stays queued)
        except BlockingIOError:
            return
        except OSError:
            got = b""
        buf += got
        if got and len(buf) < TOKEN_BYTES:
            return
        del self.pending[c]
        if len(buf) < TOKEN_BYTES or not secrets.compare_digest(bytes(buf), self.token):
            c.close()
            return
        c.settimeout(IO_S)  # (kept: every later read and write of the connection is bounded alike)
        if self.conn is not None:
            self.conn.close()
        self.conn = c

    def expire(self) -> None:
        """Pending connections past their time are closed."""
        now = time.monotonic()
        for c in [c for c, (_, end) in self.pending.items() if end <= now]:
            self._drop(c)

    def _drop(self, c: socket.socket) -> None:
        del self.pending[c]
        c.close()

    def frame(self) -> tuple | None:
        """The next frame (seq, template index, deadline ms); None when the client went away."""
        assert self.conn is not None
        got = _read(self.conn, FRAME.size)
        if got is None:
            self.conn.close()
            self.conn = None
            return None
        return FRAME.unpack(got)

    def answer(self, d: dict) -> None:
        if self.conn is None:
            return
        body = json.dumps(d, separators=(",", ":")).encode()
        try:
            self.conn.sendall(ANSWER_HEAD.pack(len(body)) + body)
        except OSError:
            self.conn.close()
            self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        for c in list(self.pending):
            self._drop(c)
        self.listener.close()
        unlink(self.path)


def _read(s: socket.socket, n: int) -> bytes | None:
    """n bytes, or None when the peer closed or (a socket with a timeout) they took longer than it in all: a
    trickle of a byte at a time gets no more time than one silent wait."""
    limit = s.gettimeout()
    end = None if limit is None else time.monotonic() + limit
    buf = bytearray()
    try:
        while len(buf) < n:
            if end is not None:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                s.settimeout(left)
            try:
                got = s.recv(n - len(buf))
            except OSError:  # (socket.timeout too)
                return None
            if not got:
                return None
            buf += got
        return bytes(buf)
    finally:
        if end is not None:
            try:
                s.settimeout(limit)
            except OSError:
                pass


def late(lane: LaneServer, deadline_ms: int, took_s: float) -> tuple[int, dict, str] | None:
    """(HTTP status, body, error code) of a lane job that ended `took_s` after its frame came, past its deadline
    (within the grace: else the pool killed the worker): HTTP's 504 for the job (Pool._on_deadline fails it at the
    deadline, whatever it would have returned), which the client raises. None: in time (or no deadline known)."""
    from .errors import DeadlineExceeded, http_status

    within = job_deadline_s(deadline_ms / 1e3, lane.grant_s, lane.max_s) if lane.max_s else 0.0
    if not within or took_s <= within:
        return None
    err = DeadlineExceeded(f"the deadline passed while worker {lane.label} was running the lane's job (it ended "
                           f"{(took_s - within) * 1e3:.0f} ms after it, within the grace)", device=lane.label,
                           where="running")
    return http_status(err.code), err.to_dict(), err.code


def job_deadline_s(frame_s: float, grant_s: float, max_s: float) -> float:
    """A lane job's deadline: its frame's (0: the grant's), never past max_deadline_s (a frame's is the client's
    own number, up to 2^64 ms: the pool would never kill a worker whose lane job runs on)."""
    return min(frame_s or grant_s, max_s)


class Ended:
    """Why recent leases ended (token -> the ServiceError its client's job met, or None: revoked), bounded."""

    def __init__(self) -> None:
        from collections import OrderedDict

        self.causes: OrderedDict = OrderedDict()

    def note(self, token: str, err) -> None:
        self.causes[token] = err
        while len(self.causes) > ENDED_KEPT:
            self.causes.popitem(last=False)


def install(app, core) -> None:
    """GET /v1/lane/<token>: why a lease ended; POST /v1/lane/<token>/overdue: its client waited a lane job's
    deadline plus the grace (Pool.lane_overdue). API keys checked as on every /v1 route."""
    from fastapi.responses import JSONResponse

    from .api_keys import key_ok
    from .http_app import error_response, unauthorized

    def state(request, overdue: bool):  # (plain routes, as GET /v1/local)
        keys = getattr(app, "keys", None)
        if keys and not key_ok(request.headers.get("authorization"), keys):
            raise unauthorized()
        token = request.path_params["token"]
        for pool in core.pools.values():
            if token in pool.lanes_ended.causes:
                err = pool.lanes_ended.causes[token]
                return JSONResponse({"state": "revoked"}) if err is None else error_response(err)
            lease = next((lease for lease in pool.leases.values() if lease.token == token), None)
            if lease is not None:
                if overdue:
                    pool.lane_overdue(lease)
                return JSONResponse({"state": "held"})
        return JSONResponse({"error": {"code": "not_found", "message": "no such lane", "detail": {}}},
                            status_code=404)

    async def lane(request):
        return state(request, False)

    async def lane_overdue(request):
        return state(request, True)

    app.add_route("/v1/lane/{token}", lane, methods=["GET"], include_in_schema=False)
    app.add_route("/v1/lane/{token}/overdue", lane_overdue, methods=["POST"], include_in_schema=False)
