"""Round 20's attacks (one real server, two CPU workers, the OIP test repository plus a slow model, API keys k1-k3,
max_work 30 000).

Fixed:
- a client sending a stream of DIFFERENT heavy programs (each new, so the memo of refusals never answers it) spent
  max_work per send on a worker, one worker always its own (42 s of worker time in 40 s at load 9); now the worker
  time its refused builds took is charged to it (service.refusals.RefusedWork: refused_work_share of one worker,
  refused_work_burst_s at once) and past that its programs of unknown cost get 429 naming refused_work_share, while
  its known programs and every other client's jobs run (here share 0.001 and burst 0.05 s: one refusal is past it);
- a graph input named with a lone surrogate (JSON "\\ud800") ran on a worker, then its answer (d/d<name>) could not be
  encoded: 500 TypeError. Now 400 invalid_graph naming the name at load;
- an OIP input whose datatype is an object or a list: 500 (TypeError unhashable, and the connection reset). Now 400
  naming $.inputs[i].datatype;
- /v1's deadline_ms `true` read as 1 ms (a 504 for a malformed field): now a number only, 400 naming it.

Held (see the round's SERVICE_REPORT entry), pinned here: request-smuggling framings (CL + TE, TE + CL, two
Content-Lengths, obs-fold, odd Transfer-Encodings) on each route: one 400 and the connection closed, the request
behind never answered; gzip / deflate bombs on each route accepting Content-Encoding: 413 naming max_body_bytes;
100 000-deep JSON in the body and in each field: 400; 1e999 and 400-digit numbers in a graph's fields: 400 (in
tensor data they read as +-inf, as IEEE's conversion and Python's json do: the answer then follows, e.g. sin(inf) is
NaN); a worker killed mid-job on OIP HTTP, UM-Bridge and OIP gRPC: 500 / INTERNAL naming the dead worker, the next
job right; pipelined HTTP/1.1 requests with a slow one first: answered in order, another client served meanwhile.
Expected values: d/dx sin(x) = cos(x); matmul_net's d/dx is Y's row sums (DX, by hand)."""
from __future__ import annotations

import gzip
import json
import os
import re
import signal
import socket
import threading
import zlib

import grpc
import httpx
import numpy as np
import pytest
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import DX, X, Y, busy_worker, canary, decode, error_of, slow_net, wait_for_idle_pool
from .server import server_in

KEYS = ("k1", "k2", "k3")  # k2, k3: the refused-work test only (their accounts stay in debt for the module's life)
AUTH = {"authorization": "Bearer k1", "content-type": "application/json"}
OIP = "/v2/models/seed_grad/infer"
XT = {"name": "x", "datatype": "FP32", "shape": [2, 3], "data": X.ravel().tolist()}
YT = {"name": "y", "datatype": "FP32", "shape": [3, 3], "data": Y.ravel().tolist()}
MAX_WORK = 30_000
SLOW_N = 384  # slow20: 400 chained 384 x 384 matmuls, ~1-2 s of one core (long enough to kill it running)
CEILING = 120.0  # seconds any one answer may take on a loaded 2-core box


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_model, write_repository  # (tests/ is on sys.path: the OIP suite's repository)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    write_model(repo, "slow20", slow_net(SLOW_N, 400), {"kind": "eval"})
    with server_in(tmp_path_factory, "attacks_round20", devices="cpu",
                   env={"GRADSERVE_MODEL_REPOSITORY": str(repo), "GRADSERVE_API_KEYS": ",".join(KEYS),
                        "GRADSERVE_MAX_WORK": str(MAX_WORK), "GRADSERVE_MAX_NODES": "100000",
                        "GRADSERVE_MAX_ORDER": "4", "GRADSERVE_REFUSED_WORK_SHARE": "0.001",
                        "GRADSERVE_REFUSED_WORK_BURST_S": "0.05"}) as s:
        yield s


