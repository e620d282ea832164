"""Registered shared-memory regions between API keys (round 14, service.client_shm: `keyed`, `_other_key`).

Region names were global with no per-client share: with API keys k1 / k2 on one host, k2 could unregister k1's
region by name (or all of them at once: unregister-all), list its keys, name it as an input (read k1's bytes) or
as an output (write into k1's memory), and one key could take every place (client_shm_max_regions) so that no
other key could register any. Now a region belongs to the key it was registered under: another key's use,
status and unregister are 403 `forbidden` naming it, its list and unregister-all leave it out, and one key holds
at most client_shm_max_regions / 4 registered regions (413 naming the setting). Without keys every local peer is
one client and Triton's global names hold (tests/oip/test_client_shm.py).

The server: tests/e2e/limited_server.py (keys k1 / k2, 8 region places: a key may hold 2).
"""
from __future__ import annotations

import os
import uuid

import grpc
import httpx
import numpy as np
import pytest
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from .grpc_wire import open_channel
from .limited_server import CEILING, SHM, auth, canary, limited_server

SHARE = 8 // 4  # limited_server's GRADSERVE_CLIENT_SHM_MAX_REGIONS / client_shm.OWNER_SHARE


srv = limited_server("round14_shm")


@pytest.fixture
def k2(srv):
    with httpx.Client(base_url=srv.url, timeout=CEILING, headers=auth("k2")) as cl:
        yield cl


@pytest.fixture
def posix_object():
    """A POSIX shared-memory object of this test's own holding 4 float32 (1, 2, 3, 4), removed after."""
    name = f"r14test_{uuid.uuid4().hex[:12]}"
    fd = os.open(f"/dev/shm/{name}", os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    os.ftruncate(fd, 4096)
    os.pwrite(fd, np.arange(1, 5, dtype=np.float32).tobytes(), 0)
    os.close(fd)
    yield "/" + name
    os.unlink(f"/dev/shm/{name}")


def register(c: httpx.Client, name: str, key: str) -> httpx.Response:
    return c.post(f"{SHM}/region/{name}/register", json={"key": key, "byte_size": 4096})


def infer_from(c: httpx.Client, region: str, out_region: str | None = None) -> httpx.Response:
    """seed_cube_eval (x ** 3 + y, x and y (2, 2)) with x read from `region`; its output into `out_region`."""
    shm = {"shared_memory_region": region, "shared_memory_byte_size": 16}
    body = {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "parameters": shm},
                       {"name": "y", "shape": [2, 2], "datatype": "FP32", "data": [0.0] * 4}]}
    if out_region:
        body["outputs"] = [{"name": "out", "parameters": {"shared_memory_region": out_region,
                                                          "shared_memory_byte_size": 16}}]
    return c.post("/v2/models/seed_cube_eval/infer", json=body)


def names(c: httpx.Client) -> set[str]:
    r = c.get(f"{SHM}/status")
    assert r.status_code == 200, r.text
    return {x["name"] for x in r.json()}


def test_another_keys_region_is_not_yours_to_unregister_use_or_list(srv, c, k2, posix_object):
    assert register(c, "k1_in", posix_object).status_code == 200
    try:
        mine = infer_from(c, "k1_in")  # the premise: k1 uses its own region
        assert mine.status_code == 200, mine.text
        np.testing.assert_allclose(mine.json()["outputs"][0]["data"], [1, 8, 27, 64])

        assert register(k2, "k2_in", posix_object).status_code == 200  # k2's own input, k1's as its output
        for r in (k2.post(f"{SHM}/region/k1_in/unregister"), k2.get(f"{SHM}/region/k1_in/status"),
                  infer_from(k2, "k1_in"), infer_from(k2, "k2_in", out_region="k1_in")):
            assert r.status_code == 403 and "'k1_in' is another client's" in r.text, r.text
        assert k2.post(f"{SHM}/unregister").status_code == 200  # k2's unregister-all: k1's stays
        assert "k1_in" not in names(k2)
        assert "k1_in" in names(c)
        again = infer_from(c, "k1_in")
        assert again.status_code == 200, again.text

        ch = open_channel(srv.grpc_target)
        try:
            with pytest.raises(grpc.RpcError) as e:
                opb_grpc.GRPCInferenceServiceStub(ch).SystemSharedMemoryUnregister(
                    opb.SystemSharedMemoryUnregisterRequest(name="k1_in"), metadata=[("authorization", "Bearer k2")],
                    timeout=CEILING)
            assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED, e.value
            assert "another client's" in e.value.details()
        finally:
            ch.close()
        assert "k1_in" in names(c)
    finally:
        c.post(f"{SHM}/region/k1_in/unregister")
        k2.post(f"{SHM}/region/k2_in/unregister")
    canary(c)


def test_one_key_cannot_take_every_region_place(c, k2, posix_object):
    taken = []
    try:
        for i in range(SHARE):
            r = register(c, f"k1_{i}", posix_object)
            assert r.status_code == 200, r.text
            taken.append(f"k1_{i}")
        over = register(c, "k1_over", posix_object)
        assert over.status_code == 413 and "client_shm_max_regions=8 / 4" in over.text, over.text
        r = register(k2, "k2_0", posix_object)  # another key still finds a place
        assert r.status_code == 200, r.text
        assert k2.post(f"{SHM}/region/k2_0/unregister").status_code == 200
        assert c.post(f"{SHM}/region/k1_0/unregister").status_code == 200  # k1's own: a place again
        taken.remove("k1_0")
        assert register(c, "k1_over", posix_object).status_code == 200
        taken.append("k1_over")
    finally:
        for n in taken:
            c.post(f"{SHM}/region/{n}/unregister")
