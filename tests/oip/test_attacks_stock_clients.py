"""Attacks on the stock-client endpoints (Open Inference Protocol over HTTP and gRPC, UM-Bridge), against the OIP
suite's real server (tests/oip/conftest.py, 8 MiB bodies and gRPC messages, max_elements 2**20).

Each attack gets its clear error (what, where, the right status), and a well-behaved client's requests made
while it runs (tritonclient HTTP and gRPC, `canary`) are answered right. What these found (before the fix):

- a repeated Inference-Header-Content-Length: the first was used (a proxy in front may take the last); now
  400, on /v2 and /v1 alike;
- gRPC: an input parameter this server does not read was ignored (HTTP refused it); a shared_memory_region
  sent as an int64_param counted as a region and the error blamed the raw contents' count;
- Triton's request parameters sequence_id / sequence_start / sequence_end / priority (and any other unknown
  one) were ignored on both protocols whatever their values; gRPC's priority arrives as a uint64_param, a type the
  proto did not have, so it was not even seen (since round 28 the sequence and custom ones are taken as Triton
  takes them for a model without a sequence batcher, their types checked in Triton's words);
- gRPC ignored the `timeout` parameter (tritonclient's infer(timeout=)) HTTP honours;
- a non-string `id` (an object) was echoed as given;
- UM-Bridge `config` of 0, "" or [] was read as no config.

Held already (kept here as regressions): BYTES tensors refused by name before their data is looked at (huge
counts, lying lengths); huge declared shapes with little data refused by max_elements before allocation;
gRPC gzip bombs refused by gRPC itself after max_receive_message_length of decompressed bytes; a flood of
readiness / metadata / config calls. Expected values: NumPy on the inputs (seed_grad: d/dx = ones @ y.T)."""
from __future__ import annotations

import gc
import gzip
import json
from concurrent.futures import ThreadPoolExecutor

import grpc
import httpx
import numpy as np
import pytest

import tritonclient.grpc as grpcclient  # the test extra: fail, never skip
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2 as pb, service_pb2_grpc as pb_grpc  # (tritonclient's: one proto a process)
from tritonclient.utils import InferenceServerException

from e2e.helpers import X, Y, matmul_net, slow_input
from e2e.server import SERVER_ENV

from .test_triton_client_calls import seed_inputs

DX = np.ones((2, 3)) @ Y.T.astype(np.float64)  # d/dx of sum(x @ y), by NumPy
INFER = "/v2/models/seed_grad/infer"
CEILING = 60  # s: any one answer, on a loaded machine


@pytest.fixture(scope="module")
def c(server):
    with httpx.Client(base_url=server.url, timeout=CEILING) as client:
        yield client


@pytest.fixture(scope="module")
def stub(server):
    ch = grpc.insecure_channel(server.grpc_target, options=[("grpc.max_send_message_length", -1)])
    yield pb_grpc.GRPCInferenceServiceStub(ch)
    ch.close()


@pytest.fixture(scope="module")
def canary(server):
    """alongside(attack): runs the attack while a well-behaved tritonclient (HTTP and gRPC) infers, then
    checks each of its answers; returns the attack's result or raises its error. The clients live in one
    thread of their own (the HTTP client's gevent hub is its thread's)."""
    lane = ThreadPoolExecutor(1)
    clients = lane.submit(lambda: (httpclient.InferenceServerClient(server.url.removeprefix("http://"),
                                                                    network_timeout=CEILING),
                                   grpcclient.InferenceServerClient(server.grpc_target))).result()

    def well_behaved() -> list:
        h, g = clients
        return [h.infer("seed_grad", seed_inputs(httpclient)),
                g.infer("seed_grad", seed_inputs(grpcclient), client_timeout=CEILING)]

    def alongside(attack):
        answers = lane.submit(well_behaved)
        try:
            out, failed = attack(), None
        except Exception as e:  # noqa: BLE001 - the attack's own error, raised once the canary is checked
            out, failed = None, e
        for r in answers.result(timeout=2 * CEILING):
            np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
        if failed is not None:
            raise failed
        return out
    yield alongside
    lane.submit(lambda: [c.close() for c in clients]).result()
    lane.shutdown()


def v2_inputs(**x) -> list:
    return [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist(), **x},
            {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.ravel().tolist()}]


