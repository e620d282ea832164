"""Round 28's attacks: round 27's open items, then a fresh pass (real servers).

Fixed:
- more than 48 flooding addresses on the gRPC port: the listening socket's filter held 48 peers at most (an 8-bit
  conditional jump to its IPv6 part), so past max_connections the crowd shut every flooding peer's idle connections
  down but held back only the first 48 (by address): the others opened theirs again at once. Now the jump is a long
  one and a filter holds as many peers as MAX_INSNS (2048 instructions: 680 IPv4 addresses) allows.
- a compressed body's inflation was not charged to its client's parse share (only the parse of its JSON was): a client
  sending small gzip bodies whose inflated bytes are not JSON to parse (the binary extension's tensors) spent the
  server's time inflating them without limit. Now the inflation is timed to the client's share, and a client past
  it is refused (429 naming parse_share) before its body inflates; another client is served meanwhile. gRPC's
  compressed messages alike (RESOURCE_EXHAUSTED).
- a new program cancelled once it ran had its worker killed and replaced (seconds), charged to nobody: a loop of
  them kept the pool's worker restarting. Now the job's worker time and the replacement's start go to the client's
  account of refused work (service.refusals.RefusedWork): past its burst, its new programs are 429.
- (in-process) the crowd's look at the port's connections (grpc_crowd.PortPeers) asks each socket once while it
  lives: it still sees connections come and go, and forgets those it shut down.

Expected values: NumPy's sum of the same array; a connect from a held-back peer never completes (its SYNs dropped).
"""
from __future__ import annotations

import gzip
import selectors
import socket
import time

import grpc
import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.grpc_crowd import PortPeers
from service.proto import gradserve_pb2_grpc as pb_grpc

from . import grpc_wire as gw
from .helpers import DX, X, Y, body_for, call, decode, error_of, matmul_net, metric, slow_input, slow_net
from .server import server_in
from .test_attacks_round11_grpc_peers import CEILING, _answered_on_a_new_channel
from .test_attacks_round27 import _silent

# -- more than 48 peers held back ---------------------------------------------------------------------------------------
CAP = 200  # max_connections: the crowd acts at 180 and shuts down to 160 (grpc_crowd.Crowd)
PEERS = [f"127.0.28.{i}" for i in range(1, 91)]  # 90 peers x 2 connections = 180: each past an even share of 160
HELD_S = 3.0  # how long a connect from a held-back peer is given (loopback completes at once, or never)


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    # (header_timeout_s far past the test: no silent connection ends by itself)
    with server_in(tmp_path_factory, "attacks_round28_grpc", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_CONNECTIONS": str(CAP),
                        "GRADSERVE_HEADER_TIMEOUT_S": "600", "GRADSERVE_IDLE_TIMEOUT_S": "600"}) as s:
        yield s


def _completing(port: int, sources: list[str], wait_s: float) -> list[str]:
    """The sources whose new connection (one each, all at once) completed within wait_s."""
    sel, out = selectors.DefaultSelector(), []
    for src in sources:
        s = socket.socket()
        s.setblocking(False)
        s.bind((src, 0))
        s.connect_ex(("127.0.0.1", port))
        sel.register(s, selectors.EVENT_WRITE, src)
    end = time.monotonic() + wait_s
    while sel.get_map() and time.monotonic() < end:
        for key, _ in sel.select(max(0.0, end - time.monotonic())):
            if not key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                out.append(key.data)
            sel.unregister(key.fileobj)
            key.fileobj.close()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    return out


