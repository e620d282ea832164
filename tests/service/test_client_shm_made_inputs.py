"""Inputs in a region the server made (a sealed memfd, service.out_memfd), in-process: a float tensor is a
view on the server's mapping of the region and travels to the worker as a ("made", ...) ref that the worker
maps once (service.worker.InputMaps): no copy in the server. An integer tensor (what the engine validates and
then uses) is copied into server memory first, so the client's later writes cannot reach it. A region
unregistered before the worker maps it is the job's 400 naming the input, never a fault. (The end-to-end
side, a real server and the SDK: tests/clients/test_client_shm_made_inputs.py.)"""
from __future__ import annotations

import mmap
import os

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from service import client_shm, out_memfd, shm
from service.errors import RegionInUse
from service.derivation import Deriver
from service.out_slots import SlotWriter
from service.worker import InputMaps, Plans, _run_job

from inline_jobs import job_message

pytestmark = pytest.mark.skipif(not out_memfd.available(), reason="no sealed memfd on this system")
PEER = "127.0.0.1"
SIZE = 1 << 20


@pytest.fixture
def made():
    """A Regions with one made region "r" of SIZE bytes, and the client's own mapping of it."""
    regs = client_shm.Regions()
    info = out_memfd.create(regs, "r", SIZE, None, PEER)
    fd = os.open(info["path"], os.O_RDWR)
    mm = mmap.mmap(fd, SIZE)
    os.close(fd)
    yield regs, mm
    regs.close()
    mm.close()


def _tensor(regs, dtype, shape, offset=0, region="r"):
    io = client_shm.RegionIO(regs, PEER)
    n = int(np.prod(shape))
    return io, io.tensor({"shared_memory_region": region, "shared_memory_offset": offset}, np.dtype(dtype), shape, n,
                         "FP32", "$.inputs[0]")


def test_a_float_input_is_the_region_itself_from_server_to_worker(made):
    regs, mm = made
    client = np.ndarray((256, 784), np.float32, buffer=mm, offset=4096)
    client[:] = np.arange(256 * 784, dtype=np.float32).reshape(256, 784)
    io, a = _tensor(regs, "<f4", (256, 784), 4096)
    assert not a.flags.writeable and np.array_equal(a, client)
    ref = shm.put(a, 1, owned := [])
    assert ref[0] == "made" and ref[4] == 4096 and owned == []  # no segment made: nothing copied
    maps = InputMaps()
    w = maps.get(ref, attached := [])
    assert attached == [] and np.array_equal(w, client) and not w.flags.writeable
    client[0, 0] = -7.0  # the client's write reaches both views: neither side holds a copy
    assert a[0, 0] == -7.0 and w[0, 0] == -7.0
    assert maps.get(ref, []) is not w and len(maps.segs) == 1  # mapped once, kept
    assert regs.input_bytes == [0, 0] and regs.kept_bytes == 0  # the server neither read nor kept it
    io.close()
    io, b = _tensor(regs, "<f4", (256, 784), 4098)  # not aligned for float32: copied, as from a client's region
    assert shm.put(b, 1, [])[0] == "shm" and regs.input_bytes[0] == b.nbytes
    io.close()


def test_integer_inputs_are_copied_before_the_engine_sees_them(made):
    """Indices could be validated, then rewritten by the client before they are used: they are copied first."""
    regs, mm = made
    client = np.ndarray((1 << 15,), np.int64, buffer=mm)
    client[:] = 3
    io, a = _tensor(regs, "<i8", (1 << 15,))
    ref = shm.put(a, 1, [])
    assert ref[0] == "shm"  # a server buffer
    client[:] = 1 << 40  # out of any range, after the server read it
    assert int(a.max()) == 3 and int(InputMaps().get(ref, []).max()) == 3
    assert regs.input_bytes[0] == client.nbytes
    io.close()


def test_small_float_inputs_are_read_as_before(made):
    regs, mm = made
    np.ndarray((16,), np.float32, buffer=mm)[:] = 2.0
    io, a = _tensor(regs, "<f4", (16,))  # under min_buffer_bytes: bytes in the request's own memory
    assert shm.put(a, 1, owned := [])[0] == "shm" and len(owned) == 1
    shm.close_all(owned, unlink_too=True)
    mm[:16] = b"\0" * 16
    assert a.tolist() == [2.0] * 16
    io.close()


