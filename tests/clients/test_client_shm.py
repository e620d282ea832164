"""The SDK's shared memory path (gradserve._shm) against a real server on loopback: W2-sized tensors give
the same results as the bytes path while only the JSON header crosses the socket; a server that refuses
shared memory, or a region removed behind the client's back, falls back to bytes; the option turns it off."""
from __future__ import annotations

import contextlib
import os

import httpx
import numpy as np
import pytest

import gradserve as gs
from benchmarks.loops_workloads import mlp_sdk
from gradserve import _shm
from engine import GraphBuilder
from engine.serialize import graph_to_json

from .conftest import RealServer

F32 = np.float32
SIZES = (784, 512, 512, 10)  # W2: MLP 784-512-512-10, batch 256


def w2_graph(batch: int = 256) -> dict:
    """sum(h*h) of the tanh MLP, its weights and x as inputs (x: 0.8 MB; all inputs 3.1 MB)."""
    gb = GraphBuilder("w2")
    h = x = gb.input((batch, SIZES[0]), name="x")
    ins = [x]
    for i, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
        w, c = gb.input((a, b), name=f"w{i}"), gb.input((b,), name=f"b{i}")
        ins += [w, c]
        h = gb.add(gb.matmul(h, w), c)
        if i + 2 < len(SIZES):
            h = gb.tanh(h)
    return graph_to_json(gb.build(gb.sum(gb.mul(h, h))))


@pytest.fixture(scope="module")
def w2_inputs():
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((256, SIZES[0])).astype(F32)]
    for a, b in zip(SIZES, SIZES[1:]):
        xs += [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(F32), (0.1 * rng.standard_normal(b)).astype(F32)]
    return xs


def _recording(client):
    """The sizes of the request and response bodies the client's transport sends and receives."""
    t = client._transport
    sent, got = [], []
    send = t.send

    def spy(method, path, content, headers, timeout=None, rid=None):
        status, h, body = send(method, path, content, headers, timeout, rid)
        if path.startswith("/v1/grad"):
            sent.append(len(content or b""))
            got.append(len(body or b""))
        return status, h, body
    t.send = spy
    if t._shm is not None:
        t._shm.send = spy
    return sent, got


def test_w2_through_shared_memory_equals_the_bytes_path(real_server, w2_inputs):
    g = w2_graph()
    auto, plain = gs.Client(real_server.url), gs.Client(real_server.url, shared_memory=False)
    sent, got = _recording(auto)
    psent, pgot = _recording(plain)
    try:
        pos = list(range(len(w2_inputs)))
        for _ in range(3):  # the first call sizes the output region from its response
            ra = auto.grad(g, w2_inputs, grad_position=pos)
            rb = plain.grad(g, w2_inputs, grad_position=pos)
            assert len(ra.outputs) == len(w2_inputs)
            for a, b, x in zip(ra.outputs, rb.outputs, w2_inputs):
                assert a.shape == x.shape and a.dtype == F32
                np.testing.assert_array_equal(a, b)
        assert not auto._transport._shm.disabled and plain._transport._shm is None
        # the bytes path carries the 3.1 MB of inputs and the gradients; the shared memory path a JSON header
        assert min(psent) > 3_000_000 and min(pgot) > 3_000_000
        small = sum(a.nbytes for a in w2_inputs if a.nbytes < _shm.THRESHOLD)  # under 64 KiB: still bytes
        assert max(sent) < small + 8192 and max(got[1:]) < 8192, (sent, got)
        names = {r["name"] for r in httpx.get(f"{real_server.url}/v2/systemsharedmemory/status").json()}
        # a pair (input and output regions the server made: service.out_memfd); two: `ra`
        # still views the first while the next call runs
        assert len(names) == 2 * auto._transport._shm.pairs == 4
        assert sorted(n[:4] for n in names) == ["gsi_", "gsi_", "gso_", "gso_"]
    finally:
        auto.close()
        plain.close()
    assert httpx.get(f"{real_server.url}/v2/systemsharedmemory/status").json() == []  # close unregisters
    assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"gsc_{os.getpid()}_")]  # and unlinks


