"""Time limits of many short requests on one loop timer.

Each HTTP job arms two timers that almost never fire: its body-read limit (`body_timeout_s`) and the
start of its disconnect watcher (`WATCH_AFTER_S`). An asyncio timer (asyncio.timeout, call_later)
costs a TimerHandle, a heap push and a cancel, ~3-6 us a request on the reference box. A `Ticker`
keeps the pending callbacks in a dict (an insert and a delete per request) and one loop timer, armed
while any are pending, that runs each within `tick_s` after it is due, never before. The timer is armed for
the earliest callback pending (at least `tick_s` after the last tick), not every `tick_s`: a kept-alive
connection's timeout, seconds away, is often the only one, and ticking every 10 ms woke an idle server 100
times a second (and a busy one between every ~10 ms job: one loop iteration more each). A callback due
before the armed time re-arms it (rare: requests shorter than the disconnect watcher's start find the timer
armed for an earlier request's).
"""
from __future__ import annotations

import asyncio
import itertools
import weakref
from typing import Callable


class Ticker:
    """The pending callbacks of one event loop and its one timer (no reference to the loop itself, so
    that the loop's entry in _TICKERS goes with it)."""

    def __init__(self, tick_s: float):
        self.tick_s = tick_s
        self.pending: dict[int, tuple[float, Callable[[], None]]] = {}
        self.ids = itertools.count()
        self.armed = False
        self.at = 0.0  # armed: when its timer fires (loop time)
        # a weak reference to the armed TimerHandle, to cancel it when re-armed earlier (the handle holds the
        # loop, which would keep the loop's entry in _TICKERS alive)
        self.timer: weakref.ref | None = None

    def after(self, delay_s: float, fn: Callable[[], None], loop: asyncio.AbstractEventLoop | None = None) -> int:
        """Run fn() once delay_s has passed (up to tick_s later); a key for `cancel`. `loop`: the running
        loop, when the caller has it (asking asyncio for it is a getpid() system call on Python 3.11)."""
        if loop is None:
            loop = asyncio.get_running_loop()
        k = next(self.ids)
        due = loop.time() + delay_s
        self.pending[k] = (due, fn)
        if not self.armed or due < self.at:
            self._arm(loop, due)
        return k

    def cancel(self, k: int) -> None:
        self.pending.pop(k, None)  # (the timer stays armed: when it fires it re-arms for what is left)

    def _arm(self, loop: asyncio.AbstractEventLoop, at: float) -> None:
        old = self.timer() if self.timer is not None else None
        if old is not None:
            old.cancel()  # (a cancelled timer at the heap's top is dropped without waking the loop)
        self.armed, self.at = True, at
        self.timer = weakref.ref(loop.call_at(at, self._tick))

    def _tick(self) -> None:
        self.timer = None  # (this one has fired)
        loop = asyncio.get_running_loop()
        now = loop.time()
        due = [k for k, (t, _) in self.pending.items() if t <= now]
        try:
            for k in due:
                hit = self.pending.pop(k, None)  # (an earlier callback may have cancelled it)
                if hit is not None:
                    hit[1]()
        finally:  # (a callback that raises, which the loop logs, leaves the others their timer)
            if self.pending:  # the earliest left, batched: at least tick_s from now
                self._arm(loop, max(min(t for t, _ in self.pending.values()), now + self.tick_s))
            else:
                self.armed, self.timer = False, None


_TICKERS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Ticker]" = weakref.WeakKeyDictionary()
TICK_S = 0.01


_LAST: tuple = (lambda: None, None)  # (weak reference to the loop asked for last, its ticker)


def ticker(loop: asyncio.AbstractEventLoop | None = None) -> Ticker:
    """The running loop's ticker (one per loop: a callback runs on the loop that armed it); `loop`: the
    running loop, when the caller has it at hand."""
    global _LAST
    if loop is None:
        loop = asyncio.get_running_loop()
    ref, t = _LAST
    if ref() is loop:  # the common case, twice per request: no WeakKeyDictionary lookup (~1 us)
        return t
    t = _TICKERS.get(loop)
    if t is None:
        t = _TICKERS[loop] = Ticker(TICK_S)
    _LAST = (weakref.ref(loop), t)
    return t


class Later:
    """fn() once delay_s has passed (up to TICK_S later), on the running loop's ticker: what a TimerHandle
    from call_later is to whoever holds it (`cancel()`), without its heap push and cancel."""

    __slots__ = ("ticker", "key", "_cancelled")

    def __init__(self, delay_s: float, fn: Callable[[], None], loop: asyncio.AbstractEventLoop | None = None):
        self.ticker = ticker(loop)  # (loop: the running one, when the caller has it)
        self.key = self.ticker.after(delay_s, fn, loop)
        self._cancelled = False

    def cancel(self) -> None:
        self.ticker.cancel(self.key)
        self._cancelled = True

    def cancelled(self) -> bool:
        """cancel() was called (as TimerHandle.cancelled)."""
        return self._cancelled


class TimeLimit:
    """`async with TimeLimit(s):` as asyncio.timeout(s), on the shared ticker; `expired` says whether it
    cancelled the block (the caller raises its own error: see service.http_body.within)."""

    __slots__ = ("delay_s", "task", "ticker", "key", "cancelling", "expired")

    def __init__(self, delay_s: float):
        self.delay_s = delay_s
        self.expired = False

    async def __aenter__(self) -> "TimeLimit":
        self.task = asyncio.current_task()
        self.cancelling = self.task.cancelling()
        self.ticker = ticker()
        self.key = self.ticker.after(self.delay_s, self._expire)
        return self

    def _expire(self) -> None:
        self.expired = True
        self.task.cancel()

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        self.ticker.cancel(self.key)
        # as asyncio.timeout: our own cancel is taken back; one that also came from elsewhere stays
        if self.expired and self.task.uncancel() <= self.cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from None
        return False
