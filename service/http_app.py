"""The HTTP adapter (FastAPI): decode, call the core, encode. No logic of its own.

Routers: graphs (/v1/graphs), jobs (/v1/eval, /v1/grad, /v1/jvp, /v1/vjp, /v1/jacobian,
/v1/hessian, /v1/hvp), devices (/v1/devices), health (/v2/health/*), metrics (/metrics).
Job bodies are JSON, or the binary tensor extension (JSON header + raw tensors, header
length in `Inference-Header-Content-Length`); they are read by hand (size-limited, decompressed per
Content-Encoding as every route's body is: service.http_body; no JSON float parsing for binary tensors) and validated with the pydantic models in
service.models, which also document them in the OpenAPI schema.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import time
import weakref
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from .millis import ms3
from .answer_budget import UnsentAnswers
from .api_keys import key_ok
from . import (answer_head, client_shm, client_shm_http, codec, docs_assets, examples, gc_pause, head_memo, lanes,
               models, onnx_graphs, shm, tensor_http, timeline)
from .client_identity import FORWARDED_FOR
from .body_budget import FREE, Charge, parsed
from . import json_head, media_type
from .http_body import content_coding, inflated, read_body, read_raw, too_large, within
from .core import GRAPH_OFF_LOOP, Core, JobRequest, JobResult
from .tensor_store import NAMES_BY_HASH
from .jobs import (BIG, REQUEST_ID, TENSOR_STAND_INS, JobCall, client_of, envelopes_ok, from_template, job_request,
                   offload, parse_charge, request_client, request_id, request_template, validate, validation_error,
                   without_tensors)
from .errors import (Internal, InvalidRequest, NotJson, Overloaded, ServiceError, Unauthorized, http_headers,
                     http_status)
from .settings import Settings
from .ticker import ticker

log = logging.getLogger("gradserve.http")


def error_response(err: ServiceError, rid: str | None = None, body: dict | None = None) -> JSONResponse:
    """The error's response: its status and headers, and `body` (a protocol's own error form) or gradserve's."""
    headers = {REQUEST_ID: rid, **http_headers(err)} if rid else http_headers(err)
    return JSONResponse(err.to_dict() if body is None else body, status_code=http_status(err.code), headers=headers)


_HL = codec.HEADER_LENGTH.lower().encode()
_RID = REQUEST_ID.encode()
_XFF = FORWARDED_FOR.encode()
_CE = b"content-encoding"
_LANE = lanes.HEADER.encode()  # a same-host client asking for a direct lane
# (the lean path takes no chunked body: service.lean_http; content-type only names a body that did not parse)
_JOB_HEADERS = frozenset((b"content-length", _HL, _RID, b"expect", b"authorization", _XFF,
                          b"transfer-encoding", _CE, _LANE, b"content-type"))


def job_headers(raw: list) -> dict[bytes, str]:
    """The request headers the job path reads, by lowercase name (the first of each; X-Forwarded-For all, joined;
    a repeated header length as one list, RFC 9110 5.3, which no reader takes for a number: the first or the last
    is what a proxy in front may have read otherwise): one pass over the raw list, where Starlette's
    `request.headers.get` builds a view and scans the list per lookup."""
    out: dict[bytes, str] = {}
    for k, v in raw:
        if k in _JOB_HEADERS and k not in out:
            out[k] = v.decode("latin-1")
        elif k == _XFF:  # (every X-Forwarded-For line: a proxy may add its own after the client's)
            out[k] += "," + v.decode("latin-1")
        elif (k == _HL or k == _CE) and k in out:  # (Content-Encoding repeated: codings applied in turn)
            out[k] += ", " + v.decode("latin-1")
    return out


def unauthorized() -> Unauthorized:
    return Unauthorized("missing or wrong API key: send Authorization: Bearer <key>")


async def discard_body(request: Request, limit: int) -> None:
    """Read the body and drop it (up to `limit` bytes; past that the connection may as well go)."""
    n = 0
    async for chunk in request.stream():
        n += len(chunk)
        if n > limit:
            return