def test_front_end_ops_grad_uses_it_and_matches(real_server, w2_inputs):
    """ops.grad of a Cell (the W2 benchmark's spelling) with and without shared memory."""
    x = w2_inputs[0]
    ws = w2_inputs[1:]
    out = {}
    try:
        for opt in (None, False):
            gs.set_context(server=real_server.url, shared_memory=opt)
            net = mlp_sdk(gs, ws)
            gfn = gs.ops.grad(net, None, net.trainable_params())
            out[opt] = [np.array(g) for g in gfn(gs.Tensor(x))]
            out[opt] = [np.array(g) for g in gfn(gs.Tensor(x))]  # second call: outputs in the region too
            t = gs.context.client()._transport
            assert (t._shm is None) == (opt is False)
    finally:
        gs.reset_context()
    for a, b in zip(out[None], out[False]):
        np.testing.assert_array_equal(a, b)


def test_front_end_results_free_their_region_when_dropped(real_server, w2_inputs):
    """ops.grad's Tensors view the output region; once the caller drops them the pair is free at once (no
    reference cycle in the SDK keeps them until the cyclic GC runs: it is off here), so a loop that drops
    each step's gradients reuses one pair."""
    import gc

    net = mlp_sdk(gs, w2_inputs[1:])
    try:
        gs.set_context(server=real_server.url)
        gfn = gs.ops.grad(net, None, net.trainable_params())
        x = gs.Tensor(w2_inputs[0])
        want = [np.array(g) for g in gfn(x)]  # (copies: asnumpy() would view the region, as MindSpore's shares)
        sh = gs.context.client()._transport._shm
        gc.disable()
        try:
            for _ in range(3):
                got = gfn(x)
                assert len(sh.held) == 1 and _views(np.asarray(got[0]), sh.held[0])
                for a, b in zip(got, want):
                    np.testing.assert_array_equal(np.asarray(a), b)
                del got, a
                assert not sh.held and len(sh.free) == sh.pairs == 1
        finally:
            gc.enable()
    finally:
        gs.reset_context()


def test_async_client_uses_it_too(real_server, w2_inputs):
    import asyncio

    g = w2_graph()
    pos = list(range(len(w2_inputs)))
    want = gs.Client(real_server.url, shared_memory=False).grad(g, w2_inputs, grad_position=pos).outputs

    async def main():
        async with gs.AsyncClient(real_server.url) as c:
            got = [(await c.grad(g, w2_inputs, grad_position=pos)).outputs for _ in range(2)]
            regions = httpx.get(f"{real_server.url}/v2/systemsharedmemory/status").json()
            return got, regions, c._transport._shm.disabled
    got, regions, disabled = asyncio.run(main())
    # two pairs: the first call's outputs (views on its output region) are kept while the second runs
    assert not disabled and sorted(r["name"][:4] for r in regions) == ["gsi_", "gsi_", "gso_", "gso_"]
    for outs in got:
        for a, b in zip(outs, want):
            np.testing.assert_array_equal(a, b)
    assert httpx.get(f"{real_server.url}/v2/systemsharedmemory/status").json() == []  # aclose unregisters