def test_more_than_48_flooding_peers_are_all_held_back(crowded):
    """90 peers x 2 silent connections reach the crowd's mark: every peer is past an even share, so every one is held
    back at the listening socket. base55: 42 of the 90 (past the filter's 48) connected again at once; now none does,
    and another client's new channel is answered."""
    socks = []
    try:
        for p in PEERS:
            socks += _silent(crowded.grpc_port, p, 2)
        with httpx.Client(base_url=crowded.url, timeout=CEILING) as cl:
            end = time.monotonic() + CEILING  # (the crowd's sample: its shut-downs counted, its peers held back)
            while metric(cl, "gradserve_grpc_connections_closed_total", reason="crowd") == 0:
                assert time.monotonic() < end, "the crowd never acted"
                time.sleep(0.2)
        let_in = _completing(crowded.grpc_port, PEERS, HELD_S)
        assert let_in == [], f"{len(let_in)} of {len(PEERS)} flooding peers not held back: {sorted(let_in)[:5]}..."
        np.testing.assert_allclose(_answered_on_a_new_channel(crowded), DX, rtol=1e-6)
    finally:
        for s in socks:
            s.close()


# -- a compressed body's inflation charged to its sender ----------------------------------------------------------------
N = 1 << 22  # elements of the bombs' tensor: 16 MiB of float32 ones, ~16 KiB gzipped
SHARE, BURST_S = 0.01, 0.3  # a parse share small enough that inflating a few of them passes it


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    with server_in(tmp_path_factory, "attacks_round28_inflate", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_API_KEYS": "k1,k2,k3,k4",
                        "GRADSERVE_MAX_BODY_BYTES": str(32 << 20), "GRADSERVE_MAX_ELEMENTS": str(N),
                        "GRADSERVE_PARSE_SHARE": str(SHARE), "GRADSERVE_PARSE_BURST_S": str(BURST_S)}) as s:
        yield s


def _sum_job() -> tuple[bytes, dict]:
    """A sum over N ones in the binary extension, gzipped: its JSON part is a few hundred bytes (never charged as a
    parse), its inflated tensor 16 MiB."""
    gb = GraphBuilder("net")
    body, headers = body_for({"graph": graph_to_json(gb.build(gb.sum(gb.input((N,), name="x")))),
                              "inputs": [np.ones(N, np.float32)]}, "binary")
    return gzip.compress(body, 6), {**headers, "content-encoding": "gzip"}


def test_a_clients_inflations_are_charged_to_its_parse_share(shared):
    """One key's gzip bodies, each a valid job: base55 answered all 60 (their inflation charged nowhere: 2.0 s of
    server CPU, ~34 ms each); now 429 naming parse_share once the burst is spent (measured: the 14th; 0.45 s of
    server CPU for the 60), before they inflate, while another key's same body is answered."""
    bomb, headers = _sum_job()
    with httpx.Client(base_url=shared.url, timeout=CEILING) as c:
        first = c.post("/v1/eval", content=bomb, headers={**headers, "authorization": "Bearer k1"})
        np.testing.assert_allclose(decode(first)["outputs"][0]["array"], np.ones(N, np.float32).sum())
        for _ in range(60):
            r = c.post("/v1/eval", content=bomb, headers={**headers, "authorization": "Bearer k1"})
            if r.status_code != 200:
                break
        assert r.status_code == 429, f"60 inflations and no refusal: {r.status_code}"
        assert error_of(r)["detail"]["limit"] == "parse_share", r.text[:400]
        other = c.post("/v1/eval", content=bomb, headers={**headers, "authorization": "Bearer k2"})
        np.testing.assert_allclose(decode(other)["outputs"][0]["array"], np.ones(N, np.float32).sum())


def test_a_grpc_clients_inflations_are_charged_to_its_parse_share(shared):
    """The same over gRPC (grpc-encoding gzip, inflated by service.grpc_inflate): base55 answered all 60 (their
    inflation charged nowhere); now RESOURCE_EXHAUSTED naming parse_share within them, another key's answered."""
    gb = GraphBuilder("net")
    body = {"graph": graph_to_json(gb.build(gb.sum(gb.input((N,), name="x")))), "inputs": [np.ones(N, np.float32)]}
    with grpc.insecure_channel(shared.grpc_target, options=[("grpc.max_send_message_length", -1)]) as ch:
        stub = pb_grpc.GradserveStub(ch)

        def send(key: str):
            return gw.call(stub, "eval", body, timeout=CEILING, compression=grpc.Compression.Gzip,
                           metadata=(("authorization", f"Bearer {key}"),))

        np.testing.assert_allclose(gw.arrays(send("k3"))[0], np.ones(N, np.float32).sum())
        for _ in range(60):
            try:
                send("k3")
            except grpc.RpcError as e:
                err = e
                break
        else:
            raise AssertionError("60 inflations and no refusal")
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "parse_share" in err.details(), err.details()
        np.testing.assert_allclose(gw.arrays(send("k4"))[0], np.ones(N, np.float32).sum())


