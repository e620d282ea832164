"""What a request's text says (round 12): Connection: Upgrade, its Content-Encoding, names holding a lone surrogate.

A request with Connection: Upgrade (curl --http2's h2c, a WebSocket, any other) had its body taken by the parser as
the other protocol's: the app saw an empty body (a valid job answered 400 "the body is not valid JSON") and the
connection hung, every later request on it unanswered. Nothing here speaks another protocol: such a request is now a
400 saying so (send it without; HTTP/2 is the gRPC port's), and its connection is closed (service.http_guard).

A Content-Encoding the server does not decode (br, zstd, two codings stacked) was a 400 on every route; RFC 9110
(15.5.16) makes it a 415 Unsupported Media Type, with Accept-Encoding naming the codings read. Now it is, on every
route that reads a body (/v1, the Open Inference Protocol, UM-Bridge, shared memory, the repository, uploads).

JSON's escape "\\ud800" parses to a Python str that no UTF-8 answer can hold.

Before: a graph whose op is named "\\ud800sin" got a 500 internal ("UnicodeEncodeError") over HTTP and UNKNOWN over
gRPC instead of its unknown-op error, as the error echoed the name raw (the node's label); an Open Inference Protocol
inference whose id held one got a 500, and the connection was reset (the next request on it failed). Now every error
text is escaped where it is clipped (service.errors.clip: the name comes back as the six characters \\ud800), and an
id the answer would echo is a 400 naming $.id (service.codec.echoable).

Other strings that held (each answered with its own 4xx, or served; no traceback in the log): a lone surrogate as a
graph's name, node id, input / output / parameter / attribute name, graph_id, device, weight, datatype, shared-memory
region or key, OIP input / output / parameter name, repository load parameter, an unknown top-level key; an
%ED%A0%80 (a surrogate's UTF-8 bytes, invalid) in a model, graph or region name in the URL; invalid UTF-8 in a body
or in gRPC graph_json; non-ASCII, right-to-left marks, emoji and NUL in names and node ids (served).
"""
from __future__ import annotations

import json
import socket

import grpc
import numpy as np
import pytest

from service.proto import gradserve_pb2_grpc as pb_grpc

from .grpc_wire import open_channel, request
from .helpers import body_for, decode
from .server import server_in
from .test_attacks_round11_unread_answers import big_graph

CEILING = 60.0
JSON = {"Content-Type": "application/json"}
X = '{"shape": [1], "datatype": "FP32", "data": [1.0]}'


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_model

    repo = tmp_path_factory.mktemp("models")
    write_model(repo, "m", big_graph(4), {"kind": "eval"})
    with server_in(tmp_path_factory, "unicode", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        yield s


def exchange(srv, raw: bytes) -> bytes:
    """Everything the server sends on one connection after `raw`, until it closes it (or CEILING passes)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=CEILING) as s:
        s.sendall(raw)
        out = b""
        while True:
            more = s.recv(65536)
            if not more:
                return out
            out += more


def test_a_request_asking_to_upgrade_is_a_400_and_its_connection_closed(srv):
    body, _ = body_for({"graph": big_graph(4), "inputs": [np.ones(1, np.float32)]}, "json")
    for path, upgrade in (("/v1/eval", "h2c"), ("/v1/eval?x=1", "websocket"), ("/v2/models/m/infer", "foo")):
        then = b"GET /v2/health/live HTTP/1.1\r\nhost: t\r\n\r\n"  # (never read as a request: the connection ends)
        head = (f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
                f"\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: {upgrade}\r\nhttp2-settings: AAMAAABkAAQAAP__"
                "\r\n\r\n").encode()
        out = exchange(srv, head + body + then)
        assert out.startswith(b"HTTP/1.1 400 ") and out.count(b"HTTP/1.1 ") == 1, (path, out[:400])
        assert b"Connection: Upgrade is not served" in out and b"connection: close" in out.lower(), (path, out[:400])
    with srv.client(timeout=CEILING) as c:  # (the same request without it: served)
        r = c.post("/v1/eval", content=body, headers=JSON)
        np.testing.assert_allclose(decode(r)["outputs"][0]["array"], np.full(4, np.sin(1.0)), rtol=1e-6)


ROUTES = ["/v1/eval", "/v1/graphs", "/v1/tensors", "/v2/models/m/infer", "/umbridge/Evaluate", "/umbridge/InputSizes",
          "/v2/systemsharedmemory/region/a/register", "/v2/repository/models/m/load"]


def test_an_unsupported_content_coding_is_a_415_on_every_route(srv):
    with srv.client(timeout=CEILING) as c:
        for route in ROUTES:
            for coding in ("br", "gzip, br", "gzip, gzip"):
                r = c.post(route, content=b"{}", headers={**JSON, "Content-Encoding": coding})
                assert r.status_code == 415, (route, coding, r.status_code, r.text[:300])
                assert r.headers.get("accept-encoding") == "gzip, deflate", (route, dict(r.headers))
                assert "send gzip, deflate or none" in r.text, (route, r.text[:300])
        # (a coding read, with a broken stream: still the 400 of a bad body)
        r = c.post("/v1/eval", content=b"not gzip", headers={**JSON, "Content-Encoding": "gzip"})
        assert r.status_code == 400, r.text[:300]


def surrogate_op_graph() -> str:
    """The graph's JSON text with its op named "\\ud800sin" (an escape: the text itself is ASCII)."""
    return json.dumps(big_graph(4)).replace('"op": "sin"', '"op": "\\ud800sin"')


def test_an_error_echoing_a_lone_surrogate_is_its_own_error(srv):
    with srv.client(timeout=CEILING) as c:
        r = c.post("/v1/eval", content='{"graph": %s, "inputs": [%s]}' % (surrogate_op_graph(), X), headers=JSON)
        assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_op", r.text[:300]
        assert "\\ud800sin" in r.json()["error"]["message"], r.text[:300]  # (escaped: the six characters)
        ok, headers = body_for({"graph": big_graph(4), "inputs": [np.ones(1, np.float32)]}, "json")
        np.testing.assert_allclose(decode(c.post("/v1/eval", content=ok, headers=headers))["outputs"][0]["array"],
                                   np.full(4, np.sin(1.0)), rtol=1e-6)
    ch = open_channel(srv.grpc_target)
    try:
        m = request("eval", {"inputs": [np.ones(1, np.float32)]})
        m.graph_json = surrogate_op_graph().encode()
        with pytest.raises(grpc.RpcError) as e:
            pb_grpc.GradserveStub(ch).Eval(m, timeout=CEILING)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "\\ud800sin" in e.value.details(), \
            (e.value.code(), e.value.details()[:300])
    finally:
        ch.close()


def test_an_oip_id_holding_a_lone_surrogate_is_a_400_and_the_connection_lives(srv):
    infer = '{"id": %s, "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1.0]}]}'
    with srv.client(timeout=CEILING) as c:
        r = c.post("/v2/models/m/infer", content=infer % '"a\\ud800"', headers=JSON)
        assert r.status_code == 400 and "$.id" in r.json()["error"] and "surrogate" in r.json()["error"], r.text[:300]
        ok = c.post("/v2/models/m/infer", content=infer % '"r\\u00e9\\ud83d\\ude00"', headers=JSON)  # (same connection)
        assert ok.status_code == 200 and ok.json()["id"] == "r\u00e9\U0001f600", ok.text[:300]
        np.testing.assert_allclose(ok.json()["outputs"][0]["data"], np.full(4, np.sin(1.0)), rtol=1e-6)
    assert "Traceback" not in srv.output()
