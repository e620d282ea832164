"""The SDK's wire codec with orjson (when installed) and without: the same bodies, the same refusals,
the same decoded responses; binary tensors as views where the array allows, bytes identical."""
from __future__ import annotations

import json

import numpy as np
import pytest

import gradserve as gs
from gradserve import _wire

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(params=["orjson", "json"])
def codec(request, monkeypatch):
    if request.param == "json":
        monkeypatch.setattr(_wire, "orjson", None)
    elif _wire.orjson is None:
        pytest.skip("orjson is not installed")
    return request.param


ARRAYS = [np.arange(6, dtype=np.float32).reshape(2, 3), np.float32(2.5), np.array(7, np.int64),
          np.arange(12, dtype=np.float64).reshape(3, 4)[:, ::2],  # not contiguous
          np.arange(4, dtype=">f4"),  # big-endian
          np.array([1 + 2j], np.complex64), np.array([True, False]), np.zeros((0, 3), np.float32)]


def reference(body: dict, binary: bool) -> tuple[bytes, dict]:
    """What encode_request wrote before orjson and views: json.dumps of the walked body, to_bytes chunks."""
    chunks = []

    def walk(x):
        if isinstance(x, np.ndarray):
            if binary:
                raw = _wire.to_bytes(x)
                chunks.append(raw)
                return {"shape": list(x.shape), "datatype": _wire.v2_datatype(x.dtype),
                        "parameters": {"binary_data_size": len(raw)}}
            return _wire._json_tensor(x)
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        return x.item() if isinstance(x, np.generic) else x

    head = json.dumps(walk(body), separators=(",", ":"), allow_nan=False).encode()
    return head, b"".join(chunks)


@pytest.mark.parametrize("binary", [False, True])
def test_bodies_match_the_json_reference(codec, binary):
    body = {"graph_id": "sha256:x", "inputs": [np.asarray(a) for a in ARRAYS], "params": {"w": ARRAYS[0]},
            "device": "cpu", "deadline_ms": 250, "grad_position": [0, 1], "weights": ("a", "b"),
            "value_and_grad": True, "order": 10**30, "sens": [np.float32(1.5)], "x": None, "f": 0.1}
    content, headers = _wire.encode_request(body, binary=binary)
    head, tail = reference(body, binary)
    hl = headers.get(_wire.HEADER_LENGTH)
    got_head = content[:int(hl)] if binary else content
    assert json.loads(got_head) == json.loads(head)
    assert bytes(content[len(got_head):]) == tail


@pytest.mark.parametrize("bad", [float("nan"), np.float64("inf"), [1.0, float("-inf")]])
def test_non_finite_numbers_outside_tensors_are_refused_both_ways(codec, bad):
    with pytest.raises(ValueError):
        _wire.encode_request({"inputs": [], "f": bad}, binary=False)


def test_non_finite_tensors_go_as_b64(codec):
    a = np.array([np.nan, np.inf, 1.0], np.float32)
    content, _ = _wire.encode_request({"inputs": [a]}, binary=False)
    t = json.loads(content)["inputs"][0]
    assert "b64" in t and np.array_equal(_wire.decode_tensor(t, None, [0]), a, equal_nan=True)


def test_responses_decode_alike_nan_tokens_included(codec):
    head = b'{"outputs":[{"name":"a","shape":[3],"datatype":"FP32","data":[NaN,Infinity,0.5]},' \
           b'{"name":"b","shape":[2],"datatype":"FP64","parameters":{"binary_data_size":16}}],"structure":[0,1]}'
    tail = np.array([1.25, -2.0], "<f8").tobytes()
    r = _wire.decode_response(head + tail, str(len(head)))
    a, b = (t["array"] for t in r["outputs"])
    assert np.array_equal(a, np.array([np.nan, np.inf, 0.5], np.float32), equal_nan=True) and a.dtype == np.float32
    assert b.tolist() == [1.25, -2.0] and r["structure"] == [0, 1]
    assert _wire.decode_response(b'{"x":1}', None) == {"x": 1}


def test_optimizer_update_keeps_the_parameter_contract():
    # nn.SGD hands its new arrays to the Parameter without set_data's copy: dtype, shape, version as before
    p = gs.Parameter(gs.Tensor(np.ones((2, 2), np.float32)), name="p")
    opt = gs.nn.SGD([p], learning_rate=0.5)
    v0 = p._version
    opt([gs.Tensor(np.full((2, 2), 2.0, np.float32))])
    assert p._version == v0 + 1 and p.asnumpy().dtype == np.float32 and p.shape == (2, 2)
    np.testing.assert_array_equal(p.asnumpy(), np.zeros((2, 2), np.float32))
    p._assign(np.ones((2, 2), np.float64))  # not the parameter's dtype: converted as set_data does
    assert p.asnumpy().dtype == np.float32 and p._version == v0 + 2
    with pytest.raises(ValueError):
        p._assign(np.ones(3, np.float32))


def test_binary_outputs_are_views_of_their_shape_and_a_size_that_disagrees_is_refused():
    def response(outs):
        head = json.dumps({"outputs": [{"name": f"o{i}", "shape": s, "datatype": "FP32",
                                        "parameters": {"binary_data_size": n}} for i, (s, n) in enumerate(outs)]})
        return head.encode(), str(len(head))

    head, hl = response([([2, 3], 24), ([], 4), ([0, 3], 0), ([1], 4)])
    tail = np.arange(8, dtype="<f4").tobytes()
    got = [t["array"] for t in _wire.decode_response(head + tail, hl)["outputs"]]
    assert [a.shape for a in got] == [(2, 3), (), (0, 3), (1,)]
    assert got[0].tolist() == [[0, 1, 2], [3, 4, 5]] and float(got[1]) == 6 and got[3].tolist() == [7]
    assert all(a.flags.writeable and a.dtype == np.float32 for a in got)
    head, hl = response([([2, 3], 28)])  # 7 elements for a [2, 3] shape
    with pytest.raises(ValueError):
        _wire.decode_response(head + np.arange(7, dtype="<f4").tobytes(), hl)
