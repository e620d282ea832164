"""A worker writing a /v1 job's outputs straight into the client's shared memory region
(service.client_shm.write_target, service.worker._run_job run in-process): the same layout and bytes as
the server's own placement (RegionIO.place_all), refs the server turns into InRegion markers without
reading any bytes, and a region removed, replaced or shrunk after registration is the job's 400 (naming
the region), never a fault; the server checks the region is still registered before it answers."""
from __future__ import annotations

import os
import uuid

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from service import client_shm, shm
from service.derivation import Deriver
from service.errors import InvalidRequest, RegionInUse, from_engine
from service.out_slots import OutputSlots, SlotWriter
from service.worker import Plans, _run_job

from inline_jobs import job_message

F4 = np.dtype("<f4")


@pytest.fixture
def objs():
    """Two shared memory objects of 64 KiB (their names), removed after the test."""
    names = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for name in names:
        fd = os.open(f"/dev/shm/{name}", os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        os.ftruncate(fd, 1 << 16)
        os.close(fd)
    yield names
    for name in names:
        shm.unlink_name(name)


def mixed_graph():
    """Outputs of every kind a worker hands back: a product, a transposed view, the input itself, a
    NumPy scalar (a reduction), an int tensor, and one too large for the test's output region."""
    gb = GraphBuilder("mixed")
    x, w = gb.input((8, 5), name="x"), gb.input((5, 300), name="w")
    y = gb.matmul(x, w)
    return gb.build((gb.tanh(y), gb.transpose(x, perm=(1, 0)), x, gb.sum(x), gb.cast(x, dtype="int32"),
                     gb.concat(y, y, axis=0)))


def _job(target, inputs, d):
    eng = Engine("numpy")
    msg = job_message(d, inputs, 3, target, slot_bytes=1 << 30)
    return _run_job(eng, Plans(eng, {"cache_size": 4}), SlotWriter(), 1 << 30, msg)


def _io(obj: str, name: str, offset: int, size: int, out: dict):
    regs = client_shm.Regions()
    regs.register(name, "/" + obj, offset, size, "127.0.0.1")
    io = client_shm.RegionIO(regs, "127.0.0.1")
    io.set_output(out)
    return regs, io


def test_the_worker_writes_what_place_all_would_and_the_server_reads_no_bytes(objs):
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((8, 5)).astype(np.float32), rng.standard_normal((5, 300)).astype(np.float32)]
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", "mixed", mixed_graph(), {})
    want = Engine("numpy").run(d.graph, inputs)
    # a region at an odd offset in its object, an output window at an odd offset in the region
    regs, io = _io(objs[0], "w", 100, 20000, {"region": "w", "offset": 8, "byte_size": 12000})
    reply = _job(io.target(), inputs, d)
    assert reply[0] == "done", reply
    refs = reply[2]
    assert [r[0] for r in refs] == ["client"] * 5 + ["inline"]  # the last does not fit: sent as before
    outs = OutputSlots(1 << 20).take_all(refs)
    named = list(zip(d.names, outs))
    assert all(isinstance(a, client_shm.InRegion) for a in outs[:5])
    with pytest.raises(TypeError, match="written into the client's shared memory region"):
        np.asarray(outs[0])  # never silently read as something else
    placed = io.taken(named)
    # the server's own placement of the same arrays, into the other object: the same offsets and bytes
    regs2, io2 = _io(objs[1], "s", 100, 20000, {"region": "s", "offset": 8, "byte_size": 12000})
    placed2 = io2.place_all([(n, np.asarray(a)) for n, a in zip(d.names, want)])
    assert {i: {**p, "shared_memory_region": "s"} for i, p in placed.items()} == placed2
    with open(f"/dev/shm/{objs[0]}", "rb") as f, open(f"/dev/shm/{objs[1]}", "rb") as g:
        assert f.read() == g.read()
    for i, p in placed.items():
        a = np.asarray(want[i])
        assert outs[i].shape == a.shape and outs[i].dtype == a.dtype and p["shared_memory_byte_size"] == a.nbytes
        got = np.frombuffer(open(f"/dev/shm/{objs[0]}", "rb").read(), a.dtype.newbyteorder("<"),
                            a.size, 100 + p["shared_memory_offset"]).reshape(a.shape)
        np.testing.assert_array_equal(got, a)
    np.testing.assert_array_equal(outs[5], want[5])
    # no client may unregister it while the job runs (409, h-fuzz3); were it gone all the same (the sweep of
    # a dead client's regions), the server's check before answering is the 400 place_all gives
    with pytest.raises(RegionInUse):
        regs.unregister("w", "127.0.0.1")
    regs.release(io.using)
    regs.unregister("w", "127.0.0.1")
    with pytest.raises(InvalidRequest, match="was unregistered"):
        io.taken(named)
    regs.close()
    regs2.close()


def test_a_region_removed_replaced_or_shrunk_is_the_jobs_400(objs):
    inputs = [np.ones((8, 5), np.float32), np.ones((5, 300), np.float32)]
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", "mixed", mixed_graph(), {})
    regs, io = _io(objs[0], "w", 0, 1 << 16, {"region": "w"})
    target = io.target()
    path = f"/dev/shm/{objs[0]}"
    os.truncate(path, 1000)
    shrunk = _job(target, inputs, d)
    os.unlink(path)
    removed = _job(target, inputs, d)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)  # the same name, another object
    os.ftruncate(fd, 1 << 16)
    os.close(fd)
    replaced = _job(target, inputs, d)
    for reply, says in ((shrunk, "shrank to 1000 bytes"), (removed, "cannot be opened"), (replaced, "was replaced")):
        assert reply[0] == "error" and says in reply[2]["message"], reply
        e = from_engine(reply[2])
        assert e.code == "invalid_request" and e.detail["shared_memory_region"] == "w"
        assert e.detail["path"] == "$.shared_memory_output"
    with open(path, "rb") as f:
        assert f.read() == bytes(1 << 16)  # nothing written into the stranger
    regs.close()


def test_a_symlink_in_place_of_the_object_is_not_followed(objs, tmp_path):
    inputs = [np.ones((8, 5), np.float32), np.ones((5, 300), np.float32)]
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", "mixed", mixed_graph(), {})
    regs, io = _io(objs[0], "w", 0, 1 << 16, {"region": "w"})
    victim = tmp_path / "victim"
    victim.write_bytes(bytes(1 << 16))
    os.unlink(f"/dev/shm/{objs[0]}")
    os.symlink(victim, f"/dev/shm/{objs[0]}")
    try:
        reply = _job(io.target(), inputs, d)
    finally:
        os.unlink(f"/dev/shm/{objs[0]}")
    assert reply[0] == "error" and reply[2]["detail"]["shared_memory_region"] == "w"
    assert victim.read_bytes() == bytes(1 << 16)
    regs.close()


def test_the_layout_rule(objs):
    assert client_shm.layout([40, 800, 24, 0, 8], 8, 508) == {0: 64, 2: 128, 4: 192}
    assert client_shm.layout([10], 0, 9) == {}