@pytest.fixture(scope="module")
def srv_default_work(tmp_path_factory):
    """The killed-worker cases' server: the default refused-work allowance. A worker that dies under a client's job
    is charged to that client (round 30: its restart, as a cancelled job's), so on `srv`, whose k1 spends its tiny
    allowance on purpose (test_new_heavy_programs_...), a kill would lock k1 out; here one death costs its restart
    within the default burst and the next job runs, as for a user whose worker died once."""
    from oip.models import write_model, write_repository

    repo = write_repository(tmp_path_factory.mktemp("models_default_work"))
    write_model(repo, "slow20", slow_net(SLOW_N, 400), {"kind": "eval"})
    with server_in(tmp_path_factory, "attacks_round20_default_work", devices="cpu",
                   env={"GRADSERVE_MODEL_REPOSITORY": str(repo), "GRADSERVE_API_KEYS": ",".join(KEYS)}) as s:
        yield s


@pytest.fixture(scope="module")
def c(srv):
    with srv.client(headers=AUTH, timeout=CEILING) as c:
        yield c


def sin_graph(name: str = "net", x: str = "x") -> dict:
    gb = GraphBuilder(name)
    return graph_to_json(gb.build(gb.sin(gb.input((1,), name=x))))


def heavy(c0: float) -> dict:
    """A chain of 200 tanh / sin-of-product layers scaled by c0 (a new program per c0): its order-3 grad charges
    past max_work 30 000 while a worker lowers it (seconds), then 413."""
    gb = GraphBuilder("main")
    x = gb.input((3,), name="x")
    y = gb.mul(x, gb.scalar(c0, "float32"))
    for i in range(200):
        y = gb.sin(gb.mul(y, x)) if i % 2 else gb.tanh(y)
    return graph_to_json(gb.build(gb.sum(y)))


X3 = {"datatype": "FP32", "shape": [3], "data": [0.1, 0.2, 0.3]}
X1 = {"datatype": "FP32", "shape": [1], "data": [0.5]}


def grad(c, key: str, graph: dict, inputs: list, **extra) -> httpx.Response:
    return c.post("/v1/grad", json={"graph": graph, "inputs": inputs, **extra},
                  headers={"authorization": f"Bearer {key}"})


def test_new_heavy_programs_are_held_to_the_clients_share_of_refused_work(c):
    known = sin_graph("known")
    r = grad(c, "k3", known, [X1])
    assert r.status_code == 200, r.text[:300]
    r = grad(c, "k3", heavy(1.0), [X3], order=3, deadline_ms=int(CEILING * 1e3))
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_work", r.text[:300]
    # a new program: its build would spend max_work again; the client's refused builds took past its share
    r = grad(c, "k3", heavy(1.001), [X3], order=3, deadline_ms=int(CEILING * 1e3))
    assert r.status_code == 429 and error_of(r)["detail"]["limit"] == "refused_work_share", r.text[:300]
    assert int(r.headers["retry-after"]) >= 1
    r = grad(c, "k3", heavy(1.0), [X3], order=3)  # the refused one again: the memo's 413, no worker
    assert r.status_code == 413, r.text[:300]
    r = grad(c, "k3", known, [X1])  # its known program runs as before
    assert r.status_code == 200, r.text[:300]
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], np.cos([0.5]), rtol=1e-6)
    # another client's new programs, light or heavy, meet no account of k3's (the heavy one's refusal then opens
    # k2's own: its next new program would be a 429 too)
    r = grad(c, "k2", sin_graph("fresh"), [X1])
    assert r.status_code == 200, r.text[:300]
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], np.cos([0.5]), rtol=1e-6)
    r = grad(c, "k2", heavy(1.001), [X3], order=3, deadline_ms=int(CEILING * 1e3))
    assert r.status_code == 413 and error_of(r)["detail"]["limit"] == "max_work", r.text[:300]


# -- request smuggling -------------------------------------------------------------------------------------------
SMUGGLED = b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n"
ROUTES = ["/v1/grad", "/v1/eval", OIP, "/umbridge/Evaluate", "/v2/repository/index"]


