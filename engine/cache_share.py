"""Each owner's share of an LRU cache's entries and bytes: what a cache of plans (Engine) or loaded graphs (the
service's worker) keeps per owner, so one owner putting distinct entries without end evicts its own oldest, never
everyone's. An owner is any hashable the caller names (the service: its client); None is nobody's (never counted).
The one per-owner rule: the service's byte-bounded caches (service.registry.LRU: graphs, derived graphs, tensors)
keep their owners' shares with it too.

Why (round 29): a worker's plan cache (256 entries) was one LRU; one API key sending 300 distinct tiny graphs
(7 s) evicted every other key's compiled plans, and their next job compiled again (a 40-layer order-2 grad: 426 ms
in place of 27). Round 30: the server's inline lane (service.inline) has its Engine's plans shared the same way."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Hashable

SHARE = 0.5  # of a cache's entries and bytes one owner's entries may hold


class OwnerShare:
    """The owners' keys, each owner's oldest first, beside a cache that holds the entries themselves: the cache
    calls `add` / `touch` / `drop` as it keeps, hits and evicts, and evicts `over(owner)` while it is not None."""

    def __init__(self, max_entries: int, max_bytes: int | None, share: float = SHARE):
        self.max_entries = max(1, int(max_entries * share))
        self.max_bytes = None if max_bytes is None else max_bytes * share
        self.owned: OrderedDict[Hashable, OrderedDict] = OrderedDict()  # owner -> its keys, oldest first; owners
        # least recently active (a key added or touched) first
        self.owner_of: dict[Any, Hashable] = {}
        self.nbytes: dict[Hashable, int] = {}
        self.sizes: dict[Any, int] = {}

    def add(self, key, owner: Hashable | None, nbytes: int) -> None:
        if owner is None:
            return
        self.owner_of[key] = owner
        self.owned.setdefault(owner, OrderedDict())[key] = None
        self.owned.move_to_end(owner)
        self.sizes[key] = nbytes
        self.nbytes[owner] = self.nbytes.get(owner, 0) + nbytes

    def touch(self, key) -> None:
        owner = self.owner_of.get(key)
        if owner is not None:
            self.owned[owner].move_to_end(key)
            self.owned.move_to_end(owner)

    def drop(self, key) -> None:
        owner = self.owner_of.pop(key, None)
        if owner is None:
            return
        keys = self.owned[owner]
        del keys[key]
        self.nbytes[owner] -= self.sizes.pop(key)
        if not keys:
            del self.owned[owner], self.nbytes[owner]

    def over(self, owner: Hashable | None):
        """The owner's oldest key while it holds more than its share (entries or bytes), else None."""
        keys = self.owned.get(owner) if owner is not None else None
        if not keys or len(keys) == 1:  # (one entry is always kept: the one just put)
            return None
        if len(keys) > self.max_entries or self.max_bytes is not None and self.nbytes[owner] > self.max_bytes:
            return next(iter(keys))
        return None
