"""Derivation threads shared fairly between clients.

A derivation runs in the server process (service.derivation), off the event loop, on a few threads
(settings.derive_threads). Most take milliseconds, but one within max_work can take seconds of CPU (a Jacobian
over many outputs from a one-float request). With a plain FIFO pool, a client sending a few of those held
every thread, and every other client's new graph waited behind them. Here one client runs at most
threads - 1 derivations at once (at least one), so a thread stays free for the others; its further ones wait
here, on the loop, holding nothing but their admission place (Core.admit shares those between clients).

A derivation counts as running until its thread is done with it: a client that cancels (disconnects) and
asks again gets no extra thread. One submitted while every thread is taken is counted (on_full): it waits
in the executor's queue (other clients' derivations hold every thread), which the share is there to spare
one client's."""
from __future__ import annotations

import asyncio
from collections import Counter, deque
from concurrent.futures import Executor


class DeriveShare:
    def __init__(self, executor: Executor, threads: int, on_full=None):
        self.executor = executor
        self.threads = threads
        self.per_client = max(1, threads - 1)
        self.on_full = on_full  # called for a derivation submitted with every thread taken (metric)
        self.running: Counter = Counter()  # client -> derivations submitted and not yet done with
        self.waiting: dict[str, deque] = {}  # client -> futures of its derivations waiting for a turn
        # the most one client has had running at once (gradserve_derive_client_peak): the share's bound, checked
        # by tests whenever a client's derivations overlap (derive_full needs another client's to meet them)
        self.peak = 0

    async def run(self, client: str, fn, *args):
        loop = asyncio.get_running_loop()
        while self.running[client] >= self.per_client:
            turn = loop.create_future()
            self.waiting.setdefault(client, deque()).append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():  # woken, then cancelled: the turn goes to the next
                    self._wake(client)
                raise
            finally:
                self._forget(client, turn)
        if self.on_full is not None and sum(self.running.values()) >= self.threads:
            self.on_full()
        self.running[client] += 1
        self.peak = max(self.peak, self.running[client])
        work = self.executor.submit(fn, *args)
        work.add_done_callback(lambda _: _call_soon(loop, self._done, client))
        return await asyncio.wrap_future(work, loop=loop)

    def _forget(self, client: str, turn: asyncio.Future) -> None:
        q = self.waiting.get(client)
        if q is not None and turn in q:
            q.remove(turn)
        if q is not None and not q:
            del self.waiting[client]

    def _done(self, client: str) -> None:
        self.running[client] -= 1
        if self.running[client] <= 0:
            del self.running[client]
        self._wake(client)

    def _wake(self, client: str) -> None:
        for turn in self.waiting.get(client, ()):
            if not turn.done():  # the next one of this client (a cancelled waiter has left the queue)
                turn.set_result(None)
                return


def _call_soon(loop: asyncio.AbstractEventLoop, fn, *args) -> None:
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:  # the loop is closed (the server stopped): nothing waits any more
        pass
