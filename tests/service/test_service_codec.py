"""KServe V2 tensor codec: JSON data, b64, binary extension, errors naming the path."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from service import codec
from service.errors import InvalidRequest, LimitExceeded


@pytest.mark.parametrize("datatype, dtype", list(codec.V2_TO_NP.items()))
def test_roundtrip_every_datatype_every_encoding(datatype, dtype):
    rng = np.random.default_rng(0)
    a = (rng.random((2, 3)) > 0.5) if dtype.kind == "b" else (rng.random((2, 3)) * 100 - 50).astype(dtype)
    a = a.astype(dtype)
    d, raw = codec.encode_tensor("a", a)
    assert d["datatype"] == datatype and raw is None
    back = codec.decode_tensor(json.loads(json.dumps(d)), "$.a")
    assert back.dtype == a.dtype and back.tobytes() == a.tobytes()
    b = codec.encode_b64("a", a)
    assert codec.decode_tensor(b, "$.a").tobytes() == a.tobytes()
    d, raw = codec.encode_tensor("a", a, binary=True)
    assert d["parameters"]["binary_data_size"] == a.nbytes
    assert codec.decode_tensor(d, "$.a", codec.BinaryReader(bytes(raw))).tobytes() == a.tobytes()


def test_nested_and_flat_data_are_row_major():
    flat = codec.decode_tensor({"shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}, "$")
    nested = codec.decode_tensor({"shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}, "$")
    assert flat.tolist() == nested.tolist() == [[1, 2], [3, 4]]
    scalar = codec.decode_tensor({"shape": [], "datatype": "FP64", "data": 2.5}, "$")
    assert scalar.shape == () and scalar == 2.5


def test_float32_survives_json_exactly():
    a = np.random.default_rng(1).standard_normal(1000).astype(np.float32)
    body, _ = codec.encode_response({"structure": 0}, [("x", a)], binary=False)
    out = codec.decode_response(body, None)
    assert out["outputs"][0]["array"].tobytes() == a.tobytes()


def test_binary_response_layout():
    a, b = np.arange(6, dtype=np.float32).reshape(2, 3), np.array([True, False])
    body, headers = codec.encode_response({"structure": [0, 1]}, [("a", a), ("b", b)], binary=True)
    n = int(headers[codec.HEADER_LENGTH.lower()])
    head = json.loads(body[:n])
    assert [t["parameters"]["binary_data_size"] for t in head["outputs"]] == [24, 2]
    assert len(body) == n + 26
    out = codec.decode_response(body, str(n))
    assert out["outputs"][0]["array"].tolist() == a.tolist() and out["outputs"][1]["array"].tolist() == [True, False]


def test_binary_input_is_a_view_of_the_body():
    a = np.arange(1024, dtype=np.float32)
    head = json.dumps({"inputs": [{"shape": [1024], "datatype": "FP32",
                                   "parameters": {"binary_data_size": a.nbytes}}]}).encode()
    body = head + a.tobytes()
    parsed, reader = codec.split_body(body, str(len(head)))
    x = codec.decode_tensor(parsed["inputs"][0], "$.inputs[0]", reader)
    reader.finish()
    assert x.tolist() == a.tolist()
    assert not x.flags.owndata  # no copy of the payload


@pytest.mark.parametrize("tensor, words", [
    ({"shape": [1], "datatype": "BF16", "data": [1]}, "BF16"),
    ({"shape": [1], "datatype": "FP8", "data": [1]}, "unknown datatype"),
    ({"shape": [2], "datatype": "FP32", "data": [1]}, "needs 2"),
    ({"shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3]]}, "not a (nested) list"),
    ({"shape": [1], "datatype": "FP32", "data": ["1"]}, "not a (nested) list"),
    ({"shape": [1], "datatype": "BOOL", "data": [1]}, "true/false"),
    ({"shape": [-1], "datatype": "FP32", "data": []}, "non-negative"),
    ({"shape": [1], "datatype": "FP32"}, "exactly one"),
    ({"shape": [1], "datatype": "FP32", "data": [1], "b64": "AAAAAA=="}, "exactly one"),
    ({"shape": [1], "datatype": "FP32", "b64": "!!"}, "not valid base64"),
    ({"shape": [2], "datatype": "FP32", "b64": base64.b64encode(b"\0" * 4).decode()}, "needs 8"),
    ({"shape": [1], "datatype": "FP32", "data": [1], "extra": 1}, "unknown tensor field"),
    ([1, 2], "must be an object"),
])
def test_errors_name_what_is_wrong(tensor, words):
    with pytest.raises(InvalidRequest) as e:
        codec.decode_tensor(tensor, "$.inputs[0]")
    assert words in e.value.message
    assert e.value.detail["path"].startswith("$.inputs[0]")


def test_limits():
    with pytest.raises(LimitExceeded) as e:
        codec.decode_tensor({"shape": [10, 10], "datatype": "FP32", "b64": ""}, "$", max_elements=99)
    assert e.value.detail["limit"] == "max_elements"
    deep = [[[[[1]]]]]
    with pytest.raises(LimitExceeded) as e:
        codec.decode_tensor({"shape": [1, 1, 1, 1, 1], "datatype": "FP32", "data": deep}, "$", max_depth=3)
    assert e.value.detail["limit"] == "max_depth"


def test_binary_framing():
    head = b'{"inputs": []}'
    with pytest.raises(InvalidRequest):
        codec.split_body(head, "x")
    with pytest.raises(InvalidRequest):
        codec.split_body(head, str(len(head) + 1))
    _, reader = codec.split_body(head + b"\0\0", str(len(head)))
    with pytest.raises(InvalidRequest, match="after the last"):
        reader.finish()
    with pytest.raises(InvalidRequest, match="past the end"):
        reader.take(3, "$")
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        codec.split_body(b"{", None)
