"""Attack replays on parsing and framing, each against a real server (tests/e2e/limited_server.py: 2 cpu
workers, API keys k1 / k2 as two clients, 2 s head and body timeouts, a compute budget of 1e9 operations a
job, 8 shared-memory places).

- a JSON object repeating a key, on every decoder (/v1 REST, OIP HTTP, the shared-memory routes, UM-Bridge,
  gRPC's graph_json): 400 naming the key and the path of its object (before: the last value won, silently);
- made shared-memory regions belong to the client that made them: another client's unregister is 403 and
  its unregister-all leaves them;
- HTTP framing: pipelined requests answered in order; smuggling shapes (Content-Length with
  Transfer-Encoding, two Content-Lengths) refused; a compressed body (Content-Encoding) read as sent on
  every route, a gzip bomb a 413, a truncated stream a 400;
- numbers with 10^6 digits, shapes whose product overflows int64, negative and zero-size dimensions, a
  datatype that disagrees with the bytes sent;
- graphs of 1e5 nodes in a chain (no recursion per node in derive / lower / simplify), an order-10
  derivative (refused by max_order before any derivation), memory bombs (refused by max_job_bytes);
- model repository path traversal and UM-Bridge config abuse.

After each attack a canary job is answered right and no worker restarted (limited_server's `canary`).
Expected values: the canary's gradient is the seed's (helpers.DX); zero-size results by NumPy."""
from __future__ import annotations

import gzip
import json
import socket
import zlib

import grpc
import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from . import grpc_wire as gw
from .helpers import DX, X, Y, body_for, call, decode, error_of, matmul_net, metric
from .limited_server import CEILING, SHM, auth, canary, create, limited_server, read_all, uds, uds_path

F32 = np.float32
JOB_BYTES = 512 << 20  # per-job memory budget (max_job_bytes) of this server
BODY_LIMIT = 64 << 20  # max_body_bytes of this server (a gzip bomb inflates this far, not 256 MiB, before its 413)


srv = limited_server("attacks_parsing_framing", GRADSERVE_MAX_JOB_BYTES=str(JOB_BYTES),
                     GRADSERVE_MAX_BODY_BYTES=str(BODY_LIMIT))


def jt(a: np.ndarray) -> str:
    return json.dumps({"shape": list(a.shape), "datatype": "FP32", "data": a.ravel().tolist()})


GRAPH = json.dumps(matmul_net())
JSON = {"Content-Type": "application/json"}


# -- repeated keys -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, key, path", [
    ('{"graph": %s, "inputs": [%s, %s], "inputs": []}' % (GRAPH, jt(X), jt(Y)), "inputs", "$"),
    ('{"graph": %s, "inputs": [{"shape": [2, 3], "datatype": "FP32", "datatype": "FP64", "data": %s}, %s]}'
     % (GRAPH, json.dumps(X.ravel().tolist()), jt(Y)), "datatype", "$.inputs[0]"),
    ('{"graph": %s, "inputs": [%s, %s]}' % (GRAPH.replace('"name": "z"', '"name": "z", "name": "w"'), jt(X), jt(Y)),
     "name", "$.graph.params[0]"),
    ('{"graph": %s, "inputs": [%s, %s], "options": {"a": 1, "a": 2}}' % (GRAPH, jt(X), jt(Y)), "a", "$.options"),
])
def test_a_repeated_key_on_v1_is_a_400_naming_it(c, body, key, path):
    r = c.post("/v1/grad", content=body.encode(), headers=JSON)
    assert r.status_code == 400, r.text[:300]
    err = error_of(r)
    assert err["detail"]["key"] == key and err["detail"]["path"] == path, err
    assert f"repeats the key {key!r}" in err["message"], err
    canary(c)


