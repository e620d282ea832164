"""Round 21's attacks: each field of the gradserve.v1 and OIP gRPC requests, and of UM-Bridge's JSON, set to edge
values of its type (one real server, two CPU workers, the OIP test repository, API keys k1-k3, max_work 5000).

Fixed:
- an OIP gRPC output whose `shared_memory_region` parameter is an InferParameter of no type was taken as no
  region, then placing the answer failed: INTERNAL "TypeError: cannot unpack non-iterable NoneType" (ModelInfer
  and ModelStreamInfer). Now INVALID_ARGUMENT naming outputs[i] (...).parameters.shared_memory_region, as an
  input's already was (a region named by a number or a bool: the same message on HTTP too);
- a derivation refused for max_work in the server's own threads (before any worker) was not charged to the client's
  account of refused work (round 20's service.refusals.RefusedWork): a client sending new programs whose
  derivative is past max_work spent ~2-3 s of a server thread each, without end. Now charged (the thread's CPU
  time) and, past the client's share, its next derivation not cached is 429 naming refused_work_share.

Held (see the round's SERVICE_REPORT entry), pinned here in a table: invalid UTF-8 in any string field, shapes
with -1 / 2^63-1 / 100 000 dims, NaN / inf deadlines, order 2^31-1, Positions of two values without is_list,
raw byte counts off by one, typed contents of the wrong type / count, contents and raw_input_contents mixed,
BYTES tensors with bad length prefixes, parameters of the wrong InferParameter type; UM-Bridge inWrt / outWrt
out of range, sens / vec of the wrong length, configs of other types, ragged inputs. After each the server still
answers a grad right. Expected values: d/dx sin(x) = cos(x) (by hand)."""
from __future__ import annotations

import json
import math

import grpc
import httpx
import numpy as np
import pytest
from google.protobuf.internal import encoder
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.proto import gradserve_pb2 as pb

from .grpc_wire import ERROR_KEY
from .helpers import error_of
from .server import server_in

KEYS = ("k1", "k2", "k3")  # k2: the refused-derivation test only (its account stays in debt for the module's life)
META = [("authorization", "Bearer k1")]
CEILING = 120.0
OIP_SVC = "/inference.GRPCInferenceService/"
GS_SVC = "/gradserve.v1.Gradserve/"
X = np.arange(6, dtype=np.float32).reshape(2, 3) / 10
Y = np.arange(9, dtype=np.float32).reshape(3, 3) / 10


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    with server_in(tmp_path_factory, "attacks_round21", devices="cpu",
                   env={"GRADSERVE_MODEL_REPOSITORY": str(repo), "GRADSERVE_API_KEYS": ",".join(KEYS),
                        "GRADSERVE_MAX_WORK": "5000", "GRADSERVE_MAX_NODES": "100000",
                        "GRADSERVE_REFUSED_WORK_SHARE": "0.001", "GRADSERVE_REFUSED_WORK_BURST_S": "0.05"}) as s:
        yield s


@pytest.fixture(scope="module")
def ch(srv):
    with grpc.insecure_channel(srv.grpc_target) as c:
        grpc.channel_ready_future(c).result(timeout=CEILING)
        yield c


def rpc(ch, method: str, data: bytes) -> tuple[str, str]:
    """(status name, details) of a unary call with the request's bytes as given (so they may be malformed); the
    details followed by gradserve.v1's error body (its detail.path names the field) where there is one."""
    f = ch.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    try:
        f(data, metadata=META, timeout=CEILING)
        return "OK", ""
    except grpc.RpcError as e:
        body = dict(e.trailing_metadata() or ()).get(ERROR_KEY, b"")
        return e.code().name, (e.details() or "") + " " + body.decode()


def ld(num: int, payload: bytes) -> bytes:
    """A length-delimited field on the wire (for what the stubs will not build: invalid UTF-8, -1 as a uint)."""
    return encoder._VarintBytes((num << 3) | 2) + encoder._VarintBytes(len(payload)) + payload


