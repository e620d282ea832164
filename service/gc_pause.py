"""The cyclic collector paused while one C call makes many containers (a JSON parse, its unpickle).

Each list or non-empty dict a parse makes is tracked by the collector, and every 700 of them start a collection;
as the young ones pile up, the older generations are walked again and again. A body of 990 K `[]` (under
max_json_containers) took ~0.7 s to parse and ~0.8 s to unpickle with the collector on, 0.1 s and 0.05-0.15 s
with it paused, each a single call holding the interpreter lock: the server's other clients waited that long.
JSON values hold no cycles, so nothing the paused call makes needs the collector; what it makes is walked once
the collector runs again (one young collection: ~0.2-0.4 s for the ~500 K objects of a 99 K-node graph on a loaded
2-core box), if it still lives, instead of again and again while it is made.

The pause is the process's (gc.disable): other threads allocate unwatched meanwhile, for as long as the paused
calls take (bounded by the body limits). Pauses nest across threads; the collector comes back when the last ends,
unless it was off before the first began.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager, nullcontext
from typing import Iterator

MIN_BYTES = 64 << 10  # a JSON text shorter than this makes too few containers for the collector to matter
# a graph of this many nodes or more is loaded (registry) and derived (derivation) with the collector paused: ~5
# tracked objects a node; registering a 99 K-node chain started ~1100-1500 collections, 6-10 of them full ones
# walking the whole heap (2.4-3.5 s of the server's GIL in all, one up to 0.87 s: other clients' probes waited)
NODES = 4096
_lock = threading.Lock()
_holders = 0
_was_on = False


@contextmanager
def paused() -> Iterator[None]:
    global _holders, _was_on
    with _lock:
        if _holders == 0:
            _was_on = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_on:
                gc.enable()


def paused_if(large: bool):
    """paused() for a large piece of work, else nothing (a pause costs a lock and two gc calls)."""
    return paused() if large else nullcontext()


def holders() -> int:
    """How many pauses are running now (tests)."""
    return _holders
