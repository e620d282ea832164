"""Round 19's attacks (one real server, two CPU workers, the OIP test repository, API keys k1 / k2, max_work 30 000).

Fixed: a derived graph a worker refused for max_work was built again, to max_work, each time it was sent (an
order-3 /v1/grad of a ~1,200-node graph: ~8 s of one idle core, 50-68 s at load 12, per send; two sends at once
held both workers and another client's job met its deadline queued). Now the refusal is remembered per program
(service.refusals) and a repeat is refused without a worker.

Held (see the round's SERVICE_REPORT entry); pinned here so a change that breaks them fails:

- declared sizes past 64 bits, negative, fractional, NaN / Infinity tokens in an OIP tensor's shape, the binary
  extension's Inference-Header-Content-Length and binary_data_size: 400 / 413 naming the field, nothing allocated;
- multipart bodies, Range, Expect: 100-continue (and one announcing 2^40 bytes) and chunked bodies with trailers
  on /v2/models/<m>/infer, /umbridge/Evaluate and /v1/eval: Range ignored, answers right;
- a graph whose output is a tiny input broadcast to 2^26 / 2^28 elements: 413 before anything is computed;
- one gRPC ModelStreamInfer of 2,000 tiny messages, half for an unknown model: every one answered, in order;
- repository load / unload with odd names (400 / 404 naming the name) and a load / unload loop beside
  inferences on the same model (200 or 404 "has no available versions", never a 5xx)."""
from __future__ import annotations

import json
import socket
import struct

import grpc
import numpy as np
import pytest
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from .helpers import DX, X, Y, canary, matmul_net, metric
from .server import server_in

KEYS = ("k1", "k2")
AUTH = {"authorization": "Bearer k1"}
OIP = "/v2/models/seed_grad/infer"  # matmul_net's d/dx: DX at X, Y
XT = {"name": "x", "datatype": "FP32", "shape": [2, 3], "data": X.ravel().tolist()}
YT = {"name": "y", "datatype": "FP32", "shape": [3, 3], "data": Y.ravel().tolist()}
UM_X, UM_Y = [0.5, 1.0, 2.0], [1.0, 2.0, 3.0]
MAX_WORK = 30_000  # (an order-2 grad of wide(300) charges ~43 000 to lower, order 1 ~5 000: engine.builder.Budget)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    with server_in(tmp_path_factory, "attacks_round19", devices="cpu",
                   env={"GRADSERVE_MODEL_REPOSITORY": str(repo), "GRADSERVE_API_KEYS": ",".join(KEYS),
                        "GRADSERVE_MAX_ELEMENTS": str(1 << 27),  # (the answer's budget acts first)
                        "GRADSERVE_MAX_WORK": str(MAX_WORK), "GRADSERVE_MAX_NODES": "100000"}) as s:
        yield s


@pytest.fixture(scope="module")
def c(srv):
    with srv.client(headers=AUTH) as c:
        yield c


def oip_dx(r) -> np.ndarray:
    assert r.status_code == 200, r.text[:500]
    return np.array(r.json()["outputs"][0]["data"], np.float32).reshape(2, 3)


@pytest.mark.parametrize("shape, code", [
    ("[9223372036854775808, 3]", 413), ("[4294967296, 4294967296]", 413), ("[2, 3, 4611686018427387904]", 413),
    ("[18446744073709551618, 3]", 400), ("[-1, 3]", 400), ("[2, 3.0]", 400), ("[2, 1e300]", 400),
    ("[2, NaN]", 400), ("[2, Infinity]", 400), ("[2, -Infinity]", 400), ("[2, 1e999]", 400), ("[true, 3]", 400)])
def test_oip_shapes_past_64_bits_or_not_integers_are_refused(c, shape, code):
    body = '{"inputs": [{"name": "x", "datatype": "FP32", "shape": %s, "data": [1, 1, 1, 1, 1, 1]}, %s]}' % (
        shape, json.dumps(YT))
    r = c.post(OIP, content=body, headers={"content-type": "application/json"})
    assert r.status_code == code, r.text[:300]
    assert "$.inputs[0]" in r.text and ("shape" in r.text if code == 400 else "max_elements" in r.text), r.text


def binary_request(c, header_length=None, size=24):
    xt = {k: v for k, v in XT.items() if k != "data"}
    head = json.dumps({"inputs": [dict(xt, parameters={"binary_data_size": size}), YT]}).encode()
    return c.post(OIP, content=head + X.astype("<f4").tobytes(), headers={
        "content-type": "application/octet-stream",
        "inference-header-content-length": str(len(head) if header_length is None else header_length)})


@pytest.mark.parametrize("length", [2 ** 63, 2 ** 64, -5, "1e3", "NaN"])
def test_binary_header_lengths_past_the_body_are_refused(c, length):
    r = binary_request(c, header_length=length)
    assert r.status_code == 400 and "Inference-Header-Content-Length" in r.text, r.text[:300]