def sin_graph(name: str = "net", n: int = 0, c0: float = 1.0) -> bytes:
    gb = GraphBuilder(name)
    y = x = gb.input((1,), name="x")
    if n:
        y = gb.mul(x, gb.scalar(c0, "float32"))
    for _ in range(n):
        y = gb.sin(y)
    return json.dumps(graph_to_json(gb.build(gb.sin(y) if not n else gb.sum(y)))).encode()


def ft(a, name: str = "") -> pb.Tensor:
    a = np.asarray(a, np.float32)
    return pb.Tensor(name=name, datatype="FP32", shape=list(a.shape), raw_contents=a.tobytes())


def grad(**kw) -> pb.GradRequest:
    return pb.GradRequest(**{"graph_json": sin_graph(), "inputs": [ft([0.5])], **kw})


def probe(ch) -> None:
    """The server still answers a grad right after a case (d/dx sin = cos)."""
    f = ch.unary_unary(GS_SVC + "Grad", request_serializer=pb.GradRequest.SerializeToString,
                       response_deserializer=pb.JobResponse.FromString)
    out = f(grad(), metadata=META, timeout=CEILING).outputs[0]
    np.testing.assert_allclose(np.frombuffer(out.raw_contents, np.float32), np.cos([0.5]), rtol=1e-6)


# -- gradserve.v1 --------------------------------------------------------------------------------------------------
def _bad_shape(dims) -> bytes:
    return grad(inputs=[pb.Tensor(datatype="FP32", shape=dims, raw_contents=b"\0" * 4)]).SerializeToString()


GS_CASES = {  # name: (method, request bytes, status, words the details must hold)
    "graph_id invalid utf-8": ("GetGraph", ld(1, b"\xff\xfe"), "INVALID_ARGUMENT", "bad UTF-8"),
    "tensor name invalid utf-8": ("Grad", grad().SerializeToString() + ld(3, ld(1, b"\xed\xa0\x80")),
                                  "INVALID_ARGUMENT", "bad UTF-8"),
    "shape -1": ("Grad", _bad_shape([-1]), "INVALID_ARGUMENT", "shape"),
    "shape 2^63-1": ("Grad", _bad_shape([2**63 - 1]), "RESOURCE_EXHAUSTED", "max_elements"),
    "shape 100k dims": ("Grad", _bad_shape([1] * 100_000), "INVALID_ARGUMENT", "dimensions"),
    "raw 3 bytes for FP32[1]": ("Grad", grad(inputs=[pb.Tensor(datatype="FP32", shape=[1], raw_contents=b"abc")])
                                .SerializeToString(), "INVALID_ARGUMENT", "3 bytes given"),
    "datatype unknown": ("Grad", grad(inputs=[pb.Tensor(datatype="BYTES", shape=[1], raw_contents=b"\0" * 4)])
                         .SerializeToString(), "INVALID_ARGUMENT", '"path":"$.inputs[0].datatype"'),
    "deadline_ms NaN": ("Grad", grad(deadline_ms=math.nan).SerializeToString(), "INVALID_ARGUMENT", "deadline"),
    "deadline_ms inf": ("Grad", grad(deadline_ms=math.inf).SerializeToString(), "INVALID_ARGUMENT", "deadline"),
    "order 2^31-1": ("Grad", grad(order=2**31 - 1).SerializeToString(), "RESOURCE_EXHAUSTED", "max_order"),
    "order -1": ("Grad", grad(order=-1).SerializeToString(), "INVALID_ARGUMENT", "order"),
    "positions two values, no is_list": ("Grad", grad(grad_position=pb.Positions(values=[0, 0])).SerializeToString(),
                                         "INVALID_ARGUMENT", "grad_position"),
    "sens of two for one output": ("Grad", grad(sens=[ft([1.0]), ft([1.0])]).SerializeToString(),
                                   "INVALID_ARGUMENT", "sens"),
    "10k empty inner specs": ("Grad", grad(inner=[pb.GradSpec()] * 10_000).SerializeToString(),
                              "RESOURCE_EXHAUSTED", "max_order"),
    "param map key invalid utf-8": ("Grad", grad().SerializeToString() + ld(4, ld(1, b"\xff") + ld(2, b"")),
                                    "INVALID_ARGUMENT", "bad UTF-8"),
    "put tensors shape 2^63-1": ("PutTensors", pb.PutTensorsRequest(tensors=[pb.Tensor(
        datatype="UINT8", shape=[2**63 - 1], raw_contents=b"a")]).SerializeToString(), "INVALID_ARGUMENT", "bytes"),
    "missing tensors 100k names": ("MissingTensors", pb.MissingTensorsRequest(sha256=["x"] * 100_000)
                                   .SerializeToString(), "INVALID_ARGUMENT", "sha256"),
}


