"""Input regions the server makes (service.out_memfd) through the SDK against a real server and its real worker:
the worker reads float inputs where the client wrote them (no copy in the server: no kept copies appear), the
results are PyTorch's; a client that rewrites, punches holes in or unregisters its input region while jobs run
gets at worst its own wrong numbers or its bytes fallback, never a worker restart; regions per client are
bounded. (The in-process side: tests/service/test_client_shm_made_inputs.py.)"""
from __future__ import annotations

import threading

import httpx
import numpy as np
import pytest

import gradserve as gs
from engine import GraphBuilder
from engine.serialize import graph_to_json
from gradserve import _shm

from .test_client_shm import F32, SIZES, _kept_client_inputs, w2_graph, w2_inputs  # noqa: F401 - (a fixture)
from .test_client_shm_made import _punch_hole

torch = pytest.importorskip("torch")


def _torch_grads(xs: list) -> list:
    """d sum(h*h) / d (x, w0, b0, ...) of w2_graph by PyTorch's autograd, in float64 (an independent reference)."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in xs]
    h = ts[0]
    for i in range(1, len(ts), 2):
        h = h @ ts[i] + ts[i + 1]
        if i + 2 < len(ts):
            h = torch.tanh(h)
    (h * h).sum().backward()
    return [t.grad.numpy() for t in ts]


def _restarts(url: str) -> float:
    total = 0.0
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("gradserve_worker_restarts_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _close(got: list, want: list) -> None:
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a, np.float64), b, rtol=2e-4, atol=2e-4 * float(np.max(np.abs(b))))


def test_float_inputs_are_read_where_they_lie_and_equal_pytorch(real_server, w2_inputs):
    g = w2_graph()
    pos = list(range(len(w2_inputs)))
    base = _kept_client_inputs(real_server.url)
    c = gs.Client(real_server.url)
    sh = c._transport._shm
    try:
        ins = [a.copy() for a in w2_inputs]
        for k in range(3):  # x new every call, the weights unchanged (they carry generations)
            ins[0] = w2_inputs[0] * F32(1 + 0.5 * k)
            out = c.grad(g, ins, grad_position=pos).outputs
            _close(out, _torch_grads(ins))
            del out
        pair = (sh.free + sh.held)[0]
        assert all(isinstance(r, _shm.MadeRegion) for r in pair) and pair[0].name.startswith("gsi_")
        # every input of 64 KiB or more was read in place: the server kept no copy of any of them
        assert _kept_client_inputs(real_server.url) == base
    finally:
        c.close()


def _sort_graph(batch: int = 256, n: int = 784) -> dict:
    """Values the client's writes could make inconsistent mid-sort: sort and top_k of x, then a product."""
    gb = GraphBuilder("sorts")
    x, w = gb.input((batch, n), name="x"), gb.input((n, 16), name="w")
    s = gb.emit("sort", [x], {"axis": 1})[0]
    t = gb.emit("top_k", [x], {"k": 16})[0]
    return graph_to_json(gb.build(gb.sum(gb.mul(gb.matmul(s, w), t))))


