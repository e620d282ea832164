"""Round 26's attacks: round 25's leftovers, then a fresh pass (real servers, two CPU workers, API keys, max_work
2000 under the e2e servers' max_nodes 3000).

Fixed:
- service.node_scan counted a UTF-16 body's bytes as if they were its text: a 9.7 KB body whose one tensor name
  spelled `}],"graph":{"nodes":[{},...]` in UTF-16 (json.loads reads it; its graph one sin node) was a 413 naming
  max_nodes / max_work. Now only a UTF-8 body is counted (json's guess from its first 4 bytes);
- a gzip JSON body that cannot be JSON after its first bytes (200 MB of NUL, or `{"a": "` and NULs) was inflated
  whole and parsed (~2 s of server CPU) before its 400: now refused as it inflates (service.json_head), on every JSON
  route (/v1 jobs and registrations, UM-Bridge, OIP REST, KServe v1);
- 10 000 silent connections from 40 addresses (each within its peer_connection_share) held max_connections: every
  other client's request 503. Now a new connection at max_connections closes an idle one of the peer holding the
  most (service.http_guard.PeerShare).

Expected values: what json.loads / orjson make of the same bytes (accepted or refused), NumPy's sin."""
from __future__ import annotations

import gzip
import json
import socket
import time

import httpx
import numpy as np
import orjson
import pytest

from service import codec, json_head, node_scan
from service.errors import NotJson
from service.http_body import decompressed

from .helpers import error_of
from .server import server_in
from .test_attacks_round24 import CEILING, H1, MAX_WORK, XS, graph, tensor

