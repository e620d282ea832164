"""A large JSON body made of containers is parsed, pickled back and unpickled with the cyclic collector paused
(service.gc_pause): 990 K `[]` (under max_json_containers) cost the server ~0.8 s of its GIL in one unpickle,
almost all of it collections started by the containers it made (benchmarks/body_shape_attacks.py edge). Counted
here by gc.callbacks: no collection starts during the parse or the unpickle (one may as it ends: a young one, or the full one
that settles what the pause left, service.gc_pause._settle), and the value is the one orjson
makes in place; the pause nests across threads and leaves a collector that was off, off."""
from __future__ import annotations

import gc
import json
import threading
from contextlib import contextmanager
from typing import Iterator

import orjson
import pytest

from benchmarks.graph_stall import chain
from service import codec, gc_pause
from service.json_decoder import Decoders

MANY = 400_000  # containers: ~570 collections' worth of allocations with the collector on


@contextmanager
def counted() -> Iterator[list[int]]:
    """A list that gets the generation of each collection started meanwhile (gc.callbacks)."""
    seen: list[int] = []

    def count(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)


@pytest.fixture
def collections():
    """A list that gets one entry per collection started while the fixture is live."""
    gc.enable()
    with counted() as seen:
        yield seen
    gc.unfreeze()  # (what a settle froze here)


