"""gRPC request messages sent compressed (grpc-encoding gzip / deflate), inflated by the server within its byte budget.

grpc inflates a compressed message before the server sees it, up to max_receive_message_length and outside
body_budget_bytes (16 calls of 49 KB held +779 MiB at a 48 MiB limit). With the server option
`grpc.per_message_decompression` = 0 grpc hands the handler the message's bytes as sent (measured, grpcio 1.85: 8 MiB
of zeros arrived as 8,175 gzip bytes; grpc's message limit then bounds the compressed size), and `Inflating`
inflates them itself: in steps of STEP bytes (zlib's max_length), each step charged to the body budget
(service.body_budget: Overloaded past it), refused past max_body_bytes (RESOURCE_EXHAUSTED naming it), then parsed,
its copies (inflated bytes, parsed message, decoded arrays) held in the budget until the call's handler returns
(a stream's message: until its handler asks for the next one); a job method's handler (`held`, unary or a
stream's) is given each message in a `Held` instead and drops it once its tensors are decoded
(`Held.decoded`): the parsed message's copy goes back to the budget then, not when the job is over. The bytes
grpc received stay charged: grpc's own frame holds them until the handler returns (a stream's, until the next
message is asked for).

grpc does not show the handler the call's grpc-encoding, so a message is recognised by its first bytes: gzip's
magic starts 0x1f (a protobuf tag of wire type 7, which does not exist); grpc's deflate is a zlib stream, 0x78
and a header check (a tag of field 15 as a varint: no request message of gradserve.v1, the Open Inference
Protocol, health or reflection has one). Anything else is a message sent uncompressed, parsed as grpc would.
"""
from __future__ import annotations

import asyncio
import inspect
import zlib
from typing import Awaitable, Callable

import grpc

from .body_budget import FREE, BodyBudget, Charge
from .errors import InvalidRequest, PayloadTooLarge, ServiceError

STEP = 1 << 20  # bytes inflated per step: the most inflated past a limit before it is seen
COPIES = 3  # a message's inflated bytes held at once while it is served: see inflate

Abort = Callable[[object, ServiceError], Awaitable[None]]


def _wbits(data: bytes) -> int | None:
    """zlib's wbits for a compressed message's bytes (gzip 31, zlib 15), None for a plain protobuf message."""
    if data[:2] == b"\x1f\x8b":
        return 31
    if len(data) >= 2 and data[0] == 0x78 and (data[0] << 8 | data[1]) % 31 == 0:
        return 15
    return None


def inflate(data: bytes, limit: int, charge: Charge) -> bytes:
    """The message `data` compresses, inflated STEP bytes at a time, each charged to `charge` COPIES times;
    PayloadTooLarge past `limit`, InvalidRequest if corrupt."""
    wbits = _wbits(data)
    coding = "gzip" if wbits == 31 else "deflate"
    d = zlib.decompressobj(wbits)
    parts, n, rest, piece = [], 0, data, b""
    try:
        while not d.eof:
            piece = d.decompress(rest, STEP)
            rest = d.unconsumed_tail
            if not piece and not rest:
                raise InvalidRequest(f"the {coding} request message is truncated")
            n += len(piece)
            if n > limit:
                raise PayloadTooLarge(f"the {coding} request message decompresses past the limit "
                                      f"max_body_bytes={limit}", limit="max_body_bytes", value=limit)
            # its bytes, its parsed message's (raw tensors are copied) and the handler's decode of them (a third
            # copy, as arrays); a lone message goes ahead whatever its size, as a lone HTTP body's parse does
            charge.cover(COPIES * n, alone=0)
            parts.append(piece)
    except zlib.error as e:
        parts.clear()
        raise InvalidRequest(f"the {coding} request message is corrupt ({e})") from None
    except BaseException:  # the error's traceback keeps this frame, and its bytes, until a gc pass: free them now
        parts.clear()
        piece = rest = b""  # noqa: F841
        raise
    if d.unused_data:
        raise InvalidRequest(f"the {coding} request message has {len(d.unused_data)} bytes after its end")
    out = b"".join(parts)
    return out