@pytest.mark.parametrize("size", [2 ** 63, 2 ** 64 + 24, -24, 24.0, 1e300, "24", 25])
def test_binary_data_sizes_past_the_body_or_not_integers_are_refused(c, size):
    r = binary_request(c, size=size)
    assert r.status_code == 400 and "binary_data_size" in r.text and "$.inputs[0]" in r.text, r.text[:300]
    np.testing.assert_allclose(oip_dx(binary_request(c)), DX, rtol=1e-6)  # (the same request, well formed)


def raw(srv, head: str, body: bytes = b"", wait_for_continue: bool = False) -> tuple[bytes, bytes]:
    """(the interim answer if asked for, the final answer) of one request sent as written, Connection: close."""
    port = int(srv.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(head.encode())
        interim = b""
        if wait_for_continue:
            interim = s.recv(4096)
            if not interim.startswith(b"HTTP/1.1 100"):
                return interim, interim
        s.sendall(body)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return interim, out


ROUTES = {  # path, body, the answer's check
    "oip": (OIP, json.dumps({"inputs": [XT, YT]}).encode(),
            lambda d: np.testing.assert_allclose(np.array(d["outputs"][0]["data"]).reshape(2, 3), DX, rtol=1e-6)),
    "umbridge": ("/umbridge/Evaluate", json.dumps({"name": "um", "input": [UM_X, UM_Y], "config": {}}).encode(),
                 lambda d: np.testing.assert_allclose(d["output"], [np.sin(UM_X) * UM_Y,
                                                                    np.square(UM_X) * UM_Y], rtol=1e-12)),
    "v1": ("/v1/grad", json.dumps({"graph": matmul_net(),
                                   "inputs": [{"shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist()},
                                              {"shape": [3, 3], "datatype": "FP32", "data": Y.ravel().tolist()}]}
                                  ).encode(),
           lambda d: np.testing.assert_allclose(np.array(d["outputs"][0]["data"]).reshape(2, 3), DX, rtol=1e-6)),
}


def answer(out: bytes) -> tuple[int, dict]:
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body) if body.startswith(b"{") else {}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_range_expect_multipart_and_trailers_on_the_inference_routes(srv, route):
    path, body, check = ROUTES[route]
    common = f"POST {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer k1\r\nConnection: close\r\n"
    for rng in ("bytes=0-3", f"bytes=0-3,5-9,0-{2 ** 64}"):  # ignored: the whole answer, right
        status, got = answer(raw(srv, common + f"Content-Type: application/json\r\nRange: {rng}\r\n"
                                 f"Content-Length: {len(body)}\r\n\r\n", body)[1])
        assert status == 200, got
        check(got)
    interim, out = raw(srv, common + f"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n", body, wait_for_continue=True)
    assert interim.startswith(b"HTTP/1.1 100"), interim
    status, got = answer(out)
    assert status == 200, got
    check(got)
    # a body announced past max_body_bytes is refused before it is asked for
    interim, _ = raw(srv, common + f"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                     f"Content-Length: {2 ** 40}\r\n\r\n", wait_for_continue=True)
    assert interim.startswith(b"HTTP/1.1 413") and b"max_body_bytes" in interim, interim[:300]
    part = (b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.json"\r\n'
            b"Content-Type: application/json\r\n\r\n" + body + b"\r\n--B--\r\n")
    status, got = answer(raw(srv, common + "Content-Type: multipart/form-data; boundary=B\r\n"
                             f"Content-Length: {len(part)}\r\n\r\n", part)[1])
    assert status in (400, 415), got
    chunked = f"{len(body):x};ext=1\r\n".encode() + body + b"\r\n0\r\nX-Trailer: 1\r\n\r\n"
    status, got = answer(raw(srv, common + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                             "Trailer: X-Trailer\r\n\r\n", chunked)[1])
    assert status == 200, got  # (a trailer is read and dropped)
    check(got)


@pytest.mark.parametrize("n, code, limit", [(1 << 26, 413, "max_output_bytes"), (1 << 28, 413, "max_elements")])
def test_a_huge_broadcast_of_a_tiny_input_is_refused_before_compute(c, n, code, limit):
    g = {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [1], "dtype": "float32"}], "outputs": "y",
         "nodes": [{"op": "broadcast_to", "inputs": ["x"], "outputs": ["y"], "attrs": {"shape": [n]}}]}
    r = c.post("/v1/eval", json={"graph": g, "inputs": [{"shape": [1], "datatype": "FP32", "data": [1.5]}]})
    assert r.status_code == code and r.json()["error"]["detail"]["limit"] == limit, r.text[:300]


def stream_request(model: str) -> opb.ModelInferRequest:
    req = opb.ModelInferRequest(model_name=model)
    for name, a in (("x", X), ("y", Y)):
        t = req.inputs.add()
        t.name, t.datatype = name, "FP32"
        t.shape.extend(a.shape)
        t.contents.fp32_contents.extend(a.ravel().tolist())
    return req