def binary_body(v2: bool, datatype: str = "FP32", x_bytes: bytes = X.tobytes()) -> tuple[bytes, int]:
    tensors = [{"shape": [2, 3], "datatype": datatype, "parameters": {"binary_data_size": len(x_bytes)}},
               {"shape": [3, 3], "datatype": "FP32", "parameters": {"binary_data_size": Y.nbytes}}]
    head = {"inputs": [dict(t, name=n) for t, n in zip(tensors, "xy")]} if v2 else \
        {"graph": matmul_net(), "inputs": tensors}
    h = json.dumps(head).encode()
    return h + x_bytes + Y.tobytes(), len(h)


# -- HTTP --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/v1/grad", INFER])
def test_a_repeated_header_length_is_a_400(c, canary, path):
    body, n = binary_body(path == INFER)
    headers = [("Content-Type", "application/octet-stream"), ("Inference-Header-Content-Length", str(n)),
               ("Inference-Header-Content-Length", "5")]
    r = canary(lambda: c.post(path, content=body, headers=headers))
    assert r.status_code == 400 and "Inference-Header-Content-Length" in r.text and ", 5" in r.text, r.text[:500]
    ok = c.post(path, content=body, headers=headers[:2])  # the same body with one length
    assert ok.status_code == 200, ok.text[:500]


# (body, status, words in the error)
HTTP_ATTACKS = {
    "bytes with a lying length": (binary_body(True, "BYTES", (10 ** 9).to_bytes(4, "little") + bytes(20)),
                                  400, "BYTES tensors are not supported"),
    "bytes with a huge count": ({"inputs": v2_inputs(datatype="BYTES", shape=[10 ** 12], data=["a"])},
                                400, "BYTES tensors are not supported"),
    "huge shape, little data": ({"inputs": v2_inputs(shape=[1 << 31, 1 << 31], data=[1.0])}, 413, "max_elements"),
    "data longer than its shape": ({"inputs": v2_inputs(data=[1.0] * 7)}, 400, "data has 7 elements"),
    "datatype not the model's": ({"inputs": v2_inputs(datatype="FP64")}, 400, "expected FP32[2, 3], got FP64"),
    "an output the model has not": ({"inputs": v2_inputs(), "outputs": [{"name": "../d/dx"}]}, 400,
                                    "has no output '../d/dx'"),
    "an object id": ({"inputs": v2_inputs(), "id": {"a": [1, {"b": 2}]}}, 400, "id must be a string"),
    "a sequence flag not a bool": ({"inputs": v2_inputs(), "parameters": {"sequence_id": 7, "sequence_start": 1}},
                                   400, "Unable to parse 'sequence_start'"),
    "a negative priority": ({"inputs": v2_inputs(), "parameters": {"priority": -1}}, 400,
                            "priority must be a non-negative integer"),
    "a custom request parameter of no Triton type": ({"inputs": v2_inputs(), "parameters": {"x": {"y": 1}}}, 400,
                                                     "parameter 'x' has invalid type"),
    "a binary_data that is a string": ({"inputs": v2_inputs(), "outputs": [{"name": "d/dx",
                                        "parameters": {"binary_data": "yes"}}]}, 400, "must be true or false"),
    "binary_data_size in a JSON body": ({"inputs": v2_inputs(data=None, parameters={"binary_data_size": 24})}, 400,
                                        "binary_data_size needs a binary body (Inference-Header-Content-Length)"),
    "parameters that are a list": ({"inputs": v2_inputs(parameters=[1])}, 400, "parameters must be an object"),
    # (the input parameters' checks are gRPC's too: GRPC_ATTACKS' same cases)
    "a region named by a number": ({"inputs": v2_inputs(data=None, parameters={
        "shared_memory_region": 5, "shared_memory_byte_size": 24})}, 400, "shared_memory_region must be a string"),
}


@pytest.mark.parametrize("case", HTTP_ATTACKS)
def test_http_infer_attacks_get_their_error(c, canary, case):
    body, status, words = HTTP_ATTACKS[case]
    if isinstance(body, tuple):  # a binary body and its header length
        send = dict(content=body[0], headers={"Content-Type": "application/octet-stream",
                                              "Inference-Header-Content-Length": str(body[1])})
    else:
        send = dict(json=body)
    r = canary(lambda: c.post(INFER, **send))
    assert r.status_code == status and words in r.json()["error"], r.text[:500]


