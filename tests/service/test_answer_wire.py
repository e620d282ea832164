"""service.answer_wire: a job answer joined as its wire bytes is what protobuf's own serializer writes for the
same JobResponse (the reference: google.protobuf's SerializeToString), whatever its outputs (dtypes, shapes, an
empty one, a 0-d one, non-contiguous and big-endian arrays, float16, bfloat16, complex64, bool 0-d and 0-size,
an unnamed one), and the job methods' serializer passes such bytes
through while still serializing a message."""
from __future__ import annotations

import numpy as np
import pytest

from service import codec
from service.answer_wire import job_answer_bytes, passing_bytes
from service.proto import gradserve_pb2 as pb

RNG = np.random.default_rng(9)
OUTPUTS = [
    ("d/dx", RNG.standard_normal((3, 300))),
    ("f32", RNG.standard_normal(17).astype(np.float32)),
    ("empty", np.zeros((0, 3))),
    ("scalar", np.float64(2.5) * np.ones(())),
    ("strided", RNG.standard_normal((40, 40))[::3, 1::2]),
    ("big-endian", np.arange(6, dtype=">i8").reshape(2, 3)),
    ("bool", np.array([True, False, True])),
    ("c128", (RNG.standard_normal(5) + 1j * RNG.standard_normal(5))),
    ("wide", np.ones(200_000)),  # (a length past one varint byte's 127 and two's 16,383)
    ("f16", np.linspace(-2, 2, 7, dtype=np.float16)),
    ("bf16", np.linspace(-2, 2, 7).astype(codec.BF16)),
    ("c64", (RNG.standard_normal(4) + 1j * RNG.standard_normal(4)).astype(np.complex64)),
    ("bool 0-d", np.array(True)),
    ("bool 0-size", np.zeros((2, 0), bool)),
    ("bf16 0-d", np.array(1.5, codec.BF16)),
    ("", np.arange(3, dtype=np.int8)),  # (an unnamed output: proto3 writes no empty name)
]


def _rest() -> pb.JobResponse:
    return pb.JobResponse(structure=pb.Structure(tuple=pb.StructureTuple(items=[pb.Structure(index=0)])),
                          graph_id="g" * 64, device="cpu:0",
                          timing=pb.Timing(queue_ms=1.5, compute_ms=2.0, total_ms=3.5, lane="pool"))


def _by_protobuf(outputs: list) -> bytes:
    m = _rest()
    for name, a in outputs:
        little = np.asarray(a).astype(np.asarray(a).dtype.newbyteorder("<"))
        m.outputs.add(name=name, datatype=codec.v2_datatype(little.dtype), shape=list(little.shape),
                      raw_contents=np.ascontiguousarray(little).tobytes())
    return m.SerializeToString(deterministic=True)


@pytest.mark.parametrize("i", range(len(OUTPUTS)))
def test_one_output_is_written_as_protobuf_writes_it(i):
    assert job_answer_bytes([OUTPUTS[i]], _rest()) == _by_protobuf([OUTPUTS[i]])


def test_many_outputs_parse_back_to_their_values():
    wire = job_answer_bytes(OUTPUTS, _rest())
    assert wire == _by_protobuf(OUTPUTS)
    m = pb.JobResponse.FromString(wire)
    assert [t.name for t in m.outputs] == [n for n, _ in OUTPUTS] and m.timing.lane == "pool"
    for t, (_, a) in zip(m.outputs, OUTPUTS):
        got = np.frombuffer(t.raw_contents, np.asarray(a).dtype.newbyteorder("<")).reshape(tuple(t.shape))
        np.testing.assert_array_equal(got, a)


def test_the_serializer_passes_wire_bytes_and_serializes_messages():
    ser = passing_bytes(pb.JobResponse.SerializeToString)
    wire = job_answer_bytes(OUTPUTS[:2], _rest())
    assert ser(wire) is wire
    assert ser(_rest()) == _rest().SerializeToString()