def framing(route: str, form: str) -> bytes:
    head = b"POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k1\r\nContent-Type: application/json\r\n" % (
        route.encode())
    body = b'{"a":1}'
    return head + {
        "cl-te": b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (5 + len(SMUGGLED)) + SMUGGLED,
        "te-cl": b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n7\r\n" + body + b"\r\n0\r\n\r\n" + SMUGGLED,
        "two-cl": b"Content-Length: 7\r\nContent-Length: %d\r\n\r\n" % (7 + len(SMUGGLED)) + body + SMUGGLED,
        "cl-list": b"Content-Length: 7, %d\r\n\r\n" % (7 + len(SMUGGLED)) + body + SMUGGLED,
        "obs-fold-cl": b"Content-Length:\r\n %d\r\n\r\n" % (7 + len(SMUGGLED)) + body + SMUGGLED,
        "obs-fold-te": b"Transfer-Encoding:\r\n chunked\r\nContent-Length: 7\r\n\r\n" + body + SMUGGLED,
        "te-xchunked": b"Transfer-Encoding: xchunked\r\nContent-Length: 7\r\n\r\n" + body + SMUGGLED,
        "te-space": b"Transfer-Encoding : chunked\r\nContent-Length: 7\r\n\r\n" + body + SMUGGLED,
        "cl-plus": b"Content-Length: +7\r\n\r\n" + body + SMUGGLED,
        "chunk-size-overflow": b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF7\r\n" + body + b"\r\n0\r\n\r\n"
                               + SMUGGLED,
    }[form]


