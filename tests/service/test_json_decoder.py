"""A tensor's data read by a decoder process (service.json_decoder.transcode, run here in-process) decodes to what
the list decodes to in place: the same array (dtype, shape, values, bits) or the same error, for every datatype."""
from __future__ import annotations

import json

import numpy as np
import pytest

from service import codec
from service.errors import ServiceError
from service.json_decoder import ARRAY_MIN, transcode

N = ARRAY_MIN * 2
CASES = [
    ("FP32", [N], [0.1 * i for i in range(N)]),
    ("FP16", [N], [65504.0 * (i % 2) for i in range(N)]),
    ("BF16", [N], [1.0 + 2 ** -9 * i for i in range(N)]),  # (rounded to bfloat16's 8 bits)
    ("FP64", [2, N // 2], [[1e308, -1e-308] * (N // 4)] * 2),
    ("FP32", [1, 2], [[1.0, 2.0]]),  # (nested: read there whatever its length)
    ("INT64", [N], [2 ** 63 - 1 - i for i in range(N)]),  # (past 2^53: exact_ints)
    ("UINT64", [N], [2 ** 64 - 23] * N),
    ("INT8", [N], [127] * (N - 1) + [128]),  # out of range
    ("INT32", [N], [1] * (N - 1) + [1.5]),  # not an integer
    ("FP32", [N], [1.0] * (N - 1) + ["x"]),  # a string
    ("FP32", [N], [1.0] * (N - 1) + [None]),  # null
    ("FP32", [N], [[1.0, 2.0]] * (N // 2) + [[1.0]]),  # ragged
    ("BOOL", [N], [True, False] * (N // 2)),
    ("BOOL", [N], [True] * (N - 1) + [1]),  # a number among booleans
    ("COMPLEX64", [N], [[0.5, -1.5]] * N),
    ("COMPLEX128", [N], [[0.5, -1.5, 2.0]] * N),  # not pairs
    ("FP32", [N + 1], [1.0] * N),  # the shape's count differs
]


def decoded(env: dict, path: str = "$.inputs[0]", max_depth: int = 32):
    try:
        return codec.decode_tensor(env, path, max_elements=1 << 20, max_depth=max_depth)
    except ServiceError as e:
        return type(e), e.message, e.detail


@pytest.mark.parametrize("datatype, shape, data", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_decoder_reads_data_as_the_in_place_decode(datatype, shape, data):
    env = {"name": "x", "shape": shape, "datatype": datatype, "data": data}
    raw = json.dumps({"inputs": [env], "params": {"p": env}, "sens": env}).encode()
    head, strict = transcode(raw)
    assert strict
    for got in (head["inputs"][0], head["params"]["p"], head["sens"]):
        assert type(got["data"]) is codec.Decoded
        want, have = decoded(json.loads(raw)["inputs"][0]), decoded(got)
        if isinstance(want, np.ndarray):
            assert isinstance(have, np.ndarray) and have.dtype == want.dtype and have.shape == want.shape
            assert have.tobytes() == want.tobytes()
        else:
            assert have == want


def test_depth_is_held_to_max_depth_as_in_place():
    deep = [1.0] * N
    for _ in range(5):
        deep = [deep]
    env = {"name": "x", "shape": [N], "datatype": "FP32", "data": deep}
    head, _ = transcode(json.dumps({"inputs": [env]}).encode())
    assert decoded(head["inputs"][0], max_depth=4) == decoded(env, max_depth=4)
    assert decoded(head["inputs"][0], max_depth=4)[2]["limit"] == "max_depth"


def test_only_request_tensors_are_read_into_arrays():
    """Small lists, b64 / binary envelopes, a graph's values and the gRPC graph_json stay as parsed."""
    big = [0.5] * N
    body = {"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1.0, 2.0]},
                       {"name": "y", "shape": [N], "datatype": "FP32", "data": big, "b64": ""}],
            "graph": {"inputs": [{"name": "x", "shape": [N], "datatype": "FP32", "data": big}]}}
    head, _ = transcode(json.dumps(body).encode())
    assert head == body
    head, _ = transcode(json.dumps({"inputs": body["graph"]["inputs"]}).encode(), "graph_json", "$.graph")
    assert head["inputs"][0]["data"] == big


def test_parse_errors_are_the_in_place_ones():
    for raw in (b'{"inputs": [1, 2', b'{"a": 1, "a": 2}', b"[" * 5000 + b"]" * 5000):
        with pytest.raises(ServiceError) as here:
            codec.loads(raw, offload=False)
        with pytest.raises(ServiceError) as there:
            transcode(raw)
        assert (type(here.value), here.value.message, here.value.detail) == \
            (type(there.value), there.value.message, there.value.detail)


@pytest.mark.parametrize("v", [[0.25 * i for i in range(N)], list(range(N)), [1.0] * (N - 1) + [True],
                               [1.0] * (N - 1) + ["1"], [1.0] * (N - 1) + [10 ** 400], [1.0] * (N - 1) + [None],
                               [1.0] * 3])
def test_umbridge_vectors_read_there_are_the_in_place_ones(v):
    from service.umbridge import UMError, _vector

    def read(x):
        try:
            return _vector(x, len(v), "input[0]")
        except UMError as e:
            return str(e)

    body = {"name": "um", "input": [v, v], "sens": v, "vec": v}
    head, _ = transcode(json.dumps(body).encode(), vectors=True)
    want = read(codec.loads(json.dumps(v).encode(), offload=False)[0])  # (in place: 10^400 is inf, as 1e400 is)
    for got in (*head["input"], head["sens"], head["vec"]):
        have = read(got)
        if isinstance(want, np.ndarray):
            assert (type(got) is codec.Decoded) == (len(v) >= ARRAY_MIN)
            assert have.dtype == np.float64 and have.tobytes() == want.tobytes()
        else:
            assert have == want
    in_place = codec.loads(json.dumps(body).encode(), offload=False)[0]
    assert transcode(json.dumps(body).encode())[0] == in_place  # (only when asked)