def test_codec_content_type_hints_are_accepted(c, canary):
    """MLServer / KServe codecs tag the request and each tensor with `content_type` ("np"): a hint for the
    caller's own decoding, so such clients are served as any other (the gradient as in the canary)."""
    body = {"inputs": v2_inputs(parameters={"content_type": "np"}), "parameters": {"content_type": "np"},
            "outputs": [{"name": "d/dx", "parameters": {"content_type": "np"}}]}
    r = canary(lambda: c.post(INFER, json=body))
    assert r.status_code == 200, r.text[:500]
    (out,) = r.json()["outputs"]
    assert out["name"] == "d/dx"
    np.testing.assert_allclose(np.reshape(out["data"], out["shape"]), np.ones((2, 3)) @ Y.T, rtol=1e-6)


def test_stock_clients_reserved_parameters_are_refused_not_ignored(canary, server):
    """tritonclient's own arguments: a `triton_` key Triton reserves, a refusal the client prints (its sequence
    and custom parameters are taken: test_stock_round28)."""
    h = httpclient.InferenceServerClient(server.url.removeprefix("http://"))
    g = grpcclient.InferenceServerClient(server.grpc_target)
    try:
        for cl, mod in ((h, httpclient), (g, grpcclient)):
            with pytest.raises(InferenceServerException, match=r"keys starting with 'triton_' are reserved") as e:
                canary(lambda: cl.infer("seed_grad", seed_inputs(mod), parameters={"triton_k": 1}))
            assert e.value.status() in ("400", "StatusCode.INVALID_ARGUMENT")
    finally:
        h.close()
        g.close()
        h = g = cl = e = None  # (the clients and the last error: see below)
        # tritonclient's error holds its client in a reference cycle (the raising frame's local): collected here,
        # not by a collection that happens to run in the canary's thread, where the HTTP client's close fails
        gc.collect()


# -- gRPC --------------------------------------------------------------------------------------------------------
def grpc_request(x_raw: bytes = X.tobytes(), **x) -> pb.ModelInferRequest:
    r = pb.ModelInferRequest(model_name="seed_grad")
    r.inputs.add(name="x", datatype=x.get("datatype", "FP32"), shape=x.get("shape", [2, 3]))
    r.inputs.add(name="y", datatype="FP32", shape=[3, 3])
    r.raw_input_contents.extend([x_raw, Y.tobytes()])
    return r


def _typed(n_y: int, datatype: str = "FP32") -> pb.ModelInferRequest:
    r = pb.ModelInferRequest(model_name="seed_grad")
    r.inputs.add(name="x", datatype=datatype, shape=[2, 3])
    if datatype == "BYTES":
        r.inputs[0].contents.bytes_contents.extend([b"a"] * 6)
    else:
        r.inputs[0].contents.fp32_contents.extend(X.ravel().tolist())
    r.inputs.add(name="y", datatype="FP32", shape=[3, 3]).contents.fp32_contents.extend([1.0] * n_y)
    return r


def _with(r: pb.ModelInferRequest, edit) -> pb.ModelInferRequest:
    edit(r)
    return r


INVALID, NOT_FOUND, EXHAUSTED = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, \
    grpc.StatusCode.RESOURCE_EXHAUSTED
