"""engine.cache_share: one owner's entries hold at most a share of a plan cache (round 29: one API key's 300 distinct
tiny graphs evicted every other key's compiled plans from a worker's cache)."""
from __future__ import annotations

import numpy as np

from engine import Engine, GraphBuilder
from engine.cache_share import OwnerShare


def _graph(i: int):
    gb = GraphBuilder(f"g{i}")
    x = gb.input((2,), name="x")
    return gb.build(gb.sum(gb.mul(x, gb.input((2,), name=f"c{i}"))))


def test_an_owner_past_its_share_loses_its_own_oldest_first():
    s = OwnerShare(max_entries=8, max_bytes=None)  # 4 entries an owner
    for k in range(4):
        s.add(("a", k), "a", 1)
    assert s.over("a") is None
    s.add(("a", 4), "a", 1)
    assert s.over("a") == ("a", 0)
    s.touch(("a", 0))  # used again: the newest
    assert s.over("a") == ("a", 1)
    s.drop(("a", 1))
    assert s.over("a") is None and s.over("b") is None and s.over(None) is None


def test_an_owner_past_its_bytes_share_and_one_entry_always_kept():
    s = OwnerShare(max_entries=100, max_bytes=10)  # 5 bytes an owner
    s.add("big", "a", 50)
    assert s.over("a") is None  # (alone: kept)
    s.add("small", "a", 1)
    assert s.over("a") == "big"
    s.drop("big")
    s.drop("small")
    assert not s.owned and not s.nbytes and not s.owner_of


def test_one_owners_distinct_graphs_leave_anothers_plans_cached():
    eng = Engine(cache_size=8)
    x, c = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    for i in range(2):
        np.testing.assert_allclose(eng.run(_graph(i), [x, c], key=f"b{i}", owner="b"), 11.0)
    for i in range(2, 40):
        np.testing.assert_allclose(eng.run(_graph(i), [x, c], key=f"a{i}", owner="a"), 11.0)
    assert eng.cached("b0") is not None and eng.cached("b1") is not None
    assert sum(eng.cached(f"a{i}") is not None for i in range(2, 40)) == 4  # its share: half of 8
    assert eng.cache_info()["entries"] == 6


def test_without_owners_the_cache_is_one_lru_as_before():
    eng = Engine(cache_size=4)
    x, c = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    for i in range(6):
        eng.run(_graph(i), [x, c], key=f"k{i}")
    assert [eng.cached(f"k{i}") is not None for i in range(6)] == [False, False, True, True, True, True]