# -- cancel, then send a new program again ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    with server_in(tmp_path_factory, "attacks_round28_cancel", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_API_KEYS": "k1,k2",
                        # a burst a worker's start alone passes, paid back slowly (at 1 s and the default 0.5 s a
                        # second, a quiet fast machine's restart, ~0.5 s, stayed under it: the next job ran)
                        "GRADSERVE_REFUSED_WORK_BURST_S": "0.1", "GRADSERVE_REFUSED_WORK_SHARE": "0.01"}) as s:
        yield s


def _worker_states(c: httpx.Client) -> list[str]:
    return [w["state"] for p in c.get("/v1/devices").json()["pools"] for w in p["workers"]]


def test_a_clients_cancelled_jobs_worker_restarts_are_charged_to_it(one_worker):
    """A new program (unknown cost) cancelled once it runs: its worker is recycled (killed, and replaced: seconds of
    a start); in a loop, another key's small grad waited 4-8 s behind the restarts (one worker). base55 charged the
    restarts nowhere: the client's next new program went ahead, to be cancelled again. Now the job's worker time and
    its replacement's start go to the client's account of refused work (refused_work_burst_s 0.1 s here): its next
    new program is 429 naming refused_work_share, and the other key's grad is answered."""
    v = httpx.Client(base_url=one_worker.url, timeout=CEILING, headers={"authorization": "Bearer k2"})
    with v, grpc.insecure_channel(one_worker.grpc_target) as ch:
        stub = pb_grpc.GradserveStub(ch)
        fut = stub.Grad.future(gw.request("grad", {"graph": slow_net(512, 60), "inputs": [slow_input(512)]}),
                               metadata=(("authorization", "Bearer k1"),), timeout=CEILING)
        end = time.monotonic() + CEILING
        while _worker_states(v) != ["busy"]:
            assert time.monotonic() < end and not fut.done(), "the job never ran"
            time.sleep(0.05)
        fut.cancel()
        while _worker_states(v) != ["idle"] or metric(v, "gradserve_worker_restarts_total") == 0:
            assert time.monotonic() < end, "the cancelled job's worker was never recycled and replaced"
            time.sleep(0.2)
        with pytest.raises(grpc.RpcError) as e:
            gw.call(stub, "grad", {"graph": slow_net(512, 61), "inputs": [slow_input(512)]}, timeout=CEILING,
                    metadata=(("authorization", "Bearer k1"),))
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "refused_work_share" in e.value.details()
        np.testing.assert_allclose(decode(call(v, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))["outputs"][0]
                                   ["array"], DX, rtol=1e-6)


# -- the crowd's look, each socket asked once ---------------------------------------------------------------------------
def test_port_peers_follows_connections_while_asking_each_socket_once():
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    port = ls.getsockname()[1]
    clients, accepted = [], []
    try:
        look = PortPeers(port)
        for src in ("127.0.0.2", "127.0.0.3"):
            c = socket.socket()
            c.bind((src, 0))
            c.connect(("127.0.0.1", port))
            clients.append(c)
            accepted.append(ls.accept()[0])
        want = sorted(c.getsockname() for c in clients)
        assert sorted(look()) == want and sorted(look()) == want  # (the second look from what the first learnt)
        accepted.pop().close()  # (gone: forgotten)
        assert look() == [clients[0].getsockname()]
        look.forget([clients[0].getsockname()])  # (shut down: asked again, still there until its owner closes it)
        assert look() == [clients[0].getsockname()]
    finally:
        for s in clients + accepted + [ls]:
            s.close()