async def read_job_body(request: Request, limit: int, shm_min: int, buffers: shm.BufferPool, cl: str | None,
                        hl: str | None) -> tuple[bytes | memoryview, shm.Buffer | None]:
    """The body, read into one buffer of Content-Length bytes as it arrives (no chunk list to join).

    A binary-extension body whose tensors are large goes into a shared-memory `shm.Buffer`,
    placed so that its binary tail starts 64-byte aligned: the tensors decoded from it are views
    that reach the workers without a copy. The caller gives the buffer (second element) back to
    `buffers` once the job is over.
    """
    n = codec.header_int(cl)
    if n is None:  # chunked: no size to preallocate
        return await read_raw(request, limit, ""), None  # ("": no Content-Length to look up again)
    if n > limit:
        raise too_large(limit, n)
    if n <= BIG // 16:  # small: one or two chunks, nothing to gain
        return await read_raw(request, limit, cl), None
    buf = None
    head = codec.header_int(hl)
    if head is not None and head <= n and n - head >= max(1, shm_min):
        pad = -head % 64
        buf = buffers.acquire(pad + n)
        mv = buf.mv[pad:pad + n]
    else:
        mv = memoryview(bytearray(n))
    try:
        got = 0
        async for chunk in request.stream():
            k = len(chunk)
            if got + k > n:  # the server's HTTP parser enforces Content-Length; be safe anyway
                raise InvalidRequest(f"the body is longer than its Content-Length {n}")
            mv[got:got + k] = chunk
            got += k
        if got != n:
            raise InvalidRequest(f"the body ended after {got} of its Content-Length {n} bytes")
    except BaseException:
        del mv
        if buf is not None:
            buffers.give_back(buf)
        raise
    return mv, buf


def tensors_past(body, hl: str | None, shm_min: int) -> bool:
    """Whether `body`'s binary tail (after its header length `hl`) holds at least `shm_min` bytes."""
    head = codec.header_int(hl)
    return head is not None and head <= len(body) and len(body) - head >= max(1, shm_min)


async def into_buffer(body, hl: str, buffers: shm.BufferPool | None) -> tuple[memoryview, shm.Buffer]:
    """An inflated binary body copied into a shared-memory Buffer, its tail 64-byte aligned (as read_job_body
    reads an uncompressed one): its tensors reach the workers without the copy each took at dispatch, and its
    inflated bytes, with their body-budget charge, go now instead of when the job is over (an 80 MiB body held
    80 MiB of the budget, and the server 160 MiB, while its job ran). The caller gives the buffer back (`buffers`
    None: a fresh one, the caller releases it)."""
    pad = -codec.header_int(hl) % 64  # (tensors_past read it)
    buf = buffers.acquire(pad + len(body)) if buffers is not None else shm.Buffer(pad + len(body))
    mv = buf.mv[pad:pad + len(body)]
    try:  # (numpy's copy lets the interpreter lock go)
        await asyncio.to_thread(np.copyto, np.frombuffer(mv, np.uint8), np.frombuffer(body, np.uint8))
    except BaseException:
        del mv
        buffers.give_back(buf) if buffers is not None else buf.release()
        raise
    return mv, buf


class PartsResponse(Response):
    """A response body sent as it lies (JSON header, then tensors as memoryviews), in chunks of
    CHUNK bytes, each awaiting the transport's flow control: no assembled copy of a large body."""

    CHUNK = 1 << 20

    def __init__(self, parts: list, status_code: int, headers: dict, media_type: str, send_timeout_s: float,
                 unsent: UnsentAnswers | None = None, client: str = ""):
        self.parts = [memoryview(p).cast("B") for p in parts]
        self.send_timeout_s = send_timeout_s
        # counted against the client's http_unsent_answer_bytes (`unsent`) until sent or dropped (Overloaded: past
        # it). One peer's 24 connections of unread 64 MiB answers held +1.5 GiB of the server, past every admission
        # place. (weakref.finalize: given back once, when sent, or when a response never sent is dropped)
        release = None if unsent is None else unsent.take(client, sum(p.nbytes for p in self.parts))
        self.release = None if release is None else weakref.finalize(self, release)
        headers = dict(headers, **{"content-length": str(sum(p.nbytes for p in self.parts))})
        super().__init__(None, status_code=status_code, headers=headers, media_type=media_type)

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        step = self.CHUNK
        try:
            for p in self.parts:
                for i in range(0, p.nbytes, step):
                    # a client that stops reading would hold the output (a worker's shared-memory slot)
                    # for as long as it likes: each chunk must be taken within send_timeout_s
                    await asyncio.wait_for(send({"type": "http.response.body", "body": p[i:i + step],
                                                 "more_body": True}), self.send_timeout_s)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.TimeoutError:
            # returning with the response incomplete makes the server close the connection
            log.info("a client did not take the response within send_timeout_s=%g: connection closed",
                     self.send_timeout_s)
        finally:
            self.parts = []
            if self.release is not None:
                self.release()


def _tensors(raw: Any, path: str, reader, s: Settings) -> list:
    if not isinstance(raw, list):
        return [codec.decode_tensor(raw, path, reader, max_elements=s.max_elements, max_depth=s.max_depth)]
    return [codec.decode_tensor(t, f"{path}[{i}]", reader, max_elements=s.max_elements, max_depth=s.max_depth)
            for i, t in enumerate(raw)]


_SCALARS = frozenset((str, int, float, bool))
# longer strings are not memoised: the memo keeps 256 keys, and a 6 MiB graph_id each kept 1.5 GiB
_KEY_STR = 256


