"""service.client_shm in-process: peers and settings, key names, the checks before every use, where large
inputs land (a server buffer the workers map without a copy), output placement."""
from __future__ import annotations

import os
import uuid

import numpy as np
import pytest

from service import client_shm, shm
from service.errors import InvalidRequest, LimitExceeded

F4 = np.dtype("<f4")


@pytest.fixture
def obj():
    """A shared memory object of 1 MiB (its name), removed after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    fd = os.open(f"/dev/shm/{name}", os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    os.ftruncate(fd, 1 << 20)
    os.close(fd)
    yield name
    shm.unlink_name(name)


def test_peers_and_the_setting():
    for host in ("127.0.0.1", "::1", "127.5.6.7", "::ffff:127.0.0.1"):
        client_shm.check_peer(host, "loopback")
    for host in ("192.0.2.2", "10.0.0.1", "fd00::2", None, "", "not-an-ip"):
        with pytest.raises(InvalidRequest, match="only for clients on the server's host"):
            client_shm.check_peer(host, "loopback")
    with pytest.raises(InvalidRequest, match="turned off"):
        client_shm.check_peer("127.0.0.1", "off")
    assert client_shm.grpc_peer_host("ipv4:127.0.0.1:5000") == "127.0.0.1"
    assert client_shm.grpc_peer_host("ipv6:[::1]:5000") == "::1"
    assert client_shm.grpc_peer_host("unix:/tmp/sock") is None
    # (host, port), as grpc core writes peers (IPv6 %-escaped as a URI): the gRPC port's peer share reads them
    assert client_shm.grpc_peer_address("ipv4:127.0.0.1:5000") == ("127.0.0.1", 5000)
    assert client_shm.grpc_peer_address("ipv6:%5B::1%5D:5000") == ("::1", 5000)
    assert client_shm.grpc_peer_host("ipv6:%5Bfd00::2%5D:7") == "fd00::2"


def test_key_names():
    assert client_shm.object_name("/abc_1.x-y") == "abc_1.x-y" == client_shm.object_name("abc_1.x-y")
    assert client_shm.object_name("//abc") == "abc"  # glibc's shm_open drops every leading '/'
    for bad in ("", "/", "a/b", "/../x", "..", "a..b", "x" * 201, "a\x00b", "a b", "/dev/shm/a", 7, None):
        with pytest.raises(InvalidRequest, match="plain shared-memory name|must be a string"):
            client_shm.object_name(bad)
    for own in (shm.PREFIX + "123_abc", "psm_abc", "mp-x", "sem.x"):
        with pytest.raises(InvalidRequest, match="server's own segments"):
            client_shm.object_name("/" + own)


def test_register_checks_size_count_and_names(obj):
    regs = client_shm.Regions(max_regions=2)
    with pytest.raises(InvalidRequest, match=r"has 1048576 bytes; offset 16 \+ byte_size 1048576 need"):
        regs.register("r", "/" + obj, 16, 1 << 20, "127.0.0.1")
    with pytest.raises(InvalidRequest, match="region name"):
        regs.register("a/b", "/" + obj, 0, 16, "127.0.0.1")
    with pytest.raises(InvalidRequest, match="only for clients"):
        regs.register("r", "/" + obj, 0, 16, "192.0.2.2")
    regs.register("r1", "/" + obj, 0, 16, "127.0.0.1")
    regs.register("r2", "/" + obj, 16, 16, "127.0.0.1")
    with pytest.raises(LimitExceeded, match="client_shm_max_regions=2"):
        regs.register("r3", "/" + obj, 0, 16, "127.0.0.1")
    fd = regs.regions["r1"].fd
    regs.unregister("r1", "127.0.0.1")
    with pytest.raises(OSError):  # its handle is closed
        os.fstat(fd)
    regs.register("r3", "/" + obj, 0, 16, "127.0.0.1")
    assert [r["name"] for r in regs.status(None, "127.0.0.1")] == ["r2", "r3"]
    regs.close()


def test_large_inputs_land_where_workers_map_them_without_a_copy(obj):
    regs = client_shm.Regions(min_buffer_bytes=65536)
    a = np.arange(256 * 784, dtype=F4).reshape(256, 784)
    fd = os.open(f"/dev/shm/{obj}", os.O_RDWR)
    os.pwrite(fd, a.tobytes(), 4096)
    os.close(fd)
    regs.register("in", "/" + obj, 4096, a.nbytes, "127.0.0.1")
    io = client_shm.RegionIO(regs, "127.0.0.1")
    got = io.tensor({"shared_memory_region": "in"}, F4, a.shape, a.size, "FP32", "$.inputs[0]")
    np.testing.assert_array_equal(got, a)
    ref = shm.put(got, 65536, owned := [])
    assert ref[0] == "shm" and len(ref) == 5 and not owned  # (name, offset) of the server's buffer: no new segment
    small = io.tensor({"shared_memory_region": "in", "shared_memory_byte_size": 40}, F4, (10,), 10, "FP32", "$")
    np.testing.assert_array_equal(small, a.ravel()[:10])
    with pytest.raises(InvalidRequest, match=r"shared_memory_byte_size 44; shape \[10\] of FP32 needs 40"):
        io.tensor({"shared_memory_region": "in", "shared_memory_byte_size": 44}, F4, (10,), 10, "FP32", "$")
    del got, ref
    io.close()
    regs.close()


def _put(obj: str, a: np.ndarray, offset: int) -> None:
    """Write `a` into the object as its client would."""
    fd = os.open(f"/dev/shm/{obj}", os.O_RDWR)
    os.pwrite(fd, a.tobytes(), offset)
    os.close(fd)


def _read(regs, io, off: int, gen, n: int = 65536) -> np.ndarray:
    p = {"shared_memory_region": "in", "shared_memory_offset": off}
    if gen is not None:
        p["shared_memory_generation"] = gen
    return io.tensor(p, F4, (n,), n, "FP32", "$.inputs[0]")


def test_an_unchanged_generation_reuses_the_kept_copy_without_reading(obj):
    """The client's generation names the bytes it wrote: the server reads them once per generation and keeps
    its copy; the same generation again is served from it (bytes rewritten behind a reused generation stay
    unseen: only that client's region is affected), a new one is read again, and overlapping places drop
    the stale copy. Arrays on those shared buffers are read-only."""
    regs = client_shm.Regions(min_buffer_bytes=65536)
    regs.register("in", "/" + obj, 0, 1 << 20, "127.0.0.1")
    a, b = np.arange(65536, dtype=F4), -np.arange(65536, dtype=F4)
    n = a.nbytes
    _put(obj, a, 0)
    io1 = client_shm.RegionIO(regs, "127.0.0.1")
    x1 = _read(regs, io1, 0, 7)
    np.testing.assert_array_equal(x1, a)
    assert regs.input_bytes == [n, 0] and regs.kept_bytes == n and not x1.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        x1[0] = 5
    _put(obj, b, 0)  # new bytes under the same generation: the kept copy answers (what the client said)
    io2 = client_shm.RegionIO(regs, "127.0.0.1")
    x2 = _read(regs, io2, 0, 7)
    np.testing.assert_array_equal(x2, a)
    assert regs.input_bytes == [n, n]
    assert shm.put(x1, 65536, [])[1:2] == shm.put(x2, 65536, [])[1:2]  # one buffer, both requests map it
    io3 = client_shm.RegionIO(regs, "127.0.0.1")
    np.testing.assert_array_equal(_read(regs, io3, 0, 8), b)  # a new generation: read
    assert regs.input_bytes == [2 * n, n] and regs.kept_bytes == n  # generation 7's copy retired
    for io in (io1, io2, io3):
        io.close()
    kept = [k for k in regs.kept]
    assert len(kept) == 1 and kept[0].gen == 8 and kept[0].users == 0
    io4 = client_shm.RegionIO(regs, "127.0.0.1")
    _put(obj, a, 4096)  # another place overlapping the kept one: written by the client, the old copy goes
    np.testing.assert_array_equal(_read(regs, io4, 4096, 9), a)
    assert [(k.offset, k.gen) for k in regs.kept] == [(4096, 9)]
    # no generation (the client writes there on every call): read, not kept, and the overlapped copy goes
    np.testing.assert_array_equal(_read(regs, io4, 4096, None, 16384), a[:16384])
    assert regs.input_bytes == [3 * n + 65536, n] and not regs.kept and regs.kept_bytes == 0
    _read(regs, io4, 0, 10)
    io4.close()
    assert len(regs.kept) == 1
    regs.unregister("in", "127.0.0.1")  # its copies go with it
    assert not regs.kept and regs.kept_bytes == 0
    regs.close()


def test_kept_copies_stay_within_the_budget_and_a_removed_region_still_fails(obj):
    regs = client_shm.Regions(min_buffer_bytes=65536, kept_cap=3 * 65536 * 4)
    regs.register("in", "/" + obj, 0, 1 << 20, "127.0.0.1")
    for i in range(4):
        _put(obj, np.full(65536, i, F4), i * 262144)
        io = client_shm.RegionIO(regs, "127.0.0.1")
        _read(regs, io, i * 262144, i + 1)
        io.close()
    assert [k.gen for k in regs.kept] == [2, 3, 4] and regs.kept_bytes == 3 * 262144  # the oldest went
    with pytest.raises(InvalidRequest, match="generation must be a non-negative integer"):
        _read(regs, client_shm.RegionIO(regs, "127.0.0.1"), 0, "x")
    os.unlink(f"/dev/shm/{obj}")  # a kept copy does not hide that the client removed its region
    with pytest.raises(InvalidRequest, match="removed or replaced"):
        _read(regs, client_shm.RegionIO(regs, "127.0.0.1"), 262144, 2)
    regs.close()


def test_a_shrunk_removed_or_replaced_object_is_a_400_never_a_fault(obj):
    regs = client_shm.Regions()
    regs.register("r", "/" + obj, 0, 4096, "127.0.0.1")
    io = client_shm.RegionIO(regs, "127.0.0.1")
    os.truncate(f"/dev/shm/{obj}", 0)
    with pytest.raises(InvalidRequest, match="shrank to 0 bytes"):
        io.tensor({"shared_memory_region": "r"}, F4, (1024,), 1024, "FP32", "$")
    io.set_output({"region": "r"})
    with pytest.raises(InvalidRequest, match="shrank to 0 bytes"):
        io.place_all([("out", np.ones(4, F4))])
    os.unlink(f"/dev/shm/{obj}")
    fd = os.open(f"/dev/shm/{obj}", os.O_CREAT | os.O_RDWR, 0o600)  # the same name, another object
    os.ftruncate(fd, 4096)
    os.close(fd)
    with pytest.raises(InvalidRequest, match="removed or replaced"):
        io.tensor({"shared_memory_region": "r"}, F4, (1024,), 1024, "FP32", "$")
    # another object renamed over the registered name (the registered one loses its last link), and one
    # simply removed: the same 400
    regs.register("r2", "/" + obj, 0, 4096, "127.0.0.1")
    tmp = f"/dev/shm/{obj}_new"
    fd = os.open(tmp, os.O_CREAT | os.O_RDWR, 0o600)
    os.ftruncate(fd, 4096)
    os.close(fd)
    os.rename(tmp, f"/dev/shm/{obj}")
    with pytest.raises(InvalidRequest, match="removed or replaced"):
        io.tensor({"shared_memory_region": "r2"}, F4, (1024,), 1024, "FP32", "$")
    regs.register("r3", "/" + obj, 0, 4096, "127.0.0.1")
    io.tensor({"shared_memory_region": "r3"}, F4, (1024,), 1024, "FP32", "$")
    os.unlink(f"/dev/shm/{obj}")
    with pytest.raises(InvalidRequest, match="removed or replaced"):
        io.tensor({"shared_memory_region": "r3"}, F4, (1024,), 1024, "FP32", "$")
    regs.close()


def test_outputs_placed_aligned_while_they_fit(obj):
    regs = client_shm.Regions()
    regs.register("o", "/" + obj, 100, 1000, "127.0.0.1")
    io = client_shm.RegionIO(regs, "127.0.0.1")
    io.set_output({"region": "o", "offset": 8, "byte_size": 500})
    outs = [("a", np.arange(10, dtype=F4)), ("b", np.arange(200, dtype=F4)), ("c", np.arange(3, dtype="<f8"))]
    placed = io.place_all(outs)
    assert placed == {0: {"shared_memory_region": "o", "shared_memory_offset": 64, "shared_memory_byte_size": 40},
                      2: {"shared_memory_region": "o", "shared_memory_offset": 128, "shared_memory_byte_size": 24}}
    with open(f"/dev/shm/{obj}", "rb") as f:
        raw = f.read()
    np.testing.assert_array_equal(np.frombuffer(raw, F4, 10, 100 + 64), outs[0][1])
    np.testing.assert_array_equal(np.frombuffer(raw, "<f8", 3, 100 + 128), outs[2][1])
    assert raw[:100] == bytes(100) and raw[100 + 128 + 24:] == bytes(len(raw) - 252)  # nothing outside
    with pytest.raises(InvalidRequest, match="run past region 'o'"):
        io.set_output({"region": "o", "offset": 600, "byte_size": 500})
    with pytest.raises(InvalidRequest, match="output 'x' has 40 bytes"):
        io.write_requested("x", outs[0][1], {"shared_memory_region": "o", "shared_memory_byte_size": 39}, "$")
    regs.close()


def test_routes_take_the_api_key_and_the_peer_in_process(obj):
    """The HTTP routes and a /v1 job over httpx's ASGI transport (no pools: the core's run replaced): API keys
    apply to the register routes; the peer address is what the loopback check sees."""
    import asyncio

    import httpx

    from fake_core import replace_run
    from service.core import Core, JobResult
    from service.http_app import create_app
    from service.settings import Settings

    s = Settings(api_keys="k1")
    core = Core(s)

    async def run(req):
        return JobResult([("out0", 2 * req.inputs[0])], 0, "sha256:g", "cpu:0", {})

    replace_run(core, run)
    app = create_app(s, core)
    a = np.arange(8, dtype=F4)
    os.pwrite(fd := os.open(f"/dev/shm/{obj}", os.O_RDWR), a.tobytes(), 0)
    os.close(fd)
    reg = {"key": "/" + obj, "byte_size": 64}
    job = {"graph_id": "sha256:" + "0" * 64, "inputs": [{"shape": [8], "datatype": "FP32",
                                                         "parameters": {"shared_memory_region": "u"}}]}

    async def main(peer):
        transport = httpx.ASGITransport(app=app, client=(peer, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            key = {"authorization": "Bearer k1"}
            return [await c.post("/v2/systemsharedmemory/region/u/register", json=reg),
                    await c.post("/v2/systemsharedmemory/region/u/register", json=reg, headers=key),
                    await c.post("/v1/eval", json=job, headers=key),
                    await c.get("/v2/systemsharedmemory/status", headers=key)]

    no_key, near, ran, status = asyncio.run(main("127.0.0.1"))
    assert no_key.status_code == 401 and near.status_code == 200
    assert ran.status_code == 200 and ran.json()["outputs"][0]["data"] == (2 * a).tolist()
    assert [r["name"] for r in status.json()] == ["u"]
    no_key, far, ran, status = asyncio.run(main("192.0.2.9"))
    assert no_key.status_code == 401 and far.status_code == 400 and "came from 192.0.2.9" in far.json()["error"]
    assert ran.status_code == 400 and "only for clients on the server's host" in ran.json()["error"]["message"]
    assert status.status_code == 400
    core.client_regions.close()


def test_a_region_in_use_is_not_unregistered_and_a_made_one_only_by_its_maker(obj):
    """h-fuzz3: without API keys any local client may unregister a named region (Triton's global names) but not
    while a request reads it (409 region_in_use, and unregister-all then unregisters nothing); a region the
    server made is its maker's (403 forbidden to another; another's unregister-all leaves it). (round 14: a
    region registered under an API key is that key's: tests/e2e/test_attacks_round14_shm_regions.py)"""
    from service import out_memfd
    from service.errors import Forbidden, RegionInUse

    regs = client_shm.Regions(max_regions=8)
    try:
        regs.register("in", obj, 0, 1 << 20, "127.0.0.1", client="host:127.0.0.1")
        io = client_shm.RegionIO(regs, "127.0.0.1")
        _read(regs, io, 0, None)
        for name in ("in", None):
            with pytest.raises(RegionInUse, match="'in'"):
                regs.unregister(name, "::1", "host:::1")
        io.close()  # the request is answered
        regs.unregister("in", "::1", "host:::1")
        assert regs.status(None, "127.0.0.1") == []
        if not out_memfd.available():
            return
        out_memfd.create(regs, "made", 4096, None, "127.0.0.1", client="key:a")
        with pytest.raises(Forbidden, match="another client"):
            regs.unregister("made", "127.0.0.1", "key:b")
        regs.unregister(None, "127.0.0.1", "key:b")
        assert [r["name"] for r in regs.status(None, "127.0.0.1", "key:a")] == ["made"]
        regs.unregister("made", "127.0.0.1", "key:a")
        assert regs.status(None, "127.0.0.1", "key:a") == []
    finally:
        regs.close()