@pytest.mark.parametrize("route, body", [
    ("/v2/models/seed_grad/infer", '{"inputs": [{"name": "x", "name": "y", "shape": [2, 3], "datatype": "FP32", '
                                   '"data": [1, 2, 3, 4, 5, 6]}]}'),
    (f"{SHM}/region/r/register", '{"key": "/a", "key": "/b", "byte_size": 4}'),
    ("/v1/graphs", '{"graph": %s, "graph": {}}' % GRAPH),
    ("/umbridge/Evaluate", '{"name": "um", "name": "seed_grad", "input": [[1, 2, 3], [1, 2, 3]]}'),
])
def test_a_repeated_key_on_other_http_routes_is_a_400(c, route, body):
    r = c.post(route, content=body.encode(), headers=JSON)
    assert r.status_code == 400 and "repeats the key" in r.text, (route, r.status_code, r.text[:300])
    canary(c)


def test_a_repeated_key_in_grpc_graph_json_is_invalid_argument(c, stub):
    m = gw.request("grad", {"inputs": [X, Y]})
    m.graph_json = GRAPH.replace('"name": "z"', '"name": "z", "name": "w"').encode()
    e = gw.rpc_error(stub.Grad, m, timeout=CEILING, metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    assert gw.error_body(e)["detail"]["path"] == "$.graph.params[0]" and "'name'" in e.details(), e
    canary(c)


def test_escaped_quotes_and_colons_in_strings_are_not_repeats(c):
    """Strings holding `":` and escaped quotes (what the fast key count can mistake for keys) still run."""
    body = json.loads(GRAPH)
    body["name"] = 'a": "b\\": x":'
    r = c.post("/v1/grad", content=json.dumps({"graph": body, "inputs": [json.loads(jt(X)), json.loads(jt(Y))]})
               .encode(), headers=JSON)
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], DX, rtol=1e-6)


# -- made shared-memory regions belong to their maker ----------------------------------------------------------------
def test_another_client_cannot_unregister_a_made_region(c, srv):
    import os

    r = create(c, "mine", {"byte_size": 4096, "pid": os.getpid()})
    if r.status_code == 400 and "cannot make" in r.text:
        pytest.skip("no sealed memfd on this host")
    assert r.status_code == 200, r.text
    try:
        with httpx.Client(base_url=srv.url, timeout=CEILING, headers=auth("k2")) as k2:
            r = k2.post(f"{SHM}/region/mine/unregister")
            assert r.status_code == 403 and "another client" in r.json()["error"], r.text
            assert k2.post(f"{SHM}/unregister").status_code == 200  # "all" of k2's: not k1's
        assert [s["name"] for s in c.get(f"{SHM}/status").json()] == ["mine"]
        assert c.post(f"{SHM}/region/mine/unregister").status_code == 200
        assert c.get(f"{SHM}/status").json() == []
    finally:
        c.post(f"{SHM}/unregister")
    canary(c)


# -- HTTP framing ------------------------------------------------------------------------------------------------------
def _v1_bytes(key: str = "k1") -> bytes:
    body = json.dumps({"graph": matmul_net(), "inputs": [json.loads(jt(X)), json.loads(jt(Y))]}).encode()
    return (b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (key.encode(), len(body))) + body


def _tcp(srv) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=CEILING)
    s.settimeout(CEILING)
    return s


def _answers(raw: bytes) -> list[tuple[int, bytes]]:
    """(status, body) of each HTTP/1.1 response in `raw` (Content-Length framed, as the server answers)."""
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        n = next((int(v) for k, _, v in (ln.partition(b":") for ln in lines[1:]) if k.lower() == b"content-length"),
                 0)
        out.append((int(lines[0].split()[1]), rest[:n]))
        raw = rest[n:]
    return out


def _read_n(s: socket.socket, n: int) -> bytes:
    """Until `n` complete responses arrived (or the server closed)."""
    got = b""
    while True:
        try:
            if len(_answers(got)) >= n and all(len(b) for _, b in _answers(got)[:n]):
                return got
        except (ValueError, IndexError):
            pass
        chunk = s.recv(65536)
        if not chunk:
            return got
        got += chunk


