"""Small HTTP answers (<= 1 MiB, not counted in http_unsent_answer_bytes) pipelined and never read (round 12).

An answer above 1 MiB is streamed and counted against its client's http_unsent_answer_bytes (round 11); one of at
most 1 MiB is written whole and is not. Is that a hole: a client that pipelines many requests with ~1 MiB answers on
many connections and reads none, can it make the server hold every answer? No: on both HTTP paths (uvicorn's h11 and
service.lean_http) a connection answers one request at a time and reads no further while an answer waits for its
peer (the transport's write buffer past its high-water mark pauses the request loop, and a pipelined request waits
in the kernel's receive buffer). So the server holds at most about one such answer a connection (and the kernel a
socket's buffers, tcp_wmem's 4 MiB at most): a peer holds at most its share of connections (peer_connection_share)
of them, a bound of the same kind as its streamed answers' (http_unsent_answer_bytes), not a count without end.

Measured here: 30 connections, each with 40 requests of a 1 MiB-less-16-KiB answer sent and none read. If each
request were answered into memory that would be ~1.2 GB; measured (2-core box, other helpers' load): 150 answers
computed (5 a connection: 4 in the kernel's buffers), the server's resident memory +41 MiB, and an honest client
answered meanwhile.
"""
from __future__ import annotations

import socket
import time

import httpx
import numpy as np

from .helpers import body_for, decode, metric
from .server import module_server
from .test_attacks_round11_unread_answers import big_graph

ANSWER = (1 << 20) - (16 << 10)  # bytes: just under 1 MiB (written whole, not counted)
CONNECTIONS = 30
PIPELINED = 40
CEILING = 120.0


def kernel_held() -> int:
    """Answers one connection may have computed: as many as its socket's send buffer takes at most (tcp_wmem's
    largest: 4 MiB, 4 answers, on the box measured: 5 a connection seen), one in the server, and slack."""
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        return int(f.read().split()[2]) // ANSWER + 3


srv = module_server("pipelined", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": "64", "GRADSERVE_SEND_TIMEOUT_S": "300"})


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def body() -> tuple[bytes, dict]:
    return body_for({"graph": big_graph(ANSWER // 4), "inputs": [np.ones(1, np.float32)]}, "binary")


def request_bytes() -> bytes:
    data, headers = body()
    return (f"POST /v1/eval HTTP/1.1\r\nhost: t\r\ncontent-type: {headers['Content-Type']}\r\n"
            f"inference-header-content-length: {headers['Inference-Header-Content-Length']}\r\n"
            f"content-length: {len(data)}\r\n\r\n").encode() + data


def test_pipelined_small_answers_never_read_hold_one_answer_a_connection(srv):
    c = srv.client(timeout=CEILING)
    ok0 = metric(c, "gradserve_requests_total", code="ok")
    data, headers = body()
    warm = c.post("/v1/eval", content=data, headers=headers)
    assert warm.status_code == 200, warm.text[:300]
    before = rss_mib(srv.proc.pid)
    blob = request_bytes() * PIPELINED
    socks, sent = [], [0] * CONNECTIONS
    try:
        for _ in range(CONNECTIONS):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # (a peer that reads nothing)
            s.setblocking(False)
            socks.append(s)
        # every pipelined request sent (they are small: the kernel's buffers take them), none of the answers read
        end = time.monotonic() + CEILING
        while min(sent) < len(blob) and time.monotonic() < end:
            for i, s in enumerate(socks):
                try:
                    if sent[i] < len(blob):
                        sent[i] += s.send(blob[sent[i]:sent[i] + (1 << 16)])
                except BlockingIOError:
                    pass
            time.sleep(0.01)
        assert min(sent) == len(blob), "the server stopped taking the pipelined requests' bytes"
        # each connection's first answer is computed and waits; the server then reads no further
        end = time.monotonic() + CEILING
        while metric(c, "gradserve_requests_total", code="ok") - ok0 < 1 + CONNECTIONS and time.monotonic() < end:
            time.sleep(0.2)
        t0 = time.monotonic()
        small, small_headers = body_for({"graph": big_graph(4), "inputs": [np.ones(1, np.float32)]}, "json")
        honest = c.post("/v1/eval", content=small, headers=small_headers)
        waited = time.monotonic() - t0
        np.testing.assert_allclose(decode(honest)["outputs"][0]["array"], np.full(4, np.sin(1.0)), rtol=1e-6)
        time.sleep(1.0)  # (settle: any further answers would be computed by now; the bound below is what counts)
        done = metric(c, "gradserve_requests_total", code="ok") - ok0 - 2
        grown = rss_mib(srv.proc.pid) - before
        # in the server's memory: about one answer a connection
        # a connection's answers: those its sockets' kernel buffers took (tcp_wmem's 4 MiB a socket at most, and the
        # peer's receive buffer) and one in the server; never the 40 pipelined
        assert done <= kernel_held() * CONNECTIONS, (done, kernel_held(), CONNECTIONS * PIPELINED)
        assert grown < 3 * CONNECTIONS * ANSWER / (1 << 20), (grown, "MiB")
        print(f"answers computed {done} of {CONNECTIONS * PIPELINED}; server RSS +{grown:.0f} MiB; "
              f"honest client {waited * 1000:.0f} ms")
    finally:
        for s in socks:
            s.close()