def test_outputs_are_views_on_the_region_until_dropped_and_kept_ones_never_change(real_server, w2_inputs):
    """No copy out of the output region: the arrays a call returns view it, and its pair is reused only
    once they are all gone. A caller that keeps its results holds at most VIEW_PAIRS pairs that way;
    later results are copies, and no kept result ever changes under a later call."""
    g = w2_graph()
    pos = list(range(len(w2_inputs)))
    plain = gs.Client(real_server.url, shared_memory=False)
    c = gs.Client(real_server.url)
    sh = c._transport._shm
    try:
        scales = [1.0, -2.0, 0.5, 3.0, -1.0]
        want = [plain.grad(g, [w2_inputs[0] * k, *w2_inputs[1:]], grad_position=pos).outputs for k in scales]
        c.grad(g, w2_inputs, grad_position=pos)  # sizes the output region from its response
        assert len(sh.free) == 1 and not sh.held  # its outputs are gone: the pair is back
        kept = [c.grad(g, [w2_inputs[0] * k, *w2_inputs[1:]], grad_position=pos).outputs for k in scales]
        views = [any(_views(a, p) for p in sh.held for a in outs) for outs in kept]
        assert all(isinstance(p[1], _shm.MadeRegion) for p in sh.held)  # (regions the server made)
        assert views == [True] * _shm.VIEW_PAIRS + [False] * (len(scales) - _shm.VIEW_PAIRS)
        assert sh.pairs == _shm.VIEW_PAIRS + 1  # the kept views hold two; the copies reuse a third
        for outs, ref in zip(kept, want):
            for a, b in zip(outs, ref):
                np.testing.assert_array_equal(a, b)
        kept.clear()  # the views go: both pairs are free again, none more was made
        assert not sh.held and len(sh.free) == sh.pairs == _shm.VIEW_PAIRS + 1
        got = c.grad(g, w2_inputs, grad_position=pos).outputs
        assert all(_views(a, sh.held[0]) for a in got if a.nbytes >= _shm.THRESHOLD)
        a0 = got[1].copy()
        got[1][...] += 1  # the caller's own memory: writable
        np.testing.assert_array_equal(got[1], a0 + 1)
    finally:
        c.close()
        plain.close()
    np.testing.assert_array_equal(got[1], a0 + 1)  # still valid after close (the mapping lives with them)
    assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"gsc_{os.getpid()}_")]


def _views(a: np.ndarray, pair: list) -> bool:
    """Whether `a` views the output region of `pair`."""
    start = np.frombuffer(pair[1].mm, np.uint8).ctypes.data
    return start <= a.ctypes.data < start + pair[1].size


@pytest.mark.parametrize("which", [0, 1], ids=["input region", "output region"])
def test_a_removed_region_falls_back_to_bytes(real_server, w2_inputs, which):
    """Removed behind the client's back: the input region when the server reads it, the output region (one of
    the client's own: a server that makes none) when the worker goes to write the gradients there (it opens
    the object by name: gone, a 400 naming it)."""
    g = w2_graph()
    c = gs.Client(real_server.url)
    c._transport._shm.made = False  # (as with a server that makes no output regions)
    try:
        pos = [0, 1]
        for _ in range(2):  # the first call's response sizes the output region of the second
            want = [a.copy() for a in c.grad(g, w2_inputs, grad_position=pos).outputs]  # (views gone: pair free)
        pair = c._transport._shm.free[0]
        assert c._transport._shm.out_hint <= pair[1].size  # the next call uses these two regions as they are
        _shm._unlink(pair[which].name)
        got = c.grad(g, w2_inputs, grad_position=pos).outputs
        assert c._transport._shm.disabled  # bytes from now on
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    finally:
        c.close()


@pytest.fixture(scope="module")
def shm_off_server(tmp_path_factory):
    s = RealServer(tmp_path_factory.mktemp("shm-off") / "server.log", env={"GRADSERVE_CLIENT_SHM": "off"})
    yield s
    s.stop()


def test_a_server_that_refuses_gets_bytes(shm_off_server, w2_inputs):
    g = w2_graph()
    c = gs.Client(shm_off_server.url)
    sent, _ = _recording(c)
    try:
        r = c.grad(g, w2_inputs, grad_position=0)
        assert c._transport._shm.disabled and sent[-1] > 3_000_000
        h = _shm.Region(64)
        refused = httpx.post(f"{shm_off_server.url}/v2/systemsharedmemory/region/x/register",
                             json={"key": "/" + h.name, "byte_size": 64})
        h.close()
        assert refused.status_code == 400 and "turned off" in refused.json()["error"]
        ref = gs.Client(shm_off_server.url, shared_memory=False).grad(g, w2_inputs, grad_position=0)
        np.testing.assert_array_equal(r.value, ref.value)
        assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"gsc_{os.getpid()}_")]
    finally:
        c.close()


