"""`inference.GRPCInferenceService` on the gRPC port, through the unmodified `tritonclient.grpc`
(raw_input_contents / raw_output_contents), against a real server with a model repository."""
from __future__ import annotations

import numpy as np
import pytest

from e2e.helpers import X, Y

import tritonclient.grpc as grpcclient  # the test extra: fail, never skip
from tritonclient.utils import InferenceServerException

F32 = np.float32
DX = [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]


@pytest.fixture(scope="module")
def triton(server):
    c = grpcclient.InferenceServerClient(server.grpc_target)
    yield c
    c.close()


def infer(c, model, arrays: dict, outputs=None):
    ins = []
    for name, a in arrays.items():
        i = grpcclient.InferInput(name, list(a.shape), "FP32" if a.dtype == F32 else "FP64")
        i.set_data_from_numpy(a)
        ins.append(i)
    outs = [grpcclient.InferRequestedOutput(n) for n in outputs] if outputs else None
    return c.infer(model, ins, outputs=outs, request_id="r1")


def test_tritonclient_grpc_gets_the_seeds_gradients(triton):
    r = infer(triton, "seed_grad", {"x": X, "y": Y})
    np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
    assert r.get_response().id == "r1" and r.get_response().model_name == "seed_grad"
    s = np.array([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], F32)
    r = infer(triton, "seed_sens", {"x": X, "y": Y, "sens": s})
    np.testing.assert_allclose(r.as_numpy("d/dx"), [[2.211, 0.51, 1.49], [5.588, 2.68, 4.07]], rtol=1e-6)
    r = infer(triton, "seed_grad_all", {"x": X, "y": Y}, outputs=["d/dy"])
    np.testing.assert_allclose(r.as_numpy("d/dy"), [[2.6] * 3, [1.9] * 3, [1.3] * 3], rtol=1e-6)
    assert r.as_numpy("d/dx") is None


def test_second_order_model(triton):
    r = infer(triton, "sin_hessian", {"x": np.array([1.0], F32)})
    np.testing.assert_allclose(r.as_numpy(r.get_response().outputs[0].name).ravel(), [-0.841471], rtol=1e-5)


def test_server_and_model_metadata(triton):
    assert triton.is_server_live() and triton.is_server_ready()
    assert triton.is_model_ready("seed_grad") and not triton.is_model_ready("nope")
    assert triton.get_server_metadata().name == "gradserve"
    md = triton.get_model_metadata("seed_sens")
    assert [(t.name, t.datatype, list(t.shape)) for t in md.inputs] == [
        ("x", "FP32", [2, 3]), ("y", "FP32", [3, 3]), ("sens", "FP32", [2, 3])]
    assert [t.name for t in md.outputs] == ["d/dx"]


def test_grpc_errors_carry_status_and_message(triton):
    with pytest.raises(InferenceServerException) as e:
        infer(triton, "nope", {"x": X})
    assert e.value.status() == "StatusCode.NOT_FOUND" and "'nope' is not found" in e.value.message()
    with pytest.raises(InferenceServerException) as e:
        infer(triton, "seed_grad", {"x": X, "y": X})
    assert e.value.status() == "StatusCode.INVALID_ARGUMENT" and "input 'y'" in e.value.message()


def test_typed_contents_out_of_a_narrow_range_are_refused_not_wrapped(server):
    """int_contents / uint_contents carry INT8 / UINT8 in 32 bits: 300 was read as 44 (NumPy wraps)."""
    import grpc
    from tritonclient.grpc import service_pb2 as opb, service_pb2_grpc as opb_grpc  # (tritonclient's: one proto)

    def call(i8: list, u8: list, raw: bool = False):
        req = opb.ModelInferRequest(model_name="narrow_ints")
        req.inputs.add(name="int8", datatype="INT8", shape=[2, 3]).contents.int_contents.extend(i8)
        req.inputs.add(name="uint8", datatype="UINT8", shape=[2, 3]).contents.uint_contents.extend(u8)
        if raw:
            req.raw_input_contents.extend([np.int8(i8).tobytes(), np.uint8(u8).tobytes()])
        with grpc.insecure_channel(server.grpc_target) as ch:
            return opb_grpc.GRPCInferenceServiceStub(ch).ModelInfer(req, timeout=60)

    r = call([1, -2, 3, 4, 5, -6], [1, 2, 3, 4, 5, 100])
    assert np.frombuffer(r.raw_output_contents[0], np.int8).tolist() == [2, -4, 6, 8, 10, -12]
    assert np.frombuffer(r.raw_output_contents[1], np.uint8).tolist() == [2, 4, 6, 8, 10, 200]
    for i8, u8, says in [([300, 0, 0, 0, 0, 0], [0] * 6, "out of the range of INT8"),
                         ([0] * 6, [256, 0, 0, 0, 0, 0], "out of the range of UINT8")]:
        with pytest.raises(grpc.RpcError) as e:
            call(i8, u8)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and says in e.value.details(), e.value.details()
    with pytest.raises(grpc.RpcError, match="send one or the other"):  # both representations: the spec forbids it
        call([1] * 6, [1] * 6, raw=True)


def test_a_raw_tensor_of_the_wrong_size_is_named(server):
    """gRPC's status carries one string: the input whose raw contents have the wrong size is named in it."""
    import grpc
    from tritonclient.grpc import service_pb2 as opb, service_pb2_grpc as opb_grpc

    req = opb.ModelInferRequest(model_name="seed_grad")
    req.inputs.add(name="x", datatype="FP32", shape=[2, 3])
    req.inputs.add(name="y", datatype="FP32", shape=[3, 3])
    req.raw_input_contents.extend([X.tobytes(), Y.tobytes()[:-4]])
    with grpc.insecure_channel(server.grpc_target) as ch, pytest.raises(grpc.RpcError) as e:
        opb_grpc.GRPCInferenceServiceStub(ch).ModelInfer(req, timeout=60)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value.details()
    assert e.value.details() == "32 bytes given; shape [3, 3] of FP32 needs 36 (at inputs[1] (y))", e.value.details()
