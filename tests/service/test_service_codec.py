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


def test_bf16_json_rounds_to_nearest_and_raw_is_the_float32_upper_half():
    """JSON numbers become the nearest bfloat16 (PyTorch's conversion); raw bytes are 2 little-endian bytes per
    element, the upper half of the float32 (tritonclient's own packing); responses write exact values."""
    torch = pytest.importorskip("torch")
    from tritonclient.utils import deserialize_bf16_tensor, serialize_bf16_tensor

    vals = [1.0, 1.00390625, 1.01171875, -2.7, 3.3e38, 1e-40, 65504.0, 0.1]
    a = codec.decode_tensor({"shape": [8], "datatype": "BF16", "data": vals}, "$")
    want = torch.tensor(vals, dtype=torch.float64).to(torch.bfloat16).to(torch.float32).numpy()
    assert a.dtype == codec.BF16 and a.astype(np.float32).tolist() == want.tolist()
    raw = serialize_bf16_tensor(want).item()  # (tritonclient truncates: exact here, the values are bfloat16)
    assert bytes(codec.tensor_to_bytes(a)) == raw
    assert codec.tensor_from_bytes(raw, [8], "BF16").tobytes() == a.tobytes()
    assert deserialize_bf16_tensor(bytes(codec.tensor_to_bytes(a))).reshape(-1).tolist() == want.tolist()
    body, _ = codec.encode_response({}, [("y", a)], binary=False)
    out = json.loads(body)["outputs"][0]
    # float32's shortest decimals (3.2964854e+38): each reads back as the same bfloat16
    assert out["datatype"] == "BF16" and np.array(out["data"]).astype(codec.BF16).tobytes() == a.tobytes()


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


@pytest.mark.parametrize("datatype", ["FP16", "FP32", "FP64", "INT32", "INT64", "BOOL"])
def test_json_responses_read_back_exactly_in_every_datatype(datatype):
    """Response data is written by orjson straight from the array: every value reads back bit-equal."""
    dt = codec.V2_TO_NP[datatype]
    rng = np.random.default_rng(2)
    a = (rng.random((3, 4)) > 0.5) if dt.kind == "b" else (rng.standard_normal((3, 4)) * 1e3).astype(dt)
    body, _ = codec.encode_response({"structure": 0}, [("x", a[:, ::2])], binary=False)  # not contiguous
    t = json.loads(body)["outputs"][0]
    assert t["datatype"] == datatype and t["shape"] == [3, 2]
    assert np.array(t["data"], dt).tobytes() == np.ascontiguousarray(a[:, ::2]).reshape(-1).tobytes()


def test_float32_json_is_the_shortest_decimal_that_reads_back():
    a = np.array([4.51, 2.7, 0.1, 1e-8, 3.4028235e38, -0.0], np.float32)
    body, _ = codec.encode_response({"structure": 0}, [("x", a)], binary=False)
    assert b'"data":[4.51,2.7,0.1,1e-8,3.4028235e+38,-0.0]' in body


def test_non_finite_values_survive_json():
    """JSON has no NaN/Infinity; orjson would write null. Such tensors keep Python's NaN/Infinity tokens."""
    a = np.array([1.5, np.nan, np.inf, -np.inf], np.float32)
    body, _ = codec.encode_response({"structure": 0}, [("x", a)], binary=False)
    assert b"null" not in body
    back = codec.decode_response(body, None)["outputs"][0]["array"]
    assert back.dtype == np.float32 and np.array_equal(back, a, equal_nan=True)


def test_requests_with_nan_tokens_still_parse():
    """orjson rejects NaN/Infinity; the json fallback reads them (and a bad body still gets a named 400)."""
    assert np.isnan(codec.loads(b'{"a": NaN}')[0]["a"]) and codec.loads(b'[Infinity]')[0] == [np.inf]
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        codec.loads(b'{"a": ')


def test_an_integer_past_int64_is_refused_not_wrapped():
    head, _ = codec.loads(b'{"shape": [1], "datatype": "INT64", "data": [123456789012345678901234567890]}')
    with pytest.raises(InvalidRequest, match="INT64"):
        codec.decode_tensor(head, "$.inputs[0]")


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
    parsed, reader, strict = codec.split_body(body, str(len(head)))
    assert strict
    x = codec.decode_tensor(parsed["inputs"][0], "$.inputs[0]", reader)
    reader.finish()
    assert x.tolist() == a.tolist()
    assert not x.flags.owndata  # no copy of the payload