def _bare(err: BaseException) -> BaseException:
    """`err` without the frames it passed through, nor the error it was raised handling. grpc keeps an aborted
    call's AbortError on the call's state, which the handler's frames hold through their `context`: a cycle that
    kept each failed call's message (up to max_body_bytes) alive until a gc pass, outside the budget (16 clients'
    32 failing 15 MiB calls: +211 MiB; 48 clients': +342 MiB)."""
    if not isinstance(err, (grpc.aio.AbortError, asyncio.CancelledError)):
        return err  # (anything else is a defect: its traceback is kept for grpc's log)
    err.__context__ = err.__cause__ = None
    return err.with_traceback(None)


class Held:
    """A unary call's request message and its charge, for a handler that drops the message once its tensors are
    decoded: `take` it (the holder keeps no reference), then `decoded` gives back the copies that are gone: the
    parsed message's, and a compressed message's inflated bytes (freed once parsed: grpc holds only the
    compressed ones). What stays charged: the decoded arrays, and the bytes grpc holds of a plain message
    until the handler returns."""

    __slots__ = ("message", "charge", "copy")

    def __init__(self, message, charge: Charge, inflated: bool = False):
        self.message, self.charge = message, charge
        self.copy = (2 if inflated else 1) * (charge.held // COPIES)

    def take(self):
        m, self.message = self.message, None
        return m

    def decoded(self) -> None:
        """The message is dropped (the caller holds no reference): its copy goes back to the budget."""
        c, n = self.charge, min(self.copy, self.charge.held)
        if n:
            c.budget.give(n)
            c.held -= n
        self.copy = 0


def _checked(parse, check):
    """`parse`, after `check` of the bytes (service.grpc_precheck) where the method has one."""
    if check is None:
        return parse

    def checked(data: bytes):
        check(data)
        return parse(data)
    checked.check, checked.parse = check, parse  # (a plain message is checked before its charge: _decode)
    return checked


def message_of(request):
    """A handler's request: the message a `Held` holds (taken from it), or the message itself (no interceptor)."""
    return request.take() if type(request) is Held else request


def peek(request):
    """A handler's request message, left where it is (read before `message_of` takes it)."""
    return request.message if type(request) is Held else request


def own_charge(request) -> int:
    """The bytes a handler's request (a `Held`) holds of the body budget: its parse may take the rest of the budget
    as a lone request's does (0 for a message not Held)."""
    return request.charge.held if type(request) is Held else 0


def decoded(request) -> None:
    if type(request) is Held:
        request.decoded()


class Inflating(grpc.aio.ServerInterceptor):
    """Every method's request messages taken as sent (grpc's deserializer replaced) and decoded by `_decode`:
    a compressed one inflated within `limit` and `budget`, its charge held until the handler returns (the
    unary methods in `held`: until their handler says the message is decoded, `Held`)."""

    def __init__(self, limit: int, budget: BodyBudget, abort: Abort, compressed: bool = True,
                 held: frozenset = frozenset(), checks: dict | None = None, share: tuple | None = None):
        self.limit, self.budget, self.abort = limit, budget, abort
        # (service.parse_share.ParseShare, the call's client of its context): a compressed message's inflation is
        # charged to its client's parse share, refused before it inflates once past (as HTTP's: http_body.inflated)
        self.share = share
        self.compressed = compressed  # False: every message is taken as plain (grpc refuses compressed calls)
        self.held = held  # full method names ("/gradserve.v1.Gradserve/Eval") whose handler takes a Held
        self.checks = checks or {}  # full method name -> a check of its (inflated) bytes before the parse

    async def intercept_service(self, continuation, details):
        h = await continuation(details)
        if h is None:
            return None
        parse = _checked(h.request_deserializer or (lambda b: b),
                         self.checks.get(details.method) if self.checks else None)
        held = bool(self.held) and details.method in self.held
        if h.unary_unary or h.unary_stream:
            behavior = h.unary_unary or h.unary_stream
            wrap = self._unary_gen if inspect.isasyncgenfunction(behavior) else \
                self._unary_held if held else self._unary
            make = grpc.unary_unary_rpc_method_handler if h.unary_unary else grpc.unary_stream_rpc_method_handler
            handler = wrap(behavior, parse)
        else:
            behavior = h.stream_unary or h.stream_stream
            wrap = self._stream_gen if inspect.isasyncgenfunction(behavior) else self._stream
            make = grpc.stream_unary_rpc_method_handler if h.stream_unary else grpc.stream_stream_rpc_method_handler
            handler = wrap(behavior, parse, held)
        return make(handler, request_deserializer=None, response_serializer=h.response_serializer)

    async def _decode(self, data: bytes, parse, context, charge: Charge):
        """The message of `data`; a compressed one inflated off the event loop, a plain one's bytes past FREE
        charged as an inflated one's (parsed and decoded, they are copied: 16 clients' 32 plain 15 MiB calls grew
        the server by 630-1,190 MiB uncharged). Its first FREE bytes are not: a message of 1 MiB and a few KiB
        costs about what one of 1 MiB does, and ten such slow jobs at once must meet the pool's queue, not a
        16 MiB budget held for their jobs' whole life. Aborts the call on an error."""
        try:
            if not self.compressed or _wbits(data) is None:
                if hasattr(parse, "check"):  # over its method's limit: refused so, before it may meet a full budget
                    parse.check(data)
                    parse = parse.parse
                if len(data) > FREE:
                    charge.cover(COPIES * (len(data) - FREE), 0, alone=0)
                return parse(data)
            if self.share is None:
                return await asyncio.to_thread(lambda: parse(inflate(data, self.limit, charge)))
            parse_share, client_of_call = self.share  # (the message's parse too: off the loop, with its inflation)
            return await asyncio.to_thread(parse_share.charged, client_of_call(context),
                                           lambda: parse(inflate(data, self.limit, charge)))
        except ServiceError as e:
            charge.close()
            await self.abort(context, e)
        except Exception as e:  # noqa: BLE001 - the (inflated) bytes are not a message: the client's error
            charge.close()
            coded = "compressed " if self.compressed and _wbits(data) is not None else ""
            await self.abort(context, InvalidRequest(f"the {coded}request message does not parse ({e})"))

    def _unary(self, behavior, parse):
        async def call(data, context):
            request = None
            with Charge(self.budget) as charge:
                try:  # (an abort of _decode's too: its traceback holds the message's bytes)
                    request = await self._decode(data, parse, context, charge)
                    return await behavior(request, context)
                except BaseException as e:
                    err = e
            del request
            raise _bare(err)
        return call

    def _unary_held(self, behavior, parse):
        async def call(data, context):
            with Charge(self.budget) as charge:
                try:  # (the message only in the Held: its handler drops it; an abort's traceback holds no copy)
                    inflated = self.compressed and _wbits(data) is not None
                    return await behavior(Held(await self._decode(data, parse, context, charge), charge, inflated),
                                          context)
                except BaseException as e:
                    err = e
            raise _bare(err)
        return call

    def _unary_gen(self, behavior, parse):
        async def call(data, context):
            request = None
            with Charge(self.budget) as charge:
                try:  # (an abort of _decode's too: its traceback holds the message's bytes)
                    request = await self._decode(data, parse, context, charge)
                    async for r in behavior(request, context):
                        yield r
                    return
                except BaseException as e:
                    err = e
            del request
            raise _bare(err)
        return call

    def _messages(self, requests, parse, context, held: bool):
        """Each message of a stream, decoded; `held`: in a Held (its handler drops it once decoded: a stream's
        ModelStreamInfer kept each message, parsed, and its whole charge while its job waited and ran)."""
        async def each():
            async for data in requests:
                with Charge(self.budget) as charge:  # held until the handler asks for the next one
                    if not held:
                        yield await self._decode(data, parse, context, charge)
                        continue
                    inflated = self.compressed and _wbits(data) is not None
                    yield Held(await self._decode(data, parse, context, charge), charge, inflated)
        return each()

    def _stream(self, behavior, parse, held: bool):
        async def call(requests, context):
            return await behavior(self._messages(requests, parse, context, held), context)
        return call

    def _stream_gen(self, behavior, parse, held: bool):
        async def call(requests, context):
            async for r in behavior(self._messages(requests, parse, context, held), context):
                yield r
        return call