def test_when_it_is_tried(monkeypatch):
    assert _shm.enabled("http://127.0.0.1:8000", None) and _shm.enabled("http://localhost:1", None)
    assert _shm.enabled("http://[::1]:8000", None)
    assert not _shm.enabled("http://10.1.2.3:8000", None) and not _shm.enabled("http://example.com", None)
    assert not _shm.enabled("http://127.0.0.1:8000", False)
    monkeypatch.setenv("GRADSERVE_SHARED_MEMORY", "0")
    assert not _shm.enabled("http://127.0.0.1:8000", None)
    s = _shm.SharedMemory(lambda *a: (200, {}, b""))
    small = {"inputs": [np.zeros(10, F32)]}
    assert not s.wanted("grad", small) and s.wanted("grad", {"inputs": [np.zeros(1 << 15, F32)]})
    assert not s.wanted("register_graph", {"inputs": [np.zeros(1 << 15, F32)]})


@pytest.mark.jax_x64  # the float64 JAX reference (tests/jax_mode.py)
def test_raw_v1_job_with_regions(real_server):
    """/v1 by hand: x and w read from a region, the outputs placed in another one (64-byte aligned) while
    they fit, the rest in the response; values against JAX."""
    import jax
    import jax.numpy as jnp

    gb = GraphBuilder("t")
    x, w = gb.input((4, 33), name="x"), gb.input((33, 5), name="w")
    g = graph_to_json(gb.build(gb.sum(gb.tanh(gb.matmul(x, w)))))
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((4, 33)).astype(F32), rng.standard_normal((33, 5)).astype(F32)
    dx, dw = jax.grad(lambda a, b: jnp.sum(jnp.tanh(a @ b)), argnums=(0, 1))(xv.astype(np.float64),
                                                                             wv.astype(np.float64))
    rin, rout = _shm.Region(4096), _shm.Region(4096)
    rin.mm[:xv.nbytes] = xv.tobytes()
    rin.mm[1024:1024 + wv.nbytes] = wv.tobytes()
    url = real_server.url
    for name, reg in (("vin", rin), ("vout", rout)):
        assert httpx.post(f"{url}/v2/systemsharedmemory/region/{name}/register",
                          json={"key": "/" + reg.name, "byte_size": 4096}).status_code == 200
    try:
        def tensor(shape, off, size=None):
            p = {"shared_memory_region": "vin", "shared_memory_offset": off}
            if size is not None:
                p["shared_memory_byte_size"] = size
            return {"shape": list(shape), "datatype": "FP32", "parameters": p}
        body = {"graph": g, "inputs": [tensor((4, 33), 0), tensor((33, 5), 1024, wv.nbytes)],
                "grad_position": [0, 1], "shared_memory_output": {"region": "vout", "byte_size": xv.nbytes + 8}}
        r = httpx.post(f"{url}/v1/grad", json=body, timeout=60)
        assert r.status_code == 200, r.text
        o = r.json()["outputs"]
        assert o[0]["parameters"] == {"shared_memory_region": "vout", "shared_memory_offset": 0,
                                      "shared_memory_byte_size": xv.nbytes}
        np.testing.assert_allclose(np.frombuffer(rout.mm, F32, 4 * 33).reshape(4, 33), dx, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(o[1]["data"], F32).reshape(33, 5), dw, rtol=1e-5, atol=1e-6)  # no room
        body["inputs"][1] = tensor((33, 5), 1024, 100)
        r = httpx.post(f"{url}/v1/grad", json=body, timeout=60)
        assert r.status_code == 400 and "shared_memory_byte_size 100" in r.text and str(wv.nbytes) in r.text
        assert r.json()["error"]["detail"]["path"] == "$.inputs[1].parameters"
        body["inputs"][1] = {"shape": [33, 5], "datatype": "FP32", "data": wv.ravel().tolist(),
                             "parameters": {"shared_memory_region": "vin"}}
        r = httpx.post(f"{url}/v1/grad", json=body, timeout=60)
        assert r.status_code == 400 and "carries no data" in r.text
    finally:
        httpx.post(f"{url}/v2/systemsharedmemory/unregister")
        rin.close()
        rout.close()


