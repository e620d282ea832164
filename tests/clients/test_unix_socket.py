"""The same-host Unix socket (server setting uds_path, service.local_socket; SDK gradserve._transport._local)
against real servers: the SDK moves to the socket the server advertises, shared memory works over it, a
socket that is gone sends it back to TCP, a socket of another user or another server is never used, and the
server removes its socket on exit."""
from __future__ import annotations

import json
import os
import socket
import stat
import threading
from urllib.parse import quote

import httpx
import numpy as np
import pytest

import gradserve as gs
from gradserve._transport import _http1, _local
from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.local_socket import UNIX_PEER, ListenerError, UnixListener, install, resolve, same_host

from .conftest import RealServer
from .test_client_shm import w2_graph

F32 = np.float32


def _square() -> dict:
    gb = GraphBuilder("sq")
    x = gb.input((3,), name="x")
    return graph_to_json(gb.build(gb.sum(gb.mul(x, x))))


SQUARE = _square()


def _families(client: gs.Client) -> set:
    """The address families of the client's kept connections."""
    return {s.family for s, _ in client._transport._lean._idle}


def _grad_ok(client: gs.Client) -> None:
    x = np.array([1.0, -2.0, 3.0], F32)
    np.testing.assert_allclose(client.grad(SQUARE, [x]).outputs[0], 2 * x)


def test_the_sdk_moves_to_the_advertised_socket(real_server):
    adv = httpx.get(real_server.url + "/v1/local", timeout=10).json()
    path = adv["unix_socket"]
    assert adv["ports"] == [real_server.port]
    for proxy in ("X-Forwarded-For", "Forwarded", "Via", "X-Real-IP"):  # a request a proxy passed on: none
        assert httpx.get(real_server.url + "/v1/local", headers={proxy: "x"}, timeout=10).status_code == 404
    st, dst = os.stat(path), os.stat(os.path.dirname(path))
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and stat.S_IMODE(dst.st_mode) == 0o700
    with gs.Client(real_server.url) as c:
        _grad_ok(c)
        assert c._transport._lean.unix_path == path
        assert _families(c) == {socket.AF_UNIX}
        _grad_ok(c)  # and again, on the kept socket connection
        assert _families(c) == {socket.AF_UNIX}
    with gs.Client(real_server.url, unix_socket=False) as c:  # the option turns it off
        _grad_ok(c)
        assert c._transport._lean.unix_path is None and _families(c) == {socket.AF_INET}


def test_a_http_unix_url_and_the_explicit_option(real_server):
    path = httpx.get(real_server.url + "/v1/local", timeout=10).json()["unix_socket"]
    with gs.Client("http+unix://" + quote(path, safe="")) as c:
        _grad_ok(c)
        assert _families(c) == {socket.AF_UNIX} and c._transport._lean.address is None
    with gs.Client(real_server.url, unix_socket=path) as c:
        _grad_ok(c)
        assert _families(c) == {socket.AF_UNIX}
    with gs.Client("http+unix://" + quote("/nonexistent/gs.sock", safe=""), max_retries=0) as c:
        with pytest.raises(gs.errors.APIConnectionError):  # that socket only: no TCP to fall back to
            c.devices()


def test_shared_memory_over_the_socket(real_server):
    rng = np.random.default_rng(0)
    sizes = (784, 512, 512, 10)
    xs = [rng.standard_normal((256, 784)).astype(F32)]
    for a, b in zip(sizes, sizes[1:]):
        xs += [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(F32), (0.1 * rng.standard_normal(b)).astype(F32)]
    g, pos = w2_graph(), list(range(len(xs)))
    with gs.Client(real_server.url) as c, gs.Client(real_server.url, shared_memory=False, unix_socket=False) as p:
        for _ in range(2):
            got, want = c.grad(g, xs, grad_position=pos), p.grad(g, xs, grad_position=pos)
            for a, b in zip(got.outputs, want.outputs):
                np.testing.assert_array_equal(a, b)
        shm = c._transport._shm
        assert shm is not None and not shm.disabled and shm.pairs >= 1  # the server took the regions
        assert _families(c) == {socket.AF_UNIX}


def test_fallback_to_tcp_when_the_socket_is_gone_and_removal_on_exit(tmp_path):
    s = RealServer(tmp_path / "server.log")
    try:
        path = httpx.get(s.url + "/v1/local", timeout=10).json()["unix_socket"]
        with gs.Client(s.url) as c:
            _grad_ok(c)
            assert _families(c) == {socket.AF_UNIX}
            os.unlink(path)
            for conn, _ in c._transport._lean._idle:  # (a kept connection would go on working)
                conn.close()
            _grad_ok(c)
            assert c._transport._lean.unix_path is None and _families(c) == {socket.AF_INET}
        with gs.Client(s.url, unix_socket=path) as c:  # an explicit path that is gone: TCP too
            _grad_ok(c)
            assert _families(c) == {socket.AF_INET}
    finally:
        s.stop()
    assert not os.path.exists(os.path.dirname(path))  # the auto directory goes with the server


def test_an_explicit_socket_path(tmp_path):
    """Mode 0600 in a directory made 0700; a stale socket file replaced, one in use refused; removed by close."""
    path = str(tmp_path / "run" / "gs.sock")
    first = UnixListener(path, auto_dir=False)
    first.open()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(tmp_path / "run").st_mode) == 0o700
    first.sock.listen(1)
    with pytest.raises(ListenerError, match="in use"):
        UnixListener(path, auto_dir=False).open()
    first.sock.close()  # the process gone, its file left behind
    first.sock = None
    second = UnixListener(path, auto_dir=False, group=True)
    second.open()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
    second.close()
    assert not os.path.exists(path) and os.path.isdir(tmp_path / "run")
    open(path, "w").close()
    with pytest.raises(ListenerError, match="not a socket"):
        UnixListener(path, auto_dir=False).open()