def _light_key(kind: str, head: dict) -> tuple | None:
    """What the validated model of `head` depends on, as a key: the kind, each other field's name, type and
    value (1 and true and 1.0 differ), and which tensor fields it has, when `without_tensors` would
    replace them all; None when a field holds more than a scalar or a string longer than _KEY_STR (then it is
    validated every time)."""
    key: list = [kind]
    for k, v in head.items():
        if v is not None and k in TENSOR_STAND_INS:
            if not envelopes_ok(k, v):
                return None
            key.append(k)  # (its stand-in does not depend on the tensors)
        elif v is None or (type(v) in _SCALARS and (type(v) is not str or len(v) <= _KEY_STR)):
            key.append((k, type(v), v))
        else:
            return None
    return tuple(key)


def _model(kind: str, head: dict, memo: head_memo.HeadMemo | None, max_order: int):
    """validate(kind, without_tensors(head)), from `memo` when a head with the same light key was
    validated before: a client in a loop sends the same fields around new tensors (L3: ~10 us a job)."""
    key = _light_key(kind, head) if memo is not None else None
    m = memo.model(key) if key is not None else None
    if m is None:
        m = validate(kind, without_tensors(head), max_order)
        if key is not None:
            memo.put_model(key, m)
    return m


def _decode_known(kind: str, known: head_memo.Head, body, tail, regions) -> tuple[JobRequest, bool]:
    """decode_job for a binary header met before: its model and tensor layout as decoded then."""
    m = known.model
    if m.shared_memory_output is not None and regions is not None:
        regions.set_output(m.shared_memory_output)
    inputs, params, tensors = known.cut(tail, regions)
    t = known.template
    if t is False:
        t = known.template = request_template(kind, m, strict=known.strict,
                                              output_format="binary" if m.binary_output else "json")
    if t is None:
        req = job_request(kind, m, inputs, params, tensors, size=len(body), strict=known.strict,
                          output_format="binary" if m.binary_output else "json")
    else:
        req = from_template(t, inputs, params, tensors, len(body))
    req.recipe = known  # (the core's prepare keeps what it found for this header there)
    return req, m.binary_output


def decode_job(kind: str, body: bytes, header_length: str | None, s: Settings,
               regions: client_shm.RegionIO | None = None,
               memo: head_memo.HeadMemo | None = None) -> tuple[JobRequest, bool]:
    """The JobRequest of a body (and whether the answer is binary); `memo`: binary headers seen before."""
    head_raw, tail = codec.split_raw(body, header_length)
    memo_key = memo.key(head_raw) if memo is not None and tail is not None else None
    if memo_key is not None:
        known = memo.get(kind, memo_key)
        if known is not None and known.nbytes == len(tail) and (regions is not None or not known.shared):
            return _decode_known(kind, known, body, tail, regions)
    head, strict = codec.loads(head_raw, limits=codec.JsonLimits.of(s, graph=True))
    reader = codec.BinaryReader(tail)
    if not isinstance(head, dict):
        raise InvalidRequest("the body must be a JSON object", path="$")
    m = _model(kind, head, memo, s.max_order)
    reader.regions = regions  # tensors may name client shared memory regions
    if m.shared_memory_output is not None and regions is not None:
        regions.set_output(m.shared_memory_output)
    tensors: dict[str, Any] = {}
    inputs: list = []
    params: dict = {}
    # binary tensors follow the JSON header in the order they appear in it
    for key, raw in head.items():
        if raw is None:
            continue
        if key == "inputs":
            inputs = _tensors(raw, "$.inputs", reader, s)
        elif key == "params":
            params = {k: codec.decode_tensor(t, f"$.params.{k}", reader, max_elements=s.max_elements,
                                             max_depth=s.max_depth) for k, t in raw.items()}
        elif key in ("sens", "tangents", "v"):
            tensors[key] = _tensors(raw, f"$.{key}", reader, s)
    reader.finish()
    req = job_request(kind, m, inputs, params, tensors, size=len(body), strict=strict,
                      output_format="binary" if m.binary_output else "json")
    if memo_key is not None:
        known = head_memo.recipe(head, m, strict)
        if known is not None:
            memo.put(kind, memo_key, known)
            req.recipe = known
    return req, m.binary_output


class ClientGone(Exception):
    pass


async def _until_disconnect(request: Request) -> None:
    while True:
        msg = await request.receive()
        if msg["type"] == "http.disconnect":
            return


async def _watch(gone, task: asyncio.Task, state: list) -> None:
    await gone()
    if state[0]:  # the core call is still running: cancel it in its own task
        state[1] = True
        task.cancel()


WATCH_AFTER_S = 0.02  # a job over by then never pays for a watcher task (most small jobs take < 2 ms)


