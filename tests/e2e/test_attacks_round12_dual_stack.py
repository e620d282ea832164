"""One client's identity, shares and loopback rights on an IPv6 / dual-stack server (round 12,
service.client_identity.ip_of: the one reading of a peer's address).

A peer's address was read in four places: the client's identity (client_identity), shared memory's loopback right
(client_shm), gRPC's per-peer connection share (grpc_conns) and the bind check (settings), each with its own handling
of brackets, zone ids and IPv4-mapped addresses (::ffff:127.0.0.1, what a dual-stack socket gives an IPv4 peer). Now
one. And a region the server makes for a client (out_memfd) counted against the peer's address as written, or the pid
the client named: so with API keys, one key's creates from a host filled the share of every other key on that host
(its next create: 413), and naming another client's process id filled that client's share. Now a made region counts
for its client (API key, else host, as every share: jobs.client_of) and the process it names.

A real server bound to "::" (HTTP on IPv6, gRPC dual-stack), API keys k1 / k2, 16 shared-memory regions (a client
may make 4).
"""
from __future__ import annotations

import os
import uuid

import grpc
import httpx
import pytest
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from .grpc_wire import open_channel
from .server import module_server

REGIONS = 16
SHARE = REGIONS // 4  # out_memfd.OWNER_SHARE
CEILING = 60.0


# (on "::" the server's url is IPv6's loopback, [::1])
srv = module_server("dual_stack", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_HOST": "::", "GRADSERVE_API_KEYS": "k1,k2",
                         "GRADSERVE_CLIENT_SHM_MAX_REGIONS": str(REGIONS)})


def key(k: str) -> dict:
    return {"Authorization": f"Bearer {k}"}


@pytest.fixture
def posix_object():
    """A POSIX shared-memory object of this test's own (not a server prefix), removed after."""
    name = f"r12test_{uuid.uuid4().hex[:12]}"
    fd = os.open(f"/dev/shm/{name}", os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    os.ftruncate(fd, 4096)
    os.close(fd)
    yield "/" + name
    os.unlink(f"/dev/shm/{name}")


def test_loopback_rights_agree_over_ipv6_and_ipv4_mapped_peers(srv, posix_object):
    """HTTP over ::1 and gRPC over ::1 and over IPv4 (a dual-stack listener: its socket's peer is
    ::ffff:127.0.0.1) are all this host's: each may register a region; the regions are one registry's."""
    with httpx.Client(base_url=srv.url, timeout=CEILING, headers=key("k1")) as c:
        r = c.post("/v2/systemsharedmemory/region/h6/register", json={"key": posix_object, "byte_size": 4096})
        assert r.status_code == 200, r.text
        for target, name in ((f"[::1]:{srv.grpc_port}", "g6"), (f"127.0.0.1:{srv.grpc_port}", "g4")):
            ch = open_channel(target)
            try:
                opb_grpc.GRPCInferenceServiceStub(ch).SystemSharedMemoryRegister(
                    opb.SystemSharedMemoryRegisterRequest(name=name, key=posix_object, byte_size=4096),
                    metadata=[("authorization", "Bearer k1")], timeout=CEILING)
            finally:
                ch.close()
        names = {x["name"] for x in c.get("/v2/systemsharedmemory/status").json()}
        assert {"h6", "g6", "g4"} <= names, names
        assert c.post("/v2/systemsharedmemory/unregister").status_code == 200


def test_a_made_region_counts_for_its_client_not_its_host(srv):
    """k1 fills its share of made regions from ::1; k2 on the same host still makes one (it was refused: both
    keys' regions counted as the peer address's)."""
    made = {"k1": [], "k2": []}
    with httpx.Client(base_url=srv.url, timeout=CEILING) as c:
        def create(k: str, name: str) -> httpx.Response:
            r = c.post(f"/v2/systemsharedmemory/region/{name}/create", json={"byte_size": 4096}, headers=key(k))
            if r.status_code == 200:
                made[k].append(name)
            return r

        try:
            for i in range(SHARE):
                assert create("k1", f"m1_{i}").status_code == 200
            over = create("k1", "m1_over")
            assert over.status_code == 413 and "client_shm_max_regions" in over.text, over.text
            r = create("k2", "m2")
            assert r.status_code == 200, r.text
        finally:
            for k, names in made.items():
                for n in names:
                    c.post(f"/v2/systemsharedmemory/region/{n}/unregister", headers=key(k))
