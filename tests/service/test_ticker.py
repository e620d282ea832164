"""service.ticker: per-request time limits on one timer per loop, with asyncio.timeout's semantics."""
from __future__ import annotations

import asyncio
import gc

import pytest

from service import ticker as tk


def test_callbacks_run_once_due_never_before_and_cancelled_ones_never():
    async def main():
        loop = asyncio.get_running_loop()
        t0, ran = loop.time(), []
        t = tk.ticker()
        assert tk.ticker() is t
        t.after(0.03, lambda: ran.append(("a", loop.time() - t0)))
        k = t.after(0.01, lambda: ran.append(("cancelled", 0)))
        t.after(0.0, lambda: ran.append(("b", loop.time() - t0)))
        t.cancel(k)
        for _ in range(200):
            await asyncio.sleep(0.005)
            if len(ran) == 2 and not t.armed:
                break
        return ran, t

    ran, t = asyncio.run(main())
    assert [n for n, _ in ran] == ["b", "a"] and ran[1][1] >= 0.03
    assert not t.pending and not t.armed  # nothing pending: no timer left armed


def test_time_limit_cancels_the_block_and_only_its_own_cancel_is_taken_back():
    async def slow():
        async with tk.TimeLimit(0.02) as lim:
            await asyncio.sleep(10)
        return lim

    async def fast():
        async with tk.TimeLimit(10) as lim:
            await asyncio.sleep(0)
        return lim

    async def main():
        with pytest.raises(TimeoutError):
            await slow()
        me = asyncio.current_task()
        assert me.cancelling() == 0  # the limit's cancel was taken back
        lim = await fast()
        assert not lim.expired and not tk.ticker().pending
        task = asyncio.ensure_future(slow())  # a cancel from elsewhere is not turned into a timeout
        await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_one_ticker_per_loop_and_none_kept_for_a_closed_loop():
    async def arm():
        t = tk.ticker()
        t.after(0.0, lambda: None)
        await asyncio.sleep(0.05)
        return t

    gc.collect()
    before = len(tk._TICKERS)  # (loops of other tests may still be referenced)
    a, b = asyncio.run(arm()), asyncio.run(arm())
    assert a is not b  # (the last loop's ticker is remembered: a new loop never gets it)
    gc.collect()
    assert len(tk._TICKERS) <= before  # the loops are gone, and their tickers with them


def test_a_far_deadline_alone_does_not_tick_every_tick():
    """A kept-alive connection's timeout (seconds away) is often the only callback pending: the timer then
    waits for it (ticking every TICK_S woke an idle server 100 times a second), and a nearer one added later
    is still run on time."""
    async def main():
        loop = asyncio.get_running_loop()
        t = tk.Ticker(0.01)
        ticks = []
        tick = t._tick
        t._tick = lambda: (ticks.append(loop.time()), tick())[1]
        far = t.after(300.0, lambda: None, loop)
        await asyncio.sleep(0.3)
        idle_ticks = len(ticks)
        t0, ran = loop.time(), []
        t.after(0.05, lambda: ran.append(loop.time() - t0), loop)  # nearer than the armed timer: re-armed
        while not ran and loop.time() - t0 < 120:
            await asyncio.sleep(0.01)
        t.cancel(far)
        return idle_ticks, ran

    idle_ticks, ran = asyncio.run(main())
    assert idle_ticks <= 1, idle_ticks  # (30 at one tick per 10 ms)
    assert ran and 0.05 <= ran[0] < 120  # due after 50 ms, not held back to the far one's time (300 s)


def test_a_callback_that_raises_leaves_the_others_their_timer():
    async def main():
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, _ctx: None)  # (the loop logs the error: not this test's)
        t, ran = tk.Ticker(0.01), []

        def boom():
            raise RuntimeError("a callback's own bug")
        t.after(0.0, boom, loop)
        t.after(0.05, lambda: ran.append(True), loop)
        t0 = loop.time()
        while not ran and loop.time() - t0 < 60:
            await asyncio.sleep(0.01)
        return ran

    assert asyncio.run(main()) == [True]


def test_later_says_it_was_cancelled_and_its_callback_never_runs():
    async def main():
        ran = []
        kept, dropped = tk.Later(0.0, lambda: ran.append("kept")), tk.Later(0.0, lambda: ran.append("dropped"))
        dropped.cancel()
        for _ in range(200):
            await asyncio.sleep(0.005)
            if ran:
                break
        return ran, kept, dropped, dict(tk.ticker().pending)

    ran, kept, dropped, pending = asyncio.run(main())
    # the cancelled one is no longer pending: no tick can run it
    assert ran == ["kept"] and not pending and dropped.cancelled() and not kept.cancelled()
