"""The checked-in generated code (service/proto/ and the SDK's copy in clients/python/gradserve/_proto/) is
what grpc_tools.protoc makes of gradserve.proto today (lines naming tool versions aside)."""
from __future__ import annotations

import pytest

pytest.importorskip("grpc_tools")

from service.proto import generate  # noqa: E402


@pytest.mark.parametrize("target", generate.TARGETS, ids=["service", "sdk"])
def test_generated_code_matches_the_proto(tmp_path, target):
    fresh = generate.generate(tmp_path)
    for f in fresh:
        checked_in = target / f.name
        assert checked_in.exists(), f"{checked_in} is missing: run python -m service.proto.generate"
        assert generate.normalized(checked_in.read_text()) == generate.normalized(f.read_text()), (
            f"{checked_in} is stale: run python -m service.proto.generate")


def test_service_methods_and_package_imports():
    from gradserve._proto import gradserve_pb2 as sdk_pb
    from gradserve._proto import gradserve_pb2_grpc as sdk_grpc

    from service.proto import gradserve_pb2 as pb
    from service.proto import gradserve_pb2_grpc as pb_grpc

    svc = pb.DESCRIPTOR.services_by_name["Gradserve"]
    assert svc.full_name == "gradserve.v1.Gradserve"
    assert [m.name for m in svc.methods] == ["Grad", "Jvp", "Vjp", "Jacobian", "Hessian", "Hvp", "Eval",
                                             "RegisterGraph", "GetGraph", "PutTensors",
                                             "MissingTensors", "Devices", "ServerLive", "ServerReady"]
    # both copies in one process: one descriptor (same file name and content)
    assert sdk_pb.DESCRIPTOR.serialized_pb == pb.DESCRIPTOR.serialized_pb
    assert sdk_grpc.GradserveStub and pb_grpc.GradserveServicer
    # the fast path is raw bytes: a tensor has no per-element repeated field
    fields = {f.name: f for f in pb.Tensor.DESCRIPTOR.fields}
    assert set(fields) == {"name", "datatype", "shape", "raw_contents"}
    assert fields["raw_contents"].type == fields["raw_contents"].TYPE_BYTES