def exchange(srv, data: bytes) -> bytes:
    """Send `data` on one connection and read until the server closes it (a ceiling, not a wait)."""
    port = int(srv.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        out = b""
        while True:
            got = s.recv(65536)
            if not got:
                return out
            out += got


@pytest.mark.parametrize("form", ["cl-te", "te-cl", "two-cl", "cl-list", "obs-fold-cl", "obs-fold-te", "te-xchunked",
                                  "te-space", "cl-plus", "chunk-size-overflow"])
@pytest.mark.parametrize("route", ROUTES)
def test_smuggling_framings_are_one_400_and_the_connection_closed(srv, route, form):
    out = exchange(srv, framing(route, form))
    assert re.findall(rb"HTTP/1.1 (\d+)", out) == [b"400"], out[:400]  # the request behind is never answered
    assert b'"ready"' not in out


# -- compression bombs ---------------------------------------------------------------------------------------------
BOMB = b"{" + b" " * (64 << 20) + b"}"  # 64 MiB of JSON whitespace: past the e2e max_body_bytes (8 MiB)
BOMBS = {"gzip": gzip.compress(BOMB, 9), "deflate": zlib.compress(BOMB, 9)}  # (~64 KB each)
JSON_ROUTES = ["/v1/grad", "/v1/eval", "/v1/graphs", OIP, "/umbridge/Evaluate"]


@pytest.mark.parametrize("enc", ["gzip", "deflate"])
@pytest.mark.parametrize("route", JSON_ROUTES)
def test_compression_bombs_are_413_naming_max_body_bytes(c, route, enc):
    r = c.post(route, content=BOMBS[enc], headers={"content-encoding": enc})
    assert r.status_code == 413 and "max_body_bytes" in r.text, r.text[:300]


def test_a_compressed_body_is_still_read_right(c):
    body = json.dumps({"inputs": [XT, YT]}).encode()
    for enc, data in (("gzip", gzip.compress(body)), ("deflate", zlib.compress(body))):
        r = c.post(OIP, content=data, headers={"content-encoding": enc})
        assert r.status_code == 200, r.text[:300]
        np.testing.assert_allclose(np.reshape(r.json()["outputs"][0]["data"], (2, 3)), DX, rtol=1e-6)


# -- deep JSON and huge numbers --------------------------------------------------------------------------------------
DEEP = {"list": "[" * 100_000 + "]" * 100_000, "object": '{"a":' * 100_000 + "1" + "}" * 100_000}
BODIES = {"/v1/grad": {"graph": sin_graph(), "inputs": [X1]}, "/v1/graphs": {"graph": sin_graph()},
          OIP: {"inputs": [XT, YT]}, "/umbridge/Evaluate": {"name": "um", "input": [[0.5, 1, 2], [1, 2, 3]],
                                                            "config": {}}}
MARK = "\u0001MARK\u0001"


def fields(o, p=()):
    """Paths to each value of `o` (the first two items of each list)."""
    if isinstance(o, dict):
        for k, v in o.items():
            yield p + (k,)
            yield from fields(v, p + (k,))
    elif isinstance(o, list):
        for i, v in enumerate(o[:2]):
            yield p + (i,)
            yield from fields(v, p + (i,))


def with_token(body: dict, path: tuple, token: str) -> str:
    o = json.loads(json.dumps(body))
    cur = o
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = MARK
    return json.dumps(o).replace(json.dumps(MARK), token)


@pytest.mark.parametrize("deep", ["list", "object"])
@pytest.mark.parametrize("route", list(BODIES))
def test_100k_deep_json_is_400_in_the_body_and_every_field(c, route, deep):
    r = c.post(route, content=DEEP[deep])
    assert r.status_code == 400 and "nested too deeply" in r.text, r.text[:300]
    for path in fields(BODIES[route]):
        r = c.post(route, content=with_token(BODIES[route], path, DEEP[deep]))
        assert r.status_code == 400, (path, r.text[:300])


@pytest.mark.parametrize("token", ["1e999", "-1e999", "9" * 400, "-" + "9" * 400])
def test_huge_numbers_in_a_graph_are_400_and_in_data_read_as_infinities(c, token):
    body = {"graph": sin_graph()}
    for path in fields(body):
        r = c.post("/v1/graphs", content=with_token(body, path, token))
        assert r.status_code == 400, (path, r.text[:300])
    # tensor data: past float64's range, +-inf (IEEE's overflow on conversion; Python's json reads 1e999 so): sin
    # of it is NaN (NumPy: np.sin(np.inf) is nan), answered, no 5xx
    r = c.post("/v1/eval", content=with_token({"graph": sin_graph(), "inputs": [X1]}, ("inputs", 0, "data", 0), token))
    assert r.status_code == 200, r.text[:300]
    assert np.isnan(decode(r)["outputs"][0]["array"]).all()
    # x's values do not reach d/dx of x @ y: the gradient is Y's row sums whatever x holds
    r = c.post(OIP, content=with_token({"inputs": [XT, YT]}, ("inputs", 0, "data", 0), token))
    assert r.status_code == 200, r.text[:300]
    np.testing.assert_allclose(np.reshape(r.json()["outputs"][0]["data"], (2, 3)), DX, rtol=1e-6)


# -- Unicode in names ----------------------------------------------------------------------------------------------
def test_a_lone_surrogate_in_a_graph_name_is_400_naming_it(c):
    body = json.dumps({"graph": sin_graph(x="XNAME"), "inputs": [X1]}).replace('"XNAME"', '"\\ud800"')
    r = c.post("/v1/grad", content=body)
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_graph", r.text[:300]
    assert "lone surrogate" in r.text and "inputs[0].name" in r.text, r.text[:300]
    body = json.dumps({"graph": sin_graph(x="\u202ex\u0000"), "inputs": [X1]})  # RTL override, NUL: text, answered
    r = c.post("/v1/grad", content=body)
    assert r.status_code == 200, r.text[:300]
    assert decode(r)["outputs"][0]["name"] == "d/d\u202ex\u0000"
    r = c.post(OIP, content=json.dumps({"inputs": [XT, YT]})[:-1] + ', "id": "\\udfff"}')
    assert r.status_code == 400 and "$.id" in r.text, r.text[:300]


@pytest.mark.parametrize("datatype", ["{}", "[]", '{"a": 1}', '[["FP32"]]'])
def test_an_oip_datatype_that_is_an_object_or_a_list_is_400_naming_it(c, datatype):
    # (it was a 500: TypeError unhashable, from the datatype table's lookup; found by round 20's sweep of JSON types
    # over every field)
    x = json.dumps(dict(XT, datatype="MARK")).replace('"MARK"', datatype)
    r = c.post(OIP, content='{"inputs": [%s, %s]}' % (x, json.dumps(YT)))
    assert r.status_code == 400 and "$.inputs[0].datatype" in r.text, r.text[:300]


@pytest.mark.parametrize("value", ["true", "false", '"5000"'])
def test_a_deadline_that_is_not_a_number_is_400_naming_it(c, value):
    # (`true` was read as 1 ms: a 504 "deadline passed" for a malformed field)
    body = json.dumps({"graph": sin_graph(), "inputs": [X1], "deadline_ms": "MARK"}).replace('"MARK"', value)
    r = c.post("/v1/eval", content=body)
    assert r.status_code == 400 and error_of(r)["detail"]["path"] == "$.deadline_ms", r.text[:300]
    r = c.post("/v1/eval", content=body.replace(value, "5000.5"))
    assert r.status_code == 200, r.text[:300]
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], np.sin([0.5]), rtol=1e-6)