KEYS = {"GRADSERVE_API_KEYS": "k1,k2"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository, seed_grad)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    with server_in(tmp_path_factory, "attacks_round26", devices="cpu",
                   env={**KEYS, "GRADSERVE_MAX_WORK": str(MAX_WORK), "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        yield s


@pytest.fixture(scope="module")
def c(srv):
    with httpx.Client(base_url=srv.url, timeout=CEILING) as cl:
        yield cl


SIN_JOB = {"graph": graph([{"op": "sin", "inputs": ["x"], "outputs": ["z"]}]), "inputs": [tensor(XS)]}


def sin_xs() -> list:
    return np.sin(np.float32(XS)).tolist()


def answered_sin(r) -> None:
    assert r.status_code == 200, r.text[:400]
    assert np.allclose(r.json()["outputs"][0]["data"], sin_xs(), rtol=1e-6), r.text[:400]


# -- node_scan: a UTF-16 body's bytes are not its structure -----------------------------------------------------------
def wide_body(k: int, encoding: str) -> bytes:
    """A /v1/eval body of one sin node whose input tensor's name, in `encoding`, spells (byte by byte, read as
    ASCII) `}],"graph":{"nodes":[` and k objects at the body's top level."""
    inner = b'}],"graph":{"nodes":[' + b"{}," * (k - 1) + b'{}]},"q":[{,"'
    payload = b'"' + inner if len(inner) % 2 else b'" ' + inner
    name = payload.decode("utf-16-le")
    text = json.dumps({"graph": graph([{"op": "sin", "inputs": ["x"], "outputs": ["z"]}]),
                       "inputs": [{**tensor(XS), "name": name}]}, ensure_ascii=False)
    return text.encode(encoding)


WIDE = {"utf-16-le": wide_body(3100, "utf-16-le"), "utf-16 (BOM)": wide_body(3100, "utf-16")}


@pytest.mark.parametrize("case", list(WIDE))
def test_a_wide_body_is_not_counted(case):
    """The bytes read as ASCII hold 3100 objects in a `"graph"`'s `"nodes"` (base54: counted, 413); the text holds
    one node (json.loads' parse): not counted, and codec.loads keeps what json reads."""
    raw = WIDE[case]
    assert len(json.loads(raw)["graph"]["nodes"]) == 1
    assert node_scan.graph_node_objects(raw) is None
    value, _ = codec.loads(raw, offload=False, limits=codec.JsonLimits(64, 1 << 20, 3000, MAX_WORK))
    assert value["graph"] == json.loads(raw)["graph"]


def test_a_wide_body_is_answered_over_the_wire(c):
    """base54: 413 "graph has 3100 nodes, above the limit max_nodes=3000"."""
    answered_sin(c.post("/v1/eval", headers={**H1, "content-type": "application/json"}, content=WIDE["utf-16-le"]))


# -- JSON refused as it inflates --------------------------------------------------------------------------------------
NOT_JSON = {  # inflated body -> the words of its refusal (json.loads refuses each: checked below)
    "NUL only": (b"\0" * (6 << 20), "'\\x00' (utf-32-be) where a value starts"),
    "an object's string, then NUL": (b'{"a": "' + b"\0" * (6 << 20), "a control character (byte 0x00) at byte 7"),
    "spaces, then a letter": (b" " * (2 << 20) + b"x" + b"\0" * (1 << 20), "b'x' where a value starts at byte 2097152"),
    "a form": (b"a=1&" * (1 << 20), "b'a' where a value starts at byte 0"),
    "newlines, then NUL": (b"\r\n" * (1 << 20) + b"\0" * 9, "b'\\x00' where a value starts at byte 2097152"),
    "a control byte 3 MiB into a string": (b'{"a": "' + b"b" * (3 << 20) + b'\x01"}',
                                           "a control character (byte 0x01) at byte 3145735"),
}
JSON_OK = {  # bodies the watch must let through (json.loads reads each): mode -> bodies
    json_head.WHOLE: [b'{"a": "\\u0000"}', b"\xef\xbb\xbf" + b' {"a": 1}', '{"a": "\u00e9\u4e2d"}'.encode(),
                      '{"a": 1}'.encode("utf-16"), '{"a": 1}'.encode("utf-32-le"), b"  \r\n\t[1, 2]", b"NaN ",
                      b"-1.5", b"[]"],
    json_head.HEAD: [b'{"a": 1}' + b"\0" * 100],  # (the binary extension's tail may hold any byte)
}


@pytest.mark.parametrize("case", list(NOT_JSON))
def test_the_watch_refuses_only_what_json_refuses(case):
    raw, words = NOT_JSON[case]
    with pytest.raises(ValueError):
        json.loads(raw)
    with pytest.raises(NotJson) as e:
        decompressed(gzip.compress(raw), "gzip", 8 << 20, json=json_head.WHOLE)
    assert words in str(e.value), str(e.value)


@pytest.mark.parametrize("mode, raw", [(m, b) for m, bs in JSON_OK.items() for b in bs])
def test_the_watch_lets_json_through(mode, raw):
    if mode == json_head.WHOLE:
        json.loads(raw)  # (independent: the standard library reads it)
    assert bytes(decompressed(gzip.compress(raw), "gzip", 8 << 20, json=mode)) == raw


def test_the_watch_looks_at_a_utf16_body_chunk_by_chunk():
    """Bytes given a few at a time (as zlib's output may come) decide as the whole would."""
    w = json_head.Watch(json_head.WHOLE)
    raw = bytearray(" \n{}".encode("utf-16-le"))
    for i in range(1, len(raw) + 1):
        w.see(raw, i - 1, i)
    w2 = json_head.Watch(json_head.WHOLE)
    bad = bytearray("  x".encode("utf-16-be"))
    with pytest.raises(NotJson):
        for i in range(1, len(bad) + 1):
            w2.see(bad, i - 1, i)


JSON_ROUTES = ["/v1/eval", "/v1/graphs", "/umbridge/Evaluate", "/v2/models/seed_grad/infer",
               "/v1/models/seed_grad:predict"]


@pytest.mark.parametrize("case", ["NUL only", "an object's string, then NUL"])
@pytest.mark.parametrize("route", JSON_ROUTES)
def test_a_gzip_body_that_cannot_be_json_is_refused_as_it_inflates(c, route, case):
    """base54: inflated whole and parsed, then 400 "not valid JSON: Expecting value" / "Invalid control character"
    (200 MB of NUL: 2.0-2.5 s of server CPU; now 0.00-0.02 s)."""
    raw, words = NOT_JSON[case]
    r = c.post(route, content=gzip.compress(raw), headers={**H1, "content-type": "application/json",
                                                            "content-encoding": "gzip"})
    assert r.status_code == 400, r.text[:400]
    err = r.json()["error"]  # (OIP and KServe: the message itself; /v1 and UM-Bridge: an object holding it)
    message = err if isinstance(err, str) else err["message"]
    assert "refused as it was inflated" in message and words in message, message


def test_a_gzip_binary_extension_body_is_still_read(c):
    """Its raw tensor bytes (float32 zeros: NUL bytes) follow the JSON header: only the header's first bytes are
    looked at. sin(0) = 0, sin(XS) (NumPy)."""
    x = np.float32(XS)
    zeros = np.zeros(3, np.float32)
    head = json.dumps({"graph": graph([{"op": "sin", "inputs": ["x"], "outputs": ["z"]}]), "inputs": [
        {"shape": [3], "datatype": "FP32", "parameters": {"binary_data_size": 12}}]}).encode()
    for data, want in [(zeros, np.zeros(3)), (x, np.sin(x))]:
        r = c.post("/v1/eval", content=gzip.compress(head + data.tobytes()),
                   headers={**H1, "content-type": "application/octet-stream", "content-encoding": "gzip",
                            "inference-header-content-length": str(len(head))})
        assert r.status_code == 200, r.text[:400]
        assert np.allclose(r.json()["outputs"][0]["data"], want, rtol=1e-6)


def test_a_gzip_utf16_job_is_still_answered(c):
    answered_sin(c.post("/v1/eval", content=gzip.compress(json.dumps(SIN_JOB).encode("utf-16")),
                        headers={**H1, "content-type": "application/json", "content-encoding": "gzip"}))
    answered_sin(c.post("/v1/eval", content=gzip.compress(orjson.dumps(SIN_JOB)),
                        headers={**H1, "content-type": "application/json", "content-encoding": "gzip"}))


# -- idle connections at max_connections -------------------------------------------------------------------------------
CAP = 24  # max_connections: 12 a peer (peer_connection_share 0.5)
FLOOD = {"three peers of 12 idle connections": (3, 12), "six peers of 6": (6, 6)}


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    with server_in(tmp_path_factory, "attacks_round26_conns", devices="cpu",
                   env={**KEYS, "GRADSERVE_MAX_CONNECTIONS": str(CAP), "GRADSERVE_HEADER_TIMEOUT_S": "600",
                        "GRADSERVE_IDLE_TIMEOUT_S": "600"}) as s:
        yield s


def closed_by_server(socks: list) -> int:
    n = 0
    for s in socks:
        try:
            n += s.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b""
        except BlockingIOError:
            pass
        except OSError:
            n += 1
    return n


@pytest.mark.parametrize("case", list(FLOOD))
def test_idle_connections_from_many_peers_leave_room_for_a_request(capped, case):
    """Silent connections from other loopback addresses past max_connections (each peer within its share): base54
    answered every other client 503 until header_timeout_s; now the newest close idle ones of the largest peers
    and another client's job is answered."""
    peers, each = FLOOD[case]
    socks = []
    try:
        for p in range(peers):
            for _ in range(each):
                s = socket.socket()
                s.bind((f"127.0.0.{p + 2}", 0))
                s.connect(("127.0.0.1", capped.port))
                socks.append(s)
        deadline = time.monotonic() + CEILING  # (past max_connections: the server closes idle ones as they come)
        while closed_by_server(socks) < len(socks) - (CAP - 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert closed_by_server(socks) >= len(socks) - (CAP - 1)
        with httpx.Client(base_url=capped.url, timeout=CEILING) as cl:
            answered_sin(cl.post("/v1/eval", headers=H1, json=SIN_JOB))
    finally:
        for s in socks:
            s.close()


def test_a_busy_connection_is_not_closed_for_a_new_one(capped):
    """A connection with a request in flight (its head sent, the body not yet) is never the one closed: its request
    is answered once its body comes, after 2 x CAP connections from one more peer."""
    body = orjson.dumps(SIN_JOB)
    busy = socket.create_connection(("127.0.0.1", capped.port))
    socks = []
    try:
        busy.sendall(b"POST /v1/eval HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k1\r\ncontent-type: application/json"
                     b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n")
        for p in range(4):
            for _ in range(CAP // 2):
                s = socket.socket()
                s.bind((f"127.0.0.{p + 2}", 0))
                s.connect(("127.0.0.1", capped.port))
                socks.append(s)
        deadline = time.monotonic() + CEILING
        while closed_by_server(socks) < len(socks) - (CAP - 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        busy.sendall(body)
        busy.settimeout(CEILING)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = busy.recv(65536)
            assert chunk, got
            got += chunk
        assert got.startswith(b"HTTP/1.1 200"), got[:300]
    finally:
        busy.close()
        for s in socks:
            s.close()
