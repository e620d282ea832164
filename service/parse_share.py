"""Each client's share of the server's time spent parsing large JSON bodies.

orjson holds the GIL for a whole parse (~50 ms per MiB of numbers on a quiet core; a 40 MiB body held every
client's requests, health probes too, 2.3-4.7 s), in a thread or on the event loop alike: a client looping
large JSON bodies took the server's whole time. A large body's decode (its parse and what is built from it),
and a compressed body's inflation (any size: service.http_body.inflated, service.grpc_inflate), is timed by the thread's CPU clock and charged to its client; a client whose debt passed `burst_s` (it is paid
back at `share` seconds a second) is refused at once, 429 overloaded naming parse_share with the Retry-After
that pays it back, before its body is parsed. Other clients' bodies are parsed meanwhile: one client costs
the others at most `share` of the time over a burst, plus one body. Small bodies (<= body_budget.FREE) are
not timed.
"""
from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager

from .errors import Overloaded
from .json_decoder import cpu_time

MAX_CLIENTS = 4096  # past this many clients with a debt, those whose debt was paid are forgotten


class ParseShare:
    def __init__(self, share: float, burst_s: float, retry_after_s: int = 1, clock=time.monotonic,
                 imports_per_client: int = 1):
        self.share, self.burst_s, self.retry_after_s, self.clock = share, burst_s, retry_after_s, clock
        self._debts: dict[str, tuple[float, float]] = {}  # client -> (seconds owed, when last paid down)
        self._lock = threading.Lock()
        self.imports_per_client = imports_per_client
        self._importing: dict[str, int] = {}  # client -> its model imports under way

    def start_import(self, client: str) -> None:
        """A model import of `client` begins, or 429 naming imports_per_client when it has that many under way: its
        share bounds its imports' total time, not their overlap (four at once held another client's grad 2.5 s).
        Each start is paired with one end_import."""
        with self._lock:
            n = self._importing.get(client, 0)
            if n >= self.imports_per_client:
                raise Overloaded(f"this client has {n} model import(s) under way, the most imports_per_client="
                                 f"{self.imports_per_client} allows: retry after it ends", retry_after=self.retry_after_s,
                                 limit="imports_per_client", value=self.imports_per_client)
            self._importing[client] = n + 1

    def end_import(self, client: str) -> None:
        with self._lock:
            n = self._importing.pop(client, 1) - 1
            if n > 0:
                self._importing[client] = n

    def _owed(self, client: str, now: float) -> float:
        owed, at = self._debts.get(client, (0.0, now))
        return max(0.0, owed - (now - at) * self.share)

    def check(self, client: str) -> None:
        """Overloaded (429, Retry-After) when `client`'s parses took more than its share over a burst."""
        with self._lock:
            owed = self._owed(client, self.clock())
        if owed > self.burst_s:
            retry = max(self.retry_after_s, math.ceil((owed - self.burst_s) / self.share))
            raise Overloaded(f"this client's large JSON bodies, compressed bodies' inflation (and model imports) took "
                             f"more than parse_share={self.share:g} of the server's time (over parse_burst_s="
                             f"{self.burst_s:g}): retry after {retry}s, or send tensors in the binary extension, "
                             "uncompressed", retry_after=retry,
                             limit="parse_share", value=self.share)

    def spend(self, client: str, seconds: float) -> None:
        with self._lock:
            now = self.clock()
            self._debts[client] = (self._owed(client, now) + seconds, now)
            if len(self._debts) > MAX_CLIENTS:
                self._debts = {c: (o, at) for c, (o, at) in self._debts.items() if self._owed(c, now) > 0}

    def charged(self, client: str, work, *args):
        """work(*args) `timing` to `client` (in the thread it runs in: a compressed body's inflation, HTTP's or
        gRPC's, service.http_body.inflated / service.grpc_inflate)."""
        with self.timing(client):
            return work(*args)

    @contextmanager
    def timing(self, client: str):
        """`check`, then the block's CPU time (this thread's, not its waits for the GIL, and its decodes' in
        decoder processes: json_decoder.cpu_time) charged to `client`."""
        self.check(client)
        t0 = cpu_time()
        try:
            yield
        finally:
            self.spend(client, cpu_time() - t0)
