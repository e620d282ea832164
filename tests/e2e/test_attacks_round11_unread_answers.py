"""Large HTTP answers a client never reads, over many connections (reliab11: http_unsent_answer_bytes,
service.answer_budget as gRPC's grpc_unsent_answer_bytes).

A large answer (above 1 MiB) is streamed from the job's result as the client takes it (http_app.PartsResponse), and
dropped send_timeout_s after the client stops taking it; but each connection held its own: one peer's 24
connections, each asking for a 64 MiB answer and reading none, held +1.5 GiB of the server's memory (the admission
places were given back as each job ended), and at the defaults (send_timeout_s 30 s, 500 connections a peer, answers
up to 512 MiB) a few such clients would take the server's memory whole. Now a client's streamed answers not yet
taken count against http_unsent_answer_bytes: past it, its new jobs and an answer that would take it past are
refused (429 overloaded naming the setting, retry after; /v1's jobs and the Open Inference Protocol's inferences
and UM-Bridge's operations alike), while another client is served.

A real server: one cpu worker, answers of 16 MiB, a budget of two of them.
"""
from __future__ import annotations

import socket
import time

import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import body_for, decode
from .server import server_in

ANSWER = 16 << 20  # bytes: 2^22 float32
LIMIT = 2 * ANSWER + (64 << 10)  # (each answer is its tensor and a small JSON header)
CONNECTIONS = 6
CEILING = 120.0


def big_graph(n: int = ANSWER // 4) -> dict:
    gb = GraphBuilder("big")
    x = gb.input((1,), name="x")
    return graph_to_json(gb.build(gb.broadcast_to(gb.sin(x), shape=[n])))


MID = 1 << 18  # a UM-Bridge answer's values: ~5 MB of JSON, streamed (above 1 MiB) and counted as /v1's


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_model

    repo = tmp_path_factory.mktemp("models")
    write_model(repo, "big", big_graph(), {"kind": "eval"})
    write_model(repo, "mid", big_graph(MID), {"kind": "eval"})
    with server_in(tmp_path_factory, "unread_answers", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": "8", "GRADSERVE_MODEL_REPOSITORY": str(repo),
                        "GRADSERVE_MAX_ELEMENTS": str(ANSWER // 4), "GRADSERVE_SEND_TIMEOUT_S": "300",
                        "GRADSERVE_HTTP_UNSENT_ANSWER_BYTES": str(LIMIT)}) as s:
        yield s


DATA, HEADERS = body_for({"graph": big_graph(), "inputs": [np.ones(1, np.float32)]}, "binary")


def _request() -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
    return f"POST /v1/eval HTTP/1.1\r\nHost: x\r\nContent-Length: {len(DATA)}\r\n{head}\r\n".encode() + DATA


def _status(s: socket.socket) -> bytes:
    """The answer's status line's first bytes (reading no more: the answer's body stays untaken)."""
    got = b""
    while len(got) < 12:
        more = s.recv(12 - len(got))
        assert more, got
        got += more
    return got


def _client(source: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=CEILING)


def test_a_clients_unread_large_answers_are_bounded_and_others_are_served(srv):
    req, unread = _request(), []
    want = np.full(ANSWER // 4, np.sin(np.float32(1.0)), np.float32)
    try:
        statuses = []
        for _ in range(CONNECTIONS):  # one after another: each answer starts (or is refused) before the next
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(CEILING)
            s.bind(("127.0.0.1", 0))
            s.connect(("127.0.0.1", srv.port))
            s.sendall(req)
            statuses.append(_status(s))
            unread.append(s)
        assert statuses == [b"HTTP/1.1 200"] * 2 + \
            [b"HTTP/1.1 429"] * (CONNECTIONS - 2), statuses
        # another client (another peer host) is answered meanwhile, whole and right
        with _client("127.0.0.2") as other:
            r = other.post(f"{srv.url}/v1/eval", content=DATA, headers=HEADERS)
            assert r.status_code == 200, r.text[:300]
            np.testing.assert_allclose(decode(r)["outputs"][0]["array"], want, rtol=1e-6)
            r = other.post(f"{srv.url}/v2/models/big/infer",  # (a large inference answer, streamed as /v1's)
                           json={"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1.0]}],
                                 "parameters": {"binary_data_output": True}})
            assert r.status_code == 200, r.text[:300]
            n = int(r.headers["inference-header-content-length"])
            np.testing.assert_allclose(np.frombuffer(r.content[n:], np.float32), want, rtol=1e-6)
            r = other.post(f"{srv.url}/umbridge/Evaluate", json={"name": "mid", "input": [[1.0]], "config": {}})
            assert r.status_code == 200, r.text[:300]
            np.testing.assert_allclose(r.json()["output"][0], want[:MID], rtol=1e-6)
        # the Open Inference Protocol's and UM-Bridge's answers count in the same budget: this client's are refused
        with _client("127.0.0.1") as same:
            for route, body in (("/v2/models/big/infer",
                                 {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1.0]}]}),
                                ("/umbridge/Evaluate", {"name": "mid", "input": [[1.0]], "config": {}})):
                r = same.post(f"{srv.url}{route}", json=body)
                assert r.status_code == 429 and "http_unsent_answer_bytes" in r.text, (route, r.text[:300])
        # the refusal names the setting (read from a refused connection: a small answer)
        refused = unread[-1]
        refused.settimeout(CEILING)
        text = b""
        while b"http_unsent_answer_bytes" not in text and len(text) < 65536:
            more = refused.recv(4096)
            assert more, text
            text += more
        assert b"retry" in text.lower(), text
    finally:
        for s in unread:
            s.close()
    # its connections gone, the client is served again (its answers given back as their sends end)
    end = time.monotonic() + CEILING
    with _client("127.0.0.1") as again:
        while True:
            r = again.post(f"{srv.url}/v1/eval", content=DATA, headers=HEADERS)
            if r.status_code != 429:
                break
            assert time.monotonic() < end and "http_unsent_answer_bytes" in r.text, r.text[:300]
            time.sleep(0.2)
    assert r.status_code == 200, r.text[:300]
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], want, rtol=1e-6)
