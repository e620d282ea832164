"""service.tensor_store without a server: pieces kept by the sha256 of their bytes (hashlib's, computed here
independently), resolved into a graph's values in order; and gRPC answers past protobuf's 2 GiB message limit
refused before running (core.PROTOBUF_ANSWER_BYTES)."""
from __future__ import annotations

import hashlib
import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest

from engine.errors import EngineError
from engine.serialize import Limits, graph_from_json
from service.core import Core
from service.errors import InvalidRequest, LimitExceeded, NotFound
from service.tensor_store import TensorStore, put_all


def _graph(keys: list) -> dict:
    return {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [3], "dtype": "float32"}],
            "params": [{"name": "w", "shape": [3], "dtype": "float32",
                        "value": {"shape": [3], "dtype": "float32", "sha256": keys}}],
            "nodes": [{"op": "mul", "inputs": ["x", "w"], "outputs": ["y"], "attrs": {}}], "outputs": "y"}


def test_pieces_are_kept_once_by_hash_and_joined_in_order():
    store = TensorStore(1 << 20)
    w = np.array([1.5, -2.0, 4.0], np.float32)
    raw = w.tobytes()
    a, b = np.frombuffer(raw[:8], np.uint8), np.frombuffer(raw[8:], np.uint8)
    out = put_all(store, [a, b, a], "c1")
    assert out == {"sha256": [hashlib.sha256(raw[:8]).hexdigest(), hashlib.sha256(raw[8:]).hexdigest(),
                              hashlib.sha256(raw[:8]).hexdigest()], "stored": 2}
    assert store.missing(out["sha256"] + ["0" * 64], "c1") == ["0" * 64]
    doc = _graph(out["sha256"][:2])
    g = graph_from_json(store.resolved(doc, client="c1"), Limits())
    np.testing.assert_array_equal(g.param_values["w"], w)
    assert doc["params"][0]["value"]["sha256"] == out["sha256"][:2]  # (the graph as sent is left as it is)


def test_a_piece_not_kept_is_named_and_a_store_too_small_says_so():
    store = TensorStore(16)
    with pytest.raises(NotFound) as e:
        store.resolved(_graph(["ab" * 32]), client=None)
    assert e.value.code == "tensor_not_found" and e.value.detail["path"] == "$.graph.params[0].value"
    with pytest.raises(LimitExceeded) as e:
        put_all(store, [np.zeros(12, np.uint8)], "c1")  # more than one client's half of 16 bytes
    assert e.value.detail["limit"] == "tensor_store_bytes"


def _check(fmt: str, n: int, limit: int = 2 ** 31) -> None:
    core = SimpleNamespace(settings=SimpleNamespace(max_binary_output_bytes=limit, max_output_bytes=256 << 20))
    d = SimpleNamespace(output_bytes=lambda: n, output_elements=lambda: n // 4)
    Core._check_output(core, d, SimpleNamespace(output_format=fmt))


def test_a_grpc_answer_past_protobufs_two_gib_is_refused_naming_it():
    _check("binary", 2 ** 31 - 1)  # HTTP's binary output: up to max_binary_output_bytes
    _check("grpc", 2 ** 31 - (2 << 20))
    with pytest.raises(LimitExceeded) as e:
        _check("grpc", 2 ** 31 - 1)
    assert e.value.detail["limit"] == "protobuf_message_bytes" and "HTTP" in str(e.value)
    with pytest.raises(LimitExceeded) as e:  # a lower max_binary_output_bytes is the one named
        _check("grpc", 2 ** 31 - 1, limit=1 << 30)
    assert e.value.detail["limit"] == "max_binary_output_bytes"


def _peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_piece_named_many_times_is_refused_before_its_bytes_are_joined():
    # one 1 MiB piece named 256 times: 256 MiB once joined, for a value of 3 floats (12 bytes)
    store = TensorStore(4 << 20)
    key = put_all(store, [np.zeros(1 << 20, np.uint8)], "c1")["sha256"][0]
    doc = _graph([key] * 256)
    errors = []

    def load():
        try:
            graph_from_json(store.resolved(doc, 1 << 30, client="c1"), Limits())
        except EngineError as e:
            errors.append(e)
    assert _peak_bytes(load) < 32 << 20  # (before: the 256 MiB join, then the length check)
    assert errors and errors[0].to_dict()["detail"]["path"] == "$.params[0].value.sha256"
    assert str(256 << 20) in str(errors[0]) and "12" in str(errors[0])


def test_a_graph_whose_named_values_pass_the_budget_is_refused_naming_it():
    # each value within max_elements, but 64 of them naming the same 1 MiB piece: 64 MiB from 1 MiB kept
    store = TensorStore(4 << 20)
    key = put_all(store, [np.zeros(1 << 20, np.uint8)], "c1")["sha256"][0]
    value = {"shape": [1 << 18], "dtype": "float32", "sha256": [key]}
    doc = {**_graph([key]), "params": [{"name": f"w{i}", "shape": [1 << 18], "dtype": "float32", "value": value}
                                       for i in range(64)]}
    assert _peak_bytes(lambda: pytest.raises(LimitExceeded, store.resolved, doc, 16 << 20, client="c1")) < 8 << 20
    with pytest.raises(LimitExceeded) as e:
        store.resolved(doc, 16 << 20, client="c1")
    assert e.value.detail["limit"] == "graph_cache_bytes" and e.value.detail["got"] == 64 << 20
    assert len(store.resolved(doc, 64 << 20, client="c1")["params"]) == 64  # (at the budget: resolved)


@pytest.mark.parametrize("key", [7, "AB" * 32, "ab" * 31, None])
def test_a_piece_that_is_no_sha256_digest_is_the_graphs_error_not_a_missing_tensor(key):
    store = TensorStore(1 << 20)
    with pytest.raises(InvalidRequest) as e:  # (400 invalid_graph, where a hash not uploaded is 404)
        store.resolved(_graph(["ab" * 32, key]), client=None)
    assert e.value.code == "invalid_graph" and e.value.detail["path"] == "$.graph.params[0].value.sha256[1]"


def test_a_piece_asked_for_by_a_client_that_does_not_hold_it_keeps_its_place_in_the_order():
    """held() for a client that did not upload the piece answers None and leaves its age alone: it was refreshed, so
    another client's questions kept a piece from eviction that its uploader no longer used."""
    from service.tensor_store import _Pieces
    kept = _Pieces(1000)  # (one client's share: 500 bytes)
    for k in ("old", "new"):
        assert kept.put(k, b"x" * 200, 200, owner="c1") and kept.hold(k, "c1")
    assert kept.held("old", "c2") is None
    kept.put("third", b"x" * 200, 200, owner="c1")  # past c1's share: its least recently used piece goes
    assert "old" not in kept.d and "new" in kept.d
    assert kept.held("new", "c1") == b"x" * 200  # (the holder's own question answers and refreshes it)
    kept.put("fourth", b"x" * 200, 200, owner="c1")
    assert "new" in kept.d and "third" not in kept.d
