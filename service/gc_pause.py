"""The cyclic collector paused while one C call makes many containers (a JSON parse, its unpickle).

Each list or non-empty dict a parse makes is tracked by the collector, and every 700 of them start a collection;
as the young ones pile up, the older generations are walked again and again. A body of 990 K `[]` (under
max_json_containers) took ~0.7 s to parse and ~0.8 s to unpickle with the collector on, 0.1 s and 0.05-0.15 s
with it paused, each a single call holding the interpreter lock: the server's other clients waited that long.
JSON values hold no cycles, so nothing the paused call makes needs the collector; what it makes is walked once
the collector runs again (one young collection: ~0.2-0.4 s for the ~500 K objects of a 99 K-node graph on a loaded
2-core box), if it still lives, instead of again and again while it is made.

The pause is the process's (gc.disable): other threads allocate unwatched meanwhile, for as long as the paused
calls take (bounded by the body limits). Pauses nest across threads (within one, an inner one is part of the
outer's work: it neither collects nor settles); the collector comes back when the last ends,
unless it was off before the first began. A steady stream of overlapping large bodies would so keep it off for the
stream's whole length (other requests' cyclic garbage piling up), so the pause is capped: once the collector has
been off for MAX_PAUSED_S, the next pause to begin or end runs, in its own thread, the collection the collector's
own thresholds would pick by now (a young one, or a middle one once ten young ones have run) and the clock starts
again. Not a full one: the collector runs those only once the objects promoted since the last one pass a quarter of
those it kept, a count Python does not show (gc.get_count's third is not it: past its threshold of 10, it stays there
until a full one runs); the garbage that lives long enough to reach the oldest generation waits for the stream's end.
What the last pause to end leaves alive, when it is much (SETTLE_OBJECTS: a graph loaded for a cache, a large body
a job holds), would still be walked three times or more once the collector is back (young, middle, then every full
collection while it lives): a 99 K-node chain's ~495 K objects took 0.3 s a walk unloaded, a middle one 1.6 s on a
loaded box while that chain ran inline (other clients' probes waiting). It is walked once instead, by a full
collection as the pause ends, in the thread that made it, and frozen (_settle).
"""
from __future__ import annotations

import gc
import threading
import time
from contextlib import contextmanager, nullcontext
from typing import Iterator

MIN_BYTES = 64 << 10  # a JSON text shorter than this makes too few containers for the collector to matter
# a graph of this many nodes or more is loaded (registry) and derived (derivation) with the collector paused: ~5
# tracked objects a node; registering a 99 K-node chain started ~1100-1500 collections, 6-10 of them full ones
# walking the whole heap (2.4-3.5 s of the server's GIL in all, one up to 0.87 s: other clients' probes waited)
NODES = 4096
# longest the collector stays off for overlapping pauses before one of them collects (settings.gc_pause_max_s)
MAX_PAUSED_S = 1.0
_lock = threading.Lock()
_mine = threading.local()  # .depth: this thread's pauses, nested (a registration's parse, then its graph's load)
_holders = 0
_was_on = False
_off_since = 0.0  # (time.monotonic() when the collector was last turned off or run by a pause)
_collecting = False
_caught_up = 0  # collections run by the cap (tests, benchmarks)
# a last pause that leaves this many tracked objects more than it found (gc.get_count's first: made and still
# alive, ~5 a node of a graph loaded) settles them (_settle): a graph of ~20 K nodes or more (settings.gc_settle_objects)
SETTLE_OBJECTS = 100_000
# everything frozen is walked again (and a cycle frozen alive, dropped since, collected) once this many more, and
# at least as many more as were frozen then, have been frozen (the collector walks its oldest generation once it has
# grown by a quarter; here by as much again, and never for a mere graph or two)
REWALK_OBJECTS = 1_000_000
_base_frozen: int | None = None  # objects frozen when everything frozen was last walked (None: not yet)
_settled = 0