@pytest.mark.parametrize("case", list(GS_CASES))
def test_gradserve_grpc_fields_are_refused_naming_them(ch, case):
    method, data, status, words = GS_CASES[case]
    code, details = rpc(ch, GS_SVC + method, data)
    assert (code, words in details) == (status, True), details[:300]
    probe(ch)


# -- OIP gRPC ------------------------------------------------------------------------------------------------------
def infer(region_param: str | None = None, kind: str | None = None, contents: bool = False) -> opb.ModelInferRequest:
    r = opb.ModelInferRequest(model_name="seed_grad")
    for n, a in (("x", X), ("y", Y)):
        t = r.inputs.add(name=n, datatype="FP32", shape=list(a.shape))
        if contents:
            t.contents.fp32_contents.extend(a.ravel().tolist())
        else:
            r.raw_input_contents.append(a.tobytes())
    if region_param is not None:  # an output parameter of the given InferParameter type (None: no type)
        p = r.outputs.add(name="d/dx").parameters[region_param]
        p.SetInParent() if kind is None else setattr(p, *{"int": ("int64_param", 3), "bool": ("bool_param", True),
                                                          "str": ("string_param", "x")}[kind])
    return r


def _edit(r: opb.ModelInferRequest, fn) -> opb.ModelInferRequest:
    fn(r)
    return r


OIP_CASES = {  # name: (request, status, words the details must hold)
    "output region of no type (was INTERNAL)": (infer("shared_memory_region"), "INVALID_ARGUMENT",
                                                "outputs[0] (d/dx).parameters.shared_memory_region"),
    "output region an int64_param": (infer("shared_memory_region", "int"), "INVALID_ARGUMENT",
                                     "shared_memory_region must be a string"),
    "output offset a string_param": (_edit(infer("shared_memory_offset", "str"), lambda r: r.outputs[0].parameters[
        "shared_memory_region"].MergeFrom(opb.InferParameter(string_param="r"))), "INVALID_ARGUMENT",
                                     "shared_memory_offset"),
    "input region of no type": (_edit(infer(), lambda r: (r.inputs[0].parameters["shared_memory_region"].SetInParent(),
                                                          r.raw_input_contents.pop(0))),
                                "INVALID_ARGUMENT", "inputs[0] (x).parameters.shared_memory_region"),
    "timeout a string_param": (_edit(infer(), lambda r: setattr(r.parameters["timeout"], "string_param", "1")),
                               "INVALID_ARGUMENT", "parameters.timeout"),
    "priority a double NaN": (_edit(infer(), lambda r: setattr(r.parameters["priority"], "double_param", math.nan)),
                              "INVALID_ARGUMENT", "priority"),
    "raw 23 bytes for FP32[2,3]": (_edit(infer(), lambda r: r.raw_input_contents.__setitem__(0, b"\0" * 23)),
                                   "INVALID_ARGUMENT", "23 bytes given"),
    "raw 3 entries for 2 inputs": (_edit(infer(), lambda r: r.raw_input_contents.append(b"")), "INVALID_ARGUMENT",
                                   "raw_input_contents has 3 entries for 2 inputs"),
    "contents and raw mixed": (_edit(infer(contents=True), lambda r: r.raw_input_contents.append(Y.tobytes())),
                               "INVALID_ARGUMENT", "raw_input_contents"),
    "contents of the wrong type": (_edit(infer(contents=True), lambda r: (
        r.inputs[0].contents.Clear(), r.inputs[0].contents.int_contents.extend([1] * 6))), "INVALID_ARGUMENT",
                                   "contents.fp32_contents"),
    "contents one short": (_edit(infer(contents=True), lambda r: r.inputs[0].contents.fp32_contents.pop()),
                           "INVALID_ARGUMENT", "5 values in contents.fp32_contents"),
    "BYTES with a bad length prefix": (_edit(infer(), lambda r: (setattr(r.inputs[0], "datatype", "BYTES"),
                                                                 r.raw_input_contents.__setitem__(0, b"\xff" * 8))),
                                       "INVALID_ARGUMENT", "BYTES"),
    "shape 2^62 x 4": (_edit(infer(), lambda r: r.inputs[0].shape.__setitem__(slice(None), [2**62, 4])),
                       "RESOURCE_EXHAUSTED", "max_elements"),
    "10k empty outputs": (_edit(infer(), lambda r: r.outputs.extend([opb.ModelInferRequest.
                                                                     InferRequestedOutputTensor()] * 10_000)),
                          "INVALID_ARGUMENT", "has no output ''"),
}


