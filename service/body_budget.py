"""The server-wide byte budget for request bodies being inflated (service.http_body.decompressed).

A few KiB of gzip inflate to max_body_bytes; the admission places bound how many bodies are read at once, not
what they inflate to: 4 places and a 64 MiB limit peaked at 619 MiB from small gzip bodies, the default
limit several GB. Each inflating body takes its bytes from one budget (body_budget_bytes) as it grows, and
holds them as long as its inflated bytes live (`Charge`); past the budget the request is refused at once with
429 overloaded and Retry-After, as a full pool refuses a job. Refused, not made to wait: a body half inflated
that waited for room held by others also waiting would hold its bytes and wait for good.

Parsing a JSON body costs more than its bytes: orjson copies its input, strings keep their bytes (a b64 tensor's
str, then its decoded bytes), and each value becomes a Python object
(measured per value: ~60 B for a float, ~90 B for a string, dict or list, ~150 B a key and its value). Four
admitted 48 MiB bodies of floats peaked at 1.35 GB, eight bodies posted to /v1/graphs (no admission place) at
1.65 GB. A large body being parsed takes `parse_cost` from the same budget while its parsed form lives
(`Charge.parsing`); one that finds the budget held by no other request goes ahead, so the peak is about the
budget plus one body's parse. That one parse is bounded too (`parse_cap`, max_parse_bytes: 413 past it): a lone
32 MiB body of `{}` (11 M empty objects, ~34 times its size) took +952 MiB and 18.7 s, a 256 MiB one would
take ~7.6 GB, while a b64 tensor's body costs about twice its size. Its time is charged to its client's parse
share (service.parse_share): `parsed`.
"""
from __future__ import annotations

import threading
import weakref

from .errors import Overloaded, PayloadTooLarge


class BodyBudget:
    """Bytes of request bodies being inflated, server-wide; thread-safe (bodies inflate off the event loop)."""

    def __init__(self, total: int, retry_after_s: int = 1, parse_cap: int | None = None):
        self.total, self.used, self.retry_after_s = total, 0, retry_after_s
        self.parse_cap = parse_cap  # one body's parse_cost at most (None: no bound)
        self._lock = threading.Lock()

    def take(self, n: int, ahead: int = 0, own: int | None = None) -> int:
        """Take n bytes, and `ahead` more if there is room for them: how many were taken. Raise Overloaded (429
        with Retry-After) naming body_budget_bytes when there is no room for n, unless `own` is given and the
        budget holds no more than `own` bytes (the asking request's own: nobody else's room is taken)."""
        with self._lock:
            room = self.total - self.used
            if n <= room or (own is not None and self.used <= own):
                ahead = max(0, min(ahead, room - n))
                n += ahead
                self.used += n
                return n
        raise Overloaded(f"request bodies being inflated or parsed hold the server's body_budget_bytes={self.total}: "
                         f"retry after {self.retry_after_s}s, or send the body uncompressed",
                         retry_after=self.retry_after_s, limit="body_budget_bytes", value=self.total)

    def give(self, n: int) -> None:
        with self._lock:
            self.used -= n


class Charge:
    """What one inflating body has taken from a budget (None: no budget), given back once (`close`) or, when
    `attach`ed to the inflated bytes, when they are freed."""

    STEP = 1 << 20  # bytes taken ahead where there is room: one lock per MiB inflated, not per chunk

    __slots__ = ("budget", "held")

    def __init__(self, budget: BodyBudget | None):
        self.budget, self.held = budget, 0

    def cover(self, n: int, ahead: int = STEP, alone: int | None = None) -> None:
        """Hold at least n bytes, `ahead` more where there is room (raise Overloaded when there is none for n,
        unless `alone` is given and no other request holds any: `alone` more bytes of this request's are held
        elsewhere, as its inflated body's)."""
        if self.budget is not None and n > self.held:
            self.held += self.budget.take(n - self.held, ahead, None if alone is None else self.held + alone)

    def parsing(self, body, inflated: int = 0) -> "Charge":
        """Hold `parse_cost(body)` more (for a body above FREE; `inflated`: this body's own inflated bytes
        the budget holds), alone if need be; `close` (or the with block's end) gives it back. PayloadTooLarge
        (413) naming max_parse_bytes past the budget's parse_cap, alone or not."""
        if self.budget is not None and len(body) > FREE:
            cost, cap = parse_cost(body), self.budget.parse_cap
            if cap is not None and cost > cap:
                raise PayloadTooLarge(
                    f"the JSON body's estimated parse cost, {cost} bytes for {len(body)} bytes (twice its size "
                    f"and {PER_VALUE} per ',' and ':'), is above the limit max_parse_bytes={cap}: send large "
                    f"tensors in the binary extension or b64", limit="max_parse_bytes", value=cap, got=cost)
            self.cover(self.held + cost, 0, alone=inflated)
        return self

    def __enter__(self) -> "Charge":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.held:
            self.budget.give(self.held)
            self.held = 0

    def attach(self, body, n: int) -> None:
        """Hold n bytes (what was taken ahead goes back now) until `body` (weak-referenceable) is freed."""
        if self.held > n:
            self.budget.give(self.held - n)
        held, self.held = min(self.held, n), 0
        if held:
            weakref.finalize(body, self.budget.give, held)


def parsed(parses: tuple, client: str, json_part, inflated: int, decode, *args):
    """decode(*args), for a large body's decode, off the event loop: `json_part`'s parse held in the body budget
    while it runs (`inflated`: bytes of this request's own the budget already holds, as its inflated body's),
    its time charged to `client`'s parse share. `parses`: (BodyBudget, service.parse_share.ParseShare)."""
    budget, share = parses
    if len(json_part) <= FREE:
        return decode(*args)
    with share.timing(client), Charge(budget).parsing(json_part, inflated):
        return decode(*args)


# A body's first MiB is not charged, as it is read or parsed: small bodies are parsed on the event loop, one at a
# time, and two slow uploads holding the budget must not refuse every small request (a graph's registration)
FREE = 1 << 20
PER_VALUE = 96  # bytes a parsed JSON value may cost (measured: a string, dict or list ~92, a float ~60)
_COUNT_STEP = 1 << 20


def parse_cost(body) -> int:
    """What parsing and decoding `body` (bytes or a memoryview) as JSON may cost at its peak: orjson's copy of it,
    its bytes once more (a string's parsed form holds its bytes: a b64 payload as a str, then ~3/4 of it decoded;
    numbers, their decoded arrays), and PER_VALUE per value (counted by its separators: a key and its value are
    two). Two passes of bytes.count (~40 ms for 48 MiB on a quiet core), a fraction of the parse."""
    return 2 * len(body) + PER_VALUE * (1 + count_bytes(body, b",", b":"))


def count_bytes(body, *chars: bytes) -> int:
    """How many of `chars` `body` (bytes or a memoryview: an inflated body's, copied a step at a time) holds."""
    parts = (body,) if isinstance(body, bytes) else \
        (bytes(body[i:i + _COUNT_STEP]) for i in range(0, len(body), _COUNT_STEP))
    return sum(part.count(c) for part in parts for c in chars)
