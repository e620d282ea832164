"""Output regions the server makes (service.out_memfd): a sealed memfd that no client can shrink, grow or
seal for writing; a worker (service.worker._run_job, in-process) writes the outputs into a mapping it keeps
across jobs, with the bytes and layout the server's own placement gives; the caps (total, per client,
count), the idle and dead-client release, and bad input as 4xx naming the field."""
from __future__ import annotations

import fcntl
import mmap
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from service import client_shm, out_memfd, shm, worker
from service.derivation import Deriver
from service.errors import InvalidRequest, LimitExceeded, from_engine
from service.out_slots import OutputSlots, SlotWriter
from service.worker import Plans, _run_job

from inline_jobs import job_message

pytestmark = pytest.mark.skipif(not out_memfd.available(), reason="no sealed memfd here")
PEER = "127.0.0.1"


def _regions(**kw) -> client_shm.Regions:
    return client_shm.Regions(**kw)


def _open(info: dict) -> int:
    """The client's side: the made region opened through its /proc path."""
    fd = os.open(info["path"], os.O_RDWR)
    st = os.fstat(fd)
    assert [st.st_dev, st.st_ino] == info["ident"]
    return fd


def test_a_made_region_is_sealed_against_shrinking_growing_and_write_seals():
    regs = _regions()
    info = out_memfd.create(regs, "o", 1 << 16, os.getpid(), PEER)
    assert info["byte_size"] == 1 << 16 and info["path"].startswith(f"/proc/{os.getpid()}/fd/")
    assert regs.status("o", PEER) == [{"name": "o", "key": info["path"], "offset": 0, "byte_size": 1 << 16}]
    fd = _open(info)
    try:
        assert fcntl.fcntl(fd, fcntl.F_GET_SEALS) & out_memfd.SEALS == out_memfd.SEALS
        for size in (100, 0, 1 << 20):
            with pytest.raises(PermissionError):
                os.ftruncate(fd, size)
        with pytest.raises(PermissionError):  # F_SEAL_SEAL: no F_SEAL_WRITE that would fail the worker's writes
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE)
        assert os.fstat(fd).st_size == 1 << 16
    finally:
        os.close(fd)
    regs.unregister("o", PEER)
    assert regs.status(None, PEER) == []
    try:  # the server's fd is closed: the path names nothing, or a file opened since under the same number
        st = os.stat(info["path"])
        assert [st.st_dev, st.st_ino] != info["ident"]
    except FileNotFoundError:
        pass


def _made_view(regs, name: str, size: int) -> mmap.mmap:
    """A made region of `size` bytes, mapped as its client maps it."""
    fd = _open(out_memfd.create(regs, name, size, None, PEER))
    try:
        return mmap.mmap(fd, size)
    finally:
        os.close(fd)


def mlp_graph():
    """Gradients of sum(tanh(x@w1)@w2) w.r.t. x, w1, w2: three float32 outputs of different sizes."""
    gb = GraphBuilder("m")
    x, w1, w2 = gb.input((16, 40), name="x"), gb.input((40, 300), name="w1"), gb.input((300, 7), name="w2")
    return gb.build(gb.sum(gb.matmul(gb.tanh(gb.matmul(x, w1)), w2)))


def _job(d, inputs, target):
    eng = Engine("numpy")
    msg = job_message(d, inputs, 1, target, slot_bytes=1 << 30)
    return _run_job(eng, Plans(eng, {"cache_size": 4}), SlotWriter(), 1 << 30, msg)


@pytest.fixture
def fresh_maps(monkeypatch):
    maps = out_memfd.OutMaps()
    monkeypatch.setattr(worker, "_OUT_MAPS", maps)
    yield maps
    for ident in list(maps.maps):
        maps._drop(ident)


