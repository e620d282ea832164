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
    g = graph_from_json(store.resolved(_graph([256], [key])), Limits())
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


def test_a_value_of_several_pieces_is_their_one_joined_copy_read_only():
    w = np.random.default_rng(1).standard_normal((3, 100)).astype(np.float32)
    raw = w.tobytes()
    pieces = [np.frombuffer(raw[i:i + 512], np.uint8) for i in range(0, len(raw), 512)]
    store = TensorStore(1 << 20)
    keys = put_all(store, pieces, None)["sha256"]
    assert len(keys) == 3
    got = graph_from_json(store.resolved(_graph([3, 100], keys)), Limits()).param_values["w"]
    np.testing.assert_array_equal(got, w)
    assert not got.flags.writeable and got.base is not None and len(bytes(got.base)) == len(raw)
    assert not any(np.shares_memory(got, np.frombuffer(store.kept.get(k), np.uint8)) for k in keys)
