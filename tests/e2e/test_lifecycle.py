"""Start-up refusals and the SIGTERM drain, each on its own server process (API keys: test_protocols.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import numpy as np

from .conftest import Server, server_binary
from .helpers import call, decode, slow_input, slow_net
from .server import DRAIN_ENV, server_in


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("GRADSERVE_")}
    full.update(env)
    return subprocess.run([server_binary(), *args], env=full, capture_output=True, text=True, timeout=60)


def test_non_loopback_without_keys_refuses_to_start():
    r = _run({"GRADSERVE_PORT": "0"}, "--host", "0.0.0.0")
    assert r.returncode == 2
    assert "GRADSERVE_API_KEYS" in r.stderr and "GRADSERVE_ALLOW_UNAUTHENTICATED" in r.stderr


def test_missing_runtime_names_what_to_install():
    r = _run({"GRADSERVE_DEVICES": "cpu,gpu", "GRADSERVE_PORT": "0"})
    try:
        import cupy  # noqa: F401
    except ImportError:
        assert r.returncode == 2, r.stderr
        assert "pip install 'gradserve[gpu]'" in r.stderr


def test_bad_settings_are_named():
    r = _run({"GRADSERVE_DEVICES": "cpu,tpu"})
    assert r.returncode != 0 and "tpu" in r.stderr


def test_help_documents_every_setting():
    from service.settings import Settings

    r = subprocess.run([server_binary(), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    for name in Settings.model_fields:
        assert "--" + name.replace("_", "-") in r.stdout
        assert "GRADSERVE_" + name.upper() in r.stdout


def _running(s: Server, job: dict, timeout: float) -> tuple:
    """(thread, box): `job` sent over HTTP in a thread (its response lands in box["r"]), once a worker runs it."""
    import threading

    box: dict = {}

    def run():
        with s.client(timeout=timeout) as c:
            box["r"] = call(c, "eval", job, "binary")

    th = threading.Thread(target=run)
    th.start()
    end = time.monotonic() + 60
    while not any(w["state"] == "busy" for w in httpx.get(s.url + "/v1/devices").json()["pools"][0]["workers"]):
        assert time.monotonic() < end and th.is_alive(), f"the job never started: {box}"
        time.sleep(0.02)
    return th, box


def test_sigterm_drains(tmp_path_factory):
    with server_in(tmp_path_factory, "drain", env=DRAIN_ENV) as s:
        pids = s.worker_pids()
        # seconds on one core (~1 s on a fast AVX-512 one): in flight well past the SIGTERM's effect; its
        # deadline past a loaded box's slowdown (the default, 30 s, is not)
        job = {"graph": slow_net(512, 400), "inputs": [slow_input(512)], "deadline_ms": 300_000}
        th, box = _running(s, job, 320)
        s.proc.send_signal(signal.SIGTERM)
        end = time.monotonic() + 30  # until the listener is closed (a wait, not a sleep)
        while True:
            try:
                httpx.post(s.url + "/v1/grad", json={}, timeout=2)
            except httpx.HTTPError:
                break
            assert time.monotonic() < end, "the server still accepts connections while draining"
            time.sleep(0.02)
        assert th.is_alive(), "the job ended before the listener closed: not a drain (make it slower)"
        th.join(330)
        assert box["r"].status_code == 200, box["r"].text  # the in-flight job finished
        assert np.isfinite(decode(box["r"])["outputs"][0]["array"]).all()
        assert s.proc.wait(30) == 0
        end = time.monotonic() + 60  # (orphans live forever: a loaded box may take seconds to reap)
        while any(_alive(p) for p in pids) and time.monotonic() < end:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), "workers outlived the server"
        assert "draining" in s.output()


def _server_read_all(server_port: int, client_port: int) -> bool:
    """Whether the server has read every byte the client on `client_port` sent it (the kernel's receive queue of
    the server's end is empty: asyncio parses what it reads in the same callback, so the request head is parsed)."""
    want = (f"{server_port:04X}", f"{client_port:04X}")
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            local, remote, queues = cols[1], cols[2], cols[4]
            if (local.split(":")[1], remote.split(":")[1]) == want:
                return int(queues.split(":")[1], 16) == 0
    return False


def test_sigterm_drain_caps_long_jobs_with_an_answer(tmp_path_factory):
    """A job whose own deadline (300 s) is far past the default one (1 s) is not cut when the default deadline's
    time passes: the drain waits for it up to drain_max_s (8 s), and then it ends with 503 draining naming
    the setting, running (HTTP) or queued (gRPC) alike, never with a dropped connection. A request whose body
    was still arriving at the SIGTERM is refused with 503 draining + Retry-After; the server exits 0.

    Premise: the job runs far past the cap (4000 chained 1024^2 matmuls, ~8.6e12 flops: over 80 s on one fast
    AVX-512 core); the 503 answers themselves show it was still in flight (a 200 means: make it slower)."""
    import json
    import socket

    import grpc

    from service.proto import gradserve_pb2_grpc as pb_grpc

    from .grpc_wire import request
    from .helpers import X, Y, body_for, matmul_net

    env = {**DRAIN_ENV, "GRADSERVE_DEFAULT_DEADLINE_S": "1", "GRADSERVE_DRAIN_MAX_S": "8",
           "GRADSERVE_MAX_NODES": "10000", "GRADSERVE_MAX_ELEMENTS": str(1 << 21)}
    with server_in(tmp_path_factory, "drain_cap", env=env) as s:
        sock = None
        try:
            job = {"graph": slow_net(1024, 4000), "inputs": [slow_input(1024)], "deadline_ms": 300_000}
            th, box = _running(s, job, 120)
            ch = grpc.insecure_channel(s.grpc_target)
            queued = pb_grpc.GradserveStub(ch).Eval.future(request("eval", job), timeout=120)
            end = time.monotonic() + 60
            while httpx.get(s.url + "/v1/devices").json()["pools"][0]["queue_depth"] < 1:
                assert time.monotonic() < end and not queued.done(), f"the gRPC job was not queued: {queued}"
                time.sleep(0.05)
            # a request whose head is in and whose body is still on its way when the SIGTERM comes
            content, headers = body_for({"graph": matmul_net(), "inputs": [X, Y]}, "json")
            kind = headers.get("content-type", "application/json")
            head = (f"POST /v1/eval HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}"
                    f"\r\nContent-Length: {len(content)}\r\n\r\n").encode()
            sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
            sock.sendall(head + content[:10])
            end = time.monotonic() + 30
            while not _server_read_all(s.port, sock.getsockname()[1]):
                assert time.monotonic() < end, "the server never read the request head"
                time.sleep(0.02)
            t_term = time.monotonic()
            s.proc.send_signal(signal.SIGTERM)
            end = time.monotonic() + 30
            while "draining" not in s.output():
                assert time.monotonic() < end, "no drain logged"
                time.sleep(0.05)
            sock.sendall(content[10:])
            reply = b""
            while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < int(
                    reply.split(b"content-length: ", 1)[-1].split(b"\r\n", 1)[0] or b"0"):
                more = sock.recv(65536)
                if not more:
                    break
                reply += more
            status, rest = reply.split(b"\r\n", 1)
            assert b" 503 " in status, reply[:2000]
            assert b"retry-after: " in rest.lower(), reply[:2000]
            assert json.loads(rest.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "draining"

            th.join(120)
            r = box["r"]
            assert r.status_code != 200, "the long job finished before the drain's cap: not a cap (make it slower)"
            assert r.status_code == 503, r.text
            err = r.json()["error"]
            assert err["code"] == "draining" and "drain_max_s" in err["message"], err
            assert r.headers.get("retry-after")
            # past the old bound (default deadline + grace + 5 s) the job was still waited for; ended by the cap
            assert time.monotonic() - t_term >= 8 - 0.5
            e = queued.exception(120)
            assert e is not None and e.code() == grpc.StatusCode.UNAVAILABLE, e
            assert "drain_max_s" in e.details(), e.details()
            ch.close()
            assert s.proc.wait(60) == 0, s.output()
            assert "drain_max_s=8s end with 503 draining" in s.output()
        finally:
            if sock is not None:
                sock.close()
