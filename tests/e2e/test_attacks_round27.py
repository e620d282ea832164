"""Round 27's attacks: round 26's open items (real servers).

Fixed:
- the gRPC port at max_connections: 3000 silent TCP connections from 40 loopback addresses (75 each, within
  peer_connection_share) held all 1000 places until header_timeout_s (grpc's handshake timeout; not in channelz
  before it), and another client's ServerLive was UNAVAILABLE ("Socket closed") 5 / 5, for good while they were
  opened again. Now, within a sample of the connection watch, near max_connections the idle connections (silent,
  or handshaken with no call running) of the peers holding the most are shut down and those peers held back at the
  listening socket until they hold none (service.grpc_crowd; gradserve_grpc_connections_closed_total{reason=
  "crowd"}), and another client's job is answered. The server: max_connections 24 (a peer's share 12).

Expected values: helpers.DX (matmul_net's d/dx: Y's row sums, by hand).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from .h2_raw import PREFACE, SETTINGS, frame
from .helpers import DX, metric
from .server import server_in
from .test_attacks_round11_grpc_peers import CEILING, _answered_on_a_new_channel, _held

CAP = 24
PEERS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    # (header_timeout_s far past the test: base54 freed no place before the ceiling)
    with server_in(tmp_path_factory, "attacks_round27_grpc", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_CONNECTIONS": str(CAP),
                        "GRADSERVE_HEADER_TIMEOUT_S": "600", "GRADSERVE_IDLE_TIMEOUT_S": "600"}) as s:
        yield s


def _silent(port: int, source: str, n: int) -> list[socket.socket]:
    """n TCP connections from `source` that send nothing (grpc core takes them up to max_connections)."""
    out = []
    for _ in range(n):
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(CEILING)
        s.connect(("127.0.0.1", port))
        out.append(s)
    return out


def _crowd_closed(srv) -> float:
    with httpx.Client(base_url=srv.url, timeout=CEILING) as cl:
        return metric(cl, "gradserve_grpc_connections_closed_total", reason="crowd")


def _let_in(srv, source: str) -> None:
    """A connection from `source` is taken and its handshake answered (the server's SETTINGS), tried again while
    its packets are dropped (held back: connect times out), up to CEILING."""
    end = time.monotonic() + CEILING
    while True:
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", srv.grpc_port))
            s.sendall(PREFACE + frame(SETTINGS, 0, 0))
            s.settimeout(CEILING)
            assert s.recv(9)[3:4] == bytes([SETTINGS])  # (a frame header: its length in 3 bytes, then its type)
            return
        except socket.timeout:
            assert time.monotonic() < end, f"{source} was never let in again"
        finally:
            s.close()


@pytest.mark.parametrize("kind", ["silent", "preface only"])
def test_idle_grpc_connections_from_many_peers_leave_room(srv, kind):
    """3 peers x 12 idle connections (each peer within its share) past max_connections 24: base54 refused every new
    channel (UNAVAILABLE) until header_timeout_s (600 s here); now the largest peers' idle ones are shut down, a
    new channel from another address is answered, and a held peer is let in again once the port has room."""
    before = _crowd_closed(srv)
    socks = []
    try:
        for p in PEERS:
            socks += _silent(srv.grpc_port, p, CAP // 2) if kind == "silent" else _held(srv, CAP // 2, p)
        np.testing.assert_allclose(_answered_on_a_new_channel(srv), DX, rtol=1e-6)
        assert _crowd_closed(srv) > before
    finally:
        for s in socks:
            s.close()
    _let_in(srv, PEERS[0])


# -- a direct lane's client killed mid-job -----------------------------------------------------------------------------
KILLED_MID_JOB = r"""
import os, signal, sys, threading
import gradserve as gs
from clients.test_direct_lanes import _slow_graph, _slow_inputs
c = gs.Client(sys.argv[1], api_key="k1")
g, xs = _slow_graph(layers=12), _slow_inputs()
for _ in range(20):
    if c.grad(g, xs, grad_position=[0, 1]).timing.get("lane") == "direct":
        break
else:
    sys.exit("never on the direct lane")
print("on the lane", flush=True)
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()  # (the next job takes ~1-10 s)
c.grad(g, xs, grad_position=[0, 1])
"""


GRANTED_NEVER_CONNECTED = r"""
import os, signal, sys
import gradserve as gs
from clients.test_direct_lanes import _slow_graph, _slow_inputs
c = gs.Client(sys.argv[1], api_key="k1")
g, xs = _slow_graph(layers=2), _slow_inputs()
for _ in range(20):
    if "direct_lane" in c.grad(g, xs, grad_position=[0, 1]).timing:  # (granted: the SDK connects on its next job)
        print("granted", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
sys.exit("never granted a lane")
"""
LANE_MAX_DEADLINE_S = 15  # (a lease nobody connects to ends within it: lanes.UNCLAIMED_S, 30 s, or this if less)


@pytest.fixture(scope="module")
def lanes(tmp_path_factory):
    with server_in(tmp_path_factory, "attacks_round27_lanes", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_DIRECT_LANES": "1", "GRADSERVE_API_KEYS": "k1,k2",
                        "GRADSERVE_MAX_DEADLINE_S": str(LANE_MAX_DEADLINE_S),
                        "GRADSERVE_DEFAULT_DEADLINE_S": str(LANE_MAX_DEADLINE_S)}) as s:
        yield s


def _states(srv) -> list[str]:
    with httpx.Client(base_url=srv.url, timeout=CEILING, headers={"authorization": "Bearer k2"}) as cl:
        return [w["state"] for p in cl.get("/v1/devices").json()["pools"] for w in p["workers"]]


def _killed_client(srv, script: str, says: str) -> None:
    """`script` run as an SDK client of `srv` in a process of its own, which SIGKILLs itself once it printed `says`."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.path.join(root, "clients", "python"),
                                                         os.path.join(root, "tests")])}
    env.pop("GRADSERVE_DIRECT_LANES", None)  # (the SDK's default: on)
    child = subprocess.run([sys.executable, "-c", script, srv.url], env=env, capture_output=True, text=True,
                           timeout=300)
    assert child.returncode == -signal.SIGKILL and says in child.stdout, child.stdout + child.stderr


@pytest.mark.parametrize("case", ["killed mid-job", "granted, never connected"])
def test_a_killed_lane_client_frees_its_worker(lanes, case):
    """A same-host SDK client SIGKILLed while a lane job runs (the worker's answer cannot be sent), or right after
    its lane was granted (it never connects): base54 kept the worker leased to nobody (seen for 30 s and more, until
    another client's job revoked it). Now the lease ends: as when the client closes its connection, or once nobody
    connected within lanes.UNCLAIMED_S (max_deadline_s here)."""
    if case == "killed mid-job":
        _killed_client(lanes, KILLED_MID_JOB, "on the lane")
    else:
        _killed_client(lanes, GRANTED_NEVER_CONNECTED, "granted")
    end = time.monotonic() + CEILING
    while "leased" in _states(lanes):
        assert time.monotonic() < end, "the killed client's worker stayed leased"
        time.sleep(0.2)
    assert _states(lanes) == ["idle", "idle"]