async def run_watching(coro, gone, src=None):
    """Run a core call; if the client disconnects first (`gone()` returns: AsgiBody.gone for an ASGI
    request, service.lean_http.LeanBody.gone), cancel it (a queued job is dropped).

    The call runs in the caller's task; a watcher task, started once the call has run for
    WATCH_AFTER_S, cancels that task on a disconnect (a disconnect before then is seen as soon as
    it starts: uvicorn remembers it). Small jobs finish first and skip the task's cost. A lean request
    (service.lean_http) may start outside any task, run eagerly from the HTTP parser: if it waits, it
    goes on in a task its body source `src` names (`src.task`) before the watcher can start."""
    state = [True, False]  # [call running, cancelled because the client went away]
    loop = asyncio.get_running_loop()  # (once: on Python 3.11 each lookup of the running loop is a getpid())
    me = asyncio.current_task(loop)
    watch: list = []

    def start() -> None:
        if state[0]:
            watch.append(asyncio.ensure_future(_watch(gone, me if me is not None else src.task, state)))

    tk = ticker(loop)
    timer = tk.after(WATCH_AFTER_S, start, loop)  # the loop's one shared timer, not a TimerHandle per job
    try:
        return await coro
    except asyncio.CancelledError:
        if state[1]:
            asyncio.current_task().uncancel()  # our own cancel, handled here: no pending cancel request left
            raise ClientGone() from None
        raise
    finally:
        state[0] = False
        tk.cancel(timer)
        for w in watch:
            w.cancel()
        # a failed job's exception holds a traceback through this frame, and this frame holds the
        # watcher that holds the task: break the cycle, else the request's tensors (shared memory)
        # live until the cyclic GC runs (seen as ~1 GiB growth per overload round)
        del watch, me, timer, start, tk, gone, src, loop


class BodyResponse(Response):
    """A 200 with a ready body and headers already as bytes: Starlette's Response builds its header list
    (content-length, content-type, each header encoded) on every construction."""

    def __init__(self, body: bytes, raw_headers: list):
        self.status_code, self.body, self.background = 200, body, None
        self.raw_headers = [(b"content-length", b"%d" % len(body)), *raw_headers]


_RAW_HEADERS: dict = {}  # codec's response headers -> as bytes: a content type and a header length, few


def _raw_headers(headers: dict) -> list:
    key = tuple(headers.items())
    raw = _RAW_HEADERS.get(key)
    if raw is None:
        if len(_RAW_HEADERS) >= 256:
            _RAW_HEADERS.clear()
        raw = _RAW_HEADERS[key] = [(k.encode(), v.encode()) for k, v in key]
    return raw


def _small_answer(res, binary: bool, call: JobCall, t_read: float, t_dec: float,
                  io: client_shm.RegionIO | None = None) -> Response | None:
    """The result's timing given the read's times; then the answer when it is small and binary with no
    shared-memory placement, or binary with every output placed by the worker (the head before its timing
    memoised per layout: service.answer_head), encoded here without a coroutine; else None: `_job_response`
    encodes it."""
    t0 = call.t0
    timing = res.timing
    timing["read_decode_ms"] = ms3((t_dec - t0) * 1e3)  # (the result's own dict: nobody else holds it)
    timing["read_ms"] = ms3((t_read - t0) * 1e3)
    if binary and (io is None or not io.output) and sum([a.nbytes for _, a in res.outputs]) <= BIG:
        out, raw = answer_head.encode(res.outputs, res.structure, res.graph_id, res.device, timing)
        return BodyResponse(out, [*raw, (_RID, call.request_id.encode("latin-1"))])
    if binary and io is not None and io.output:
        placed = io.taken(res.outputs)  # (checks the region is still registered; None: the worker wrote none)
        if placed is not None and len(placed) == len(res.outputs):
            out, raw = answer_head.encode_placed(res.outputs, placed, res.structure, res.graph_id, res.device, timing)
            return BodyResponse(out, [*raw, (_RID, call.request_id.encode("latin-1"))])
    return None


async def _job_response(res, binary: bool, call: JobCall, send_timeout_s: float,
                        io: client_shm.RegionIO | None = None) -> Response:
    """The answer `_small_answer` left (JSON, large, or placed in the client's shared memory)."""
    timing = res.timing
    big = sum([a.nbytes for _, a in res.outputs]) > BIG
    header = {"structure": res.structure, "graph_id": res.graph_id, "device": res.device, "timing": timing}
    placed = None
    if io is not None and io.output:
        placed = io.taken(res.outputs)  # the worker wrote them into the client's region itself
        if placed is None:
            placed = await offload(big, io.place_all, res.outputs)
    if placed:  # written into the client's region: only what is left travels
        big = sum(a.nbytes for i, (_, a) in enumerate(res.outputs) if i not in placed) > BIG
    if big and binary:  # header + tensor views, streamed: no assembled copy
        parts, headers = codec.encode_response_parts(header, res.outputs, binary, placed)
        headers[REQUEST_ID] = call.request_id
        return PartsResponse(parts, 200, headers, headers["content-type"], send_timeout_s, call.core.unsent_http,
                             call.client)
    if not big:
        out, headers = codec.encode_response(header, res.outputs, binary, placed)
        # latin-1, as the header was read (job_headers) and as Starlette writes it on an error: the same bytes back
        return BodyResponse(out, [*_raw_headers(headers), (_RID, call.request_id.encode("latin-1"))])
    out, headers = await asyncio.to_thread(codec.encode_response, header, res.outputs, binary, placed)
    headers[REQUEST_ID] = call.request_id
    # sent in chunks too, so a client that stops reading is cut off after send_timeout_s
    return PartsResponse([out], 200, headers, headers["content-type"], send_timeout_s, call.core.unsent_http,
                         call.client)


