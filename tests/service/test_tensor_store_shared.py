"""A graph's values named by hash without a copy of their own (service.tensor_store, engine.serialize): a one-piece
value is the store's kept bytes themselves, read-only, kept alive by the graph after the store dropped them (the
store's byte count no longer holding them); a value of several pieces is their one joined copy, read-only.
Expected values: the NumPy arrays uploaded."""
from __future__ import annotations

import numpy as np
import pytest

from engine.api import evaluate
from engine.serialize import Limits, graph_from_json
from service.tensor_store import TensorStore, put_all


def _graph(shape: list, keys: list) -> dict:
    return {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": shape, "dtype": "float32"}],
            "params": [{"name": "w", "shape": shape, "dtype": "float32",
                        "value": {"shape": shape, "dtype": "float32", "sha256": keys}}],
            "nodes": [{"op": "mul", "inputs": ["x", "w"], "outputs": ["y"], "attrs": {}}], "outputs": "y"}


def test_a_one_piece_value_is_the_stores_bytes_read_only_and_outlives_their_eviction():
    w = np.random.default_rng(0).standard_normal(256).astype(np.float32)
    store = TensorStore(4 * w.nbytes)
    (key,) = put_all(store, [np.frombuffer(w.tobytes(), np.uint8)], None)["sha256"]
    g = graph_from_json(store.resolved(_graph([256], [key]), client=None), Limits())
    got = g.param_values["w"]
    assert np.shares_memory(got, np.frombuffer(store.kept.get(key), np.uint8))  # (no copy of its own)
    assert not got.flags.writeable
    with pytest.raises(ValueError):
        got[0] = 1.0
    for i in range(8):  # the store fills with other pieces: the value's piece goes first (least recently used)
        put_all(store, [np.full(w.nbytes, i, np.uint8)], None)
    assert store.kept.get(key) is None and store.kept.nbytes <= 4 * w.nbytes
    np.testing.assert_array_equal(got, w)  # (the graph keeps the bytes alive)
    x = np.linspace(-1, 1, 256, dtype=np.float32)
    np.testing.assert_array_equal(evaluate(g, x), x * w)


def _pieces(w: np.ndarray, size: int) -> list:
    raw = w.tobytes()
    return [np.frombuffer(raw[i:i + size], np.uint8) for i in range(0, len(raw), size)]


def _views(store: TensorStore, keys: list) -> list:
    return [np.frombuffer(store.kept.get(k), np.uint8) for k in keys]


def test_a_value_of_several_pieces_is_joined_once_and_its_pieces_are_kept_as_views_of_it():
    w = np.random.default_rng(1).standard_normal((3, 100)).astype(np.float32)
    store = TensorStore(1 << 20)
    keys = put_all(store, _pieces(w, 512), None)["sha256"]
    assert len(keys) == 3
    counted = store.kept.nbytes
    got = graph_from_json(store.resolved(_graph([3, 100], keys), client=None), Limits()).param_values["w"]
    np.testing.assert_array_equal(got, w)
    assert not got.flags.writeable
    assert all(np.shares_memory(got, v) for v in _views(store, keys))  # (one buffer: the graph's and the store's)
    assert b"".join(v.tobytes() for v in _views(store, keys)) == w.tobytes() and store.kept.nbytes == counted
    # another graph naming the same value: the same buffer, no copy
    again = graph_from_json(store.resolved(_graph([3, 100], keys), client=None), Limits()).param_values["w"]
    assert np.shares_memory(again, got)
    np.testing.assert_array_equal(evaluate(graph_from_json(store.resolved(_graph([3, 100], keys), client=None),
                                                           Limits()),
                                           np.full((3, 100), 2, np.float32)), 2 * w)


def test_a_joined_values_pieces_leave_the_store_together():
    """One piece evicted drops its siblings: the store never counts one piece while it keeps the whole buffer."""
    w = np.random.default_rng(2).standard_normal(384).astype(np.float32)  # 1536 bytes: 3 pieces of 512
    store = TensorStore(4 * 512)
    keys = put_all(store, _pieces(w, 512), None)["sha256"]
    got = graph_from_json(store.resolved(_graph([384], keys), client=None), Limits()).param_values["w"]
    other = put_all(store, [np.full(512, 7, np.uint8)], None)["sha256"]  # the store full: 4 of 4 pieces
    assert store.kept.nbytes == 4 * 512
    put_all(store, [np.full(512, 8, np.uint8)], None)  # one more: the oldest piece goes, and its two siblings
    assert [store.kept.get(k) for k in keys] == [None] * 3
    assert store.kept.nbytes == 2 * 512 and store.kept.get(other[0]) is not None
    np.testing.assert_array_equal(got, w)  # (the graph keeps its buffer)
    # uploaded again, they resolve again (joined anew)
    keys2 = put_all(store, _pieces(w, 512), None)["sha256"]
    assert keys2 == keys
    np.testing.assert_array_equal(
        graph_from_json(store.resolved(_graph([384], keys), client=None), Limits()).param_values["w"], w)


