"""Compressed bodies within the server's byte budget (service.body_budget), against one real server (a model
repository, a cpu pool of 2 workers, a queue of 2: 4 admission places; max_body_bytes 48 MiB, so the default
body_budget_bytes is 96 MiB).

A few KiB of gzip inflate to max_body_bytes: before the budget, each admitted request held its inflated body
twice (the bytearray it grew in and bytes() of it), 4 places x 2 x 48 MiB at once; the brief's UM-Bridge
Evaluate attack (64 MiB limit) peaked at 619 MiB. The server's peak RSS is read from /proc (VmHWM, reset
through clear_refs before the attack)."""
from __future__ import annotations

import gzip
import json
import os
import threading

import httpx
import numpy as np
import pytest

from .helpers import sin_net, status_kb, t
from .server import server_in

MIB = 1 << 20
MAX_BODY = 48 * MIB
BUDGET = 2 * MAX_BODY  # body_budget_bytes' default
pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                                reason="reads and resets the server's peak RSS through /proc (Linux)")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    with server_in(tmp_path_factory, "body_budget", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_QUEUE_SIZE": "2",
                        "GRADSERVE_MAX_BODY_BYTES": str(MAX_BODY), "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        yield s


def padded(doc: dict, size: int) -> bytes:
    """`doc` as JSON led by whitespace up to `size` bytes: valid, and inflating ~1000-fold from gzip."""
    raw = json.dumps(doc).encode()
    return b" " * (size - len(raw)) + raw


def test_compressed_bodies_stay_within_the_budget_and_a_large_body_still_works(srv):
    """8 clients send 3 small gzip bodies each (~48 KiB, inflating to 48 MiB) to UM-Bridge Evaluate and /v1/eval
    at once: the server's peak RSS grows by at most twice the budget and some slack (it grew by 391 MiB; now
    115-157 MiB: the inflated bodies, a JSON reader's copy of those being parsed, the runtime's own), every
    answer is the body's own 400 (no model named / no graph) or a 429 with Retry-After (body_budget_bytes, or
    the admission places),
    and then one compressed and one uncompressed body near the limit each get their answer."""
    bomb = gzip.compress(padded({}, MAX_BODY - 1024), compresslevel=9)
    gz = {"content-type": "application/json", "content-encoding": "gzip"}
    answers: list = []

    def attack(route: str):
        with srv.client(timeout=120) as c:
            for _ in range(3):
                r = c.post(route, content=bomb, headers=gz)
                answers.append((route, r.status_code, r.headers.get("retry-after"), r.text[:300]))

    with srv.client(timeout=120) as c:
        assert c.get("/v1/devices").status_code == 200  # (started: its pools ready)
    pid = srv.proc.pid
    base = status_kb(pid, "VmRSS")
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) restarts at the RSS now
    threads = [threading.Thread(target=attack, args=(r,)) for r in ("/umbridge/Evaluate", "/v1/eval") * 4]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    grew_mib = (status_kb(pid, "VmHWM") - base) / 1024
    print(f"peak RSS growth under the attack: {grew_mib:.0f} MiB; answers:",
          sorted({(a[0], a[1]) for a in answers}))
    # the budget's inflated bodies, as many copies made by the JSON reader (orjson copies its input), and slack
    assert grew_mib < 2 * BUDGET / MIB + 48, f"the server's RSS grew by {grew_mib:.0f} MiB"
    assert len(answers) == 24
    for route, code, retry, text in answers:  # (429: the budget's, or every admission place taken)
        assert code == 400 or (code == 429 and retry and ("body_budget_bytes" in text or "pool is full" in text)), \
            (route, code, text)

    x = np.array([0.5], np.float32)
    job = padded({"graph": sin_net(), "inputs": [t(x)]}, MAX_BODY - 1024)
    with srv.client(timeout=120) as c:
        for body, headers in ((gzip.compress(job), gz), (job, {"content-type": "application/json"})):
            r = c.post("/v1/eval", content=body, headers=headers)
            assert r.status_code == 200, r.text[:300]
            assert np.isclose(r.json()["outputs"][0]["data"][0], np.sin(0.5), rtol=1e-6), r.text[:300]