ERR_DOCS = {c: {"model": models.ErrorResponse} for c in (400, 401, 404, 408, 413, 429, 500, 503, 504)}


class AppContext:
    """What the routes share: the core, settings, API keys, request-body buffers."""

    def __init__(self, settings: Settings, core: Core):
        self.settings, self.core, self.metrics = settings, core, core.metrics
        self.keys = [k.encode() for k in settings.api_key_list]
        self.buffers = shm.BufferPool(settings.input_cache_bytes)  # large binary request bodies, reused
        self.regions = client_shm.of(core, settings)  # clients' registered shared memory regions
        self.heads = head_memo.HeadMemo()  # binary job headers decoded before (service.head_memo)
        self.runners: dict = {}  # {b"/v1/<job>": its job runner (_job_runner)}, for the lean HTTP path (service.lean_http)
        self.metrics.shm_kept.labels("requests").set_function(lambda: sum(b.size for b in self.buffers.free))
        self.metrics.shm_kept.labels("client_inputs").set_function(lambda: self.regions.kept_bytes)
        # no keys configured: no dependency at all (FastAPI solves dependencies on every request)
        self.auth = [Depends(self.require_key)] if self.keys else []

    async def require_key(self, request: Request) -> None:
        if self.keys and not key_ok(request.headers.get("authorization"), self.keys):
            raise unauthorized()


def _header(scope, name: bytes) -> str | None:
    for k, v in scope["headers"]:
        if k == name:
            return v.decode("latin-1")
    return None


def protocol_form(request: Request):
    """The error body of the protocol the request's path belongs to (`error_forms` of the app: path prefix ->
    ServiceError -> body, set by a protocol's adapter, service.model_api), or None: gradserve's own. A stock
    client reads only its protocol's form: tritonclient failed on an unknown route's 404 or a 401 as
    gradserve wrote them (its exception's text expects {"error": "<message>"})."""
    path = request.url.path
    for prefix, form in getattr(request.app, "error_forms", {}).items():
        if path == prefix or path.startswith(prefix + "/"):
            return form
    return None


def _with_id(request: Request, e: ServiceError) -> JSONResponse:
    """The error response, carrying the request's id (its X-Request-ID, or a fresh one)."""
    return error_with_id(request.headers.get(REQUEST_ID), e, protocol_form(request))


def error_with_id(rid_header: str | None, e: ServiceError, form=None) -> JSONResponse:
    rid = request_id(rid_header)
    e.detail.setdefault("request_id", rid)
    return error_response(e, rid, None if form is None else form(e))


def internal_error(path: str, rid_header: str | None, e: Exception, form=None) -> JSONResponse:
    """The 500 of an exception no handler answered (as FastAPI's handler for Exception, `_internal`)."""
    log.exception("internal error on %s", path)
    return error_with_id(rid_header, Internal(f"{type(e).__name__}: {e}"), form)


def _exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, e: ServiceError):
        return _with_id(request, e)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, e: RequestValidationError):
        return _with_id(request, validation_error(e))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, e: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "invalid_request")
        r = _with_id(request, ServiceError(str(e.detail), code=code, path=request.url.path))
        r.status_code = e.status_code
        r.headers.update(getattr(e, "headers", None) or {})
        return r

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, e: ClientDisconnect):  # mid-upload: nobody reads the answer
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def _internal(request: Request, e: Exception):
        return internal_error(request.url.path, request.headers.get(REQUEST_ID), e, protocol_form(request))


class AsgiBody:
    """A job request's body and disconnect as the ASGI route reads them (uvicorn's receive); the lean
    path (service.lean_http) gives the job runner the same methods over a body it already holds."""

    __slots__ = ("request",)

    def __init__(self, request: Request):
        self.request = request

    def now(self) -> None:
        return None  # (read it: uvicorn's receive)

    def read(self, s: Settings, buffers: shm.BufferPool, cl: str | None, hl: str | None):
        return within(read_job_body(self.request, s.max_body_bytes, s.shm_threshold_bytes, buffers, cl, hl),
                      s.body_timeout_s)

    def discard(self, s: Settings):
        return within(discard_body(self.request, s.max_body_bytes), s.body_timeout_s)

    def gone(self):
        return _until_disconnect(self.request)


