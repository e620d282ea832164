"""What the server keeps from one request for the next (its memos) stays bounded in bytes, whatever the requests
hold, against one real server (one cpu worker, max_body_bytes 8 MiB).

The HTTP job route memoises each JSON head's validated model by its scalar fields' values (service.http_app
_light_key, head_memo.HeadMemo.models, 256 entries): a head whose graph_id (or device) was a 7 MiB string was kept
whole after its job failed (404): 40 such heads held +289 MiB, 256 would hold 1.5 GiB (64 MiB bodies: 16 GiB)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from .helpers import sin_net, t
from .server import server_in
from .helpers import status_kb

MIB = 1 << 20
pytestmark = pytest.mark.skipif(not __import__("os").path.exists("/proc/self/status"), reason="reads /proc (Linux)")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    # glibc's malloc raises its mmap threshold as large blocks are freed, then keeps freed MiBs in its heap: the
    # RSS would count those (a path that frees 6 MiB strings showed +140 MiB with nothing kept). Fixed, blocks
    # over 1 MiB are mapped and unmapped, so the RSS shows what is kept.
    with server_in(tmp_path_factory, "memos", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "MALLOC_MMAP_THRESHOLD_": str(MIB)}) as s:
        yield s


def test_long_scalar_fields_are_not_kept_by_the_model_memo(srv):
    """16 JSON heads, each with its own 6 MiB graph_id or device string: every one is refused as before (404 /
    400), and the server's RSS grows by less than 32 MiB afterwards (before: +96 MiB, the strings kept; after: +6)."""
    pid = srv.proc.pid
    with srv.client(timeout=120) as c:
        c.post("/v1/eval", json={"graph_id": "sha256:" + "0" * 64, "inputs": []})  # (warm: the route's first call)
        base = status_kb(pid, "VmRSS")
        codes = []
        for i in range(16):
            body = {"graph_id": "sha256:" + "0" * 64, "inputs": [],
                    ("graph_id", "device")[i % 2]: f"{i:08d}" + "x" * (6 * MIB)}
            r = c.post("/v1/eval", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
            codes.append(r.status_code)
        grew = (status_kb(pid, "VmRSS") - base) / 1024
    print(f"RSS +{grew:.0f} MiB, answers {set(codes)}")
    assert codes == [404, 400] * 8, codes
    assert grew < 32, f"the server kept {grew:.0f} MiB after 16 refused heads"


def test_a_long_device_string_that_routes_is_not_kept_by_the_route_memo(srv):
    """The core memoises each device string's route (256 kept): "cpu" led by 6 MiB of spaces routes to the cpu
    pool (stripped), and each such string was kept whole. 12 of them: each job is answered, and the server's RSS
    grows by less than 32 MiB afterwards (before: +72 MiB; after: +0)."""
    pid = srv.proc.pid
    with srv.client(timeout=120) as c:
        job = {"graph": sin_net(), "inputs": [t(np.array([0.5], np.float32))]}
        assert c.post("/v1/eval", json=job).status_code == 200  # (warm)
        base = status_kb(pid, "VmRSS")
        for i in range(12):
            r = c.post("/v1/eval", content=json.dumps({**job, "device": " " * (6 * MIB + i) + "cpu"}).encode(),
                       headers={"content-type": "application/json"})
            assert r.status_code == 200, r.text[:300]
            assert np.allclose(r.json()["outputs"][0]["data"], np.sin([0.5]), rtol=1e-6)
        grew = (status_kb(pid, "VmRSS") - base) / 1024
    print(f"RSS +{grew:.0f} MiB")
    assert grew < 32, f"the server kept {grew:.0f} MiB after 12 jobs"

