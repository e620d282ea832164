"""The SDK over gRPC: `gs.set_context(server="grpc://...")` runs every seed example script, and
`Client("grpc://...")` / `Client(..., transport="grpc")` give the same results (bytes) and the same
exceptions as over HTTP."""
from __future__ import annotations

import contextlib
import io
import runpy

import numpy as np
import pytest
from clients._examples import EXAMPLES, ROWS, expected, printed_numbers
from e2e.helpers import X, Y, matmul_net, sin_cos_net, slow_input, slow_net

import gradserve as gs
from gradserve import errors

F32 = np.float32


@pytest.fixture
def grpc_url(server) -> str:
    return f"grpc://{server.grpc_target}"


@pytest.mark.parametrize("script", sorted(ROWS.values()))
def test_seed_example_script_over_grpc(script, grpc_url, monkeypatch):
    monkeypatch.setenv("GRADSERVE_SERVER", grpc_url)  # the scripts set_context(server="http://..."): overridden
    monkeypatch.setenv("GRADSERVE_DEVICE", "cpu")
    gs.reset_context()
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            runpy.run_path(str(EXAMPLES / f"{script}.py"), run_name="__main__")
        from gradserve._transport.grpc import GRPCTransport

        assert isinstance(gs.context.client()._transport, GRPCTransport)
    finally:
        gs.reset_context()
    got, want = printed_numbers(buf.getvalue()), expected()[script]
    assert len(got) == len(want), buf.getvalue()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)


def test_set_context_grpc(grpc_url, monkeypatch):
    monkeypatch.delenv("GRADSERVE_SERVER", raising=False)
    gs.reset_context()
    try:
        gs.set_context(server=grpc_url, device_target="CPU")

        class Net(gs.nn.Cell):
            def __init__(self):
                super().__init__()
                self.z = gs.Parameter(gs.Tensor(np.array([1.0], F32)), name="z")

            def construct(self, x, y):
                return gs.ops.matmul(x * self.z, y)

        dx = gs.ops.GradOperation()(Net())(gs.Tensor(X), gs.Tensor(Y))
        np.testing.assert_allclose(np.asarray(dx.asnumpy()), [[4.51, 2.7, 3.6]] * 2, rtol=1e-6)
        assert gs.context.client()._transport.target == grpc_url.split("://")[1]
    finally:
        gs.reset_context()