# -- a worker killed mid-job, each protocol ----------------------------------------------------------------------------
SLOW_X = ((np.random.default_rng(0).random((SLOW_N, SLOW_N)) - 0.5) / SLOW_N).astype(np.float32)


def oip_http(srv):
    with srv.client(headers=AUTH, timeout=CEILING) as h:
        r = h.post("/v2/models/slow20/infer", json={"inputs": [{"name": "x", "datatype": "FP32",
                                                                 "shape": [SLOW_N, SLOW_N],
                                                                 "data": SLOW_X.ravel().tolist()}]})
    return r.status_code, r.text


def umbridge(srv):
    with srv.client(headers=AUTH, timeout=CEILING) as h:
        r = h.post("/umbridge/Evaluate", json={"name": "slow20", "input": [SLOW_X.ravel().tolist()], "config": {}})
    return r.status_code, r.text


def oip_grpc(srv):
    req = opb.ModelInferRequest(model_name="slow20")
    t = req.inputs.add(name="x", datatype="FP32", shape=[SLOW_N, SLOW_N])
    req.raw_input_contents.append(SLOW_X.tobytes())
    assert t.name == "x"
    with grpc.insecure_channel(srv.grpc_target) as ch:
        try:
            opb_grpc.GRPCInferenceServiceStub(ch).ModelInfer(req, metadata=[("authorization", "Bearer k1")],
                                                             timeout=CEILING)
            return "OK", ""
        except grpc.RpcError as e:
            return e.code(), e.details()


@pytest.mark.parametrize("send", [oip_http, umbridge, oip_grpc])
def test_a_worker_killed_mid_job_is_a_clear_5xx_and_the_next_job_right(srv_default_work, send):
    srv = srv_default_work
    with srv.client(headers=AUTH, timeout=CEILING) as c:
        wait_for_idle_pool(c)
        box: dict = {}
        th = threading.Thread(target=lambda: box.update(got=send(srv)))
        th.start()
        w = busy_worker(c, timeout=CEILING)
        os.kill(w["pid"], signal.SIGKILL)
        th.join(CEILING)
        code, text = box["got"]
        assert code in (500, grpc.StatusCode.INTERNAL), (code, text[:300])
        assert "died while running this job" in text and str(w["pid"]) in text, text[:300]
        canary(c, CEILING)


# -- pipelining ----------------------------------------------------------------------------------------------------
def test_pipelined_requests_with_a_slow_one_first_are_answered_in_order(srv, c):
    slow = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [SLOW_N, SLOW_N],
                                   "data": SLOW_X.ravel().tolist()}]}).encode()
    fast = json.dumps({"inputs": [XT, YT]}).encode()

    def req(route: str, body: bytes, rid: str) -> bytes:
        return (f"POST {route} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if rid == "last" else "") +
                "\r\n").encode() + body
    other: list = []

    def another_client():
        with srv.client(headers={"authorization": "Bearer k1"}, timeout=CEILING) as h:
            for _ in range(5):
                other.append(h.post(OIP, content=fast, headers={"content-type": "application/json"}).status_code)
    th = threading.Thread(target=another_client)
    th.start()
    out = exchange(srv, req("/v2/models/slow20/infer", slow, "a") + req(OIP, fast, "b") +
                   req("/v2/models/slow20/infer", slow, "c") + req(OIP, fast, "last"))
    th.join(CEILING)
    assert re.findall(rb"HTTP/1.1 (\d+)", out) == [b"200"] * 4, out[:500]
    names = re.findall(rb'"model_name":"(\w+)"', out)
    assert names == [b"slow20", b"seed_grad", b"slow20", b"seed_grad"], names
    assert other == [200] * 5