def _jax_w2_grads(xs: list) -> list:
    """d sum(h*h) / d each input of w2_graph, by JAX in float64 (the independent reference)."""
    import jax
    import jax.numpy as jnp

    def f(*v):
        h = v[0]
        for i in range(1, len(v), 2):
            h = h @ v[i] + v[i + 1]
            if i + 2 < len(v):
                h = jnp.tanh(h)
        return jnp.sum(h * h)
    with jax.enable_x64(True):
        return [np.asarray(g) for g in jax.grad(f, argnums=tuple(range(len(xs))))(*[a.astype(np.float64) for a in xs])]


def _close(got: list, want: list) -> None:
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(a), b, rtol=2e-4, atol=2e-4 * float(np.max(np.abs(b))))


@contextlib.contextmanager
def w2_front_end_grads(url: str, x: np.ndarray, ws: list, loaded: bool = False):
    """ops.grad of the W2 MLP (mlp_sdk over ws) w.r.t. its weights at xt = Tensor(x), on the server at url: yields
    (check, xt, params); check() compares the grads with JAX's at the values xt and the Parameters hold then
    (copies out: the pair is free for the next call). loaded: each Parameter set_data once (as a loaded checkpoint
    does: its data travels with each job)."""
    gs.set_context(server=url)
    try:
        net = mlp_sdk(gs, ws)
        params = list(net.trainable_params())
        gfn = gs.ops.grad(net, None, params)
        xt = gs.Tensor(x)
        if loaded:
            for p in params:
                p.set_data(gs.Tensor(np.array(p)))

        def check() -> None:
            want = _jax_w2_grads([np.array(xt), *[np.array(p) for p in params]])[1:]
            _close([np.array(t) for t in gfn(xt)], want)
        yield check, xt, params
    finally:
        gs.reset_context()


def test_unchanged_inputs_are_not_copied_again_and_every_change_is_seen(real_server, w2_inputs):
    """The input region keeps the last call's layout: inputs whose bytes are already there are not written
    (counted in bytes), a change made in place by NumPy, a new array with new values and a resized input
    are written, and every answer equals JAX's gradients of the values sent."""
    import jax  # noqa: F401 - (the reference; skip early if missing)

    g = w2_graph()
    ins = [a.copy() for a in w2_inputs]
    pos = list(range(len(ins)))
    c = gs.Client(real_server.url)
    sh = c._transport._shm
    large = [a.nbytes if a.nbytes >= _shm.THRESHOLD else 0 for a in ins]
    try:
        def call() -> list:
            return [np.array(a) for a in c.grad(g, ins, grad_position=pos).outputs]  # (copies: the pair is free)

        _close(call(), _jax_w2_grads(ins))
        assert sh.input_bytes == [sum(large), 0]
        call()
        assert sh.input_bytes == [sum(large), sum(large)]  # nothing written again
        ins[1][3, 4] += 0.5  # in place, through NumPy: the same array object, other bytes
        _close(call(), _jax_w2_grads(ins))
        assert sh.input_bytes == [sum(large) + large[1], 2 * sum(large) - large[1]]
        ins[0] = ins[0].copy()  # a new array with the same values: nothing to write
        ins[3] = ins[3] * np.float32(0.5)  # a new array with new values: written
        _close(call(), _jax_w2_grads(ins))
        assert sh.input_bytes == [sum(large) + large[1] + large[3], 3 * sum(large) - large[1] - large[3]]
        assert sh.pairs == 1
        ins[0] = ins[0][:128].copy()  # another shape: the region is laid out anew, everything written
        g = w2_graph(128)
        written = sh.input_bytes[0]
        _close(call(), _jax_w2_grads(ins))
        assert sh.input_bytes[0] == written + sum(large) - large[0] // 2
    finally:
        c.close()


