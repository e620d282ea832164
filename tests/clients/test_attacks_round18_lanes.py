"""The direct lane's socket attacked by a local peer that does not hold the token (round 18, service.lanes).

Fixed: a connection to a lease's socket was accepted and its token waited for in the worker's loop, up to
lanes.IO_S (5 s) a connection: a peer (the same user: the lane directory is 0700) that connected and sent
nothing held the leased worker that long each time: the lease client's frames and the pool's revoke and stop
waited (the lease client's lane jobs took ~5 s each under a stream of such connections, against 20-70 ms). Now
the token is read as it comes beside the lane's connection and the pipe (LaneServer.greet): a silent connection
delays nothing, is closed past IO_S, and at most lanes.MAX_PENDING of them are kept open (the oldest goes).

A real server (two CPU workers, API keys, direct lanes on) and the SDK's own lease."""
from __future__ import annotations

import socket

import numpy as np

import gradserve as gs
from gradserve._transport import _lanes
from service.lanes import MAX_PENDING

from .test_client_shm import w2_graph, w2_inputs  # noqa: F401 - (w2_inputs: a fixture)
from .test_direct_lanes import (KEYS, _on_lane, _steady_on_lane, _until,  # noqa: F401 - (fixtures)
                                lane_server, lanes_on)


def _silent(path: str) -> socket.socket:
    def connected():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except BlockingIOError:  # (the listener's backlog is full until the worker accepts: again)
            s.close()
            return None
        return s
    return _until(connected, "a connection to the lane's socket")


def _closed(s: socket.socket) -> bool:
    """Whether the server closed this connection (without waiting: a connection still open has nothing to read)."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def test_a_silent_connection_does_not_hold_the_lease_clients_jobs(lane_server, lanes_on, w2_inputs):
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    silent: list = []
    try:
        with gs.Client(lane_server.url, api_key=KEYS[1], shared_memory=False) as plain:  # (never a lane)
            want = plain.grad(g, w2_inputs, grad_position=pos).outputs
        _steady_on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        lane = c._transport._direct
        silent = [_silent(lane.path)]
        half = _silent(lane.path)
        half.sendall(lane.token.encode()[:10])  # a third of the token, then nothing
        silent.append(half)
        wrong = _silent(lane.path)  # connected after them: the worker gets to it once it is done with them
        wrong.sendall(b"0" * 32)
        _until(lambda: _closed(wrong), "a wrong token's connection closed")
        wrong.close()
        # the worker went on while both waited for their tokens (before: it waited IO_S on the first, closed it,
        # then on the second, and only then took the next connection or the lane client's frame)
        assert not any(_closed(s) for s in silent)
        r = c.grad(g, w2_inputs, grad_position=pos)
        assert r.timing.get("lane") == "direct"
        assert all(np.array_equal(a, b) for a, b in zip(r.outputs, want))
        del r  # (a result kept holds its region pair: the next call would take another, off the lane)
        _until(lambda: all(_closed(s) for s in silent), "the silent connections closed past lanes.IO_S")
        # a flood of them: the worker keeps at most MAX_PENDING open (the oldest closed as more come)
        silent += [_silent(lane.path) for _ in range(3 * MAX_PENDING)]
        assert c.grad(g, w2_inputs, grad_position=pos).timing.get("lane") == "direct"
        _until(lambda: sum(_closed(s) for s in silent[2:]) >= 2 * MAX_PENDING, "the oldest pending connections closed")
    finally:
        for s in silent:
            s.close()
        c.close()


def test_a_token_and_a_frame_in_one_write_are_both_read(lane_server, lanes_on, w2_inputs):
    """The token is read on its own as it comes: a frame sent in the same write stays for the lane to read."""
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        _on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        lane = c._transport._direct
        s = _silent(lane.path)
        try:
            s.sendall(lane.token.encode() + _lanes.FRAME.pack(7, 0, 0))  # template 0 again, in the same write
            head = s.recv(_lanes.ANSWER_HEAD.size, socket.MSG_WAITALL)
            (n,) = _lanes.ANSWER_HEAD.unpack(head)
            body = s.recv(n, socket.MSG_WAITALL)
        finally:
            s.close()
        assert b'"seq":7' in body and b'"timing"' in body, body[:200]
    finally:
        c.close()
