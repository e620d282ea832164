"""A large graph's values without a base64 round trip (issue #13): graph_hash feeds long base64 values to the hash
one at a time (the same digest as sha256 of the stdlib's canonical json.dumps), and a trace hands the bytes its
values encode to the split by hash, which then does not decode the base64 (gradserve._weights_by_hash)."""
from __future__ import annotations

import base64
import hashlib
import json

import numpy as np
import pytest

import gradserve as gs
from gradserve import _client, _trace, _weights_by_hash


def _stdlib_hash(doc: dict) -> str:
    """The graph id's definition, written out with the stdlib alone (the service's graph_id)."""
    return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"),
                                                 allow_nan=False).encode()).hexdigest()


def _param(name: str, b64: str) -> dict:
    return {"name": name, "shape": [len(b64)], "dtype": "uint8", "value": {"shape": [3], "dtype": "uint8", "b64": b64}}


LONG = base64.b64encode(np.random.default_rng(0).integers(0, 256, 3 * _client._LONG_B64, np.uint8).tobytes()).decode()


@pytest.mark.parametrize("b64", [
    LONG,
    LONG[:-8] + "\n\"\\\t\x7f",  # characters JSON escapes (a hand-written graph's): json.dumps' form is hashed
    "short",  # below the length: the plain canonical JSON
])
def test_graph_hash_of_long_values_is_sha256_of_the_canonical_json(b64):
    doc = {"format": "gradserve.graph/1", "nodes": [{"id": "y", "op": "add", "inputs": ["w", "w"]}],
           "params": [_param("w", b64), {"name": "b", "shape": [2], "dtype": "float32"}, _param("v", LONG[::-1])],
           "outputs": ["y"], "zz": {"b64": LONG}}
    assert _client.graph_hash(doc) == _stdlib_hash(doc)


def test_graph_hash_when_the_graph_holds_the_mark_text_elsewhere(monkeypatch):
    """The mark found where no value stood (it cannot be guessed; forced here): the whole JSON is hashed."""
    monkeypatch.setattr(_client.secrets, "token_hex", lambda n: "0" * 2 * n)
    doc = {"params": [_param("w", LONG)], "note": '"gs-long-b64-' + "0" * 32 + ':7'}
    assert _client.graph_hash(doc) == _stdlib_hash(doc)


def test_split_reads_kept_bytes_and_decodes_only_without_them(monkeypatch):
    raw = np.random.default_rng(1).integers(0, 256, 2 * _weights_by_hash.PIECE_BYTES + 5, np.uint8).tobytes()
    doc = {"params": [_param("w", base64.b64encode(raw).decode()), {"name": "b", "shape": [1], "dtype": "float32"}]}
    want = [hashlib.sha256(raw[i:i + _weights_by_hash.PIECE_BYTES]).hexdigest()
            for i in range(0, len(raw), _weights_by_hash.PIECE_BYTES)]
    decoded = []
    real = base64.b64decode
    monkeypatch.setattr(_weights_by_hash.base64, "b64decode", lambda s: decoded.append(1) or real(s))
    by_hash, blobs = _weights_by_hash.split(doc, {"w": np.frombuffer(raw, np.uint8)})
    assert not decoded
    assert by_hash["params"][0]["value"] == {"shape": [3], "dtype": "uint8", "sha256": want}
    assert b"".join(blobs[k].tobytes() for k in want) == raw
    assert by_hash["params"][1] == doc["params"][1]
    # bytes of another length than the base64's: not the ones it encodes, decoded instead
    again, blobs2 = _weights_by_hash.split(doc, {"w": raw[:-1]})  # (bytes: any buffer)
    assert decoded == [1] and again == by_hash and list(blobs2) == want


class Big(gs.nn.Cell):
    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(2)
        self.w = gs.Parameter(gs.Tensor(rng.standard_normal((64, 64)).astype(np.float32)), name="w")
        self.b = gs.Parameter(gs.Tensor(rng.standard_normal(2048).astype(">f8")), name="b")  # (big-endian given)
        self.s = gs.Parameter(gs.Tensor(np.float32(2.0)), name="s")  # (a JSON number: no bytes kept)

    def construct(self, x):
        return gs.ops.sum(gs.ops.matmul(x, self.w)) * self.s + gs.ops.sum(self.b)


def test_a_traces_graph_ref_keeps_the_bytes_its_base64_values_encode():
    prog, _ = _trace.trace_program(Big(), [gs.Tensor(np.ones((2, 64), np.float32))])
    ref = prog.ref()
    values = {p["name"]: p["value"] for p in ref.doc["params"]}
    assert sorted(ref.raws) == ["b", "w"] and "data" in values["s"]
    for name, raw in ref.raws.items():
        assert base64.b64decode(values[name]["b64"]) == raw.tobytes()
    net = Big()
    assert ref.raws["w"].tobytes() == net.w.asnumpy().astype("<f4").tobytes()
    assert ref.raws["b"].tobytes() == net.b.asnumpy().astype("<f8").tobytes()
    assert np.shares_memory(ref.raws["w"], prog.root.param_objs["w"]._data)  # (a view: no copy of the weights)
