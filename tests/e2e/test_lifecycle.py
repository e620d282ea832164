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
from .server import DRAIN_ENV


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


def test_sigterm_drains(tmp_path):
    s = Server(tmp_path / "drain.log", env=DRAIN_ENV)
    try:
        pids = s.worker_pids()
        # seconds on one core (~1 s on a fast AVX-512 one): in flight well past the SIGTERM's effect; its
        # deadline past a loaded box's slowdown (the default, 30 s, is not)
        job = {"graph": slow_net(512, 400), "inputs": [slow_input(512)], "deadline_ms": 300_000}
        import threading

        box = {}

        def run():
            with s.client(timeout=320) as c:
                box["r"] = call(c, "eval", job, "binary")

        th = threading.Thread(target=run)
        th.start()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            pools = httpx.get(s.url + "/v1/devices").json()["pools"]
            if any(w["state"] == "busy" for w in pools[0]["workers"]):
                break
            time.sleep(0.02)
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
        end = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < end:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), "workers outlived the server"
        assert "draining" in s.output()
    finally:
        s.stop()
