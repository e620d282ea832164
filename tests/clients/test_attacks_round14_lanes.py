"""The direct lane's socket attacked as a hostile local client that holds a lease (round 14, service.lanes).

- a truncated frame (the token, then part of a frame, then silence): the leased worker waited in recv for the
  rest with no bound, deaf to its pipe: the pool's revoke (another client's job about to queue) and its stop
  went unanswered, and the worker was lost to every client. Now each read and write of a lane connection is
  bounded in all (lanes.IO_S): the connection is closed and the lease ends ("revoked").
- a client that sends frames and never reads the answers: the worker waited in sendall for good once the
  socket's buffers were full. Now the connection is closed past lanes.IO_S.
- a frame whose deadline is 2^64 - 1 ms: the pool armed its overrun timer that far out, so a lane job that ran
  on (here: its worker stopped mid-job) was never killed, past max_deadline_s. Now a frame's deadline is at
  most max_deadline_s (lanes.job_deadline_s): the worker is killed past it and its grace, as an HTTP job's.

A real server (two CPU workers, API keys, direct lanes on, max_deadline_s 6) and the SDK's own lease: the
attack connects to the lease's socket with its token (as the lease's client could), which replaces the
SDK's connection."""
from __future__ import annotations

import os
import signal
import socket

import httpx
import pytest

import gradserve as gs
from gradserve._transport import _lanes

from .conftest import RealServer
from .test_client_shm import w2_graph, w2_inputs  # noqa: F401 - (w2_inputs: a fixture)
from .test_direct_lanes import (CEILING_S, KEYS, _direct_jobs, _http, _leased_pid, _on_lane, _slow_graph,
                                _slow_inputs, _until, lanes_on)  # noqa: F401 - (lanes_on: a fixture)

MAX_DEADLINE_S = 6


@pytest.fixture(scope="module")
def lane_server(tmp_path_factory):
    s = RealServer(tmp_path_factory.mktemp("lanes14") / "server.log",
                   env={"GRADSERVE_DIRECT_LANES": "1", "GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_QUEUE_SIZE": "8",
                        "GRADSERVE_API_KEYS": ",".join(KEYS), "GRADSERVE_MAX_DEADLINE_S": str(MAX_DEADLINE_S),
                        "GRADSERVE_DEFAULT_DEADLINE_S": str(MAX_DEADLINE_S)})
    yield s
    s.stop()


def _attach(lane) -> socket.socket:
    """The lease's socket, its token sent (the server's worker takes this connection in place of the SDK's)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(CEILING_S)
    s.connect(lane.path)
    s.sendall(lane.token.encode())
    return s


def _lane_state(server, token: str) -> str | None:
    with _http(server) as h:
        return h.get(f"/v1/lane/{token}").json().get("state")


def test_a_truncated_frame_does_not_hold_the_leased_worker(lane_server, lanes_on, w2_inputs):
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        _on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        lane = c._transport._direct
        token = lane.token
        s = _attach(lane)
        try:
            s.sendall(_lanes.FRAME.pack(1, 0, 0)[:7])  # part of a frame, then nothing
            # the worker gives the connection up and its lease ends (it was held for good)
            _until(lambda: _lane_state(lane_server, token) == "revoked", "the stalled lane connection closed")
        finally:
            s.close()
        assert c.grad(g, w2_inputs, grad_position=pos).outputs  # the client goes on (HTTP, then a new lane)
    finally:
        c.close()


def test_a_client_that_never_reads_its_answers_does_not_hold_the_worker(lane_server, lanes_on, w2_inputs):
    """Frames the worker answers at once (a template index it has not: "fallback"), sent without end and never
    read: once the socket's buffers are full the worker waited in sendall for good (and the attack's own sends
    then blocked too, until its socket timeout). Now the worker gives the connection up: the sender's next
    send fails with a broken pipe or reset, never its timeout."""
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        _on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        s = _attach(c._transport._direct)
        frames = b"".join(_lanes.FRAME.pack(i, 99, 0) for i in range(4096))  # 80 KiB of frames
        try:
            with pytest.raises((BrokenPipeError, ConnectionResetError)):
                for _ in range(1000):  # (at most 80 MiB: the worker stops reading long before)
                    s.sendall(frames)
        finally:
            s.close()
    finally:
        c.close()


def test_a_lane_frames_deadline_is_at_most_max_deadline(lane_server, lanes_on):
    g, xs = _slow_graph(), _slow_inputs()
    c = gs.Client(lane_server.url, api_key=KEYS[0], max_retries=0)
    pid = None
    try:
        seen: list = []
        for _ in range(12):
            seen.append(c.grad(g, xs, grad_position=[0, 1]).timing.get("lane"))
            if seen[-1] == "direct":
                break
        assert seen[-1] == "direct", seen
        pid, started = _leased_pid(lane_server), _direct_jobs(lane_server)
        assert pid is not None
        s = _attach(c._transport._direct)
        try:
            s.sendall(_lanes.FRAME.pack(1, 0, 2 ** 64 - 1))  # template 0 again, "deadline" in 584 million years
            _until(lambda: _direct_jobs(lane_server) > started, "the lane job started")
            os.kill(pid, signal.SIGSTOP)  # it runs on and on

            def gone() -> bool:
                with _http(lane_server) as h:
                    pids = [w["pid"] for p in h.get("/v1/devices").json()["pools"] for w in p["workers"]]
                return pid not in pids
            # killed past max_deadline_s and the grace (the ceiling: a loaded box), never left to run
            _until(gone, "the stopped lane job's worker killed past max_deadline_s")
        finally:
            s.close()
        with httpx.Client(base_url=lane_server.url, timeout=CEILING_S) as h:
            text = h.get("/metrics", headers={"authorization": f"Bearer {KEYS[0]}"}).text
        assert any(line.startswith("gradserve_worker_restarts_total") and float(line.rsplit(" ", 1)[1]) > 0
                   for line in text.splitlines()), "no worker restart counted"
    finally:
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)  # (the test failed: leave no stopped process)
            except ProcessLookupError:
                pass
        c.close()