def test_the_worker_keeps_its_mapping_and_writes_what_place_all_would(fresh_maps, tmp_path):
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("grad", "m", mlp_graph(), {"grad_position": [0, 1, 2]})
    rng = np.random.default_rng(1)
    regs = _regions()
    view = _made_view(regs, "o", 1 << 17)
    # the same outputs placed by the server into a region of the client's own (pwrite): the reference layout
    obj = f"t_{os.getpid()}_{time.monotonic_ns()}"
    with open(f"/dev/shm/{obj}", "wb") as f:
        f.truncate(1 << 17)
    regs.register("c", "/" + obj, 0, 1 << 17, PEER)
    try:
        for call in range(3):  # results correct on every call, the one mapping reused
            inputs = [rng.standard_normal(s).astype(np.float32) for s in ((16, 40), (40, 300), (300, 7))]
            want = Engine("numpy").run(d.graph, inputs)
            io = client_shm.RegionIO(regs, PEER)
            io.set_output({"region": "o", "offset": 8})
            reply = _job(d, inputs, io.target())
            assert reply[0] == "done", reply
            assert [r[0] for r in reply[2]] == ["client"] * 3
            placed = io.taken(list(zip(d.names, OutputSlots(1 << 20).take_all(reply[2]))))
            ref = client_shm.RegionIO(regs, PEER)
            ref.set_output({"region": "c", "offset": 8})
            assert {i: {**p, "shared_memory_region": "o"} for i, p in
                    ref.place_all([(n, np.asarray(a)) for n, a in zip(d.names, want)]).items()} == placed
            for i, p in placed.items():
                a = np.asarray(want[i])
                got = np.frombuffer(view, np.float32, a.size, p["shared_memory_offset"]).reshape(a.shape).copy()
                np.testing.assert_array_equal(got, a)
            with open(f"/dev/shm/{obj}", "rb") as f:
                end = max(p["shared_memory_offset"] + p["shared_memory_byte_size"] for p in placed.values())
                assert f.read()[:end] == view[:end]
            assert len(fresh_maps.maps) == 1
            if call == 0:
                kept = next(iter(fresh_maps.maps.values()))[1]
            assert next(iter(fresh_maps.maps.values()))[1] is kept
    finally:
        view.close()
        regs.close()
        shm.unlink_name(obj)


def test_a_closed_region_is_a_400_and_its_mapping_goes(fresh_maps):
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("grad", "m", mlp_graph(), {"grad_position": [0, 1, 2]})
    inputs = [np.ones(s, np.float32) for s in ((16, 40), (40, 300), (300, 7))]
    regs = _regions()
    out_memfd.create(regs, "o", 1 << 17, None, PEER)
    io = client_shm.RegionIO(regs, PEER)
    io.set_output({"region": "o"})
    target = io.target()
    assert _job(d, inputs, target)[0] == "done" and len(fresh_maps.maps) == 1
    regs.release(io.using)  # (the job is over)
    regs.unregister("o", PEER)  # the server closes its fd: the path names nothing (or another file)
    fresh_maps.swept = 0.0
    reply = _job(d, inputs, target)
    assert reply[0] == "error" and not fresh_maps.maps  # the stale mapping is dropped
    e = from_engine(reply[2])
    assert e.code == "invalid_request" and e.detail["shared_memory_region"] == "o" and "gone" in e.message
    with pytest.raises(InvalidRequest, match="was unregistered"):
        io.taken([("a", client_shm.InRegion(0, (2,), "<f4"))])
    regs.close()


def test_caps_total_per_client_and_count():
    """Made bytes at most made_bytes in all, a quarter of it for one client (its pid, else its peer);
    made regions count in max_regions with the registered ones, and take at most half of its places (a
    client naming several pids could else leave others no place for a region of their own)."""
    regs = _regions(made_bytes=1 << 20, max_regions=8)
    q = 1 << 18
    out_memfd.create(regs, "a", q, os.getpid(), PEER)  # this client's whole share
    with pytest.raises(LimitExceeded, match="client_shm_made_bytes") as e:
        out_memfd.create(regs, "b", 1, os.getpid(), PEER)
    assert e.value.detail["limit"] == "client_shm_made_bytes"
    out_memfd.create(regs, "o1", q, os.getppid(), PEER)  # other clients: their own shares
    out_memfd.create(regs, "o2", q, None, "::1")
    out_memfd.create(regs, "o3", q, None, PEER)
    with pytest.raises(LimitExceeded, match="client_shm_made_bytes"):  # the total is full
        out_memfd.create(regs, "z", 1, None, "127.0.0.2")
    regs.unregister("o3", PEER)
    with pytest.raises(InvalidRequest, match="already registered"):
        out_memfd.create(regs, "a", 8, None, "127.0.0.9")
    out_memfd.create(regs, "s0", 8, None, "127.0.0.3")  # a small one: the number of made regions is the limit now
    with pytest.raises(LimitExceeded, match="client_shm_max_regions=8 places, the most they may"):
        out_memfd.create(regs, "s1", 8, None, "127.0.0.4")
    assert len(regs.status(None, PEER)) == 4
    regs.close()
    regs = _regions(max_regions=8)
    for i in range(2):  # a client's count: a quarter of max_regions
        out_memfd.create(regs, f"c{i}", 8, os.getpid(), PEER)
    with pytest.raises(LimitExceeded, match="the most one may"):
        out_memfd.create(regs, "c2", 8, os.getpid(), PEER)
    out_memfd.create(regs, "d", 8, os.getppid(), PEER)
    regs.close()


