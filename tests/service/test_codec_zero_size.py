"""Zero-size tensors on the wire (found by the op fuzz, tests/e2e/test_fuzz_wire.py): a [0, 3] output's raw
bytes (binary responses, gRPC raw_contents) failed in memoryview.cast (a 500), and an empty BOOL tensor
in JSON (`"data": []`) was refused as not true/false."""
from __future__ import annotations

import numpy as np
import pytest

from service import codec


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 4)])
@pytest.mark.parametrize("dtype", ["float32", "int8", "bool", "complex64"])
def test_zero_size_tensors_have_no_raw_bytes_and_read_back(shape, dtype):
    a = np.zeros(shape, dtype)
    raw = codec.tensor_to_bytes(a)
    assert raw.nbytes == 0 and bytes(raw) == b""
    back = codec.tensor_from_bytes(raw, shape, codec.v2_datatype(a.dtype))
    assert back.shape == shape and back.dtype == a.dtype
    d, raw = codec.encode_tensor("t", a, binary=True)
    assert d["parameters"]["binary_data_size"] == 0


@pytest.mark.parametrize("datatype,dtype", [("BOOL", "bool"), ("INT8", "int8"), ("UINT8", "uint8"),
                                            ("FP16", "float16"), ("COMPLEX64", "complex64")])
@pytest.mark.parametrize("shape,data", [([0], []), ([0, 3], []), ([2, 0], [[], []])])
def test_empty_json_data_reads_as_a_zero_size_tensor_of_its_datatype(datatype, dtype, shape, data):
    a = codec.decode_tensor({"name": "x", "shape": shape, "datatype": datatype, "data": data}, "$.inputs[0]")
    assert a.shape == tuple(shape) and a.dtype == np.dtype(dtype)


def test_empty_data_still_has_to_match_its_shape():
    with pytest.raises(codec.InvalidRequest) as ei:
        codec.decode_tensor({"name": "x", "shape": [2], "datatype": "BOOL", "data": []}, "$.inputs[0]")
    assert ei.value.detail["path"] == "$.inputs[0].data"