@pytest.mark.parametrize("where", ["tcp", "unix"])
def test_pipelined_requests_are_answered_in_order(c, srv, where):
    s = _tcp(srv) if where == "tcp" else uds(uds_path(c))
    try:
        s.sendall(_v1_bytes() + b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n" + _v1_bytes("k2"))
        got = _answers(_read_n(s, 3))
    finally:
        s.close()
    assert [st for st, _ in got[:3]] == [200, 200, 200], got
    for _, body in (got[0], got[2]):
        out = json.loads(body)["outputs"][0]
        np.testing.assert_allclose(np.array(out["data"], F32).reshape(out["shape"]), DX, rtol=1e-6)
    canary(c)


SMUGGLE = {
    "cl_and_te": b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k1\r\nContent-Length: 4\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "two_cl": b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k1\r\nContent-Length: 2\r\n"
              b"Content-Length: 40\r\n\r\n{}GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad_te": b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k1\r\nTransfer-Encoding: xchunked\r\n"
              b"\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("where", ["tcp", "unix"])
@pytest.mark.parametrize("shape", list(SMUGGLE))
def test_request_smuggling_shapes_are_refused(c, srv, where, shape):
    """Framing that two parsers could read two ways is a 400 (and the connection closed), never a request
    run with a body another reader would frame differently, nor a second request smuggled behind it."""
    s = _tcp(srv) if where == "tcp" else uds(uds_path(c))
    try:
        s.sendall(SMUGGLE[shape])
        got = read_all(s)
    finally:
        s.close()
    assert got.startswith(b"HTTP/1.1 400"), got[:300]
    assert b"gradserve_" not in got, "a smuggled request was answered"
    canary(c)


COMPRESSIBLE = [  # (route, JSON body): each answered the same, plain or compressed
    ("/v1/grad", {"graph": matmul_net(), "inputs": [json.loads(jt(X)), json.loads(jt(Y))]}),
    ("/v2/models/seed_grad/infer", {"inputs": [dict(json.loads(jt(X)), name="x"), dict(json.loads(jt(Y)), name="y")]}),
    ("/umbridge/Evaluate", {"name": "um", "input": [[0.1, 0.2, 0.3], [1, 2, 3]], "config": {}}),
    ("/v1/graphs", {"graph": matmul_net()}),
    ("/v2/repository/index", {"ready": True}),
]


def _deflate(b: bytes) -> bytes:
    return zlib.compress(b)  # (HTTP's deflate is zlib-wrapped, RFC 9110 8.4.1.2)


def test_a_compressed_body_is_read_as_sent_on_every_route(c):
    """Content-Encoding gzip / deflate (requests / httpx users, tritonclient) is decompressed on every route that
    reads a body, to the same answer as the plain body (before: /v1, /v1/graphs and UM-Bridge misread it as bad
    JSON, a 400). Two gzip members one after the other are one body (RFC 1952)."""
    for route, body in COMPRESSIBLE:
        plain = json.dumps(body).encode()
        want = c.post(route, content=plain, headers=JSON)
        assert want.status_code in (200, 201), want.text[:300]
        half = len(plain) // 2
        for coding, sent in [("gzip", gzip.compress(plain)), ("deflate", _deflate(plain)),
                             ("gzip", gzip.compress(plain[:half]) + gzip.compress(plain[half:]))]:
            r = c.post(route, content=sent, headers={**JSON, "Content-Encoding": coding})
            assert r.status_code == want.status_code, (route, coding, r.text[:300])
            got, exp = r.json(), want.json()
            for d in (got, exp):  # (measured times differ; a repeat may run inline)
                if isinstance(d, dict):
                    d.pop("timing", None), d.pop("device", None)
            assert got == exp, (route, coding)
    canary(c)


def test_a_compressed_binary_body_counts_its_header_length_in_decompressed_bytes(c):
    """The binary extension gzip-compressed: Inference-Header-Content-Length is the decompressed header's length
    (as on the OIP route); a body large enough that, plain, it would be read into shared memory placed by that
    header length. Expected: d/dx sum(x * x) = 2x, exact in float32."""
    gb = GraphBuilder("net")
    x = gb.input((200, 200), name="x")
    net = graph_to_json(gb.build(gb.mul(x, x)))
    xs = np.random.default_rng(0).standard_normal((200, 200)).astype(F32)
    plain, headers = body_for({"graph": net, "inputs": [xs]}, "binary")
    sent = gzip.compress(plain, compresslevel=1)
    assert len(sent) > 65536  # (the premise: read into a preallocated buffer, not as one small chunk)
    r = c.post("/v1/grad", content=sent, headers={**headers, "Content-Encoding": "gzip"})
    np.testing.assert_array_equal(decode(r)["outputs"][0]["array"], 2 * xs)
    canary(c)


def _bomb(limit: int) -> bytes:
    """Past `limit` bytes once inflated, a few hundred KiB sent: one 8 MiB gzip member, repeated (members one
    after another are one body), so the test compresses 8 MiB, not the whole. Spaces: JSON's whitespace, read until the
    limit (NUL is refused as not JSON as it inflates: service.json_head)."""
    one = gzip.compress(b" " * (8 << 20), compresslevel=9)
    return one * (limit // (8 << 20) + 1)


@pytest.mark.parametrize("route", ["/v1/grad", "/umbridge/Evaluate"])
def test_a_gzip_bomb_is_a_413_and_a_truncated_stream_a_400(c, route):
    """A body that inflates past max_body_bytes is a 413, never held whole; a truncated stream is a 400 naming
    it; an unknown coding a 415 naming what to send (RFC 9110); the server keeps serving (canary)."""
    body = dict(COMPRESSIBLE)[route]
    plain = json.dumps(body).encode()
    for sent, coding, status, says in [(_bomb(BODY_LIMIT), "gzip", 413, "decompresses past the limit max_body_bytes"),
                                       (gzip.compress(plain)[:-9], "gzip", 400, "truncated"),
                                       (plain, "br", 415, "send gzip, deflate or none"),
                                       (plain, "deflate", 400, "not valid deflate data")]:
        r = c.post(route, content=sent, headers={**JSON, "Content-Encoding": coding})
        assert r.status_code == status and says in r.text, (coding, r.status_code, r.text[:300])
        canary(c)


# -- numbers, shapes and datatypes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["data", "shape", "param"])
def test_a_number_with_a_million_digits_reads_as_json_floats_do(c, where):
    """A number of a million digits costs no int() of it (quadratic) and means what a float of its size means
    (service/codec.json_int: past int64 / uint64 an integer token is a float, as orjson reads it): in tensor data
    the infinity 1e400 is (the same answer), in a shape a 400, a float parameter's 1.999... its rounding 2.0."""
    big = "9" * 1_000_000
    body = json.loads(json.dumps({"graph": matmul_net(), "inputs": [json.loads(jt(X)), json.loads(jt(Y))]}))
    text = json.dumps(body)
    if where == "data":
        y0 = '"data": [%s' % json.dumps(float(Y[0, 0]))  # (y's first value: d/dx's first column is y's first row sum)
        text, as_inf = (text.replace(y0, '"data": [%s' % v, 1) for v in (big, "1e400"))
        assert big in text and "1e400" in as_inf
    elif where == "shape":
        text = text.replace('"shape": [2, 3]', '"shape": [%s, 3]' % big, 1)
    else:
        text = text.replace('"data": [1.0]', '"data": [1.%s]' % big, 1)
    assert big in text
    r = c.post("/v1/grad", content=text.encode(), headers=JSON)
    if where == "param":  # a float of a million digits is a float: 1.999... rounds to 2.0, and runs
        np.testing.assert_allclose(decode(r)["outputs"][0]["array"], 2 * DX, rtol=1e-6)
    elif where == "data":
        r_inf = c.post("/v1/grad", content=as_inf.encode(), headers=JSON)
        assert r.status_code == r_inf.status_code == 200, (r.text[:300], r_inf.text[:300])
        got = decode(r)["outputs"][0]["array"]
        np.testing.assert_array_equal(got, decode(r_inf)["outputs"][0]["array"])
        assert np.isposinf(got[:, 0]).all(), got
        np.testing.assert_allclose(got[:, 1:], DX[:, 1:], rtol=1e-6)
    else:
        assert r.status_code in (400, 413), r.text[:300]
    canary(c)


def _graph_with_input(shape) -> dict:
    g = matmul_net()
    for n in g["nodes"]:
        if n.get("op") == "input" and n.get("name", n.get("attrs", {}).get("name")) == "x":
            break
    text = json.dumps(g).replace('[2, 3]', json.dumps(shape), 1)
    return json.loads(text)


@pytest.mark.parametrize("shape", [[2 ** 62, 2 ** 62, 3], [-2, 3], [2 ** 64, 3], [2 ** 40, 2 ** 40]])
def test_overflowing_and_negative_shapes_are_refused(c, stub, shape):
    r = c.post("/v1/grad", json={"graph": _graph_with_input(shape), "inputs": [json.loads(jt(X)), json.loads(jt(Y))]})
    assert r.status_code in (400, 413), r.text[:300]
    r = c.post("/v1/grad", json={"graph": matmul_net(), "inputs": [
        {"shape": shape, "datatype": "FP32", "data": []}, json.loads(jt(Y))]})
    assert r.status_code in (400, 413), r.text[:300]
    assert "shape" in r.text or "elements" in r.text, r.text[:300]
    canary(c)


def test_zero_size_inputs_give_zero_size_gradients(c):
    """x of shape (0, 3): d sum(x z @ y)/dx is (0, 3) (NumPy: an empty sum's gradient is empty)."""
    r = c.post("/v1/grad", json={"graph": _graph_with_input([0, 3]), "inputs": [
        {"shape": [0, 3], "datatype": "FP32", "data": []}, json.loads(jt(Y))]})
    if r.status_code == 200:
        assert decode(r)["outputs"][0]["array"].shape == (0, 3)
    else:
        assert r.status_code == 400 and "shape" in r.text, r.text[:300]
    canary(c)


@pytest.mark.parametrize("datatype, raw", [("FP64", X.tobytes()), ("INT64", X.tobytes()), ("FP16", X.tobytes()),
                                           ("FP32", X.tobytes()[:-4])])
def test_a_datatype_that_disagrees_with_the_bytes_is_a_400_naming_them(c, datatype, raw):
    head = json.dumps({"graph": matmul_net(), "inputs": [
        {"shape": [2, 3], "datatype": datatype, "parameters": {"binary_data_size": len(raw)}},
        {"shape": [3, 3], "datatype": "FP32", "parameters": {"binary_data_size": Y.nbytes}}]}).encode()
    r = c.post("/v1/grad", content=head + raw + Y.tobytes(),
               headers={"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))})
    assert r.status_code == 400, r.text[:300]
    assert "bytes" in error_of(r)["message"] and error_of(r)["detail"].get("path", "").startswith("$.inputs[0]"), r.text
    canary(c)


# -- big graphs and derivatives -----------------------------------------------------------------------------------------
def _chain(k: int, op: str = "sin") -> dict:
    gb = GraphBuilder("deep")
    y = x = gb.input((3,), name="x")
    for _ in range(k):
        y = getattr(gb, op)(y)
    return graph_to_json(gb.build(gb.sum(y)))


@pytest.mark.parametrize("kind", ["eval", "grad"])
def test_a_chain_near_max_nodes_does_not_recurse_per_node(c, kind):
    """A chain of sin near max_nodes (3000 here; its derivative ~3x the forward's nodes), longer than
    Python's recursion limit: answered, never a 500 from a recursion per node. (Engine-level chains of
    1e5 nodes: tests/engine/test_deep_chains.py.)"""
    x = np.array([0.1, 0.2, 0.3], F32)
    k = 2900 if kind == "eval" else 900
    r = call(c, kind, {"graph": _chain(k), "inputs": [x]})
    want, d = x.astype(np.float64), np.ones(3)
    for _ in range(k):  # by NumPy: the chain and its derivative by the chain rule
        d, want = d * np.cos(want), np.sin(want)
    got = decode(r)["outputs"][0]["array"]
    np.testing.assert_allclose(got, want.sum() if kind == "eval" else d, rtol=1e-3, atol=1e-6)
    canary(c)


def test_a_graph_past_max_nodes_is_a_413(c):
    r = call(c, "eval", {"graph": _chain(100_001, "neg"), "inputs": [np.ones(3, F32)]})
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_nodes", r.text[:500]
    canary(c)


def test_an_order_ten_derivative_is_refused_before_it_is_derived(c, stub):
    body = {"graph": _chain(200, "tanh"), "inputs": [np.ones(3, F32)], "order": 10}
    r = call(c, "grad", body)
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_order", r.text[:500]
    e = gw.rpc_error(gw.call, stub, "grad", body, metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and gw.error_body(e)["detail"]["limit"] == "max_order"
    canary(c)


def test_an_order_three_derivative_of_a_large_graph_is_refused_by_a_budget(c):
    """Order 3 (the most these limits allow) of a 400-node tanh chain: its derived graph is far larger than the
    forward; a limit (max_work, max_nodes or max_job_flops) refuses it, or it runs: never a 500 or a hang."""
    r = call(c, "grad", {"graph": _chain(400, "tanh"), "inputs": [np.full(3, 0.1, F32)], "order": 3})
    assert r.status_code in (200, 413), r.text[:500]
    if r.status_code == 413:
        assert error_of(r)["detail"]["limit"] in ("max_work", "max_nodes", "max_job_flops", "max_job_bytes"), r.text
    canary(c)


def test_a_memory_bomb_is_refused_before_it_runs(c):
    """The gradient of a 200-long sin chain over 2^20 floats (at max_elements): every tensor within the
    limits, few operations (~6e8, under max_job_flops), but the backward pass keeps the forward's 200
    intermediates of 4 MiB alive (800 MiB, past this server's max_job_bytes of 512 MiB): refused before it
    runs, naming max_job_bytes."""
    gb = GraphBuilder("mem")
    y = x = gb.input((1 << 20,), name="x")
    for _ in range(200):
        y = gb.sin(y)
    r = call(c, "grad", {"graph": graph_to_json(gb.build(gb.sum(y))), "inputs": [np.zeros(1 << 20, F32)]},
             enc="b64")
    assert r.status_code == 413, r.text[:500]
    assert error_of(r)["detail"]["limit"] == "max_job_bytes" and error_of(r)["detail"]["value"] == JOB_BYTES, r.text
    canary(c)


# -- model repository and UM-Bridge ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "%2E%2E", "seed_grad%2F..%2Fum", "%2Fetc"])
def test_model_path_traversal_is_a_404(c, name):
    for route in (f"/v2/models/{name}", f"/v2/models/{name}/ready", f"/v2/models/{name}/config"):
        r = c.get(route)
        assert r.status_code in (400, 404), (route, r.status_code, r.text[:300])
        assert "root:" not in r.text
    r = c.post("/umbridge/InputSizes", json={"name": "../seed_grad", "config": {}})
    assert r.status_code in (400, 404), r.text[:300]
    canary(c)


@pytest.mark.parametrize("config", [{"device": "../../x"}, {"device": "cpu", "order": 10 ** 9}, [1, 2],
                                    {"device": {"a": 1}}, {"device": "gpu:99"}])
def test_umbridge_config_abuse_is_refused(c, config):
    r = c.post("/umbridge/Evaluate", json={"name": "um", "input": [[0.1, 0.2, 0.3], [1, 2, 3]], "config": config})
    assert r.status_code in (400, 404, 503), r.text[:300]
    assert "error" in r.json(), r.text[:300]
    canary(c)


def test_no_worker_restarted_through_round_three(c):
    assert metric(c, "gradserve_worker_restarts_total", device="cpu") == 0


# -- slow gRPC connections ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sent", [b"", b"PRI * HTTP/2.0\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"])
def test_a_grpc_connection_that_never_finishes_its_handshake_is_closed(c, srv, stub, sent):
    """Connections that send nothing, half the HTTP/2 preface, or the preface without its SETTINGS hold a
    place of max_connections (server-wide, every peer's): closed within header_timeout_s (2 s here) as a
    slow HTTP head is (before: grpc's default handshake timeout, 120 s), while other callers are served."""
    held = []
    try:
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", srv.grpc_port), timeout=CEILING)
            s.sendall(sent)
            held.append(s)
        out = gw.call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]}, timeout=CEILING,
                      metadata=[("authorization", "Bearer k2")])
        np.testing.assert_allclose(gw.arrays(out)[0], DX, rtol=1e-6)
        for s in held:
            s.settimeout(CEILING)  # (well under grpc's own 120 s: the server's close is what ends the read)
            try:
                while s.recv(65536):
                    pass
            except ConnectionResetError:
                pass
    finally:
        for s in held:
            s.close()
    canary(c)