@pytest.mark.parametrize("body, says", [
    (("bad/name", 64, None), "region name"), (("x", 0, None), "at least 1"), (("x", -1, None), "non-negative"),
    (("x", "64", None), "non-negative"), (("x", 64, 0), "pid"), (("x", 64, True), "pid"),
    (("x", 64, 2 ** 22 + 12345), "no process")])
def test_bad_input_is_a_400_naming_the_field(body, says):
    regs = _regions()
    with pytest.raises(InvalidRequest, match=says):
        out_memfd.create(regs, *body, PEER)
    with pytest.raises(InvalidRequest, match="only for clients on the server's host"):
        out_memfd.create(regs, "x", 64, None, "10.1.2.3")
    assert regs.status(None, PEER) == []


def test_idle_and_dead_clients_regions_are_released():
    regs = _regions(idle_s=3600)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        out_memfd.create(regs, "dead", 4096, child.pid, PEER)
        out_memfd.create(regs, "live", 4096, os.getpid(), PEER)
        out_memfd.create(regs, "idle", 4096, None, PEER)
    finally:
        child.communicate(b"")
    regs.regions["idle"].used -= 7200
    out_memfd.create(regs, "next", 4096, None, PEER)  # each create (and register) drops them first
    assert sorted(r["name"] for r in regs.status(None, PEER)) == ["live", "next"]
    regs.close()


def test_the_loop_sweeps_while_made_regions_exist(monkeypatch):
    """A dead or idle client's region goes without another create: the sweep the HTTP route arms."""
    import asyncio

    monkeypatch.setattr(out_memfd, "SWEEP_S", 0.01)
    regs = _regions(idle_s=3600)

    async def main():
        loop = asyncio.get_running_loop()
        out_memfd.create(regs, "idle", 64, None, PEER)
        out_memfd.watch(regs, loop)
        out_memfd.watch(regs, loop)  # (armed once)
        regs.regions["idle"].used -= 7200
        for _ in range(500):
            await asyncio.sleep(0.01)
            if not regs.regions and not regs.sweeping:
                return True
        return False
    assert asyncio.run(main())
    regs.close()


def test_every_kind_of_output_lands_as_place_all_lays_it(fresh_maps):
    """Outputs of every kind (a product, a transposed view, the input itself, a NumPy scalar, int32, one too
    large for the window) written through the worker's mapping: the bytes place_all writes, the same refs."""
    from tests.service.test_client_shm_worker import mixed_graph

    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((8, 5)).astype(np.float32), rng.standard_normal((5, 300)).astype(np.float32)]
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", "mixed", mixed_graph(), {})
    want = [np.asarray(a) for a in Engine("numpy").run(d.graph, inputs)]
    regs = _regions()
    info = out_memfd.create(regs, "m", 20000, None, PEER)
    obj = f"t_{os.getpid()}_{time.monotonic_ns()}"
    with open(f"/dev/shm/{obj}", "wb") as f:
        f.truncate(20000)
    regs.register("c", "/" + obj, 0, 20000, PEER)
    try:
        io = client_shm.RegionIO(regs, PEER)
        io.set_output({"region": "m", "offset": 8, "byte_size": 12000})
        reply = _job(d, inputs, io.target())
        assert [r[0] for r in reply[2]] == ["client"] * 5 + ["inline"]
        placed = io.taken(list(zip(d.names, OutputSlots(1 << 20).take_all(reply[2]))))
        ref = client_shm.RegionIO(regs, PEER)
        ref.set_output({"region": "c", "offset": 8, "byte_size": 12000})
        assert {i: {**p, "shared_memory_region": "m"} for i, p in
                ref.place_all(list(zip(d.names, want))).items()} == placed
        with open(info["path"], "rb") as f, open(f"/dev/shm/{obj}", "rb") as g:
            assert f.read() == g.read()
        np.testing.assert_array_equal(OutputSlots(1 << 20).take_all(reply[2])[5], want[5])
    finally:
        regs.close()
        shm.unlink_name(obj)


