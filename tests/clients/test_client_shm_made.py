"""Output regions the server makes (service.out_memfd) through the SDK against a real server and its real
worker process: the client cannot shrink them (a truncate fails) and what it can still do (punch holes)
hurts only its own results; a region the server dropped is made again; a server that makes none gets the
client's own regions; the create route by hand and its 4xx."""
from __future__ import annotations

import os

import httpx
import numpy as np
import pytest

import gradserve as gs
from gradserve import _shm

from .test_client_shm import F32, _recording, _views, w2_graph, w2_inputs  # noqa: F401 - (w2_inputs: a fixture)


def _punch_hole(fd: int, size: int) -> None:
    """fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE): what a client can still do to a sealed region."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    if libc.fallocate(fd, 0x02 | 0x01, 0, size) != 0:
        raise OSError(ctypes.get_errno(), "fallocate")


def test_a_made_output_region_cannot_shrink_and_what_the_client_can_do_hurts_only_itself(real_server, w2_inputs):
    """The server makes the output region (a sealed memfd) and its worker keeps it mapped: the client cannot
    truncate it (the real worker process would SIGBUS on its next write), nor seal it against writes; a hole it
    punches costs the worker page faults on its next write, nothing more. Same worker, same results after."""
    import fcntl

    g = w2_graph()
    pos = list(range(len(w2_inputs)))
    want = gs.Client(real_server.url, shared_memory=False).grad(g, w2_inputs, grad_position=pos).outputs
    c = gs.Client(real_server.url)
    sh = c._transport._shm
    try:
        for _ in range(2):  # the first call's response sizes the output region of the second
            c.grad(g, w2_inputs, grad_position=pos)
        pids = real_server.worker_pids()
        out = sh.free[0][1]
        assert isinstance(out, _shm.MadeRegion)
        path = httpx.get(f"{real_server.url}/v2/systemsharedmemory/region/{out.name}/status").json()[0]["key"]
        fd = os.open(path, os.O_RDWR)
        try:
            for size in (0, 4096, out.size - 1):
                with pytest.raises(PermissionError):
                    os.ftruncate(fd, size)
            with pytest.raises(PermissionError):
                fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE)
            assert os.fstat(fd).st_size == out.size
            assert any(out.mm[:4096])  # the last gradients are there
            _punch_hole(fd, out.size)
            assert not any(out.mm[:4096])  # gone, for the client's own mapping too
        finally:
            os.close(fd)
        for k in (1.0, -0.5):
            xs = [w2_inputs[0] * k, *w2_inputs[1:]]
            ref = want if k == 1.0 else gs.Client(real_server.url, shared_memory=False).grad(
                g, xs, grad_position=pos).outputs
            got = c.grad(g, xs, grad_position=pos).outputs
            assert any(_views(a, [None, out]) for a in got)  # still through the same region
            for a, b in zip(got, ref):
                np.testing.assert_array_equal(a, b)
            del got, a, b  # (no view left: the next call reuses the region)
        assert real_server.worker_pids() == pids and not sh.disabled
    finally:
        c.close()


def test_a_made_region_the_server_dropped_is_made_again(real_server, w2_inputs):
    """The server dropped the output region it made (idle too long, unregistered behind the client's back):
    that call's answer comes as bytes, the next call has a new region; shared memory stays on."""
    g = w2_graph()
    pos = [0, 1]
    c = gs.Client(real_server.url)
    sh = c._transport._shm
    sent, got = _recording(c)
    try:
        for _ in range(2):
            want = [a.copy() for a in c.grad(g, w2_inputs, grad_position=pos).outputs]
        kept = c.grad(g, w2_inputs, grad_position=pos).outputs
        c.grad(g, w2_inputs, grad_position=pos)  # (a second pair: the first is held by `kept`)
        del kept
        assert sh.pairs == len(sh.free) == 2
        olds = [p[1].name for p in sh.free]
        # both dropped (as after a long idle): one call's answer as bytes, then new regions. (Unregistered as
        # the client that made them, over its Unix socket: another client may not, h-fuzz3.)
        uds = httpx.get(f"{real_server.url}/v1/local").json()["unix_socket"]
        with httpx.Client(transport=httpx.HTTPTransport(uds=uds), base_url="http://local") as same:
            for old in olds:
                assert same.post(f"/v2/systemsharedmemory/region/{old}/unregister").status_code == 200
        for _ in range(2):
            for a, b in zip(c.grad(g, w2_inputs, grad_position=pos).outputs, want):
                np.testing.assert_array_equal(a, b)
        assert not sh.disabled and sh.lost == 0 and got[-2] > 2_000_000 and got[-1] < 8192, got  # (got[-3]: the 400)
        names = {r["name"] for r in httpx.get(f"{real_server.url}/v2/systemsharedmemory/status").json()}
        assert not names & set(olds) and any(n.startswith("gso_") for n in names)
    finally:
        c.close()


@pytest.mark.parametrize("answer", [(404, b""), (400, b'{"error": "no process 123 on the server\'s host"}'),
                                    (200, b'{"path": "/proc/1/fd/999999", "ident": [1, 2], "byte_size": 1048576}')],
                         ids=["older server", "another PID namespace", "cannot open the path"])
def test_output_regions_of_its_own_when_the_server_makes_none(answer):
    """A server that makes no region the client can use: the client's own objects (input and output), asked
    once (a path it cannot open is unregistered)."""
    calls = []

    def send(method, path, content, headers, timeout=None, rid=None):
        calls.append(path)
        return (*answer[:1], {}, answer[1]) if path.endswith("/create") else (200, {}, b"{}")
    s = _shm.SharedMemory(send)
    try:
        for _ in range(2):
            lease = s.lease({"inputs": [np.zeros(1 << 15, F32)]})
            assert isinstance(lease.out, _shm.Region) and lease.out.name.startswith("gsc_")
            assert isinstance(lease.inp, _shm.Region) and lease.inp.name.startswith("gsc_")
            lease.done()
            s.out_hint = 4 << 20  # (the next lease grows the output region)
        assert s.made is False and sum(p.endswith("/create") for p in calls) == 1
        made = [p for p in calls if "/gsi_" in p or "/gso_" in p]  # (the input region is asked for first)
        assert len(made) == (2 if answer[0] == 200 else 1) and made[-1].endswith("/unregister" if answer[0] == 200
                                                                                  else "/create")
    finally:
        s.close()


def test_making_a_region_by_hand_and_bad_requests(real_server):
    """POST .../create over HTTP: the answer a client maps (a sealed memfd), and 4xx naming what is wrong."""
    import fcntl

    url = f"{real_server.url}/v2/systemsharedmemory/region"
    r = httpx.post(f"{url}/hand/create", json={"byte_size": 4096, "pid": os.getpid()})
    assert r.status_code == 200, r.text
    info = r.json()
    try:
        assert info["byte_size"] == 4096 and info["name"] == "hand"
        fd = os.open(info["path"], os.O_RDWR)
        try:
            assert [os.fstat(fd).st_dev, os.fstat(fd).st_ino] == info["ident"]
            assert fcntl.fcntl(fd, fcntl.F_GET_SEALS) & fcntl.F_SEAL_SHRINK
        finally:
            os.close(fd)
        for body, status, says in (({"byte_size": "4096"}, 400, "byte_size"), ({"byte_size": 64, "x": 1}, 400, "body"),
                                   ({"byte_size": 64, "pid": -3}, 400, "pid"), ({"byte_size": 1 << 40}, 413,
                                   "client_shm_made_bytes"), ({"byte_size": 64}, 400, "already registered")):
            name = "hand" if "already" in says else "other"
            r = httpx.post(f"{url}/{name}/create", json=body)
            assert r.status_code == status and says in r.json()["error"], (body, r.text)
        r = httpx.post(f"{url}/other/create", content=b"{nope")
        assert r.status_code == 400
        names = [x["name"] for x in httpx.get(f"{real_server.url}/v2/systemsharedmemory/status").json()]
        assert "hand" in names and "other" not in names  # (the session's server: other tests' regions may be there)
    finally:
        httpx.post(f"{url}/hand/unregister")


def test_a_killed_worker_s_successor_maps_the_region_again(real_server, w2_inputs):
    """The server holds the made region, not the worker: after a worker is killed (SIGKILL) its successor maps
    the same region on its first job, and results stay right."""
    import signal
    import time

    g = w2_graph()
    pos = [0, 1, 2]
    c = gs.Client(real_server.url)
    sh = c._transport._shm
    try:
        for _ in range(2):
            want = [a.copy() for a in c.grad(g, w2_inputs, grad_position=pos).outputs]
        region = sh.free[0][1]
        old = real_server.worker_pids()
        os.kill(old[0], signal.SIGKILL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the pool notices and starts another
            pids = real_server.worker_pids()
            if pids and old[0] not in pids:
                break
            time.sleep(0.2)
        assert old[0] not in real_server.worker_pids()
        got = c.grad(g, w2_inputs, grad_position=pos).outputs
        assert any(_views(a, [None, region]) for a in got) and not sh.disabled
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    finally:
        c.close()