@pytest.mark.parametrize("case", list(OIP_CASES))
def test_oip_grpc_fields_are_refused_naming_them(ch, case):
    req, status, words = OIP_CASES[case]
    code, details = rpc(ch, OIP_SVC + "ModelInfer", req.SerializeToString())
    assert (code, words in details) == (status, True), details[:300]
    # the stream answers the same refusal in its message
    f = ch.stream_stream(OIP_SVC + "ModelStreamInfer", request_serializer=opb.ModelInferRequest.SerializeToString,
                         response_deserializer=opb.ModelStreamInferResponse.FromString)
    got = list(f(iter([req]), metadata=META, timeout=CEILING))
    assert len(got) == 1 and words in got[0].error_message, got
    probe(ch)


def test_an_output_region_of_no_type_is_refused_over_http_too(srv):
    """(HTTP has no value of no type: null is unset, answered inline; a number is refused as gRPC's int64_param.)"""
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 3], "data": X.ravel().tolist()},
                       {"name": "y", "datatype": "FP32", "shape": [3, 3], "data": Y.ravel().tolist()}],
            "outputs": [{"name": "d/dx", "parameters": {"shared_memory_region": 5}}]}
    with srv.client(headers={"authorization": "Bearer k1"}, timeout=CEILING) as c:
        r = c.post("/v2/models/seed_grad/infer", json=body)
        assert r.status_code == 400 and "shared_memory_region must be a string" in r.text, r.text[:300]
        body["outputs"][0]["parameters"]["shared_memory_region"] = None
        r = c.post("/v2/models/seed_grad/infer", json=body)
        assert r.status_code == 200, r.text[:300]
        # d/dx of matmul(x * z, y) with z = 1 and ones sens: Y's row sums in each row (by hand)
        np.testing.assert_allclose(np.reshape(r.json()["outputs"][0]["data"], (2, 3)),
                                   np.tile(Y.sum(axis=1), (2, 1)), rtol=1e-6)


# -- UM-Bridge -----------------------------------------------------------------------------------------------------
UX, UY = [0.1, 0.2, 0.3], [1.0, 2.0, 3.0]
UM = {"Gradient": {"name": "um", "outWrt": 1, "inWrt": 0, "input": [UX, UY], "sens": [1, 1, 1]},
      "ApplyJacobian": {"name": "um", "outWrt": 0, "inWrt": 1, "input": [UX, UY], "vec": [1, 0, 0]},
      "ApplyHessian": {"name": "um", "outWrt": 1, "inWrt1": 0, "inWrt2": 1, "input": [UX, UY], "sens": [1, 1, 1],
                       "vec": [1, 0, 0]}}