def _job_runner(ctx: AppContext, kind: str):
    """One job kind's request, from its headers, peer host and body source to its Response: both the ASGI
    route (`_job_handler`) and the lean HTTP path (service.lean_http) call this."""
    core, settings, buffers, memo = ctx.core, ctx.settings, ctx.buffers, ctx.heads

    async def run(heads: dict[bytes, str], host: str | None, src) -> Response:
        client = client_of(core, heads.get(b"authorization"), host, heads.get(_XFF))
        call = JobCall(core, kind, "http", heads.get(_RID), client)
        buf = None
        io = client_shm.RegionIO(ctx.regions, host, client)
        try:
            try:
                core.unsent_http.check(client)  # its large answers not yet read (service.answer_budget): 429
                call.admit()  # 429 under overload: the body is not stored, decoded or run
            except Overloaded:
                # read past (not stored): a client still sending would otherwise see the connection
                # reset instead of the 429. A client that waits for 100 Continue has sent nothing.
                if heads.get(b"expect", "").lower() != "100-continue":
                    await src.discard(settings)
                raise
            hl, coding = heads.get(_HL), heads.get(_CE)
            # compressed: the header length counts decompressed bytes, so no shared-memory placement by it
            body, buf = src.now() or await src.read(settings, buffers, heads.get(b"content-length"),
                                                    None if coding else hl)
            if coding is not None:  # (as every route reads a body: service.http_body)
                try:  # (a body that cannot be JSON text: refused as it inflates)
                    body = await inflated(body, coding, settings.max_body_bytes, core.body_budget,
                                          json=json_head.HEAD if hl else json_head.WHOLE,
                                          share=(core.parse_share, client))
                except NotJson as e:
                    raise media_type.named(e, heads.get(b"content-type"), f"/v1/{kind}") from None
                if tensors_past(body, hl, settings.shm_threshold_bytes):
                    body, buf = await into_buffer(body, hl, buffers)
            t_read = time.perf_counter()
            timeline.stamp("srv.read")
            try:
                if len(body) > BIG:  # (its parse's memory from the body budget: service.body_budget)
                    own = coding is not None and buf is None  # (its inflated bytes still held in the budget)
                    req, binary = await asyncio.to_thread(charged, core.parses, client, body, hl, own,
                                                          decode_job, kind, body, hl, settings, io, memo)
                else:
                    req, binary = decode_job(kind, body, hl, settings, io, memo)
            except NotJson as e:  # sent as something else (a form, multipart): a 415 saying so
                raise media_type.named(e, heads.get(b"content-type"), f"/v1/{kind}") from None
            del body
            req.out_target = io.target()  # a worker writes the outputs into the client's region itself
            if settings.direct_lanes:
                req.lane = heads.get(_LANE)
            t_dec = time.perf_counter()
            timeline.stamp("srv.decoded")
            res = call.run_now(req)  # the usual small job in a loop is answered here: nothing to watch
            if type(res) is not JobResult:
                res = await run_watching(call.run_rest(req, res), src.gone, src)
            timeline.stamp("srv.result")
            del req
            small = _small_answer(res, binary, call, t_read, t_dec, io)
            return small if small is not None else await _job_response(res, binary, call, settings.send_timeout_s, io)
        except ServiceError as e:
            return error_response(call.failed(e), call.request_id)
        except (ClientGone, ClientDisconnect):  # nobody to answer: not an error of ours
            call.outcome = "cancelled"
            return Response(status_code=499)
        finally:
            call.close()
            if buf is not None:  # the job is over (or never ran): its input segment can be reused
                buffers.give_back(buf)
            io.close()  # (and the buffers its shared-memory inputs were read into)
            del src

    run.__name__ = kind
    return run


def charged(parses: tuple, client: str, body, hl: str | None, inflated: bool, decode, *args):
    """decode(*args), the parse of `body`'s JSON part (before its header length `hl`) held in the body budget
    while it runs and timed to `client`'s parse share (body_budget.parsed; `inflated`: the body's own bytes are
    held there too, as it was sent compressed)."""
    try:
        head = codec.split_raw(body, hl)[0] if hl is not None else body
    except ServiceError:
        head = body  # (decode says what is wrong with it)
    return parsed(parses, client, head, len(body) if inflated else 0, decode, *args)


def _job_handler(run):
    async def handler(request: Request) -> Response:
        client = request.scope.get("client")  # (Request.client builds an Address per access)
        return await run(job_headers(request.scope["headers"]), client[0] if client else None, AsgiBody(request))

    handler.__name__ = run.__name__
    return handler


JOB_SUMMARIES = (("eval", "Evaluate the graph as it is"),
                 ("grad", "GradOperation / functional grad / value_and_grad"),
                 ("jvp", "Forward-mode Jacobian-vector product"),
                 ("vjp", "Vector-Jacobian product, the seed's (out, grads) form"),
                 ("jacobian", "Jacobian blocks, out.shape + in.shape"),
                 ("hessian", "Hessian blocks of a scalar-output graph"),
                 ("hvp", "Hessian-vector product"))