@pytest.mark.parametrize("tensor, words", [
    ({"shape": [1], "datatype": "BF16", "data": ["1"]}, "not a (nested) list of BF16"),
    ({"shape": [1], "datatype": "FP8", "data": [1]}, "unknown datatype"),
    ({"shape": [2], "datatype": "FP32", "data": [1]}, "needs 2"),
    ({"shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3]]}, "not a (nested) list"),
    ({"shape": [1], "datatype": "FP32", "data": ["1"]}, "not a (nested) list"),
    ({"shape": [1], "datatype": "BOOL", "data": [1]}, "true/false"),
    # a fraction where an integer belongs was truncated (1.5 arrived as 1)
    ({"shape": [2], "datatype": "INT32", "data": [1.5, 2]}, "not an integer"),
    ({"shape": [2], "datatype": "UINT64", "data": [2 ** 64 - 1, 1.5]}, "not an integer"),
    ({"shape": [2], "datatype": "INT64", "data": [2 ** 62, -0.5]}, "not an integer"),
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
    _, reader, _ = codec.split_body(head + b"\0\0", str(len(head)))
    with pytest.raises(InvalidRequest, match="after the last"):
        reader.finish()
    with pytest.raises(InvalidRequest, match="past the end"):
        reader.take(3, "$")
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        codec.split_body(b"{", None)


def test_complex_data_forms():
    """COMPLEX64/128: [re, im] pairs, flat or nested by shape, or interleaved flat; raw bytes interleaved."""
    want = np.array([[1 + 2j, 3 - 1j], [-0.5j, 4]], np.complex64)
    forms = ([[1, 2], [3, -1], [0, -0.5], [4, 0]], [[[1, 2], [3, -1]], [[0, -0.5], [4, 0]]],
             [1, 2, 3, -1, 0, -0.5, 4, 0])
    for data in forms:
        got = codec.decode_tensor({"shape": [2, 2], "datatype": "COMPLEX64", "data": data}, "$.x")
        assert got.dtype == np.complex64 and np.array_equal(got, want)
    d, _ = codec.encode_tensor("x", want)
    assert d["datatype"] == "COMPLEX64" and d["data"] == forms[0]
    raw = codec.tensor_to_bytes(want.astype(np.complex128))
    assert np.frombuffer(raw, "<f8").tolist() == [1, 2, 3, -1, 0, -0.5, 4, 0]
    body, _ = codec.encode_response({"structure": 0}, [("x", np.array([np.nan + 1j], np.complex128))], False)
    back = codec.decode_response(body, None)["outputs"][0]
    assert back["data"] == [[pytest.approx(float("nan"), nan_ok=True), 1.0]] and np.isnan(back["array"][0].real)


@pytest.mark.parametrize("data, says", [([1, 2, 3], "[re, im] pair"), ([[1, 2], ["a", "b"]], "strings"),
                                        ([[True, False], [True, True]], "true/false")])
def test_bad_complex_data_names_the_path(data, says):
    with pytest.raises(InvalidRequest) as e:
        codec.decode_tensor({"shape": [2], "datatype": "COMPLEX128", "data": data}, "$.inputs[0]")
    assert e.value.detail["path"] == "$.inputs[0].data" and says in str(e.value)


# envelope_ok stands in for service.models.Tensor on the HTTP job path (pydantic sees the tensors only when
# one fails): it must accept exactly what the model accepts, the model being the reference
ENVELOPES = [
    {"shape": [2], "datatype": "FP32", "data": [1.0, 2.0]},
    {"name": "x", "shape": [], "datatype": "FP64", "data": 1.5},
    {"shape": [2, 0], "datatype": "INT32", "b64": ""},
    {"shape": [3], "datatype": "FP32", "parameters": {"binary_data_size": 12}},
    {"shape": [3], "datatype": "NOPE", "data": [1, 2, 3]},  # the dtype is the codec's to refuse, not the model's
    {"shape": [3], "datatype": "FP32"},  # no source: the codec's error
    {"shape": [3], "datatype": "FP32", "name": None, "b64": None, "parameters": None, "data": [1, 2, 3]},
    {"shape": [-1], "datatype": "FP32", "data": []},
    {"shape": [True], "datatype": "FP32", "data": [1.0]},
    {"shape": [1.0], "datatype": "FP32", "data": [1.0]},
    {"shape": ["1"], "datatype": "FP32", "data": [1.0]},
    {"shape": 3, "datatype": "FP32", "data": [1.0]},
    {"datatype": "FP32", "data": [1.0]},
    {"shape": [1], "data": [1.0]},
    {"shape": [1], "datatype": 5, "data": [1.0]},
    {"shape": [1], "datatype": "FP32", "data": [1.0], "extra": 1},
    {"shape": [1], "datatype": "FP32", "name": 3, "data": [1.0]},
    {"shape": [1], "datatype": "FP32", "b64": 3},
    {"shape": [1], "datatype": "FP32", "parameters": [1]},
    {"shape": [1], "datatype": "FP32", "parameters": "x"},
    [1.0],
    "x",
    None,
]


@pytest.mark.parametrize("t", ENVELOPES, ids=lambda t: json.dumps(t)[:60])
def test_envelope_ok_accepts_what_the_tensor_model_accepts(t):
    from pydantic import ValidationError

    from service.models import Tensor

    try:
        Tensor.model_validate(t)
        model_ok = True
    except ValidationError:
        model_ok = False
    assert codec.envelope_ok(t) == model_ok


@pytest.mark.parametrize("a", [np.array([0.1, -2.5e-12, 3e38], np.float32), np.float64(7.25).reshape(()),
                               np.array([[1.0, 2.0], [3.0, 4.0]], np.float16), np.arange(6.0).reshape(2, 3)[:, ::2],
                               np.array([1.0, np.nan], ">f8"), np.array([np.inf, 2.0], np.float64)])
def test_json_data_writes_what_the_plain_list_reads(a):
    """json_data's fast path (finite, native, contiguous floats written at once) against the list it stands for."""
    back = json.loads(codec.dumps({"d": codec.json_data(a)}))["d"]
    want = a.reshape(-1).astype(np.float64)
    assert np.array_equal(np.array(back, np.float64).astype(a.dtype).astype(np.float64), want, equal_nan=True)


@pytest.mark.parametrize("a", [np.arange(6, dtype=np.float32).reshape(2, 3), np.float64(1.5).reshape(()),
                               np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(8, dtype=">i4")[::2],
                               np.arange(3, dtype=np.complex64), np.array([True, False])])
def test_tensor_bytes_are_little_endian_row_major(a):
    assert bytes(codec.tensor_to_bytes(a)) == np.ascontiguousarray(a, a.dtype.newbyteorder("<")).tobytes()


@pytest.mark.parametrize("datatype, data", [("UINT64", [13, 2 ** 64 - 23, 2 ** 63 + 1, 0]),
                                            ("INT64", [-(2 ** 63), 2 ** 63 - 1, 2 ** 53 + 1, -5])])
def test_json_integers_float64_cannot_hold_arrive_exactly(datatype, data):
    """NumPy reads such a list as float64 (2^64 - 23 and 2^53 + 1 round): the values must arrive as sent."""
    back = codec.decode_tensor({"name": "a", "shape": [4], "datatype": datatype, "data": data}, "$.a")
    assert back.dtype == codec.V2_TO_NP[datatype] and back.tolist() == data


@pytest.mark.parametrize("datatype, data", [("UINT64", [13, 2 ** 64]), ("UINT64", [-1, 2 ** 63 + 1]),
                                            ("INT64", [2 ** 63, 2 ** 60])])
def test_json_integers_past_the_range_are_refused(datatype, data):
    # (NumPy reads 2^64 as an object: refused as no number; the others are read, then found out of range)
    with pytest.raises(Exception, match=f"out of the range of {datatype}|{datatype} numbers: .*past int64"):
        codec.decode_tensor({"name": "a", "shape": [2], "datatype": datatype, "data": data}, "$.a")


@pytest.mark.parametrize("datatype, data", [("FP32", [0.5, True]), ("INT32", [1, False, 3]),
                                            ("FP64", [[0.5, 1.0], [True, 2.0]]), ("UINT8", [[1], [True]])])
def test_true_false_among_numbers_are_refused(datatype, data):
    """NumPy reads [0.5, true] as [0.5, 1.0]: a boolean where a number belongs is refused with its path, as a
    list of booleans alone is, not turned into 1 / 0."""
    with pytest.raises(InvalidRequest) as e:
        codec.decode_tensor({"shape": list(np.shape(data)), "datatype": datatype, "data": data}, "$.inputs[0]")
    assert e.value.detail["path"] == "$.inputs[0].data" and "true/false are not numbers" in str(e.value)


@pytest.mark.parametrize("token", ["-9223372036854775808", "-9223372036854775809", "18446744073709551615",
                                   "18446744073709551616", "99999999999999999999999", "1" + "0" * 400, "-0", "7"])
def test_an_integer_reads_the_same_with_or_without_a_nan_token(token):
    """orjson's reading (an int within [-2^63, 2^64 - 1], a float past it, inf past float64) is Python json's too:
    a body with a NaN token (json's path) means the same numbers as one without."""
    alone, by_orjson = codec.loads(f"[{token}]")
    beside_nan, by_orjson_too = codec.loads(f"[{token}, NaN]")
    assert not by_orjson_too and (by_orjson or len(token) > 300)  # (orjson refuses a number past float64)
    want = int(token) if -(2 ** 63) <= int(token) <= 2 ** 64 - 1 else float(token)
    assert alone == [want] and type(alone[0]) is type(want)
    assert beside_nan[0] == want and type(beside_nan[0]) is type(want)