def test_off_means_no_socket_and_no_advertisement(tmp_path):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    assert resolve("off", True) is None and resolve("auto", False) is None  # a network bind: TCP only
    explicit = resolve(str(tmp_path / "a.sock"), True)
    assert explicit is not None and explicit.path == str(tmp_path / "a.sock") and not explicit.auto_dir
    app = FastAPI()
    install(app, None)
    assert TestClient(app).get("/v1/local").status_code == 404


def test_only_same_host_peers_learn_the_socket():
    assert same_host(UNIX_PEER) and same_host("127.0.0.1") and same_host("::1")
    assert not same_host("10.1.2.3") and not same_host(None) and not same_host("unix.example.org")


# -- discovery against stand-in servers: which advertised sockets the SDK refuses ---------------------------

def _answer(body: dict) -> bytes:
    data = json.dumps(body).encode()
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(data), data)


class _Stub:
    """A listening socket answering every request with one JSON body, in a thread."""

    def __init__(self, sock: socket.socket, body: dict):
        self.sock, self.reply = sock, _answer(body)
        sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                buf = b""
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                conn.sendall(self.reply)


@pytest.fixture
def stubs(tmp_path):
    """(TCP stub advertising the Unix stub at instance "A", the Unix stub, its path); the Unix stub
    answers with the instance in `reply` (set by the test)."""
    path = str(tmp_path / "s.sock")
    made: list[socket.socket] = []

    def make(unix_instance: str, same_port: bool = True):
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.bind(path)
        t = socket.create_server(("127.0.0.1", 0))
        made.extend([u, t])
        port = t.getsockname()[1]
        ports = [port] if same_port else [port + 1]  # (not: the server behind a proxy listening on `port`)
        _Stub(u, {"unix_socket": path, "instance": unix_instance, "ports": ports})
        _Stub(t, {"unix_socket": path, "instance": "A", "ports": ports})
        return _http1.HTTP1Client(f"http://127.0.0.1:{port}", {}, 10.0), path

    yield make
    for s in made:
        s.close()


def test_discovery_takes_the_same_servers_own_socket(stubs):
    client, path = stubs("A")
    assert _local.discover(client) is True and client.unix_path == path


def test_discovery_refuses_a_socket_another_server_answers(stubs):
    client, _ = stubs("B")  # e.g. a path learnt through a forwarded port, naming something else here
    assert _local.discover(client) is False and client.unix_path is None


def test_discovery_stays_behind_a_proxy_on_another_port(stubs):
    client, _ = stubs("A", same_port=False)  # a same-host proxy or load balancer in front of the server
    assert _local.discover(client) is False and client.unix_path is None


def test_discovery_refuses_another_users_socket(stubs, monkeypatch):
    client, _ = stubs("A")
    other = os.getuid() + 1
    monkeypatch.setattr(_local.os, "getuid", lambda: other)
    assert _local.discover(client) is False and client.unix_path is None


def test_discovery_without_an_answer_asks_again_later():
    port = socket.create_server(("127.0.0.1", 0))
    addr = port.getsockname()
    port.close()  # nothing listens there now
    assert _local.discover(_http1.HTTP1Client(f"http://{addr[0]}:{addr[1]}", {}, 5.0)) is None


def test_a_path_the_server_cannot_use_stops_it_with_the_reason(tmp_path):
    from fastapi import FastAPI

    from service.cli import _unix_listener
    from service.settings import ConfigError, Settings

    taken = tmp_path / "file"
    taken.write_text("")
    with pytest.raises(ConfigError, match="not a socket"):
        _unix_listener(Settings(uds_path=str(taken)), FastAPI())
    assert taken.exists()  # left alone


def test_a_killed_servers_auto_directory_is_swept(tmp_path):
    import subprocess
    import sys

    from service.local_socket import sweep

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # (a pid no process has now)
    dead = tmp_path / f"gradserve-{gone.pid}-abc123"
    alive = tmp_path / f"gradserve-{os.getpid()}-def456"
    busy = tmp_path / f"gradserve-{gone.pid}-ghi789"  # something else in it: not ours to remove
    for d in (dead, alive, busy):
        d.mkdir(mode=0o700)
        (d / "http.sock").write_text("")
    (busy / "other").write_text("")
    sweep(str(tmp_path))
    assert not dead.exists() and alive.exists() and busy.exists()


def test_the_async_client_moves_to_the_socket_too(real_server):
    import asyncio

    async def main():
        async with gs.AsyncClient(real_server.url) as c:
            x = np.array([1.0, -2.0, 3.0], F32)
            r1 = await c.grad(SQUARE, [x])
            r2 = await c.grad(SQUARE, [x])
            return r1.outputs[0], r2.outputs[0], c._transport._unix  # (a failed connect would drop it)

    g1, g2, unix = asyncio.run(main())
    np.testing.assert_allclose(g1, [2.0, -4.0, 6.0])
    np.testing.assert_allclose(g2, [2.0, -4.0, 6.0])
    assert unix is not None  # the calls went over the server's socket


def test_the_async_client_falls_back_to_tcp(real_server):
    import asyncio

    async def main():
        async with gs.AsyncClient(real_server.url, unix_socket="/nonexistent/gs.sock") as c:
            assert c._transport._unix is not None
            r = await c.grad(SQUARE, [np.ones(3, F32)])
            return r.outputs[0], c._transport._unix

    g, unix = asyncio.run(main())
    np.testing.assert_allclose(g, [2.0, 2.0, 2.0])
    assert unix is None