def configure(max_paused_s: float, settle_objects: int = SETTLE_OBJECTS) -> None:
    global MAX_PAUSED_S, SETTLE_OBJECTS
    MAX_PAUSED_S, SETTLE_OBJECTS = max_paused_s, settle_objects


@contextmanager
def paused() -> Iterator[None]:
    if getattr(_mine, "depth", 0):  # (inside this thread's own pause: one piece of work, one pause)
        _mine.depth += 1
        try:
            yield
        finally:
            _mine.depth -= 1
        return
    _mine.depth = 1
    try:
        with _begun():
            yield
    finally:
        _mine.depth = 0


@contextmanager
def _begun() -> Iterator[None]:
    global _holders, _was_on, _off_since
    with _lock:
        if _holders == 0:
            _was_on = gc.isenabled()
            gc.disable()
            _off_since = time.monotonic()
            due = False
        else:
            due = _due()
        _holders += 1
    if due:
        _catch_up()
    try:
        yield
    finally:
        _end()


def _end() -> None:
    global _collecting
    with _lock:
        # (the last pause, which left many objects: it settles them, holding its place so that no pause begins
        # meanwhile and takes the collector for one that was off)
        settle = (_holders == 1 and _was_on and not _collecting and SETTLE_OBJECTS > 0
                  and gc.get_count()[0] >= SETTLE_OBJECTS)
        if settle:
            _collecting = True
        else:
            _release()
            due = _holders > 0 and _due()
    if settle:
        try:
            _settle()
        finally:
            with _lock:
                _collecting = False
                _release()
    elif due:
        _catch_up()


def _release() -> None:
    """(Under _lock.) One pause ends: the collector back on when it was the last and the collector was on before."""
    global _holders
    _holders -= 1
    if _holders == 0 and _was_on:
        gc.enable()


def _settle() -> None:
    """What the pauses left (a graph kept in a cache, a body a job will hold) walked once, by one full collection,
    then frozen (gc.freeze): out of every later collection's walk, where it would have been walked young, middle
    and by each full collection after (a 99 K-node graph's ~495 K objects: 0.3-1.6 s a walk, other clients'
    probes waiting). The full collection first, so that no garbage is frozen; frozen objects are still freed by
    their counts (a graph or a JSON value holds no cycle). A cycle alive then (a request in flight) and dropped
    later is not: it stays until everything frozen is walked again, which a settle does (unfreeze, full collection,
    freeze) once the frozen count has grown, since that last happened, by as much as it was then and REWALK_OBJECTS."""
    global _base_frozen, _settled
    frozen = gc.get_freeze_count()
    if _base_frozen is None:
        _base_frozen = frozen  # (what startup froze after its own full collection: clean)
    if frozen - _base_frozen >= max(_base_frozen, REWALK_OBJECTS):
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _base_frozen = gc.get_freeze_count()
    else:
        gc.collect()
        gc.freeze()
    _settled += 1


def _due() -> bool:
    """(Under _lock.) Whether others' pauses have kept a collector that was on off for MAX_PAUSED_S already."""
    global _collecting
    if not _was_on or _collecting or time.monotonic() - _off_since < MAX_PAUSED_S:
        return False
    _collecting = True
    return True


def _catch_up() -> None:
    """The collection the collector would have run by now, had it been on, short of a full one: the middle
    generation once its count has passed its threshold, else the young one."""
    global _collecting, _off_since, _caught_up
    try:
        gc.collect(1 if gc.get_count()[1] >= gc.get_threshold()[1] else 0)
    finally:
        with _lock:
            _off_since = time.monotonic()
            _collecting = False
            _caught_up += 1


def paused_if(large: bool):
    """paused() for a large piece of work, else nothing (a pause costs a lock and two gc calls)."""
    return paused() if large else nullcontext()


def holders() -> int:
    """How many pauses are running now (tests)."""
    return _holders


def caught_up() -> int:
    """How many collections the cap has run (tests, benchmarks)."""
    return _caught_up


def settled() -> int:
    """How many times pauses' leftovers were collected and frozen (tests, benchmarks)."""
    return _settled
