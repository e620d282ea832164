"""Build refusals remembered: a derived graph a worker refused for max_work / max_nodes is refused again at once.

Lowering a derived graph in a worker is a pure function of the graph, the spec and those two settings (the
budget counts equations emitted, never time), so the 413 a program met once it meets every time. Round 19: an
order-3 /v1/grad of an ~1,200-node graph (37 KB of JSON) spent max_work (200 000, ~8 s of one idle core, 50-68 s
at load 12) in a worker before its 413, each time it was sent; a client sending it twice at once held both CPU
workers and another client's job met its deadline in the queue (504). Now the second and later sends of the same
program are answered from here in microseconds. (A client varying the graph still pays max_work per variant:
that bound is max_work's own.)"""
from __future__ import annotations

from collections import OrderedDict

from .errors import LimitExceeded, ServiceError

KEPT = 1024  # programs remembered (an entry is the error's message and detail as answered, clipped: a few KB)
DETERMINISTIC = ("max_work", "max_nodes")  # settings a build is refused by the same way every time
RECYCLE_FORGOTTEN_S = 60.0  # a client's recycled workers weigh on its burst (RefusedWork.burst_of): one forgotten a minute


class Refusals:
    def __init__(self, kept: int = KEPT):
        self.kept = kept
        self.errors: OrderedDict[tuple, tuple[str, dict]] = OrderedDict()

    def check(self, pool: str, key: str) -> None:
        """Raise the refusal remembered for this program on this pool, if any."""
        got = self.errors.get((pool, key))
        if got is not None:
            e = LimitExceeded(got[0])
            e.detail = dict(got[1])
            try:
                raise e
            finally:  # (no cycle through this frame: see json_decoder.Decoders.loads)
                e = None

    def note(self, pool: str, key: str, e: BaseException) -> bool:
        """Remember `e` when it is a build refusal by a deterministic setting (the oldest entry goes past KEPT);
        whether it was one."""
        if not isinstance(e, ServiceError) or e.code != "limit_exceeded":
            return False
        answered = e.to_dict()["error"]  # (clipped: a node's label may hold a long name of the caller's)
        detail = {k: v for k, v in answered["detail"].items() if k != "request_id"}
        if detail.get("limit") not in DETERMINISTIC:
            return False
        self.errors[(pool, key)] = (answered["message"], detail)
        self.errors.move_to_end((pool, key))
        while len(self.errors) > self.kept:
            self.errors.popitem(last=False)
        return True


class RefusedWork:
    """Worker time each client's refused builds took, as a leaky bucket: it drains at `share` worker-seconds a
    second; a client whose account is past `burst` seconds waits (wait_s) before another job of unknown cost.
    Why: the memo above answers a repeat, but a client sending a new heavy program each time (none remembered)
    spent max_work per send (50 s of a worker at load) with one worker always its own (round 20); this bounds
    that client's share of the pool to `share` of one worker over time, whatever it varies."""

    def __init__(self, share: float, burst: float):
        self.share, self.burst = share, burst
        self.level: dict[str, tuple[float, float]] = {}  # client -> (seconds owed, when last drained)
        self.recycled: dict[str, tuple[float, float]] = {}  # client -> (workers recycled, when last drained)

    def _now_recycled(self, client: str, now: float) -> float:
        n, at = self.recycled.get(client, (0.0, now))
        return max(0.0, n - (now - at) / RECYCLE_FORGOTTEN_S)

    def recycle(self, client: str, seconds: float, now: float) -> None:
        """A worker recycled for `client`'s cancelled job: its `seconds` charged, and the client's burst halved
        while the recycle is remembered (`burst_of`). Why: at the default burst (120 worker-seconds, there for the
        builds a client may meet max_work with) a cancel-then-resubmit loop had the pool's worker restarting for two
        minutes before any bound; now its burst is ~4 s by its fifth recycle, while a client cancelling now and then
        (a recycle a minute or less) keeps most of it."""
        if self.share <= 0:
            return
        self.recycled[client] = (self._now_recycled(client, now) + 1.0, now)
        if len(self.recycled) > KEPT:
            for k in [k for k in self.recycled if self._now_recycled(k, now) <= 0]:
                del self.recycled[k]
        self.charge(client, seconds, now)

    def burst_of(self, client: str, now: float) -> float:
        """`burst`, halved for each recycle of `client`'s remembered (one forgotten each RECYCLE_FORGOTTEN_S)."""
        if client not in self.recycled:
            return self.burst
        n = self._now_recycled(client, now)
        if n <= 0:
            del self.recycled[client]
        return self.burst / 2.0 ** n

    def _now_level(self, client: str, now: float) -> float:
        owed, at = self.level.get(client, (0.0, now))
        return max(0.0, owed - self.share * (now - at))

    def charge(self, client: str, seconds: float, now: float) -> None:
        if self.share <= 0:
            return
        self.level[client] = (self._now_level(client, now) + seconds, now)
        if len(self.level) > KEPT:  # (clients that went away owing: their drained accounts are dropped)
            for k in [k for k in self.level if self._now_level(k, now) <= 0]:
                del self.level[k]

    def wait_s(self, client: str, now: float) -> float:
        """Seconds until `client` may start a job of unknown cost again (0: now); forgets drained accounts."""
        if client not in self.level:
            return 0.0
        owed = self._now_level(client, now)
        if owed <= 0:
            del self.level[client]
        return max(0.0, (owed - self.burst_of(client, now)) / self.share)
