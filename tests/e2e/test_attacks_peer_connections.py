"""What one peer's connections may hold (reliab6, service.http_guard): its share of the server's connections
(PeerShare, peer_connection_share; max_connections 40 here, so a peer holds at most 20), and what a flood of
pipelined requests on one connection holds (HeadGuard.on_response_complete), against a real server.

uvicorn's max_connections is server-wide: one peer holding it in silent connections, each opened again as the
server closed it (header_timeout_s), answered every other client 503 (benchmarks/connection_hog.py: 2000 such
connections, the other peer's 20 requests all 503)."""
from __future__ import annotations

import select
import socket
from pathlib import Path

import httpx
import pytest

from .helpers import status_kb
from .server import server_in

CEILING = 60
SIN = {"graph": {"format": "gradserve.graph/1", "name": "s", "inputs": [{"name": "x", "shape": [1], "dtype": "float32"}],
                 "params": [], "nodes": [{"op": "sin", "inputs": ["x"], "outputs": ["y"], "attrs": {}}],
                 "outputs": "y"}, "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [0.5]}]}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    # (header_timeout_s well past the test: the held connections stay until closed here)
    with server_in(tmp_path_factory, "peer_connections", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_CONNECTIONS": "40",
                        "GRADSERVE_HEADER_TIMEOUT_S": "600"}) as s:
        yield s


def _from(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=CEILING)


def _refused(socks: list, n: int) -> list:
    """The sockets the server answered and closed, once n of them have been (each read to its end)."""
    got: dict = {}
    while len(got) < n:
        ready, _, _ = select.select([s for s in socks if s not in got], [], [], CEILING)
        assert ready, f"only {len(got)} of the connections past the peer's share were answered"
        for s in ready:
            data = s.recv(65536)
            got[s] = got.get(s, b"") + data
            while data:
                data = s.recv(65536)
                got[s] += data
    return list(got.items())


def test_one_peers_idle_connections_do_not_lock_others_out(srv):
    """40 silent connections from 127.0.0.1 (max_connections): 20 held, the other 20 answered 503 naming
    peer_connection_share and closed; another peer (127.0.0.2) then gets its health and a job answered (before:
    503, the server-wide cap full); the first peer is served again once its connections close."""
    port = srv.port
    held = [socket.create_connection(("127.0.0.1", port), timeout=CEILING) for _ in range(40)]
    try:
        refused = _refused(held, 20)
        assert all(b" 503 " in data.split(b"\r\n")[0] and b"peer_connection_share" in data for _, data in refused)
        with _from("127.0.0.2") as other:
            assert other.get(f"http://127.0.0.1:{port}/v2/health/live").status_code == 200
            r = other.post(f"http://127.0.0.1:{port}/v1/eval", json=SIN)
            assert r.status_code == 200, r.text[:300]
            assert r.json()["outputs"][0]["data"][0] == pytest.approx(0.479425538604203, rel=1e-6)  # sin(0.5)
        with _from("127.0.0.1") as same:
            r = same.get(f"http://127.0.0.1:{port}/v2/health/live")
            assert r.status_code == 503 and "peer_connection_share" in r.text, r.text
    finally:
        for s in held:
            s.close()
    with _from("127.0.0.1") as same:
        for _ in range(CEILING * 10):  # (the server learns of the closes as its loop reads them)
            if same.get(f"http://127.0.0.1:{port}/v2/health/live").status_code == 200:
                break
        else:
            pytest.fail("the peer was not served again after closing its connections")


def test_a_pipelined_flood_is_read_as_it_is_answered(srv):
    """200 K pipelined GETs on one connection whose answers are never read: the server reads more only once the
    requests it has are answered (uvicorn resumed reading at every answer, queued or not: all 200 K were read
    and queued at once, +487 MiB, benchmarks/SERVICE_REPORT.md round 6), so the sender is held back (its sends
    stop: nothing more is taken) and the server's memory grows by a bounded amount; another peer is answered."""
    pid = srv.proc.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # (VmHWM from now)
    base = status_kb(pid, "VmRSS")
    data = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n" * 200_000
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.setblocking(False)
    sent, held_back = 0, False
    try:
        while sent < len(data):
            try:
                sent += s.send(data[sent:sent + 65536])
            except BlockingIOError:
                # no room for 10 s: the server has stopped reading (a read's worth queued, its answers unread)
                if not select.select([], [s], [], 10)[1]:
                    held_back = True
                    break
            except OSError:  # (dropped: its answers untaken for send_timeout_s)
                held_back = True
                break
        with _from("127.0.0.2") as other:
            assert other.get(f"http://127.0.0.1:{srv.port}/v2/health/live").status_code == 200
    finally:
        s.close()
    grew_mib = (status_kb(pid, "VmHWM") - base) / 1024
    assert held_back and sent < len(data), f"the server read all {len(data)} bytes of pipelined requests"
    assert grew_mib < 200, grew_mib
