"""Values named by hash stay references from registration to the worker (service.weight_refs): the derived graph's
text names them by key instead of carrying their base64, the derivation keeps the store's own arrays, a worker's
load reads the bytes it was sent, a key its cache lost asks for the graph again, and the cache keeps its budget
without ever dropping what one message brought. Expected values: NumPy's by hand (y = sum(tanh(x @ w + b)):
dy/dx = (1 - t^2) @ w.T, dy/dw = x.T @ (1 - t^2), dy/db = sum of (1 - t^2) over rows)."""
from __future__ import annotations

import json
import multiprocessing
import threading

import numpy as np
import pytest

from engine.api import evaluate
from engine.ir import tree_flatten
from engine.serialize import Limits
from service import weight_refs
from service.batching import Batcher
from service.derivation import Deriver
from service.registry import Registry
from service.tensor_store import TensorStore, put_all
from service.worker import load_graph

X, W, B = (4, 128), (128, 256), (256,)  # w: 128 KiB (a reference), b: 1 KiB (under MIN_BYTES: base64 as before)


def _param(name: str, shape: tuple, keys: list) -> dict:
    return {"name": name, "shape": list(shape), "dtype": "float32",
            "value": {"shape": list(shape), "dtype": "float32", "sha256": keys}}


def _doc(wkeys: list, bkeys: list) -> dict:
    return {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": list(X), "dtype": "float32"}],
            "params": [_param("w", W, wkeys), _param("b", B, bkeys)],
            "nodes": [{"op": "matmul", "inputs": ["x", "w"], "outputs": ["m"], "attrs": {}},
                      {"op": "add", "inputs": ["m", "b"], "outputs": ["z"], "attrs": {}},
                      {"op": "tanh", "inputs": ["z"], "outputs": ["t"], "attrs": {}},
                      {"op": "sum", "inputs": ["t"], "outputs": ["y"], "attrs": {}}], "outputs": "y"}


def _registered(seed: int):
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal(W).astype(np.float32), rng.standard_normal(B).astype(np.float32)
    reg = Registry(Limits(), 1000, 1 << 26, 16)
    reg.values = TensorStore(1 << 24)
    raw = w.tobytes()
    wkeys = put_all(reg.values, [np.frombuffer(raw[:65536], np.uint8), np.frombuffer(raw[65536:], np.uint8)],
                    None)["sha256"]
    bkeys = put_all(reg.values, [np.frombuffer(b.tobytes(), np.uint8)], None)["sha256"]
    gid, g = reg.load(_doc(wkeys, bkeys), None)
    return w, b, wkeys, gid, g


def _want(x, w, b) -> list:
    """(want, bound) per gradient: float64 NumPy, and float32's error bound of a sum of n products
    (n * eps * the sum of their magnitudes; the forward's rounding enters dz the same way)."""
    t = np.tanh(x.astype(np.float64) @ w + b)
    dz = 1 - t * t
    eps = 4 * np.finfo(np.float32).eps * (W[0] + W[1])
    mag = 1 + np.abs(x) @ np.abs(w)  # (|z| through tanh: dz's error is at most 2 |t| |dt| <= 2 eps |z|)
    return [(dz @ w.T, eps * (mag @ np.abs(w).T)), (x.T @ dz, eps * (np.abs(x).T @ mag)),
            (dz.sum(0), eps * mag.sum(0))]


def _close(got: list, want: list) -> None:
    assert len(got) == len(want)
    for a, (v, bound) in zip(got, want):
        assert a.shape == v.shape
        assert np.all(np.abs(a - v) <= bound), np.abs(a - v).max()


def test_the_derived_text_names_a_value_by_hash_by_key_and_keeps_the_stores_array():
    w, b, wkeys, gid, g = _registered(0)
    d = Deriver(4, 10 ** 6, 1 << 26, 16).derive("grad", gid, g, {"get_all": True, "get_by_list": True,
                                                                  "weights": ["w", "b"], "grad_position": 0})
    key = weight_refs.key_of_pieces(wkeys)
    assert list(d.weights) == [key] and d.weights[key] is g.param_values["w"]  # (the store's array, no copy)
    params = {p["name"]: p for p in json.loads(d.text)["params"]}
    assert params["w"]["value"] == {"shape": list(W), "dtype": "float32", "weight": key}
    assert "b64" in params["b"]["value"]  # (a small value: inline as before)
    assert len(d.text) < w.nbytes // 10  # (its base64 alone would be 4/3 of w's bytes)
    x = np.random.default_rng(9).standard_normal(X).astype(np.float32)
    for lookup in (None, {key: memoryview(w.tobytes()).toreadonly()}.get):  # the server's own load, a worker's
        _close(tree_flatten(evaluate(load_graph((d.text, d.sources, d.weights), Limits(), lookup), x)),
               _want(x, w, b))


