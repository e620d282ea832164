"""One peer address's share of the server's connections (reliab6: service.http_guard.PeerShare,
peer_connection_share), against a real server (max_connections 40, so a peer holds at most 20).

uvicorn's max_connections is server-wide: one peer holding it in silent connections, each opened again as the
server closed it (header_timeout_s), answered every other client 503 (benchmarks/connection_hog.py: 2000 such
connections, the other peer's 20 requests all 503)."""
from __future__ import annotations

import select
import socket

import httpx
import pytest

from .server import Server

CEILING = 60
SIN = {"graph": {"format": "gradserve.graph/1", "name": "s", "inputs": [{"name": "x", "shape": [1], "dtype": "float32"}],
                 "params": [], "nodes": [{"op": "sin", "inputs": ["x"], "outputs": ["y"], "attrs": {}}],
                 "outputs": "y"}, "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [0.5]}]}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    # (header_timeout_s well past the test: the held connections stay until closed here)
    s = Server(tmp_path_factory.mktemp("peer_connections") / "server.log", devices="cpu",
               env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_CONNECTIONS": "40",
                    "GRADSERVE_HEADER_TIMEOUT_S": "600"})
    yield s
    s.stop()


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
