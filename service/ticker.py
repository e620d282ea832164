"""Time limits of many short requests on one loop timer.

Each HTTP job arms two timers that almost never fire: its body-read limit (`body_timeout_s`) and the
start of its disconnect watcher (`WATCH_AFTER_S`). An asyncio timer (asyncio.timeout, call_later)
costs a TimerHandle, a heap push and a cancel, ~3-6 us a request on the reference box. A `Ticker`
keeps the pending callbacks in a dict (an insert and a delete per request) and one loop timer, armed
while any are pending, that runs each within `tick_s` after it is due, never before.
"""
from __future__ import annotations

import asyncio
import itertools
from typing import Callable


class Ticker:
    def __init__(self, tick_s: float):
        self.tick_s = tick_s
        self.pending: dict[int, tuple[float, Callable[[], None]]] = {}
        self.ids = itertools.count()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.timer: asyncio.TimerHandle | None = None

    def after(self, delay_s: float, fn: Callable[[], None]) -> int:
        """Run fn() on this loop once delay_s has passed (up to tick_s later); a key for `cancel`."""
        loop = asyncio.get_running_loop()
        k = next(self.ids)
        self.pending[k] = (loop.time() + delay_s, fn)
        if self.timer is None or loop is not self.loop:  # (a test's new loop: the old one's timer is gone)
            self.loop = loop
            self.timer = loop.call_later(self.tick_s, self._tick)
        return k

    def cancel(self, k: int) -> None:
        self.pending.pop(k, None)

    def _tick(self) -> None:
        loop = self.loop
        now = loop.time()
        due = [k for k, (t, _) in self.pending.items() if t <= now]
        for k in due:
            hit = self.pending.pop(k, None)  # (an earlier callback may have cancelled it)
            if hit is not None:
                hit[1]()
        self.timer = loop.call_later(self.tick_s, self._tick) if self.pending else None


TICKER = Ticker(0.01)


class TimeLimit:
    """`async with TimeLimit(s):` as asyncio.timeout(s), on the shared ticker; `expired` says whether it
    cancelled the block (the caller raises its own error: see service.http_app.within)."""

    __slots__ = ("delay_s", "task", "key", "cancelling", "expired")

    def __init__(self, delay_s: float):
        self.delay_s = delay_s
        self.expired = False

    async def __aenter__(self) -> "TimeLimit":
        self.task = asyncio.current_task()
        self.cancelling = self.task.cancelling()
        self.key = TICKER.after(self.delay_s, self._expire)
        return self

    def _expire(self) -> None:
        self.expired = True
        self.task.cancel()

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        TICKER.cancel(self.key)
        # as asyncio.timeout: our own cancel is taken back; one that also came from elsewhere stays
        if self.expired and self.task.uncancel() <= self.cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from None
        return False