def _job_routes(ctx: AppContext) -> tuple[APIRouter, dict]:
    """The job routes: an APIRouter (for the OpenAPI schema, and to serve them when API keys need the
    auth dependency) and {path: handler} for `GradserveApp` to call directly when they do not (the
    handler takes the raw Request and returns a Response, so FastAPI's per-request work buys nothing)."""
    jobs = APIRouter(prefix="/v1", tags=["jobs"], dependencies=ctx.auth)
    direct: dict = {}
    for kind, summary in JOB_SUMMARIES:
        run = _job_runner(ctx, kind)
        handler = _job_handler(run)
        model = models.REQUEST_MODELS[kind]
        direct[f"/v1/{kind}"] = handler
        ctx.runners[f"/v1/{kind}".encode()] = run
        jobs.add_api_route(
            f"/{kind}", handler, methods=["POST"], operation_id=kind, summary=summary,
            response_model=None, responses={200: {"model": models.JobResponse}, **ERR_DOCS},
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{model.__name__}"}, "examples": examples.examples(kind)}}}})
    return jobs, direct


class GradserveApp(FastAPI):
    """FastAPI, with POST /v1/<job> handed straight to its handler.

    A small job's round trip is a few hundred microseconds; FastAPI's middleware stack (error,
    telemetry, body-limit and exception middlewares, the router, the request/response wrappers
    around `send`) took ~15% of the server's CPU per job. With API keys configured the key is
    checked here (`key_ok`), answered as the routes' auth dependency answers (the same 401). The
    handler answers every error itself (ServiceError, a disconnect); anything else becomes the same
    500 as FastAPI's handler gives. Requests with a root_path, other methods and other paths take
    the full stack."""

    direct: dict = {}
    keys: list = []  # API keys (bytes); empty: none asked for
    error_forms: dict = {}  # path prefix -> a protocol's error body (protocol_form)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            handler = self.direct.get(scope["path"])
            if handler is not None:
                scope["app"] = self
                request = Request(scope, receive, send)
                try:
                    if self.keys and not key_ok(_header(scope, b"authorization"), self.keys):
                        raise unauthorized()  # before the body is read, as the auth dependency does
                    response = await handler(request)
                except ServiceError as e:
                    response = _with_id(request, e)
                except Exception as e:  # noqa: BLE001 - as the app's handler for Exception (_internal)
                    response = internal_error(scope["path"], request.headers.get(REQUEST_ID), e)
                await response(scope, receive, send)
                timeline.stamp("srv.written")
                return
        await super().__call__(scope, receive, send)


def _graph_routes(ctx: AppContext) -> APIRouter:
    core, settings, auth, err_docs = ctx.core, ctx.settings, ctx.auth, ERR_DOCS
    # -- graphs --------------------------------------------------------------------------------------
    graphs = APIRouter(prefix="/v1/graphs", tags=["graphs"], dependencies=auth)

    @graphs.post("", operation_id="register_graph", status_code=201, response_model=models.RegisterResponse,
                 responses=err_docs, openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": {"$ref": "#/components/schemas/RegisterRequest"},
                                          "examples": examples.examples("register")}}}})
    async def register_graph(request: Request):
        # no admission place: the body's bytes as they arrive, then its parse, are held in the body budget
        cl = codec.header_int(request.headers.get("content-length"))
        if cl is not None and cl > FREE:  # (refused by its parse share before it is read)
            core.parse_share.check(request_client(core, request))
        with Charge(core.body_budget) as held:
            body = await read_body(request, settings.max_body_bytes, settings.body_timeout_s, core.body_budget, held,
                                   json=json_head.WHOLE, share=parse_charge(core, request))
            if len(body) > BIG:
                inflated = content_coding(request) is not None  # (its inflated bytes are held apart)
                return JSONResponse(await asyncio.to_thread(register, body, request_client(core, request), held,
                                                            len(body) if inflated else 0), status_code=201)
            if len(body) > GRAPH_OFF_LOOP or NAMES_BY_HASH in body:  # (under FREE: not in the budget, nor on the loop)
                return JSONResponse(await asyncio.to_thread(register, body, request_client(core, request)),
                                    status_code=201)
            return JSONResponse(register(body, request_client(core, request)), status_code=201)

    def register(body, client, held: Charge | None = None, inflated: int = 0) -> dict:
        if held is None:
            return registered(body, client)
        # (its parse's time, as a job body's: body_budget.parsed; the collector paused throughout, so the JSON
        # value is gone when it runs again and only the graph is walked, once: service.gc_pause)
        with core.parse_share.timing(client), gc_pause.paused():
            held.parsing(body, inflated)
            return registered(body, client)

    def registered(body, client) -> dict:
        head, strict = codec.loads(body, limits=codec.JsonLimits.of(settings, graph=True))
        try:
            m = models.RegisterRequest.model_validate(head)
        except ValidationError as e:
            raise validation_error(e) from None
        del head
        return core.register_graph(m.graph, strict, client)

    @graphs.get("/{graph_id}", operation_id="get_graph", response_model=models.GraphResponse, responses=err_docs)
    async def get_graph(graph_id: str):
        out = core.get_graph(graph_id)  # (the graph's text as kept, spliced in: never parsed or written again)
        return Response(b'{"graph_id":%s,"graph":%s,"signature":%s}' % (
            orjson.dumps(out["graph_id"]), out["graph_json"], orjson.dumps(out["signature"])),
            media_type="application/json")

    return graphs