UM_CASES = [("Gradient", "outWrt", 2, "outWrt must be an integer in [0, 1]"),
            ("Gradient", "inWrt", -1, "inWrt must be an integer in [0, 1]"),
            ("Gradient", "inWrt", 2**63, "inWrt must be an integer"),
            ("Gradient", "inWrt", 0.0, "inWrt must be an integer"),
            ("Gradient", "inWrt", True, "inWrt must be an integer"),
            ("ApplyHessian", "inWrt2", 2, "inWrt2 must be an integer"),
            ("Gradient", "sens", [1, 1], "sens has length 2; expected 3"),
            ("ApplyJacobian", "vec", [1, 0, 0, 0], "vec has length 4; expected 3"),
            ("ApplyHessian", "sens", [[1, 1, 1]], "sens"),
            ("Gradient", "input", [UX, [1, 2]], "input"),
            ("Gradient", "input", [[[1, 2], 3, 4], UY], "input[0] must be a list of numbers"),
            ("ApplyJacobian", "input", [UX], "input must be a list of 2 vectors"),
            ("Gradient", "config", [], "config may only hold"),
            ("Gradient", "config", {"device": 5}, 'config "device" must be a device name'),
            ("ApplyHessian", "config", {"device": "cpu", "x": 1}, "config may only hold")]


@pytest.mark.parametrize("route, key, value, words", UM_CASES)
def test_umbridge_fields_are_refused_naming_them(srv, route, key, value, words):
    with srv.client(headers={"authorization": "Bearer k1"}, timeout=CEILING) as c:
        r = c.post(f"/umbridge/{route}", json={**UM[route], key: value})
        assert r.status_code == 400 and r.json()["error"]["type"] == "InvalidInput", r.text[:300]
        assert words in r.json()["error"]["message"], r.text[:300]
        r = c.post("/umbridge/Gradient", json=UM["Gradient"])
        # d/dx of x^2 y with sens ones: 2 x y (by hand)
        np.testing.assert_allclose(r.json()["output"], 2 * np.array(UX) * np.array(UY), rtol=1e-12)


# -- refused derivations charged --------------------------------------------------------------------------------
def test_a_derivation_refused_in_the_servers_threads_is_charged_to_the_client(srv, ch):
    """k2 sends grads of new 3000-layer sin chains (each new, so no memo answers): the derivative's build passes
    max_work 5000 while the server derives it (no worker). The first is 413; its thread time is charged to k2,
    past its share (burst 0.05 s), so its next new derivation is 429 naming refused_work_share; k3 runs."""
    with srv.client(timeout=CEILING) as c:
        def send(key: str, n: int, c0: float) -> httpx.Response:
            body = {"graph": json.loads(sin_graph("long", n, c0)), "inputs": [{"datatype": "FP32", "shape": [1],
                                                                                "data": [0.5]}]}
            return c.post("/v1/grad", json=body, headers={"authorization": f"Bearer {key}"})

        r = send("k2", 3000, 1.0)
        assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_work", r.text[:300]
        r = send("k2", 3000, 1.001)
        assert r.status_code == 429 and error_of(r)["detail"]["limit"] == "refused_work_share", r.text[:300]
        r = send("k3", 3, 1.0)  # another client's new program: no account of k2's
        assert r.status_code == 200, r.text[:300]
        # d/dx sum(sin(sin(sin(x)))) at 0.5 (chain rule, by hand)
        s1, s2 = math.sin(0.5), math.sin(math.sin(0.5))
        np.testing.assert_allclose(r.json()["outputs"][0]["data"], [math.cos(s2) * math.cos(s1) * math.cos(0.5)],
                                   rtol=1e-5)