def test_thousands_of_tiny_stream_messages_are_each_answered_in_order(srv, c):
    n = 2000
    with grpc.insecure_channel(srv.grpc_target) as ch:
        stub = opb_grpc.GRPCInferenceServiceStub(ch)
        got = list(stub.ModelStreamInfer(iter([stream_request("seed_grad" if i % 2 else "nope") for i in range(n)]),
                                         metadata=(("authorization", "Bearer k1"),), timeout=240))
    assert len(got) == n
    assert all("nope" in m.error_message for m in got[::2]), got[0]
    for m in got[1::2]:
        assert not m.error_message, m.error_message
        dx = np.frombuffer(m.infer_response.raw_output_contents[0], "<f4") if m.infer_response.raw_output_contents \
            else np.array(m.infer_response.outputs[0].contents.fp32_contents, np.float32)
        np.testing.assert_allclose(dx.reshape(2, 3), DX, rtol=1e-6)
    canary(c, no_restarts=True)


@pytest.mark.parametrize("name, code", [("%00", 400), ("seed_grad%0a", 400), ("seed_grad%20", 400), ("%C3%BCber", 400),
                                        ("a" * 5000, 400), ("CON", 404), ("nothere", 404)])
def test_repository_loads_with_odd_names_are_refused_naming_them(c, name, code):
    r = c.post(f"/v2/repository/models/{name}/load")
    assert r.status_code == code, r.text[:300]
    assert len(r.content) < 4096  # (a 5,000-character name is not echoed whole)


def test_a_load_unload_loop_beside_inferences_on_the_model(srv, c):
    seen = set()
    with srv.client(headers={"authorization": "Bearer k2"}) as c2:
        for i in range(30):
            action = "unload" if i % 2 == 0 else "load"
            assert c.post(f"/v2/repository/models/seed_grad/{action}").status_code == 200
            r = c2.post(OIP, json={"inputs": [XT, YT]})
            seen.add(r.status_code)
            if r.status_code == 200:
                np.testing.assert_allclose(oip_dx(r), DX, rtol=1e-6)
            else:
                assert r.status_code == 404 and "has no available versions" in r.text, r.text[:300]
    assert seen == {200, 404}
    np.testing.assert_allclose(oip_dx(c.post(OIP, json={"inputs": [XT, YT]})), DX, rtol=1e-6)
    canary(c, no_restarts=True)


def wide(n: int) -> dict:
    """sum(y_n): y_0 = x, y_{i+1} = tanh(y_i) for even i, sin(y_i * x) for odd i (x: 3 floats)."""
    nodes, y = [], "x"
    for i in range(n):
        if i % 2:
            nodes += [{"op": "mul", "inputs": [y, "x"], "outputs": [f"m{i}"]},
                      {"op": "sin", "inputs": [f"m{i}"], "outputs": [f"y{i}"]}]
        else:
            nodes.append({"op": "tanh", "inputs": [y], "outputs": [f"y{i}"]})
        y = f"y{i}"
    nodes.append({"op": "sum", "inputs": [y], "outputs": ["z"]})
    return {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [3], "dtype": "float32"}],
            "outputs": "z", "nodes": nodes}


def wide_value(n: int, x: np.ndarray) -> float:
    y = x
    for i in range(n):
        y = np.sin(y * x) if i % 2 else np.tanh(y)
    return float(np.sum(y))


def test_a_derivation_refused_for_max_work_is_refused_again_without_a_worker(c):
    x = np.array([0.1, 0.2, 0.3])
    body = {"graph": wide(300), "inputs": [{"shape": [3], "datatype": "FP32", "data": x.tolist()}], "order": 2}
    ran = metric(c, "gradserve_job_lanes_total", device="cpu", lane="worker")
    first = c.post("/v1/grad", json=body)
    assert first.status_code == 413 and first.json()["error"]["detail"]["limit"] == "max_work", first.text[:300]
    assert metric(c, "gradserve_job_lanes_total", device="cpu", lane="worker") == ran + 1  # (built in a worker)
    for _ in range(3):
        again = c.post("/v1/grad", json=body)
        assert again.status_code == 413 and again.json()["error"]["message"] == first.json()["error"]["message"]
        assert again.json()["error"]["detail"]["limit"] == "max_work"
    assert metric(c, "gradserve_job_lanes_total", device="cpu", lane="worker") == ran + 1  # no worker built them
    # the same graph's first derivative is another program: built and right (central differences, float64)
    r = c.post("/v1/grad", json=dict(body, order=1))
    assert r.status_code == 200, r.text[:300]
    h, eye = 1e-6, np.eye(3)
    fd = [(wide_value(300, x + h * e) - wide_value(300, x - h * e)) / (2 * h) for e in eye]
    np.testing.assert_allclose(r.json()["outputs"][0]["data"], fd, rtol=2e-3, atol=1e-5)
    canary(c, no_restarts=True)