def test_a_value_naming_one_piece_twice_or_another_values_piece_is_joined_as_a_copy():
    w = np.zeros(256, np.float32)  # two equal pieces: one key, named twice
    store = TensorStore(1 << 20)
    keys = put_all(store, _pieces(w, 512), None)["sha256"]
    assert keys[0] == keys[1]
    got = graph_from_json(store.resolved(_graph([256], keys), client=None), Limits()).param_values["w"]
    np.testing.assert_array_equal(got, w)
    assert not np.shares_memory(got, _views(store, keys[:1])[0])
    v = np.arange(256, dtype=np.float32)
    vkeys = put_all(store, _pieces(v, 512), None)["sha256"]
    first = graph_from_json(store.resolved(_graph([256], vkeys), client=None), Limits()).param_values["w"]
    mixed = vkeys[:1] + keys[:1]  # (a value whose first piece is v's: v's buffer is not its)
    got = graph_from_json(store.resolved(_graph([256], mixed), client=None), Limits()).param_values["w"]
    np.testing.assert_array_equal(got, np.concatenate([v[:128], w[:128]]))
    assert np.shares_memory(first, _views(store, vkeys[:1])[0]) and not np.shares_memory(got, first)


def _buffer_bytes(a: np.ndarray) -> int:
    """The bytes of the buffer an array keeps alive (through views and memoryview slices: their exporter's)."""
    b = a
    while isinstance(b, np.ndarray) and b.base is not None:
        b = b.base
    while isinstance(b, memoryview):
        b = b.obj
    return memoryview(b).nbytes


def test_a_one_piece_value_naming_a_joined_values_piece_does_not_keep_that_whole_value_alive():
    """A piece kept as a view of a joined value, named alone by another graph: that graph's value is the piece's
    bytes, not a view pinning the whole joined buffer (64 pieces of 1 KiB: the graph counted for 1 KiB held 64 KiB,
    and kept it after the store dropped the pieces)."""
    w = np.random.default_rng(3).standard_normal(64 * 256).astype(np.float32)
    store = TensorStore(1 << 20)
    keys = put_all(store, _pieces(w, 1024), None)["sha256"]
    graph_from_json(store.resolved(_graph([64 * 256], keys), client=None), Limits())  # (joined: pieces kept as views)
    got = graph_from_json(store.resolved(_graph([256], keys[5:6]), client=None), Limits()).param_values["w"]
    np.testing.assert_array_equal(got, w[5 * 256:6 * 256])
    assert not got.flags.writeable
    assert _buffer_bytes(got) == got.nbytes == 1024


def test_a_value_whose_pieces_two_clients_uploaded_leaves_the_other_clients_piece_when_one_fills_its_share():
    """Each client's own uploads past its half of the store go first, never another's: a value joined from pieces
    of two clients is not kept as one group (one client's eviction dropped the other's piece with its siblings)."""
    w = np.random.default_rng(4).standard_normal(384).astype(np.float32)  # 3 pieces of 512 bytes
    store = TensorStore(8 * 512)  # one client's half: 4 pieces
    pieces = _pieces(w, 512)
    keys = put_all(store, pieces[:2], "a")["sha256"] + put_all(store, pieces[2:], "b")["sha256"]
    assert put_all(store, pieces[2:], "a")["stored"] == 0  # (a names b's piece once it sent it too: kept once, b's)
    got = graph_from_json(store.resolved(_graph([384], keys), client="a"), Limits()).param_values["w"]
    np.testing.assert_array_equal(got, w)
    put_all(store, [np.full(512, i, np.uint8) for i in range(3)], "a")  # a's fifth piece: a's oldest goes
    assert store.kept.get(keys[0]) is None
    assert store.kept.get(keys[2]) is not None  # (b's piece, b within its half)
    np.testing.assert_array_equal(got, w)