def test_front_end_parameters_set_data_and_in_place_changes_are_seen(real_server, w2_inputs):
    """ops.grad of a Cell whose Parameters changed once (set_data: their values travel with each job): an
    unchanged weight is not copied again; set_data and a change in place through np.asarray(param) are
    seen, and so is a write through asnumpy() (it shares the memory, as MindSpore's on CPU). Values are read here
    with np.array(t) (a copy), which leaves the arrays the SDK's own."""
    x, ws = w2_inputs[0], [a.copy() for a in w2_inputs[1:]]
    with w2_front_end_grads(real_server.url, x, ws, loaded=True) as (check, _, params):
        check()
        sh = gs.context.client()._transport._shm
        before = list(sh.input_bytes)
        check()
        assert sh.input_bytes[0] == before[0]  # x and all six weights already in place
        w0 = np.array(params[0]) * np.float32(0.7)
        params[0].set_data(gs.Tensor(w0))
        check()
        assert sh.input_bytes[0] == before[0] + w0.nbytes  # only the changed weight
        np.asarray(params[2])[...] *= np.float32(-1.5)  # in place, behind the SDK's back
        check()
        assert sh.input_bytes[0] == before[0] + w0.nbytes + np.array(params[2]).nbytes
        params[4].asnumpy()[...] = 0  # MindSpore's CPU asnumpy() shares the memory: the Parameter is written
        assert not np.array(params[4]).any()
        check()


def test_threads_sharing_a_client_each_get_their_own_answers(real_server, w2_inputs):
    """Calls in flight at once lease different pairs: each keeps its own layout and generations, and no
    thread ever sees another's inputs."""
    from concurrent.futures import ThreadPoolExecutor

    g = w2_graph()
    pos = list(range(len(w2_inputs)))
    scales = [1.0, -0.5]
    wants = [_jax_w2_grads([w2_inputs[0] * np.float32(k), *w2_inputs[1:]]) for k in scales]
    c = gs.Client(real_server.url)
    try:
        def work(i: int) -> None:
            ins = [w2_inputs[0] * np.float32(scales[i]), *w2_inputs[1:]]
            for _ in range(3):
                _close(c.grad(g, ins, grad_position=pos).outputs, wants[i])

        with ThreadPoolExecutor(2) as ex:
            list(ex.map(work, range(2)))
        assert 1 <= c._transport._shm.pairs <= _shm.MAX_PAIRS
    finally:
        c.close()


def test_a_call_without_an_answer_drops_its_pair(real_server, w2_inputs):
    """A timeout (the server may still be reading the regions): the pair is not reused, its objects are
    unlinked; the next call makes a new pair and gets the right values."""
    g = w2_graph()
    pos = list(range(len(w2_inputs)))
    c = gs.Client(real_server.url)
    t = c._transport
    try:
        want = [np.array(a) for a in c.grad(g, w2_inputs, grad_position=pos).outputs]
        pair = t._shm.free[0]
        send = t.send

        def lost(method, path, content, headers, timeout=None, rid=None):
            if path == "/v1/grad":
                raise gs.errors.APITimeoutError("timed out (test)", request_id=rid)
            return send(method, path, content, headers, timeout, rid)
        t.send = lost
        with pytest.raises(gs.errors.APITimeoutError):
            c.grad(g, w2_inputs, grad_position=pos)
        assert t._shm.pairs == 0 and not t._shm.free and not t._shm.held
        assert not any(os.path.exists(f"/dev/shm/{r.name}") for r in pair)
        t.send = send
        for a, b in zip(c.grad(g, w2_inputs, grad_position=pos).outputs, want):
            np.testing.assert_array_equal(a, b)
        assert t._shm.pairs == 1 and (t._shm.free + t._shm.held)[0] is not pair
    finally:
        c.close()