def test_a_client_rewriting_its_input_region_mid_job_hurts_only_itself(real_server):
    """A thread rewrites the made input region (random floats, NaN, inf, holes punched) while sort / top_k /
    grad jobs read it; then the region is unregistered behind the client's back. Every call answers (any
    numbers, or the bytes fallback), the worker is the same process, no restart is counted, and once the
    writer stops the results are PyTorch's again."""
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((256, 784)).astype(F32), rng.standard_normal((784, 16)).astype(F32)
    g = _sort_graph()
    c = gs.Client(real_server.url)
    sh = c._transport._shm
    pids, restarts = real_server.worker_pids(), _restarts(real_server.url)
    stop = threading.Event()
    try:
        c.grad(g, [x, w], grad_position=[0, 1])
        inp = sh.free[0][0]
        assert isinstance(inp, _shm.MadeRegion)
        path = httpx.get(f"{real_server.url}/v2/systemsharedmemory/region/{inp.name}/status").json()[0]["key"]

        def hostile():
            import os

            junk = [np.full(inp.size // 4, v, F32) for v in (np.nan, np.inf, -np.inf, 0.0)]
            junk.append(rng.standard_normal(inp.size // 4).astype(F32))
            fd = os.open(path, os.O_RDWR)
            try:
                k = 0
                while not stop.is_set():
                    if k % 7 == 6:
                        _punch_hole(fd, inp.size)
                    else:
                        inp.mm[:] = junk[k % len(junk)].tobytes()
                    k += 1
            finally:
                os.close(fd)
        t = threading.Thread(target=hostile, daemon=True)
        t.start()
        for _ in range(12):
            got = c.grad(g, [x, w], grad_position=[0, 1]).outputs  # (its numbers: whatever the writer left)
            assert [np.shape(a) for a in got] == [x.shape, w.shape]
            del got
        stop.set()
        t.join(60)
        # unregistered behind the client's back: the next call is refused (the region named), the SDK makes
        # new regions or sends bytes, and the call still answers
        httpx.post(f"{real_server.url}/v2/systemsharedmemory/region/{inp.name}/unregister", timeout=10)
        got = c.eval(g, [x, w]).outputs[0]
        xt, wt = torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64)
        want = float((torch.sort(xt, dim=1).values @ wt * torch.topk(xt, 16, dim=1).values).sum())
        assert float(np.asarray(got)) == pytest.approx(want, rel=1e-4, abs=1e-3)
    finally:
        stop.set()
        c.close()
    assert real_server.worker_pids() == pids and _restarts(real_server.url) == restarts


def test_made_regions_per_client_are_bounded(real_server):
    """A client that asks for made regions without end gets a 413 past its share (client_shm_max_regions / 4),
    its earlier regions still registered; unregistering them frees its share."""
    names = []
    with httpx.Client(base_url=f"{real_server.url}/v2/systemsharedmemory", timeout=30) as http:
        try:
            for i in range(64):
                r = http.post(f"/region/flood{i}/create", json={"byte_size": 4096})
                if r.status_code != 200:
                    break
                names.append(f"flood{i}")
            assert r.status_code == 413 and "client_shm_max_regions" in r.json()["error"]
            assert 1 <= len(names) <= 16
            assert set(names) <= {x["name"] for x in http.get("/status").json()}
        finally:
            for n in names:
                http.post(f"/region/{n}/unregister")
        assert http.post("/region/again/create", json={"byte_size": 4096}).status_code == 200
        http.post("/region/again/unregister")


def test_a_discarded_call_unregisters_the_regions_the_server_made():
    """A call that ended without an answer never reuses its pair: the made regions are unregistered (the server
    would otherwise hold their memory until the client exits or they sit idle), a region of the client's own
    is unlinked. The 'server' here is service.out_memfd in this process, answering the SDK's requests."""
    import json

    from service import client_shm, out_memfd

    if not out_memfd.available():
        pytest.skip("no sealed memfd on this system")
    regs, calls = client_shm.Regions(), []

    def send(method, path, content, headers, timeout=None, rid=None):
        calls.append(path)
        name, _, verb = path.rpartition("/region/")[2].partition("/")
        if verb == "create":
            body = json.loads(content)
            return 200, {}, json.dumps(out_memfd.create(regs, name, body["byte_size"], body["pid"], "127.0.0.1")).encode()
        if verb == "unregister":
            regs.unregister(name, "127.0.0.1")
        return 200, {}, b"{}"
    sh = _shm.SharedMemory(send)
    try:
        lease = sh.lease({"inputs": [np.ones(1 << 15, F32)]})
        assert lease is not None and all(isinstance(r, _shm.MadeRegion) for r in lease.pair)
        names = [r.name for r in lease.pair]
        assert sorted(n[:4] for n in names) == ["gsi_", "gso_"] and set(regs.regions) == set(names)
        lease.discard()
        assert sorted(p for p in calls if p.endswith("/unregister")) == sorted(
            f"/v2/systemsharedmemory/region/{n}/unregister" for n in names)
        assert regs.regions == {} and sh.pairs == 0 and sh.free == []
    finally:
        sh.close()
        regs.close()