def _info_routes(app: FastAPI, ctx: AppContext) -> tuple[APIRouter, APIRouter]:
    core, metrics, auth, keys, err_docs = ctx.core, ctx.metrics, ctx.auth, ctx.keys, ERR_DOCS
    # -- devices, health, metrics ----------------------------------------------------------------------
    devices = APIRouter(prefix="/v1", tags=["devices"], dependencies=auth)

    @devices.get("/devices", operation_id="devices", responses=err_docs)
    async def list_devices():
        return core.devices()

    health = APIRouter(prefix="/v2/health", tags=["health"])

    @health.get("/live", operation_id="live")
    async def live():
        return {"live": core.live()}

    @health.get("/ready", operation_id="ready", responses={503: {"model": models.ErrorResponse}})
    async def ready():
        if core.ready():
            return {"ready": True}
        # unauthenticated: with API keys set, the pools' state is /v1/devices' (behind the key), not here
        detail = {} if keys else core.devices()
        return JSONResponse({"ready": False, "error": {"code": "device_unavailable", "message": "not ready",
                                                       "detail": detail}}, status_code=503)

    @app.get("/metrics", operation_id="metrics", tags=["metrics"], response_class=Response)
    async def prometheus():
        return Response(metrics.render(), media_type=metrics.content_type)

    return devices, health


def _openapi(app: FastAPI, keys: list):
    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        comps = spec.setdefault("components", {}).setdefault("schemas", {})
        for m in (*models.REQUEST_MODELS.values(), models.RegisterRequest):
            s = m.model_json_schema(ref_template="#/components/schemas/{model}")
            for k, v in s.pop("$defs", {}).items():
                comps.setdefault(k, v)
            comps[m.__name__] = s
        if keys:
            spec["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            spec["security"] = [{"bearer": []}]
        app.openapi_schema = spec
        return spec

    return openapi


def create_app(settings: Settings | None = None, core: Core | None = None) -> FastAPI:
    settings = settings or Settings()
    core = core or Core(settings)
    ctx = AppContext(settings, core)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await core.start()
        log.info("pools ready: %s", ", ".join(core.pools))
        # what startup built (~100k objects: FastAPI, pydantic, NumPy, the engine) lives as long as the
        # server: out of the collector's sight, a full collection walks only what requests left (it took
        # ~130 ms of the loop, once every few thousand small jobs)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # an app that ends before its process (tests): what it leaves can be collected
            await core.stop()
            ctx.buffers.close()
            ctx.regions.close()

    app = GradserveApp(title="gradserve", version="1.0", lifespan=lifespan,
                  description="Gradient computation as a service: MindSpore GradOperation / grad / jvp / vjp "
                              "semantics on a graph AD engine, with device worker pools. Tensors follow the "
                              "Open Inference Protocol (KServe V2); job bodies may use the binary tensor "
                              "extension (Content-Type application/octet-stream, JSON header then raw tensors, "
                              "header length in Inference-Header-Content-Length).")
    app.state.core = core
    app.state.settings = settings
    docs_assets.install(app)  # /docs and /redoc with assets served here (no CDN)
    if settings.direct_lanes:
        lanes.install(app, core)  # GET /v1/lane/<token>, POST .../overdue (direct lanes)
    _exception_handlers(app)
    jobs, direct = _job_routes(ctx)
    for r in (jobs, _graph_routes(ctx), *_info_routes(app, ctx), client_shm_http.router(core, settings, ctx.auth),
              tensor_http.router(core, settings, ctx.auth)):
        app.include_router(r)
    # POST /v1/graphs with application/onnx, ahead of the JSON route; bodies read within the same timeout
    onnx_graphs.mount(app, core, settings, ctx.auth,
                      lambda request, limit, setting, held: read_body(request, limit, settings.body_timeout_s,
                                                                      core.body_budget, held, setting=setting,
                                                                      share=parse_charge(core, request)))
    app.direct, app.keys = direct, ctx.keys  # the job routes skip FastAPI's request handling
    app.state.job_runners = ctx.runners  # (service.lean_http serves them straight from the HTTP parser)
    app.openapi = _openapi(app, ctx.keys)
    return app
