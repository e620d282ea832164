"""service.registry.LRU with a per-owner share: one owner putting distinct entries without end evicts its own
oldest, never another owner's (the e2e attack: tests/e2e/test_attacks_graph_cache.py); the derived-graph cache
shares the same way (a client deriving without end cannot make another's derive again)."""
from __future__ import annotations

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.derivation import Deriver
from service.registry import LRU


def test_an_owner_past_its_share_of_bytes_evicts_its_own_oldest():
    c = LRU(100, 10, share=0.5)
    c.put("theirs", "t", 10, owner="b")
    for i in range(50):
        c.put(i, i, 20, owner="a")
    assert c.get("theirs") == "t"
    assert list(c.shares.owned["a"]) == [48, 49] and c.shares.nbytes["a"] == 40
    assert c.nbytes == sum(n for _, n in c.d.values()) == 50


def test_an_owner_past_its_share_of_entries_evicts_its_own_oldest():
    c = LRU(1000, 10, share=0.5)
    c.put("theirs", "t", 1, owner="b")
    for i in range(30):
        c.put(i, i, 1, owner="a")
    assert c.get("theirs") == "t" and list(c.shares.owned["a"]) == [25, 26, 27, 28, 29]


def test_an_entry_larger_than_an_owners_share_is_not_kept_and_evicts_nothing():
    c = LRU(100, 10, share=0.5)
    c.put("theirs", "t", 40, owner="b")
    c.put("big", 1, 51, owner="a")
    assert c.get("big") is None and c.get("theirs") == "t" and "a" not in c.shares.owned


def test_a_hit_keeps_an_owners_entry_and_a_put_again_replaces_its_bytes():
    c = LRU(100, 10, share=0.5)
    c.put("k", 1, 20, owner="a")
    c.put("j", 2, 20, owner="a")
    assert c.get("k") == 1  # now j is a's oldest
    c.put("l", 3, 20, owner="a")
    assert list(c.shares.owned["a"]) == ["k", "l"]
    c.put("k", 4, 5, owner="a")
    assert c.shares.nbytes["a"] == 25 and c.nbytes == 25


def test_entries_without_an_owner_and_caches_without_a_share_are_plain_lru():
    c = LRU(100, 3)
    for i in range(5):
        c.put(i, i, 1, owner="a")
    assert list(c.d) == [2, 3, 4] and c.shares is None and c.owner_of(2) is None
    s = LRU(100, 3, share=0.5)
    for i in range(5):
        s.put(i, i, 1)
    assert list(s.d) == [2, 3, 4] and not s.shares.owned


def test_one_clients_many_derivations_leave_another_clients_derived_graph_cached():
    def net(seed: float):
        gb = GraphBuilder("n")
        x = gb.input((3,), name="x")
        return gb.build(gb.sin(gb.mul(x, gb.full((3,), seed, "float32"))))

    d = Deriver(4, 10 ** 6, 1 << 24, 8)
    spec = {"grad_position": 0}
    theirs = d.derive("grad", "theirs", net(-1.0), spec, client="b")
    for i in range(20):
        d.derive("grad", f"g{i}", net(float(i)), spec, client="a")
    assert d.cached("grad", "theirs", spec) is theirs
    assert len(d.cache.shares.owned["a"]) == 4  # half of 8 entries


def test_the_settings_state_the_share():
    """The cache settings' docs say 'half': that is CLIENT_SHARE (README's table repeats the descriptions)."""
    from service.registry import CLIENT_SHARE
    from service.settings import Settings

    assert CLIENT_SHARE == 0.5
    for name in ("graph_cache_size", "graph_cache_bytes", "derived_cache_bytes", "tensor_store_bytes"):
        assert "at most half" in Settings.model_fields[name].description, name


def test_a_loader_error_is_logged_clipped(monkeypatch, caplog):
    """An engine bug on odd input is the client's 400 and a log line; the exception's text may echo the request
    (a 1 MB name): the line is clipped as the answer is (service.errors.clip)."""
    import pytest

    from engine.serialize import Limits
    from service import registry
    from service.errors import InvalidRequest

    def broken(d, limits):
        raise ValueError("name " + "n" * 1_000_000)

    monkeypatch.setattr(registry, "graph_from_json", broken)
    reg = registry.Registry(Limits(max_nodes=100, max_elements=100, max_depth=8), 100, 1 << 20, 16)
    g = GraphBuilder("g")
    x = g.input((2,), name="x")
    with caplog.at_level("WARNING", logger=registry.log.name), pytest.raises(InvalidRequest) as e:
        reg.load(graph_to_json(g.build(g.sin(x))), None)
    assert len(e.value.public_message) < 2000
    lines = [r.getMessage() for r in caplog.records if "graph_from_json raised" in r.getMessage()]
    assert lines and all(len(m) < 2000 for m in lines), [len(m) for m in lines]
    assert "more characters" in lines[0]


def test_idle_owner_first_evicts_the_least_recently_active_owners_oldest():
    """Past the cap, the owner least recently active gives way (the tensor store: clients uploading at once into a
    full store evicted each other's fresh pieces while a client long done kept its own); without the option, the
    oldest entry of all goes, as before."""
    for idle_first, gone in ((True, {"b1"}), (False, {"a1"})):
        c = LRU(100, 100, share=0.5, idle_owner_first=idle_first)
        c.put("a1", 0, 30, owner="a")  # a: the oldest entry, but active again below
        c.put("b1", 0, 30, owner="b")
        c.put("a2", 0, 10, owner="a")
        c.put("c1", 0, 30, owner="c")  # 100 bytes: full
        c.put("c2", 0, 10, owner="c")  # past the cap by 10
        kept = {k for k in ("a1", "a2", "b1", "c1", "c2") if k in c.d}
        assert kept == {"a1", "a2", "b1", "c1", "c2"} - gone, (idle_first, kept)
        assert c.nbytes == sum(n for _, n in c.d.values()) == 80


def test_idle_owner_first_counts_a_hit_as_activity():
    c = LRU(60, 100, share=0.5, idle_owner_first=True)
    c.put("a1", 0, 30, owner="a")
    c.put("b1", 0, 30, owner="b")
    assert c.get("a1") == 0  # a is now the more recently active owner
    c.put("c1", 0, 20, owner="c")
    assert "a1" in c.d and "b1" not in c.d


def test_past_the_bounds_the_owner_holding_the_most_gives_way():
    """Two owners each within their share fill the cache between them: their own oldest go, never a third owner's
    older entry (round 16: two loopback addresses evicted a client's registered graph); by bytes when the bytes
    are past, by entries when the count is."""
    c = LRU(1000, 10, share=0.5)
    c.put("theirs", "t", 1, owner="c")
    for i in range(20):
        c.put(f"a{i}", 0, 1, owner="a")
        c.put(f"b{i}", 0, 1, owner="b")
    assert c.get("theirs") == "t" and len(c.d) == 10
    a, b = len(c.shares.owned["a"]), len(c.shares.owned["b"])
    assert a + b == 9 and max(a, b) == 5
    d = LRU(100, 100, share=0.5)
    d.put("theirs", "t", 10, owner="c")
    for i in range(10):
        d.put(f"a{i}", 0, 20, owner="a")
        d.put(f"b{i}", 0, 20, owner="b")
    assert d.get("theirs") == "t" and d.nbytes <= 100 and d.shares.nbytes["c"] == 10