# (request, code, words in the details)
GRPC_ATTACKS = {
    "raw shorter than its shape": (lambda: grpc_request(b"\0" * 10), INVALID, "10 bytes given"),
    "huge shape, little data": (lambda: grpc_request(shape=[1 << 40, 1 << 20]), EXHAUSTED, "max_elements"),
    "typed contents past the shape": (lambda: _typed(1 << 20), INVALID, "1048576 values in contents.fp32_contents"),
    "typed bytes": (lambda: _typed(9, "BYTES"), INVALID, "BYTES tensors are not supported"),
    "raw bytes": (lambda: grpc_request(datatype="BYTES"), INVALID, "BYTES tensors are not supported"),
    "an output the model has not": (lambda: _with(grpc_request(), lambda r: r.outputs.add(name="nope")), INVALID,
                                    "has no output 'nope'"),
    "a region named by a number": (lambda: _with(grpc_request(), lambda r: setattr(
        r.inputs[0].parameters["shared_memory_region"], "int64_param", 5)), INVALID,
        "shared_memory_region must be a string"),
    "a priority that is a string": (lambda: _with(grpc_request(), lambda r: setattr(
        r.parameters["priority"], "string_param", "high")), INVALID, "priority must be a non-negative integer"),
    "a timeout that is a string": (lambda: _with(grpc_request(), lambda r: setattr(
        r.parameters["timeout"], "string_param", "1s")), INVALID, "timeout must be a non-negative integer"),
    "a version that is no number": (lambda: _with(grpc_request(), lambda r: setattr(r, "model_version", "../1")),
                                    INVALID, "failed to get model version from specified version string '../1'"),
    "70,000 empty inputs": (lambda: _with(grpc_request(), lambda r: r.inputs.extend(
        [pb.ModelInferRequest.InferInputTensor()] * 70_000)), EXHAUSTED, "above the limit max_tensors=65536"),
    "a model name of 1 MB": (lambda: _with(grpc_request(), lambda r: setattr(r, "model_name", "A" * (1 << 20))),
                             NOT_FOUND, "Request for unknown model: 'AAAA"),
}


@pytest.mark.parametrize("case", GRPC_ATTACKS)
def test_grpc_infer_attacks_get_their_status(stub, canary, case):
    make, code, words = GRPC_ATTACKS[case]
    with pytest.raises(grpc.RpcError) as e:
        canary(lambda: stub.ModelInfer(make(), timeout=CEILING))
    assert e.value.code() == code and words in e.value.details(), (e.value.code(), e.value.details()[:500])
    assert len(e.value.details()) < 4096  # (an echoed name is cut short: service.errors.clip)


def test_http_compressed_bodies_are_bounded_by_their_decompressed_size(c, canary):
    """Content-Encoding (tritonclient's request_compression_algorithm) is decompressed to at most
    max_body_bytes: 16 MiB of spaces in ~16 KiB of gzip is a 413, never inflated whole (NUL: a 400 as it inflates,
    service.json_head); a truncated or broken encoding a 400, an unknown coding a 415 naming what to send (RFC 9110)."""
    limit = int(SERVER_ENV["GRADSERVE_MAX_BODY_BYTES"])
    bomb = gzip.compress(b" " * (2 * limit))
    assert len(bomb) < limit // 100  # (the premise)
    plain = json.dumps({"inputs": v2_inputs()}).encode()
    for body, coding, status, says in [(bomb, "gzip", 413, "decompresses past the limit max_body_bytes"),
                                       (gzip.compress(plain)[:-9], "gzip", 400, "truncated"),
                                       (plain, "br", 415, "send gzip, deflate or none"),
                                       (plain, "gzip", 400, "not valid gzip data")]:
        r = canary(lambda: c.post(INFER, content=body, headers={"Content-Encoding": coding,
                                                                 "Content-Type": "application/json"}))
        assert r.status_code == status and says in r.json()["error"], (coding, r.status_code, r.text[:300])
    half = len(plain) // 2  # (two gzip members, one after the other, are one body: RFC 1952; the second was dropped)
    for body in (gzip.compress(plain), gzip.compress(plain[:half]) + gzip.compress(plain[half:])):
        ok = c.post(INFER, content=body, headers={"Content-Encoding": "gzip"})
        assert ok.status_code == 200, ok.text[:300]
        np.testing.assert_allclose(np.reshape(ok.json()["outputs"][0]["data"], (2, 3)), DX, rtol=1e-6)


def test_a_grpc_gzip_bomb_is_refused_by_its_inflated_size(stub, canary):
    """16 MiB of zeros in ~16 KiB of gzip: the server inflates gRPC's compressed messages itself (service.grpc_inflate),
    so the bomb is RESOURCE_EXHAUSTED naming max_body_bytes, and the same request without the bomb, gzip or
    deflate compressed, is served. (grpc_compressed_requests = false refuses both: test_grpc_compression_off.py.)"""
    bomb = grpc_request(bytes(16 << 20))
    assert len(bomb.SerializeToString()) > 1.5 * int(SERVER_ENV["GRADSERVE_MAX_BODY_BYTES"])  # (the premise)
    with pytest.raises(grpc.RpcError) as e:
        canary(lambda: stub.ModelInfer(bomb, timeout=CEILING, compression=grpc.Compression.Gzip))
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "max_body_bytes" in e.value.details(), \
        e.value.details()
    for algorithm in (grpc.Compression.Gzip, grpc.Compression.Deflate, grpc.Compression.NoCompression):
        ok = stub.ModelInfer(grpc_request(), timeout=CEILING, compression=algorithm)
        np.testing.assert_allclose(np.frombuffer(ok.raw_output_contents[0], np.float32).reshape(2, 3), DX, rtol=1e-6)


