"""The request body as sent: read within max_body_bytes, then decompressed per its Content-Encoding.

Every HTTP route that reads a body reads it here (`read_body`), or, on the job path, reads the raw bytes
its own way and hands them to `inflated` with the request's Content-Encoding (service.http_app._job_runner,
for both the ASGI route and the lean path): one decompression, one limit. gzip and deflate (zlib-wrapped,
as HTTP's deflate is) are read, as requests / httpx users and tritonclient's request_compression_algorithm
send them; a body that inflates past the limit is a 413 (never held whole), a broken body a 400, a coding not read a
415 naming what to send (RFC 9110). A binary-extension header length counts decompressed bytes.
"""
from __future__ import annotations

import asyncio
import mmap
import zlib

from starlette.requests import ClientDisconnect, Request

from . import json_head
from .body_budget import FREE, BodyBudget, Charge
from .codec import header_int
from .errors import InvalidRequest, Overloaded, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from .ticker import TimeLimit


async def within(coro, timeout_s: float):
    """A body read bounded in time: a slow (or silent, after Expect: 100-continue) upload gets 408 and
    frees what it holds instead of holding it for good."""
    try:
        async with TimeLimit(timeout_s):  # asyncio.timeout's semantics on one shared timer (service.ticker)
            return await coro
    except TimeoutError:
        raise RequestTimeout(f"the request body did not arrive within body_timeout_s={timeout_s:g}",
                             limit="body_timeout_s", value=timeout_s) from None


def too_large(limit: int, n: int | None = None, setting: str = "max_body_bytes") -> PayloadTooLarge:
    """413 naming `setting`, the limit the route reads its body within (max_model_bytes for model uploads)."""
    what = f"request body of {n} bytes" if n is not None else "request body"
    return PayloadTooLarge(f"{what} is above the limit {setting}={limit}", limit=setting, value=limit)


def content_coding(request: Request) -> str | None:
    """The request's Content-Encoding, repeated lines as one list (RFC 9110 5.3), or None."""
    return ", ".join(request.headers.getlist("content-encoding")) or None


async def read_raw(request: Request, limit: int, cl: str | None = None, held: Charge | None = None,
                   setting: str = "max_body_bytes") -> bytes:
    """The whole body as it came over the wire, at most `limit` bytes (`cl`: its Content-Length when the
    caller has read it), its bytes past the first FREE taken into `held` as they arrive where the route takes
    no admission place (a lone body goes ahead whatever its size: service.body_budget)."""
    if cl is None:
        cl = request.headers.get("content-length")
    size = header_int(cl)
    if size is not None and size > limit:
        raise too_large(limit, size, setting)
    receive = request.receive
    chunks, n = [], 0
    while True:  # receive() itself, not request.stream(): no async generator per request
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = msg.get("body", b"")
        if chunk:
            n += len(chunk)
            if n > limit:
                raise too_large(limit, setting=setting)
            if held is not None and n > FREE:
                held.cover(n - FREE, alone=0)
            chunks.append(chunk)
        if not msg.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def read_body(request: Request, limit: int, timeout_s: float, budget: BodyBudget | None = None,
                    held: Charge | None = None, setting: str = "max_body_bytes", json: str | None = None,
                    share: tuple | None = None) -> bytes:
    """The body as sent: read within `limit` bytes and `timeout_s` (body_timeout_s: the upload's time, not the
    decompression's; every route's, as a body that trickles would hold its connection, and whatever its
    route holds, for good), decompressed within `limit` bytes and the server's `budget` (service.body_budget);
    `held`: see read_raw (a lone body held there inflates alone too, whatever the budget); `json`: see
    `decompressed`; `share`: see `inflated`."""
    raw = await within(read_raw(request, limit, held=held, setting=setting), timeout_s)
    return await inflated(raw, content_coding(request), limit, budget, setting, None if held is None else held.held,
                          json, share)


SMALL_BODY_BYTES = 64 * 1024  # the body of a route whose request is a small JSON object (`read_small_body`)


async def read_small_body(request: Request, timeout_s: float) -> bytes:
    """`read_body` for the routes whose request is a small JSON object (shared memory, the model repository,
    UM-Bridge's questions about a model): at most SMALL_BODY_BYTES, decompressed too. These take no admission
    place, so max_body_bytes each (from a few KiB of gzip) was as many inflated and parsed at once as there
    were connections."""
    try:
        return bytes(await read_body(request, SMALL_BODY_BYTES, timeout_s))  # (bytes, as these routes read them)
    except PayloadTooLarge:
        raise PayloadTooLarge(f"the body is above {SMALL_BODY_BYTES} bytes (this route takes a small JSON object)",
                              limit="small_body_bytes", value=SMALL_BODY_BYTES) from None


async def inflated(body, coding: str | None, limit: int, budget: BodyBudget | None = None,
                   setting: str = "max_body_bytes", own: int | None = None, json: str | None = None,
                   share: tuple | None = None):
    """`body` decompressed per `coding` (a Content-Encoding value; None: as it is). Off the event loop: a few
    KiB may inflate to `limit` bytes. `share`: (service.parse_share.ParseShare, client, as jobs.parse_charge gives
    it): the inflation's CPU time is charged to the client's parse share, which refuses it (429) before it inflates
    once past: only the parse of what it inflated to was, so a client sending small bombs that inflate to valid
    JSON (200 MB of spaces, then {}: 2.5-3.6 s of server CPU each) cost the server their inflation for free."""
    if coding is None:
        return body
    if share is None:
        return await asyncio.to_thread(decompressed, body, coding, limit, budget, setting, own, json)
    parse_share, client = share
    return await asyncio.to_thread(parse_share.charged, client, decompressed, body, coding, limit, budget, setting,
                                   own, json)


