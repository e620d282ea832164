"""The server-wide byte budget for request bodies being inflated (service.http_body.decompressed).

A few KiB of gzip inflate to max_body_bytes; the admission places bound how many bodies are read at once, not
what they inflate to: 4 places and a 64 MiB limit peaked at 619 MiB from small gzip bodies, the default
limit several GB. Each inflating body takes its bytes from one budget (body_budget_bytes) as it grows, and
holds them as long as its inflated bytes live (`Charge`); past the budget the request is refused at once with
429 overloaded and Retry-After, as a full pool refuses a job. Refused, not made to wait: a body half inflated
that waited for room held by others also waiting would hold its bytes and wait for good.
"""
from __future__ import annotations

import threading
import weakref

from .errors import Overloaded


class BodyBudget:
    """Bytes of request bodies being inflated, server-wide; thread-safe (bodies inflate off the event loop)."""

    def __init__(self, total: int, retry_after_s: int = 1):
        self.total, self.used, self.retry_after_s = total, 0, retry_after_s
        self._lock = threading.Lock()

    def take(self, n: int, ahead: int = 0) -> int:
        """Take n bytes, and `ahead` more if there is room for them: how many were taken. Raise Overloaded (429
        with Retry-After) naming body_budget_bytes when there is no room for n."""
        with self._lock:
            room = self.total - self.used
            if n <= room:
                n += min(ahead, room - n)
                self.used += n
                return n
        raise Overloaded(f"request bodies being inflated hold the server's body_budget_bytes={self.total}: "
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

    def cover(self, n: int, ahead: int = STEP) -> None:
        """Hold at least n bytes, `ahead` more where there is room (raise Overloaded when there is none for n)."""
        if self.budget is not None and n > self.held:
            self.held += self.budget.take(n - self.held, ahead)

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