def test_generations_name_kept_bytes_and_leave_a_training_loops_header_alone():
    """What a call's tensors say (no server: registration answered 200): a slot written on every call (a
    weight each step updates) goes without a generation, so the header is the same call after call; bytes
    that stay get one, and keep it while they stay; a new value after a kept run gets a new one."""
    sh = _shm.SharedMemory(lambda *a: (200, {}, b""))

    def call(*arrays) -> list:
        lease = sh.lease({"inputs": list(arrays)})
        try:
            return [lease.place(a) for a in arrays]
        finally:
            lease.done()

    w, x = np.zeros((256, 256), F32), np.ones((256, 256), F32)
    first = call(w, x)
    assert [p.get("shared_memory_generation") for p in first] == [1, 2]
    hot = [call(w + k, x) for k in (1, 2, 3)]  # w changes each call (written the call before too), x stays
    assert hot[0] == hot[1] == hot[2] and [p.get("shared_memory_generation") for p in hot[0]] == [None, 2]
    assert sh.input_bytes == [2 * w.nbytes + 3 * w.nbytes, 3 * x.nbytes]
    w3 = w + 3
    calm = [call(w3, x) for _ in range(2)]  # w's bytes stay now: named once, then the same
    assert calm[0] == calm[1] and calm[0][0]["shared_memory_generation"] == 3
    assert sh.input_bytes == [5 * w.nbytes, 5 * x.nbytes + 2 * w.nbytes]
    assert call(w3 + 1, x)[0]["shared_memory_generation"] == 4  # changed after a kept run: a new name
    assert all(p["shared_memory_offset"] == q["shared_memory_offset"] for p, q in zip(first, calm[0]))
    sh.close()


def _kept_client_inputs(url: str) -> float:
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith('gradserve_shm_kept_bytes{device="client_inputs"}'):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no gradserve_shm_kept_bytes{device=\"client_inputs\"} in /metrics")


def test_the_server_keeps_copies_of_unchanged_inputs_until_the_regions_go(real_server, w2_inputs):
    """On a real server: inputs sent unchanged (with their generation) from regions of the client's own stay in
    server buffers (the gauge), a weight written on every call is not kept, and unregistering (close) drops
    the copies. (Regions the server made are read where they lie: tests/service/test_client_shm_made_inputs.py)"""
    g = w2_graph()
    pos = list(range(len(w2_inputs)))
    base = _kept_client_inputs(real_server.url)  # (other tests' clients may still hold regions)
    c = gs.Client(real_server.url)
    c._transport._shm.made = False  # (as with a server that makes no regions: both regions are the client's)
    try:
        ins = [a.copy() for a in w2_inputs]
        for k in range(3):
            ins[1] = w2_inputs[1] * np.float32(1 + k)  # w0 new every call; x and w1 unchanged
            np.array(c.grad(g, ins, grad_position=pos).outputs[0])
        kept = _kept_client_inputs(real_server.url) - base
        want = ins[0].nbytes + ins[3].nbytes  # x and w1 (w0 goes without a generation; the rest are small)
        assert want <= kept <= 2 * want, (kept, want)
    finally:
        c.close()
    assert _kept_client_inputs(real_server.url) == base


def test_a_body_that_cannot_be_encoded_gives_its_pair_back():
    """Nothing was sent: the pair is free again (before, it stayed leased for good)."""
    from gradserve._transport.http import _ShmCall

    sh = _shm.SharedMemory(lambda *a: (200, {}, b""))
    body = {"inputs": [np.ones((256, 256), F32)], "scale": float("nan")}
    lease = sh.lease(body)
    with pytest.raises(ValueError, match="not JSON compliant"):
        _ShmCall(sh, lease, "grad", body, None, None)
    assert sh.pairs == 1 and len(sh.free) == 1 and not sh.held
    sh.close()


def test_lease_now_takes_a_free_pair_that_fits_and_never_registers():
    sent = []
    sh = _shm.SharedMemory(lambda *a: sent.append(a[1]) or (200, {}, b""))
    sh.made = False  # (a server that makes no output regions: both regions are registered ones)
    body = {"inputs": [np.ones((256, 256), F32)]}
    assert sh.lease_now(body) is None and not sent  # no pair yet: only `lease` makes one
    sh.lease(body).done()
    assert len(sent) == 2 and len(sh.free) == 1
    lease = sh.lease_now(body)
    assert lease is not None and lease.pair is not None and not sh.free and len(sent) == 2
    lease.done()
    assert sh.lease_now({"inputs": [np.ones((2048, 2048), F32)]}) is None and len(sh.free) == 1  # too small
    sh.close()
