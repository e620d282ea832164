"""Lowering ahead (service.inline): the lane lowers a graph it has never seen while its first job runs in a worker.

Why: compiling a plan for the lane is ~80% lowering (derivation expanded, autodiff, CSE, the optimizer:
~8-11 ms of CPU for L1's 104-step plan) and ~20% compiling the lowered graph (~2.5-4 ms: constant folding
in NumPy, the step list). Done only once a graph came back from a worker, all of it ran while the client's
next steps went to workers and fought it for the GIL (and, on a shared 2-core box, for the cores): a
training loop's first 5-12 steps took 2-10 ms each instead of ~0.6. Lowered during the graph's first worker
run instead (the worker lowers and compiles the same graph then: the client waits for it anyway), only
the compile is left once the run came back clean, and the lane takes the loop's jobs a step or two later.

Lowering is symbolic Python on the graph (it runs no kernel on a request's values), as the server's own
derivation of each request is; compiling, which folds constants in NumPy, still waits for a clean worker run
(service.inline). What lowering ahead costs: the server's CPU for graphs that never qualify (one-off
graphs, ones slower than inline_max_ms): bounded by a token bucket of CPU time (at most SHARE of the
time, BURST_MS at once), by a graph text size and by limits on the lowering's work and size well below
the workers' (one lowering ahead takes at most ~0.1-0.2 s of CPU), and the lowered graphs kept (until a run
proves them small: a first run slower than inline_max_ms may be the load) are bounded too (KEEP; one client's at
most half of them: engine.cache_share, as the lane's plans).
"""
from __future__ import annotations

import time
from collections import OrderedDict

from engine.cache_share import OwnerShare

SHARE = 0.1  # lowering ahead may take at most this share of the time, in the lane thread's CPU time
BURST_MS = 100.0  # ... and this much at once (a few graphs at a client's start)
MAX_CHARS = 256 << 10  # a derived graph whose JSON text is longer is not lowered ahead (its cost is unknown)
KEEP = 16  # lowered graphs waiting for a run that proves them small
# lowering ahead's own limits, far below the workers' (max_work 200k: seconds of CPU): L1's derived graph
# takes 176 units of work and lowers to 104 equations in ~10 ms; past these the usual path decides
MAX_WORK = 2000
MAX_NODES = 2000
SKIP = "skip"  # a lowering ahead past those limits: not a refusal


class LowerAhead:
    """The budget and the lowered graphs of lowering ahead; used from the event loop only (`engine`, an
    Engine with lowering ahead's limits, from the lane's thread: only its `lower`)."""

    def __init__(self, engine=None, clock=time.perf_counter):
        self.engine = engine
        self.clock = clock
        self.tokens = BURST_MS  # ms of lane CPU allowed now; refilled at SHARE ms per ms
        self.stamp = clock()
        self.lowered: OrderedDict[str, tuple] = OrderedDict()  # key -> (flat graph, estimated bytes)
        self.shares = OwnerShare(KEEP, None)  # one client's at most half of them (as the lane's plans)

    def affords(self, text_chars: int) -> bool:
        """Whether a graph of this text size may be lowered ahead now."""
        if text_chars > MAX_CHARS:
            return False
        now = self.clock()
        self.tokens = min(BURST_MS, self.tokens + (now - self.stamp) * 1e3 * SHARE)
        self.stamp = now
        return self.tokens > 0

    def charge(self, cpu_ms: float) -> None:
        """A lowering ahead took `cpu_ms` of the lane thread's CPU (past the budget: none until refilled)."""
        self.tokens -= cpu_ms

    def keep(self, key: str, lowered: tuple, owner=None) -> None:
        """`key`'s lowered graph kept for `owner` (its client): past its share its own oldest go, past KEEP the
        oldest (one client's distinct graphs evicted the others' lowered graphs: theirs compiled a run later)."""
        self._drop(key)
        self.lowered[key] = lowered
        self.shares.add(key, owner, 0)
        while (mine := self.shares.over(owner)) is not None:
            self._drop(mine)
        while len(self.lowered) > KEEP:
            self._drop(next(iter(self.lowered)))

    def take(self, key: str) -> tuple | None:
        """The lowered graph of `key`, no longer kept (None: not lowered ahead, or dropped)."""
        return self._drop(key)

    def _drop(self, key: str) -> tuple | None:
        self.shares.drop(key)
        return self.lowered.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return key in self.lowered

    def __len__(self) -> int:
        return len(self.lowered)