def test_the_engine_computes_outputs_straight_into_the_made_region(fresh_maps, monkeypatch):
    """Outputs an out-kernel makes (a gradient's last matmul, tanh) are computed in the worker's
    mapping of the region and not copied after; views and the input itself are copied; the bytes are the
    engine's own, call after call, whatever the region held before."""
    from tests.service.test_client_shm_worker import mixed_graph

    copied: list = []
    real = out_memfd._copy_into
    monkeypatch.setattr(out_memfd, "_copy_into", lambda mm, at, a: (copied.append(at), real(mm, at, a)))
    rng = np.random.default_rng(4)
    regs = _regions()
    view = _made_view(regs, "o", 1 << 17)
    try:
        d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("grad", "m", mlp_graph(), {"grad_position": [0, 1, 2]})
        for call in range(2):
            view[:] = b"\xff" * len(view)  # NaN everywhere: a stale or skipped byte shows
            inputs = [rng.standard_normal(s).astype(np.float32) for s in ((16, 40), (40, 300), (300, 7))]
            want = [np.asarray(a) for a in Engine("numpy").run(d.graph, inputs)]
            io = client_shm.RegionIO(regs, PEER)
            io.set_output({"region": "o", "offset": 64})
            reply = _job(d, inputs, io.target())
            assert reply[0] == "done" and [r[0] for r in reply[2]] == ["client"] * 3, reply
            offs = [r[1] for r in reply[2]]  # (offsets in the region)
            assert copied == [offs[2]]  # the two matmuls in place; x's gradient, a broadcast, copied
            copied.clear()
            for (_, off, shape, dt), a in zip(reply[2], want):
                assert tuple(shape) == a.shape and np.dtype(dt) == a.dtype and view[off:off + a.nbytes] == a.tobytes()
        inputs = [rng.standard_normal((8, 5)).astype(np.float32), rng.standard_normal((5, 300)).astype(np.float32)]
        d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", "mixed", mixed_graph(), {})
        want = [np.asarray(a) for a in Engine("numpy").run(d.graph, inputs)]
        io = client_shm.RegionIO(regs, PEER)
        io.set_output({"region": "o", "offset": 8, "byte_size": 12000})
        reply = _job(d, inputs, io.target())
        offs = [r[1] for r in reply[2]]
        assert offs[0] not in copied and {offs[1], offs[2]} <= set(copied)  # tanh in place; views copied
        for (kind, off, shape, dt), a in zip(reply[2][:5], want):
            assert kind == "client"
            assert np.frombuffer(view, np.dtype(dt), a.size, off).tobytes() == a.tobytes()
    finally:
        view.close()
        regs.close()


def test_a_dropped_mapping_stays_while_an_output_computed_in_it_lives(fresh_maps):
    """OutMaps may drop a mapping (its region closed, or room for another) while an output the engine computed
    in place in it is still alive: the mapping must go with that output, never under it (a read of an
    unmapped output killed the worker with SIGSEGV)."""
    regs = _regions()
    view = _made_view(regs, "o", 1 << 16)
    try:
        io = client_shm.RegionIO(regs, PEER)
        io.set_output({"region": "o", "offset": 64})
        target = io.target()
        outs, where = out_memfd.views(fresh_maps, target, (((4,), np.dtype("<f4")),))
        outs[0][:] = [1.0, 2.0, 3.0, 4.0]
        ident = tuple(target[2])
        mm = fresh_maps.maps[ident][1]
        fresh_maps._drop(ident)
        assert ident not in fresh_maps.maps and not mm.closed  # still mapped: the output views it
        np.testing.assert_array_equal(outs[0], [1.0, 2.0, 3.0, 4.0])
        assert np.frombuffer(view, np.float32, 4, where[0]).tolist() == [1.0, 2.0, 3.0, 4.0]
        regs.release(io.using)
    finally:
        view.close()
        regs.close()