def test_the_grpc_timeout_parameter_bounds_the_job(server):
    """tritonclient.grpc's infer(timeout=µs) is the request's `timeout` parameter (not the call's deadline,
    client_timeout): it was ignored; now it is Triton's queue timeout as HTTP's is: it never stops a running job
    (one still queued past it: test_stock_round20.py), and the call's deadline still bounds the job."""
    g = grpcclient.InferenceServerClient(server.grpc_target)
    try:
        x = grpcclient.InferInput("x", [256, 256], "FP32")
        x.set_data_from_numpy(slow_input(256))
        g.infer("slow", [x], timeout=1000, client_timeout=CEILING)  # 1 ms: the job of ~100 matmuls runs on
        with pytest.raises(InferenceServerException) as e:
            g.infer("slow", [x], client_timeout=0.001)
        assert e.value.status() == "StatusCode.DEADLINE_EXCEEDED", str(e.value)
        r = g.infer("seed_grad", seed_inputs(grpcclient), timeout=20_000_000, client_timeout=CEILING)
        np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
    finally:
        g.close()


def test_a_flood_of_ready_metadata_and_config_calls_is_answered(server, canary):
    """240 concurrent readiness / metadata / config calls over both protocols (16 threads), a well-behaved
    inference among them: each answered right."""
    h = httpx.Client(base_url=server.url, timeout=CEILING)
    ch = grpc.insecure_channel(server.grpc_target)
    s = pb_grpc.GRPCInferenceServiceStub(ch)
    calls = [lambda: h.get("/v2/models/seed_grad/ready").json()["ready"],
             lambda: h.get("/v2/models/seed_grad").json()["inputs"][0]["shape"] == [2, 3],
             lambda: h.get("/v2/models/seed_grad/config").json()["input"][1]["dims"] == [3, 3],
             lambda: s.ModelReady(pb.ModelReadyRequest(name="seed_grad"), timeout=CEILING).ready,
             lambda: list(s.ModelMetadata(pb.ModelMetadataRequest(name="seed_grad"), timeout=CEILING)
                          .inputs[1].shape) == [3, 3],
             lambda: not s.ModelReady(pb.ModelReadyRequest(name="nope" * 1000), timeout=CEILING).ready]
    try:
        with ThreadPoolExecutor(16) as pool:
            answers = canary(lambda: list(pool.map(lambda f: f(), calls * 40)))
    finally:
        h.close()
        ch.close()
    assert answers == [True] * 240


# -- UM-Bridge ---------------------------------------------------------------------------------------------------
def _nested(depth: int) -> str:
    return '{"device": ' * depth + '"cpu"' + "}" * depth


@pytest.mark.parametrize("config, words", [
    (0, "config may only hold"), ("", "config may only hold"), ([], "config may only hold"),
    ({"device": ["cpu"]}, 'config "device" must be a device name'),
    (_nested(50), 'config "device" must be a device name'),
    (_nested(5000), "nested too deeply"),
], ids=["zero", "empty-string", "empty-list", "device-list", "nested-50", "nested-5000"])
def test_umbridge_config_of_a_wrong_type_or_depth_is_invalid_input(c, canary, config, words):
    body = '{"name": "um", "input": [[0.1, 0.2, 0.3], [1, 2, 3]], "config": %s}' % (
        config if isinstance(config, str) and config.startswith("{") else json.dumps(config))
    r = canary(lambda: c.post("/umbridge/Evaluate", content=body, headers={"content-type": "application/json"}))
    assert r.status_code == 400, r.text[:300]
    assert r.json()["error"]["type"] == "InvalidInput" and words in r.json()["error"]["message"], r.text[:300]