def containers_body(n: int = MANY) -> bytes:
    return b'{"graph_id":"g","x":[' + b",".join([b'[{"a":[1]}]'] * (n // 3)) + b'],"k":{"k":[]}}'


def test_without_the_pause_the_same_parse_starts_collections(collections):
    """(That the counting below can fail: the same parse, unpaused, starts collections.)"""
    orjson.loads(containers_body())
    assert len(collections) > 100


def test_a_body_parsed_in_place_starts_no_collection(collections):
    raw = containers_body(MANY // 2)
    value, strict = codec.loads(raw, offload=False)
    assert len(collections) <= 1  # (the settle's full one as the pause ends, or a young one the containers start after)
    assert strict and value == orjson.loads(raw) and gc.isenabled()


def test_a_body_parsed_in_a_decoder_process_is_unpickled_without_collections(collections):
    raw = containers_body()
    want = orjson.loads(raw)
    decoders = Decoders(1)
    try:
        decoders.loads(b'{"pad": "%s"}' % (b"p" * (2 << 20)))  # (its process started and imported)
        gc.collect()
        collections.clear()
        value, strict = decoders.loads(raw)
        assert len(collections) <= 1  # (the settle's, as the pause ends; unpaused: hundreds, see the first test)
        assert strict and value == want and gc.isenabled()
        # a tensor read into an array there comes back as one (the pickle without memo keeps __reduce__)
        env = {"name": "x", "shape": [2, 100], "datatype": "FP32", "data": [[0.5] * 100, [1.5] * 100]}
        head, _ = decoders.loads(orjson.dumps({"inputs": [env, env], "pad": "p" * (2 << 20)}))
        for t in head["inputs"]:
            a = codec.decode_tensor(t, "$.inputs[0]", max_elements=1 << 20, max_depth=8)
            assert a.shape == (2, 100) and a[1, 99] == 1.5 and a[0, 0] == 0.5
    finally:
        decoders.close()


def test_pauses_nest_across_threads_and_keep_a_collector_that_was_off_off():
    gc.enable()
    inner_started, outer_may_end, inner_may_end = threading.Event(), threading.Event(), threading.Event()
    states: list[bool] = []

    def inner():
        with gc_pause.paused():
            inner_started.set()
            inner_may_end.wait(60)
        states.append(gc.isenabled())

    with gc_pause.paused():
        th = threading.Thread(target=inner)
        th.start()
        assert inner_started.wait(60)
        assert gc_pause.holders() == 2
    assert not gc.isenabled()  # (the other thread's pause still runs)
    inner_may_end.set()
    th.join(60)
    assert states == [True] and gc.isenabled() and gc_pause.holders() == 0
    gc.disable()
    try:
        with gc_pause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    outer_may_end.set()


def test_a_large_graph_is_registered_without_collections_and_kept_as_text(collections):
    """A chain of 3 x gc_pause.NODES (~60 K tracked objects loaded: ~120 collections unpaused) is loaded with no
    collection and kept as its JSON text, which reads back as the graph sent (benchmarks/graph_stall.py)."""
    from engine.serialize import Limits
    from service.registry import Registry

    d = chain(3 * gc_pause.NODES)
    reg = Registry(Limits(max_nodes=100_000, max_elements=1 << 20, max_depth=64), 100_000, 1 << 30, 16)
    gc.collect()
    collections.clear()
    gid, g = reg.load(d, None, True, "c")
    assert len(collections) <= 1 and 2 not in collections, collections
    text, same = reg.json_of(gid)
    assert same is g and g.node_count() == 3 * gc_pause.NODES - 1
    assert type(text) is bytes and json.loads(text) == d


def test_a_derived_graphs_text_keeps_non_finite_values_and_nulls():
    """derivation.graph_text: orjson's text only where it holds no null (orjson writes NaN and infinity as null);
    read back by the standard library's json."""
    from service.derivation import graph_text

    plain = {"nodes": [{"op": "sin", "attrs": {"k": 1.5, "s": "é"}}] * 3}
    assert json.loads(graph_text(plain)) == plain
    odd = {"attrs": {"lo": float("-inf"), "hi": float("inf"), "none": None, "big": 2 ** 70}}
    back = json.loads(graph_text(odd))
    assert back["attrs"]["lo"] == float("-inf") and back["attrs"]["hi"] == float("inf")
    assert back["attrs"]["none"] is None and back["attrs"]["big"] == 2 ** 70
    nan = json.loads(graph_text({"v": float("nan")}))["v"]
    assert nan != nan


@pytest.mark.parametrize("d", [{"b": [1, 2.5, 1e-05, "é\\u2028"], "a": {"z": None, "y": True}},
                               {"nodes": [{"op": "sin", "k": i / 7} for i in range(70_000)]}])
def test_the_yielding_graph_hash_is_the_canonical_one(d):
    """engine.serialize.graph_hash(yielding=True), a registry's for a large graph: the sha256 of the same text as
    the standard library's one-shot json.dumps (sorted keys, no spaces), computed here independently."""
    import hashlib

    from engine.serialize import graph_hash

    want = hashlib.sha256(json.dumps(d, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert graph_hash(d, yielding=True) == graph_hash(d) == "sha256:" + want
    with pytest.raises(ValueError):
        graph_hash({"v": float("nan")}, yielding=True)


def overlapping_stream(bodies: int, raw: bytes) -> list[int]:
    """`bodies` large parses, each begun while the one before still holds its pause (two threads handing over: the
    collector never comes back between them); the collections started meanwhile, counted by gc.callbacks."""
    with counted() as seen, gc_pause.paused():  # (the first of the stream)
        for _ in range(bodies):
            nxt = threading.Event()
            release = threading.Event()

            def parse(started=nxt, done=release):
                with gc_pause.paused():
                    started.set()
                    orjson.loads(raw)
                    done.wait(60)

            th = threading.Thread(target=parse)
            th.start()
            assert nxt.wait(60)
            assert not gc.isenabled() and gc_pause.holders() >= 2  # (overlapping: still off)
            release.set()
            th.join(60)
    return seen


def test_a_stream_of_overlapping_large_parses_still_lets_collections_run(monkeypatch):
    """Overlapping pauses kept the collector off for a stream's whole length: past gc_pause.MAX_PAUSED_S (here 0:
    at once) the next pause to begin or end runs the young or middle collection the collector would have run.
    The same stream under a cap it never reaches starts none (that the count could fail)."""
    gc.enable()
    raw = containers_body(30_000)
    monkeypatch.setattr(gc_pause, "MAX_PAUSED_S", 3600.0)
    before = gc_pause.caught_up()
    assert overlapping_stream(8, raw) == [] and gc_pause.caught_up() == before
    monkeypatch.setattr(gc_pause, "MAX_PAUSED_S", 0.0)
    ran = len(overlapping_stream(8, raw))
    assert ran == 2 * 8 and gc_pause.caught_up() - before == ran  # (each overlapping begin and end: one each)
    assert gc.isenabled() and gc_pause.holders() == 0


def test_the_cap_never_runs_a_full_collection_nor_breaks_one_threads_own_nested_pauses(monkeypatch):
    """The cap's collections are young or middle ones (middle once ten young ones ran), never full; a pause nested
    in the same thread (a registration's parse, then its graph's load) is part of the outer's work: no collection."""
    monkeypatch.setattr(gc_pause, "MAX_PAUSED_S", 0.0)
    gc.enable()
    gens = overlapping_stream(20, b"[1]")
    assert len(gens) == 40 and 1 in gens and set(gens) == {0, 1}
    try:
        with counted() as seen:
            with gc_pause.paused():
                for _ in range(40):
                    with gc_pause.paused():
                        assert gc_pause.holders() == 1
            assert seen == [] and gc.isenabled()
            gc.disable()
            with gc_pause.paused():
                pass
            assert seen == [] and not gc.isenabled()
    finally:
        gc.enable()


def test_the_server_sets_the_cap_from_its_settings():
    from service.core import Core
    from service.settings import Settings

    Core(Settings(pools="cpu", gc_pause_max_s=2.5))
    try:
        assert gc_pause.MAX_PAUSED_S == 2.5
    finally:
        gc_pause.configure(Settings().gc_pause_max_s)


@pytest.fixture
def settling(monkeypatch):
    """A settle threshold of 20 K objects, with what the test freezes unfrozen after it."""
    monkeypatch.setattr(gc_pause, "SETTLE_OBJECTS", 20_000)
    monkeypatch.setattr(gc_pause, "_base_frozen", gc_pause._base_frozen)
    gc.enable()
    gc.collect()
    yield
    gc.unfreeze()
    gc.collect()


class Cycle:
    def __init__(self):
        self.me = self


def test_what_a_pause_leaves_is_walked_once_then_frozen_and_no_garbage_with_it(settling):
    """A pause that leaves 30 K new lists alive: one full collection as it ends, then they are frozen (in no
    generation: no later collection walks them) while the cycle that was garbage before is collected, not frozen."""
    import weakref

    gc_pause._base_frozen = gc.get_freeze_count()  # (no walk of what is frozen this time: the plain settle)
    dead = Cycle()
    gone = weakref.ref(dead)
    del dead
    before, frozen = gc_pause.settled(), gc.get_freeze_count()
    with counted() as gens, gc_pause.paused():
        kept = [[i] for i in range(30_000)]
    assert gens == [2] and gc_pause.settled() == before + 1 and gc.isenabled()
    assert gone() is None  # (collected by the settle's full collection, not frozen)
    mid = gc.get_freeze_count()
    assert mid >= frozen + 30_000
    assert not any(o is kept[0] for o in gc.get_objects())  # (frozen: out of every generation)
    del kept  # frozen objects are still freed by their counts
    assert gc.get_freeze_count() <= mid - 30_000


def test_a_pause_that_leaves_little_does_not_settle(settling):
    before = gc_pause.settled()
    with gc_pause.paused():
        made = [[i] for i in range(30_000)]
        del made
    assert gc_pause.settled() == before and gc.isenabled()


def test_a_cycle_frozen_alive_and_dropped_later_is_collected_once_the_frozen_count_doubles(settling, monkeypatch):
    """A settle freezes what is alive, in-flight cycles too: one dropped later would stay forever, so a settle that
    finds the frozen count doubled since everything was last walked (and grown by REWALK_OBJECTS, here 0) unfreezes,
    collects and freezes again."""
    import weakref

    monkeypatch.setattr(gc_pause, "REWALK_OBJECTS", 0)
    gc.unfreeze()
    gc.collect()
    gc_pause._base_frozen = None
    with gc_pause.paused():  # (the first settle: base = what was frozen before, none; it walks everything)
        first = [[i] for i in range(30_000)]
    base = gc_pause._base_frozen
    assert base >= 30_000 and abs(gc.get_freeze_count() - base) < 100
    live = Cycle()
    gone = weakref.ref(live)
    with gc_pause.paused():  # (frozen with `live` in it: not yet doubled, so no walk of what is frozen)
        second = [[i] for i in range(20_000)]
    assert gc_pause._base_frozen == base
    del live
    gc.collect()
    assert gone() is not None  # (frozen: a full collection does not see it)
    with gc_pause.paused():  # (frozen: base + 20 K before it, not doubled yet)
        third = [[i] for i in range(base)]
    assert gone() is not None and gc_pause._base_frozen == base
    with gc_pause.paused():  # doubled: everything walked again, the dropped cycle collected
        fourth = [[i] for i in range(20_000)]
    assert gone() is None and gc_pause._base_frozen >= 2 * base + 40_000
    assert len(first) + len(second) + len(third) + len(fourth) > 0 and gc.isenabled()


def test_a_first_settle_takes_what_startup_froze_as_clean(settling):
    """(Startup freezes after its own full collection: the first settle does not walk it again.)"""
    gc.freeze()
    gc_pause._base_frozen = None
    frozen = gc.get_freeze_count()
    with gc_pause.paused():
        kept = [[i] for i in range(30_000)]
    assert gc_pause._base_frozen == frozen and gc.get_freeze_count() >= frozen + 30_000 and len(kept) == 30_000