def _sum_graph():
    gb = GraphBuilder("s")
    x = gb.input((256, 784), name="x")
    return gb.build(gb.sum(gb.tanh(x)))


def test_a_region_unregistered_before_the_worker_maps_it_is_the_jobs_400(made):
    regs, mm = made
    np.ndarray((256, 784), np.float32, buffer=mm)[:] = 0.5
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", "s", _sum_graph(), {})
    eng = Engine("numpy")
    io, a = _tensor(regs, "<f4", (256, 784))
    ref = shm.put(a, 1, [])
    msg = job_message(d, [ref], 1)
    ok = _run_job(eng, Plans(eng, {"cache_size": 4}), SlotWriter(), 1 << 30, msg)
    assert ok[0] == "done"
    with pytest.raises(RegionInUse):  # not while a request uses it (h-fuzz3) ...
        regs.unregister("r", PEER)
    regs.release(io.using)  # ... but dropped all the same when its client's process dies (the sweep)
    regs.unregister("r", PEER)  # the server closes its fd: the /proc path leads nowhere (or to another file)
    from service import worker

    worker._INPUT_MAPS.segs.clear()  # (as a worker that never mapped it)
    got = _run_job(eng, Plans(eng, {"cache_size": 4}), SlotWriter(), 1 << 30, msg)
    assert got[0] == "error" and got[2]["code"] == "invalid_request", got
    assert got[2]["detail"]["path"] == "$.inputs" and "gone from the server" in got[2]["message"]
    del a
    io.close()


def test_a_worker_drops_mappings_of_regions_the_server_closed(made):
    regs, mm = made
    io, a = _tensor(regs, "<f4", (256, 784))
    maps = InputMaps()
    maps.get(shm.put(a, 1, []), [])
    maps.done()  # (the job ended)
    regs.release(io.using)  # (as the sweep does when the client's process is gone)
    regs.unregister("r", PEER)
    other = client_shm.Regions()
    try:
        out_memfd.create(other, "q", SIZE, None, PEER)
        _, b = _tensor(other, "<f4", (256, 784), region="q")
        maps.get(shm.put(b, 1, []), [])
        assert len(maps.segs) == 1  # the closed one went when another came
    finally:
        other.close()
    del a
    io.close()


def test_an_output_region_that_is_also_an_input_region_is_never_computed_into(made, monkeypatch):
    """A client may name one made region for an input and for the outputs (here the same bytes). The worker
    maps them twice, at two addresses the engine's overlap check cannot see as one memory, so computing
    the product in place would overwrite x while the product still reads it: the worker computes privately
    and copies after. The result is x @ w of x as it was."""
    from service import worker

    monkeypatch.setattr(worker, "_OUT_MAPS", out_memfd.OutMaps())
    regs, mm = made
    rng = np.random.default_rng(7)
    x0 = rng.standard_normal((256, 256)).astype(np.float32)
    w = rng.standard_normal((256, 256)).astype(np.float32)
    np.ndarray((256, 256), np.float32, buffer=mm)[:] = x0
    gb = GraphBuilder("mm")
    gb_x, gb_w = gb.input((256, 256), name="x"), gb.input((256, 256), name="w")
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", "mm", gb.build(gb.matmul(gb_x, gb_w)), {})
    io, a = _tensor(regs, "<f4", (256, 256))
    ref = shm.put(a, 1, [])
    assert ref[0] == "made"
    io.set_output({"region": "r", "offset": 0})
    eng = Engine("numpy")
    msg = job_message(d, [ref, w], 1, io.target(), slot_bytes=1 << 30)
    reply = _run_job(eng, Plans(eng, {"cache_size": 4}), SlotWriter(), 1 << 30, msg)
    assert reply[0] == "done" and reply[2][0][0] == "client", reply
    off = reply[2][0][1]
    got = np.ndarray((256, 256), np.float32, buffer=mm, offset=off).copy()
    np.testing.assert_allclose(got, x0.astype(np.float64) @ w.astype(np.float64), rtol=1e-4, atol=1e-4)
    del a
    io.close()