ACCEPT_ENCODING = "gzip, deflate"  # the codings read (a 415's Accept-Encoding: RFC 9110 15.5.16)
CHUNK = 1 << 16  # compressed bytes fed at a time: a member's end copies the rest of its chunk, not of the body
OUT = 1 << 20  # inflated bytes made at a time
MAX_MEMBERS = 1024  # gzip members in one body (a client sends one; concatenated files or BGZF blocks a few hundred)


def decompressed(body, encoding: str | None, limit: int, budget: BodyBudget | None = None,
                 setting: str = "max_body_bytes", own: int | None = None,
                 json: str | None = None) -> bytes | memoryview:
    """A body sent with Content-Encoding gzip or deflate, decompressed to at most `limit` bytes: a few KiB that
    inflate past max_body_bytes are a 413, never held. Members one after another are one body, at most
    MAX_MEMBERS of them (each costs a decompressor: 20-byte empty members were a 400,000-fold amplification).
    The compressed bytes while it inflates, and the inflated bytes while they live, are taken from `budget`
    (Overloaded past it: service.body_budget; `own`: bytes this request holds there already, where a lone body
    may go past it, as the ONNX import's: a lone 200 MB model sent gzipped was a 429 for good, sent plain it
    went ahead). `json`: the body is JSON text, json_head.WHOLE, or starts with it, json_head.HEAD (the binary
    extension's header): one that cannot be is refused as it inflates (json_head.Watch), not once whole."""
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip().lower() not in ("", "identity")]
    if not codings:
        return body
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported: send gzip, deflate or none",
                                   path="Content-Encoding", accept_encoding=ACCEPT_ENCODING)
    sent, kept = Charge(budget), Charge(budget)
    try:
        sent.cover(len(body), 0, alone=own)
        alone = None if own is None else own + sent.held
        out, n = _inflate(memoryview(body), codings[0], limit, kept, setting, alone, json_head.Watch(json))
        kept.attach(out, n)
        return memoryview(out)[:n].toreadonly()
    finally:
        sent.close()
        kept.close()  # (nothing left to give once attached)


def _inflate(view: memoryview, coding: str, limit: int, kept: Charge, setting: str,
             alone: int | None, watch: json_head.Watch) -> tuple[mmap.mmap, int]:
    """(the inflated bytes, how many). Written into one anonymous mapping of `limit` + 1 bytes, whose pages
    cost memory only once written and go back to the system when it is freed: a bytearray grown by realloc
    left its old blocks, up to tens of MiB a thread, in the allocator's arenas (and bytes() of it was a second
    copy, both alive at once)."""
    try:  # (address space: pages are taken as written, within the budget)
        out = mmap.mmap(-1, limit + 1, flags=mmap.MAP_PRIVATE)
    except OSError as e:
        raise Overloaded(f"no memory to inflate the body ({e})", limit="body_budget_bytes") from None
    try:
        return out, _fill(out, view, coding, limit, kept, setting, alone, watch)
    except BaseException:
        out.close()  # (now, not when the traceback goes)
        raise


def _fill(out: mmap.mmap, view: memoryview, coding: str, limit: int, kept: Charge, setting: str,
          alone: int | None, watch: json_head.Watch) -> int:
    n, pos, members = 0, 0, 0
    while True:  # stream after stream: gzip members one after another are one body (RFC 1952)
        members += 1
        if members > MAX_MEMBERS:
            raise InvalidRequest(f"the {coding} body has more than {MAX_MEMBERS} members (compressed streams one "
                                 "after another): send it as one stream",
                                 path="Content-Encoding")
        d = zlib.decompressobj(wbits=47)  # (gzip or zlib's, as the header says: deflate is zlib-wrapped in HTTP)
        while not d.eof and pos < len(view):
            data = view[pos:pos + CHUNK]
            pos += len(data)
            while data and not d.eof:  # OUT at a time: a chunk of zeros inflates ~1000-fold
                try:
                    got = d.decompress(data, min(OUT, limit + 1 - n))  # (never 0: that means no limit)
                except zlib.error as e:
                    raise InvalidRequest(f"the body is not valid {coding} data ({e})",
                                         path="Content-Encoding") from None
                kept.cover(n + len(got), alone=alone)
                out[n:n + len(got)] = got
                n += len(got)
                watch.see(out, n - len(got), n)
                if n > limit:
                    raise PayloadTooLarge(f"the {coding} body decompresses past the limit {setting}={limit}",
                                          limit=setting, value=limit)
                data = d.unconsumed_tail
        if not d.eof:
            raise InvalidRequest(f"the {coding} body is truncated", path="Content-Encoding")
        pos -= len(d.unused_data)  # (the next member's start, within the last chunk)
        if pos >= len(view):
            return n