def _same(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_client_same_results_as_http(server, grpc_url):
    doc, sc = matmul_net(), sin_cos_net()
    xs, ys = np.array([0.8, 0.6, 0.2], F32), np.array([0.7, 0.4, 0.3], F32)
    with gs.Client(server.url) as h, gs.Client(grpc_url) as g, gs.Client(server.grpc_target, transport="grpc") as g2:
        assert g.health() and g.health(live=True)
        assert [p["device"] for p in g.devices()["pools"]] == [p["device"] for p in h.devices()["pools"]]
        gid = g.register_graph(doc)
        assert gid == gs.graph_hash(doc) == h.register_graph(doc)
        got = g.get_graph(gid)
        assert got["graph"] == doc and got["signature"] == h.get_graph(gid)["signature"]
        calls = [("grad", (doc, [X, Y]), {}), ("grad", (doc, [X, Y]), {"get_all": True}),
                 ("grad", (doc, [X, Y]), {"get_by_list": True}),
                 ("grad", (doc, [X, Y]), {"grad_position": None, "weights": ["z"], "value_and_grad": True}),
                 ("grad", (doc, [X, Y]), {"sens": np.ones((2, 3), F32), "params": {"z": np.array([3.0], F32)}}),
                 ("vjp", (sc, [xs, ys], np.ones(3, F32)), {}),
                 ("jvp", (sc, [xs, ys], [np.ones(3, F32)] * 2), {}),
                 ("jacobian", (doc, [X, Y]), {"positions": [0, 1], "mode": "fwd"}),
                 ("eval", (gid, [X, Y]), {})]
        for name, args, kw in calls:
            rh, rg = getattr(h, name)(*args, **kw), getattr(g, name)(*args, **kw)
            assert rg.names == rh.names and rg.structure == rh.structure and rg.graph_id == rh.graph_id
            _same(rg.value, rh.value)
            _same(getattr(g2, name)(*args, **kw).value, rh.value)


def test_timing_names_threads_and_reclaimed_as_http(server, grpc_url):
    """gRPC's Timing carries what HTTP's timing does about core lending: the threads the job started with
    (the worker's own for a small job, which is never lent cores; one, the server's, for a job the inline
    lane ran in the server process) and whether lent cores were reclaimed."""
    doc = matmul_net()
    with gs.Client(server.url) as h, gs.Client(grpc_url) as g:
        threads = {w["device"]: w["threads"] for p in h.devices()["pools"] for w in p["workers"]}
        rh, rg = h.grad(doc, [X, Y]), g.grad(doc, [X, Y])
    for r in (rh, rg):
        want = 1 if r.timing.get("lane") == "inline" else threads[r.device]
        assert r.timing["threads"] == want >= 1, (r.timing, threads)
        assert r.timing["reclaimed"] is False
        assert r.timing["lane"] in ("worker", "inline")
    assert set(rh.timing) >= set(rg.timing)  # every gRPC timing field is one HTTP has


def _raises_alike(h, g, fn, exact=True):
    with pytest.raises(errors.GradserveError) as eh:
        fn(h)
    with pytest.raises(errors.GradserveError) as eg:
        fn(g)
    assert type(eg.value) is type(eh.value), (eh.value, eg.value)
    assert (eg.value.code, eg.value.status) == (eh.value.code, eh.value.status)
    for e in (eg.value, eh.value):  # each call its own request id
        assert e.detail.pop("request_id", None) is not None
    assert not exact or (eg.value.code, eg.value.status, eg.value.message, eg.value.detail) == \
        (eh.value.code, eh.value.status, eh.value.message, eh.value.detail)
    return eg.value


def test_client_same_exceptions_as_http(server, grpc_url):
    doc = matmul_net()
    with gs.Client(server.url, max_retries=0) as h, gs.Client(grpc_url, max_retries=0) as g:
        assert isinstance(_raises_alike(h, g, lambda c: c.eval(doc, [X, X])), errors.ShapeError)
        assert isinstance(_raises_alike(h, g, lambda c: c.grad(doc, [X, Y], grad_position=5)),
                          errors.DifferentiationError)
        assert isinstance(_raises_alike(h, g, lambda c: c.eval("sha256:" + "0" * 64, [X, Y])), errors.GraphNotFound)
        assert isinstance(_raises_alike(h, g, lambda c: c.grad(doc, [X, Y], order=4)), errors.LimitExceeded)
        assert isinstance(_raises_alike(h, g, lambda c: c.eval(doc, [X, Y], device="ascend")),
                          errors.DeviceUnavailable)
        # ~15 s on one core, ~4 s at an AVX-512 core's peak: 10x past the deadline and the timeout below
        slow = {"graph": slow_net(512, 1400), "inputs": [slow_input(512)]}
        e = _raises_alike(h, g, lambda c: c.eval(slow["graph"], slow["inputs"], deadline_ms=200), exact=False)  # on either worker
        assert isinstance(e, errors.DeadlineExceeded)
    with gs.Client(grpc_url, timeout=0.5, max_retries=0) as g:  # the client's own timeout, as httpx's
        with pytest.raises(errors.APITimeoutError):
            g.eval(slow["graph"], slow["inputs"])
    with gs.Client("grpc://127.0.0.1:9", max_retries=0, timeout=5) as g:  # nothing listens
        with pytest.raises(errors.APIConnectionError):
            g.devices()
        assert not g.health()


def test_async_client_over_grpc(grpc_url):
    import asyncio

    big = np.linspace(-1, 1, 50_000).astype(F32)
    doc = gs.trace_graph(lambda v: gs.ops.sin(v) * 2, [big])

    async def main():
        async with gs.AsyncClient(grpc_url) as c:
            assert await c.health(live=True)  # (ready may lag while a worker recycled above restarts)
            return (await c.eval(doc, [big])).value

    np.testing.assert_allclose(asyncio.run(main()), np.sin(big) * 2, rtol=1e-6)