def test_a_changed_weight_is_another_key_and_another_graph():
    _, _, wkeys, gid, g = _registered(1)
    _, _, wkeys2, gid2, g2 = _registered(2)
    assert gid != gid2 and weight_refs.key_of_pieces(wkeys) != weight_refs.key_of_pieces(wkeys2)
    der = Deriver(4, 10 ** 6, 1 << 26, 16)
    spec = {"grad_position": 0}
    assert der.derive("grad", gid, g, spec).key != der.derive("grad", gid2, g2, spec).key


def test_a_key_the_worker_no_longer_holds_is_named():
    _, _, wkeys, gid, g = _registered(3)
    d = Deriver(4, 10 ** 6, 1 << 26, 16).derive("eval", gid, g, {})
    with pytest.raises(weight_refs.MissingWeight) as e:
        load_graph((d.text, d.sources, []), Limits(), {}.get)
    assert e.value.args == (weight_refs.key_of_pieces(wkeys),)


def _frames(sizes: list, prefix: str = "k", fill: int = 7) -> tuple:
    """A pipe with one message's frames written into it: (reading end, [(key, nbytes)], {key: bytes})."""
    r, s = multiprocessing.Pipe(duplex=False)
    sent = {f"{prefix}{i}": bytes([fill + i]) * n for i, n in enumerate(sizes)}

    def write():  # (a thread: more than the pipe's buffer holds)
        for raw in sent.values():
            s.send_bytes(raw)
        s.close()

    threading.Thread(target=write, daemon=True).start()
    return r, [(k, len(v)) for k, v in sent.items()], sent


def test_the_cache_keeps_its_budget_but_never_drops_what_one_message_brought():
    cache = weight_refs.WeightCache(max_bytes=180_000)
    r, sending, sent = _frames([100_000, 100_000])  # one graph's values, above the budget together
    cache.receive(r, sending)
    assert {k: bytes(cache.get(k)) for k in sent} == sent and cache.nbytes == 200_000
    with pytest.raises(TypeError):
        cache.get("k0")[0] = 1  # (read-only: the graph's arrays)
    assert cache.get("k1") is not None  # (k1 used last: k0 is the oldest)
    r, sending, sent = _frames([70_000], prefix="n", fill=40)
    cache.receive(r, sending)  # older keys go, least recently used first, until within the budget
    assert list(cache.bufs) == ["k1", "n0"] and cache.nbytes == 170_000
    assert bytes(cache.get("n0")) == sent["n0"]


def test_the_servers_note_forgets_what_a_worker_asks_for_again():
    note = weight_refs.SentWeights(max_bytes=1 << 20)
    a, b = np.zeros(1000, np.float32), np.ones(1000, np.float32)
    assert [k for k, _ in note.to_send({"a": a, "b": b})] == ["a", "b"]
    note.sent("a", a.nbytes)
    note.sent("b", b.nbytes)
    assert note.to_send({"a": a, "b": b}) == []
    note.forget({"a": a})
    assert [k for k, _ in note.to_send({"a": a, "b": b})] == ["a"] and note.nbytes == b.nbytes


def test_a_derivation_sharing_the_registered_values_is_cached_without_counting_them():
    w, _, _, gid, g = _registered(4)
    der = Deriver(4, 10 ** 6, 2 * w.nbytes, 16)  # one client's share (half): less than w alone
    d = der.derive("grad", gid, g, {"grad_position": 0})
    assert d.weights and der.cached("grad", gid, {"grad_position": 0}) is d
    assert der.cache.nbytes < w.nbytes  # (the text and nodes: the values are the registered graph's)


def test_a_batchs_vmapped_graph_names_the_values_by_key_too():
    w, b, wkeys, gid, g = _registered(6)
    d = Deriver(4, 10 ** 6, 1 << 26, 16).derive("grad", gid, g, {"grad_position": 0})
    key, gjson = Batcher(0.01, 8).plans.get(d, 2)
    wkey = weight_refs.key_of_pieces(wkeys)
    assert key == f"{d.key}|vmap2" and gjson[2] == {wkey: g.param_values["w"]} and len(gjson[0]) < w.nbytes // 10
    xs = np.random.default_rng(11).standard_normal((2, *X)).astype(np.float32)
    (dx,) = tree_flatten(evaluate(load_graph(gjson, Limits()), xs))
    for i in range(2):
        v, bound = _want(xs[i], w, b)[0]
        assert np.all(np.abs(dx[i] - v) <= bound)
