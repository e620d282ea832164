"""service.derive_share: one client's derivations leave a thread for the others; a cancelled one holds its
thread's place until the thread is done with it. Derivations here are functions that block on events (no
timing)."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from service.derive_share import DeriveShare

CEILING = 30.0


def blocker(gate: threading.Event, name: str):
    def fn():
        assert gate.wait(CEILING)
        return name
    return fn


async def _settle(share: DeriveShare, client: str, n: int) -> None:
    for _ in range(int(CEILING / 0.01)):
        if share.running[client] == n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{client}: {share.running[client]} running, not {n}")


def test_a_client_at_its_share_waits_and_another_client_runs():
    async def main():
        with ThreadPoolExecutor(2) as ex:
            share = DeriveShare(ex, 2)  # one thread a client
            gate = threading.Event()
            first = asyncio.ensure_future(share.run("a", blocker(gate, "a1")))
            second = asyncio.ensure_future(share.run("a", lambda: "a2"))
            await _settle(share, "a", 1)
            assert not second.done()  # a's second waits for a's first, though a thread is free
            assert await asyncio.wait_for(share.run("b", lambda: "b1"), CEILING) == "b1"  # b is not behind a
            gate.set()
            assert await asyncio.wait_for(asyncio.gather(first, second), CEILING) == ["a1", "a2"]
            assert not share.running and not share.waiting
            assert share.peak == 1  # (gradserve_derive_client_peak: a's two never ran at once)
    asyncio.run(main())


def test_a_cancelled_derivation_holds_its_place_until_its_thread_is_done():
    async def main():
        with ThreadPoolExecutor(2) as ex:
            share = DeriveShare(ex, 2)
            gate = threading.Event()
            first = asyncio.ensure_future(share.run("a", blocker(gate, "a1")))
            await _settle(share, "a", 1)
            first.cancel()  # the client went away: its thread still derives
            await asyncio.sleep(0)
            again = asyncio.ensure_future(share.run("a", lambda: "a2"))
            await asyncio.sleep(0.05)
            assert not again.done() and share.running["a"] == 1  # no second thread for asking again
            gate.set()
            assert await asyncio.wait_for(again, CEILING) == "a2"
    asyncio.run(main())


def test_a_cancelled_waiter_passes_its_turn_on():
    async def main():
        with ThreadPoolExecutor(2) as ex:
            share = DeriveShare(ex, 1)  # one thread: one a client (at least one)
            gate = threading.Event()
            first = asyncio.ensure_future(share.run("a", blocker(gate, "a1")))
            await _settle(share, "a", 1)
            waiter = asyncio.ensure_future(share.run("a", lambda: "a2"))
            last = asyncio.ensure_future(share.run("a", lambda: "a3"))
            await asyncio.sleep(0.05)
            waiter.cancel()
            gate.set()
            assert await asyncio.wait_for(first, CEILING) == "a1"
            assert await asyncio.wait_for(last, CEILING) == "a3"
            assert not share.running and not share.waiting
    asyncio.run(main())


def test_a_derivation_finding_every_thread_taken_is_counted():
    """on_full (the server's gradserve_derive_full_total): the e2e attack asserts none over its run."""
    async def main():
        with ThreadPoolExecutor(2) as ex:
            full: list = []
            share = DeriveShare(ex, 2, lambda: full.append(1))
            gate = threading.Event()
            a1 = asyncio.ensure_future(share.run("a", blocker(gate, "a1")))
            b1 = asyncio.ensure_future(share.run("b", blocker(gate, "b1")))
            await _settle(share, "a", 1)
            await _settle(share, "b", 1)
            a2 = asyncio.ensure_future(share.run("a", lambda: "a2"))  # waits for a's turn, not for a thread
            await asyncio.sleep(0.05)
            assert not full and not a2.done()
            c1 = asyncio.ensure_future(share.run("c", lambda: "c1"))  # both threads taken: counted
            await asyncio.sleep(0.05)
            assert len(full) == 1 and not c1.done()
            gate.set()
            assert await asyncio.wait_for(asyncio.gather(a1, b1, a2, c1), CEILING) == ["a1", "b1", "a2", "c1"]
            assert len(full) == 1
    asyncio.run(main())


def test_the_peak_counts_one_clients_overlapping_derivations():
    """gradserve_derive_client_peak: with three threads a client may run two at once, and the peak says so
    (deterministic: both block until released; the e2e attack asserts the two-thread server's peak is 1)."""
    async def main():
        with ThreadPoolExecutor(3) as ex:
            share = DeriveShare(ex, 3)
            gate = threading.Event()
            runs = [asyncio.ensure_future(share.run("a", blocker(gate, f"a{i}"))) for i in range(3)]
            await _settle(share, "a", 2)
            assert share.peak == 2 and len(share.waiting["a"]) == 1  # the third waits for a's turn
            gate.set()
            assert await asyncio.wait_for(asyncio.gather(*runs), CEILING) == ["a0", "a1", "a2"]
            assert share.peak == 2
    asyncio.run(main())
