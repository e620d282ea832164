"""A gRPC request of more tensors than max_tensors (default 65536) is refused by their count, before a Python
object is made for any (service.jobs.check_tensor_count). Before, 2 M empty `Tensor{}` (3.8 MiB of message)
took the server 4.2 s and +1.2 GB (a wrapper per tensor, then the first refused): benchmarks/SERVICE_REPORT.md
"Reliability attacks". Against the shared session server."""
from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from service.proto import gradserve_pb2 as pb
from service.settings import Settings

LIMIT = Settings.model_fields["max_tensors"].default


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="reads the server's peak RSS (Linux)")
def test_two_million_empty_tensors_are_refused_by_their_count_in_bounded_memory(stub, server):
    m = pb.EvalRequest(graph_id="g")
    m.inputs.extend([pb.Tensor()] * 2_000_000)
    assert m.ByteSize() < 4 << 20  # (the premise: 2 bytes a tensor)
    pid = server.proc.pid
    base = _kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM from now
    with pytest.raises(grpc.RpcError) as e:
        stub.Eval(m, timeout=120)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e.value.details()
    assert "2000000 tensors" in e.value.details() and f"max_tensors={LIMIT}" in e.value.details()
    # the message's own memory only (upb's 2 M submessages: ~150 MiB measured in a plain process), not a
    # Python object per tensor (+1.2 GB before)
    assert (_kb(pid, "VmHWM") - base) / 1024 < 400


@pytest.mark.parametrize("field", ["sens", "params"])
def test_one_tensor_past_the_limit_is_refused_wherever_the_tensors_are(stub, field):
    m = pb.GradRequest(graph_id="g")
    m.inputs.add(datatype="FP32", shape=[1], raw_contents=bytes(4))
    if field == "sens":
        m.sens.extend([pb.Tensor()] * LIMIT)
    else:
        for i in range(LIMIT):
            m.params[f"p{i}"].datatype = "FP32"
    with pytest.raises(grpc.RpcError) as e:
        stub.Grad(m, timeout=120)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e.value.details()
    assert f"{LIMIT + 1} tensors" in e.value.details() and "max_tensors" in e.value.details()


def test_tensors_within_the_limit_reach_validation(stub):
    """At the limit, the request goes on: here to the graph lookup (no graph 'g'), not a tensor-count error."""
    m = pb.EvalRequest(graph_id="no-such-graph")
    m.inputs.extend([pb.Tensor(datatype="FP32", shape=[0])] * LIMIT)
    with pytest.raises(grpc.RpcError) as e:
        stub.Eval(m, timeout=120)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and "no-such-graph" in e.value.details(), e.value.details()


def test_an_upload_of_weights_past_the_limit_is_refused_by_their_count(stub):
    """PutTensors (service.tensor_store) counts its tensors as POST /v1/tensors does: one past max_tensors is
    refused, none stored (before, each of them was decoded and stored)."""
    m = pb.PutTensorsRequest()
    m.tensors.extend([pb.Tensor(datatype="UINT8", shape=[0])] * (LIMIT + 1))
    with pytest.raises(grpc.RpcError) as e:
        stub.PutTensors(m, timeout=120)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e.value.details()
    assert f"{LIMIT + 1} tensors" in e.value.details() and "max_tensors" in e.value.details()
