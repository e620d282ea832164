"""Client and AsyncClient against httpx.MockTransport: retries, typed errors, graph resend, binary, auth."""
import email.utils
import json
import time

import httpx
import numpy as np
import pytest

import gradserve as gs
from gradserve import errors, ops
from gradserve._wire import HEADER_LENGTH

DOC = gs.trace_graph(lambda x: ops.sin(x), [np.zeros(3, np.float32)])
X = np.array([0.1, 0.2, 0.3], np.float32)


def parse(request: httpx.Request):
    raw = request.content
    hl = request.headers.get(HEADER_LENGTH)
    if hl is not None:
        return json.loads(raw[:int(hl)]), raw[int(hl):]
    return (json.loads(raw) if raw else None), b""


def ok_outputs(arrays, structure=0, binary=False):
    if not binary:
        outs = [{"name": f"out{i}", "shape": list(a.shape), "datatype": "FP32", "data": a.reshape(-1).tolist()}
                for i, a in enumerate(arrays)]
        return httpx.Response(200, json={"outputs": outs, "structure": structure, "graph_id": "sha256:x",
                                         "device": "cpu:0", "timing": {"queue_ms": 0.1}})
    outs = [{"name": f"out{i}", "shape": list(a.shape), "datatype": "FP32",
             "parameters": {"binary_data_size": a.nbytes}} for i, a in enumerate(arrays)]
    head = json.dumps({"outputs": outs, "structure": structure}).encode()
    return httpx.Response(200, content=head + b"".join(a.astype("<f4").tobytes() for a in arrays),
                          headers={HEADER_LENGTH: str(len(head)), "content-type": "application/octet-stream"})


def error(status, code, headers=None, **detail):
    return httpx.Response(status, json={"error": {"code": code, "message": f"{code} happened", "detail": detail}},
                          headers=headers)


class Recorder:
    """A scripted server: `script(path, body, n)` -> Response; records every request."""

    def __init__(self, script):
        self.script = script
        self.calls = []

    def __call__(self, request):
        body, tail = parse(request)
        self.calls.append((request.url.path, body, request))
        if request.url.path == "/v1/graphs":
            return httpx.Response(201, json={"graph_id": gs.graph_hash(body["graph"]), "signature": {}})
        n = sum(1 for p, _, _ in self.calls if p == request.url.path)
        return self.script(request.url.path, body, n)

    def paths(self):
        return [p for p, _, _ in self.calls]


def make(script, **kw):
    rec = Recorder(script)
    client = gs.Client("http://test", http_transport=httpx.MockTransport(rec), **kw)
    client.sleeps = []
    client._sleep = client.sleeps.append
    return client, rec


def test_eval_registers_once_then_sends_the_id():
    client, rec = make(lambda p, b, n: ok_outputs([np.sin(X)]))
    for _ in range(3):
        r = client.eval(DOC, [X])
        np.testing.assert_allclose(r.value, np.sin(X), rtol=1e-6)
    assert rec.paths() == ["/v1/graphs", "/v1/eval", "/v1/eval", "/v1/eval"]
    assert all(b["graph_id"] == gs.graph_hash(DOC) and "graph" not in b for p, b, _ in rec.calls[1:])
    assert rec.calls[1][1]["inputs"][0] == {"shape": [3], "datatype": "FP32", "data": X.tolist()}


def test_retries_honour_retry_after():
    def script(p, b, n):
        return error(429, "overloaded", {"Retry-After": "2"}) if n <= 2 else ok_outputs([X])

    client, rec = make(script)
    r = client.eval(DOC, [X])
    np.testing.assert_array_equal(r.value, X)
    assert len(client.sleeps) == 2
    assert all(2.0 <= s <= 2.0 + client.retry.backoff_max for s in client.sleeps)
    assert rec.paths().count("/v1/eval") == 3


def test_retry_after_as_http_date_and_backoff_without_it():
    when = email.utils.formatdate(time.time() + 3, usegmt=True)

    def script(p, b, n):
        if n == 1:
            return error(503, "device_unavailable", {"Retry-After": when})
        if n == 2:
            return error(503, "device_unavailable")
        return ok_outputs([X])

    client, _ = make(script)
    client.eval(DOC, [X])
    assert client.sleeps[0] >= 1.5  # an HTTP date about 3 s ahead (second resolution)
    b = client.retry.backoff_initial * 2  # second retry: backoff_initial * 2**1, jittered in [b/2, b]
    assert b / 2 <= client.sleeps[1] <= b


def test_a_device_the_server_does_not_have_is_not_retried():
    client, rec = make(lambda p, b, n: error(503, "device_unavailable", retryable=False, available=["cpu"]))
    with pytest.raises(errors.DeviceUnavailable):
        client.eval(DOC, [X])
    assert rec.paths().count("/v1/eval") == 1 and client.sleeps == []


def test_gives_up_after_max_retries():
    client, rec = make(lambda p, b, n: error(429, "overloaded", {"Retry-After": "0"}), max_retries=3)
    with pytest.raises(errors.Overloaded) as ei:
        client.eval(DOC, [X])
    assert ei.value.status == 429 and ei.value.retry_after == 0
    assert rec.paths().count("/v1/eval") == 4 and len(client.sleeps) == 3


def test_exponential_backoff_grows():
    client, _ = make(lambda p, b, n: error(503, "device_unavailable"), max_retries=5)
    client.retry.backoff_max = 100
    with pytest.raises(errors.DeviceUnavailable):
        client.eval(DOC, [X])
    for k, s in enumerate(client.sleeps):
        b = client.retry.backoff_initial * 2 ** k
        assert b / 2 <= s <= b


@pytest.mark.parametrize("status, code, exc", [
    (400, "invalid_request", errors.InvalidRequest), (400, "invalid_graph", errors.InvalidGraph),
    (400, "unknown_op", errors.UnknownOp), (400, "shape_error", errors.ShapeError),
    (400, "differentiation_error", errors.DifferentiationError), (401, "unauthorized", errors.AuthError),
    (413, "payload_too_large", errors.PayloadTooLarge), (413, "limit_exceeded", errors.LimitExceeded),
    (400, "limit_exceeded", errors.LimitExceeded), (429, "overloaded", errors.Overloaded),
    (500, "worker_died", errors.WorkerDied), (500, "internal", errors.InternalError),
    (500, "execution_error", errors.ExecutionError), (404, "not_found", errors.NotFound),
    (503, "device_unavailable", errors.DeviceUnavailable), (504, "deadline_exceeded", errors.DeadlineExceeded),
    (501, "not_implemented", errors.NotImplementedFeature), (404, "graph_not_found", errors.GraphNotFound),
])
def test_typed_error_per_code(status, code, exc):
    client, rec = make(lambda p, b, n: error(status, code, node="net/3:mul", path="$.nodes[3]"), max_retries=0,
                       register_graphs=False)
    with pytest.raises(exc) as ei:
        client.eval(DOC, [X])
    e = ei.value
    assert isinstance(e, errors.GradserveError) and isinstance(e, errors.APIStatusError)
    assert (e.status, e.code) == (status, code)
    assert e.detail["node"] == "net/3:mul" and "node net/3:mul" in str(e)


def test_unknown_code_falls_back_on_the_status():
    client, _ = make(lambda p, b, n: httpx.Response(502, text="<html>bad gateway</html>"), max_retries=0)
    with pytest.raises(errors.APIStatusError) as ei:
        client.eval(DOC, [X])
    assert ei.value.status == 502
    client, _ = make(lambda p, b, n: httpx.Response(500, text="oops"), max_retries=0)
    with pytest.raises(errors.InternalError):
        client.eval(DOC, [X])


def test_client_errors_are_not_retried():
    client, rec = make(lambda p, b, n: error(400, "shape_error"))
    with pytest.raises(errors.ShapeError):
        client.eval(DOC, [X])
    assert rec.paths().count("/v1/eval") == 1 and client.sleeps == []


def test_resend_inline_on_graph_not_found():
    def script(p, b, n):
        if "graph_id" in b:
            return error(404, "graph_not_found")
        assert b["graph"] == DOC
        return ok_outputs([X])

    client, rec = make(script)
    r = client.eval(DOC, [X])
    np.testing.assert_array_equal(r.value, X)
    evals = [b for p, b, _ in rec.calls if p == "/v1/eval"]
    assert "graph_id" in evals[0] and "graph" in evals[1] and evals[0]["inputs"] == evals[1]["inputs"]
    assert client.sleeps == []


def test_graph_not_found_for_a_bare_id_is_raised():
    client, _ = make(lambda p, b, n: error(404, "graph_not_found"))
    with pytest.raises(errors.GraphNotFound):
        client.eval("sha256:" + "0" * 64, [X])


def test_binary_chosen_for_large_tensors():
    big = np.linspace(0, 1, 100_000, dtype=np.float32)
    def script(p, b, n):
        return ok_outputs([np.asarray([1, 2], np.float32)], binary=False)

    client, rec = make(lambda p, b, n: ok_outputs([big * 2], binary=True))
    r = client.eval(DOC, [big])
    req = rec.calls[-1][2]
    head, tail = parse(req)
    assert req.headers["content-type"] == "application/octet-stream"
    assert head["inputs"][0]["parameters"] == {"binary_data_size": big.nbytes} and "data" not in head["inputs"][0]
    assert head["binary_output"] is True
    np.testing.assert_array_equal(np.frombuffer(tail, "<f4"), big)
    np.testing.assert_array_equal(r.value, big * 2)
    # small tensors stay JSON
    client2, rec2 = make(script)
    client2.eval(DOC, [X])
    assert rec2.calls[-1][2].headers["content-type"] == "application/json" and "binary_output" not in rec2.calls[-1][1]


def test_nonfinite_values_travel_as_b64():
    client, rec = make(lambda p, b, n: ok_outputs([X]))
    client.eval(DOC, [np.array([np.nan, 1, np.inf], np.float32)])
    t = rec.calls[-1][1]["inputs"][0]
    assert "b64" in t and "data" not in t


def test_api_key_from_argument_and_environment(monkeypatch):
    monkeypatch.setenv("GRADSERVE_API_KEY", "from-env")
    client, rec = make(lambda p, b, n: ok_outputs([X]))
    client.eval(DOC, [X])
    assert rec.calls[-1][2].headers["authorization"] == "Bearer from-env"
    client, rec = make(lambda p, b, n: ok_outputs([X]), api_key="explicit")
    client.eval(DOC, [X])
    assert rec.calls[-1][2].headers["authorization"] == "Bearer explicit"
    monkeypatch.delenv("GRADSERVE_API_KEY")
    client, rec = make(lambda p, b, n: ok_outputs([X]))
    client.eval(DOC, [X])
    assert "authorization" not in rec.calls[-1][2].headers


def test_timeouts_raise_and_are_not_retried():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    client = gs.Client("http://test", http_transport=httpx.MockTransport(handler), register_graphs=False)
    client._sleep = lambda s: pytest.fail("a timeout must not be retried")
    with pytest.raises(errors.APITimeoutError):
        client.eval(DOC, [X])


def test_connection_errors_are_retried():
    state = {"n": 0}

    def handler(request):
        state["n"] += 1
        if state["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        return ok_outputs([X])

    client = gs.Client("http://test", http_transport=httpx.MockTransport(handler), register_graphs=False)
    client._sleep = lambda s: None
    np.testing.assert_array_equal(client.eval(DOC, [X]).value, X)
    assert state["n"] == 2


def test_endpoint_bodies():
    client, rec = make(lambda p, b, n: ok_outputs([X, X], structure=[0, 1]))
    r = client.grad(DOC, [X], grad_position=(0,), sens=X, device="GPU:1", deadline_ms=500)
    assert r.value[1].shape == (3,) and len(r) == 2
    b = rec.calls[-1][1]
    assert b["grad_position"] == [0] and b["sens"]["data"] == X.tolist()
    assert b["device"] == "gpu:1" and b["deadline_ms"] == 500 and rec.calls[-1][0] == "/v1/grad"
    client.grad(DOC, [X], get_all=True, order=2)
    b = rec.calls[-1][1]
    assert b["get_all"] is True and b["order"] == 2 and "grad_position" not in b
    client.grad(DOC, [X], grad_position=None, weights=["z"])
    assert rec.calls[-1][1]["grad_position"] is None and rec.calls[-1][1]["weights"] == ["z"]
    client.jvp(DOC, [X], [X])
    assert rec.calls[-1][0] == "/v1/jvp" and len(rec.calls[-1][1]["tangents"]) == 1
    client.vjp(DOC, [X], X)
    assert rec.calls[-1][0] == "/v1/vjp" and rec.calls[-1][1]["v"]["shape"] == [3]
    client.jacobian(DOC, [X], mode="fwd")
    assert rec.calls[-1][1]["mode"] == "fwd" and rec.calls[-1][1]["positions"] == 0
    client.hessian(DOC, [X], positions=[0])
    client.hvp(DOC, [X], [X])
    assert [p for p in rec.paths()][-3:] == ["/v1/jacobian", "/v1/hessian", "/v1/hvp"]
    with pytest.raises(TypeError):
        client.grad(DOC, [X], 0)  # options are keyword-only


def test_inputs_follow_the_graph_dtypes():
    client, rec = make(lambda p, b, n: ok_outputs([X]))
    client.eval(DOC, [[0.1, 0.2, 0.3]])
    assert rec.calls[-1][1]["inputs"][0]["datatype"] == "FP32"


def test_health_and_devices():
    def handler(request):
        if request.url.path == "/v2/health/ready":
            return httpx.Response(503, json={"error": {"code": "device_unavailable", "message": "starting"}})
        if request.url.path == "/v2/health/live":
            return httpx.Response(200, json={"live": True})
        return httpx.Response(200, json={"pools": [{"device": "cpu", "state": "ready"}]})

    client = gs.Client("http://test", http_transport=httpx.MockTransport(handler))
    assert client.health() is False and client.health(live=True) is True
    assert client.devices()["pools"][0]["device"] == "cpu"


def test_devices_without_retries_asks_once():
    client, rec = make(lambda p, b, n: error(503, "device_unavailable"))
    with pytest.raises(errors.DeviceUnavailable):
        client.devices(retries=False)
    assert rec.paths() == ["/v1/devices"] and client.sleeps == []
    with pytest.raises(errors.DeviceUnavailable):  # the default keeps the retry policy
        client.devices()
    assert rec.paths() == ["/v1/devices"] * (2 + client.retry.max_retries)
    assert len(client.sleeps) == client.retry.max_retries


def test_set_context_device_check_asks_once_without_retries(monkeypatch):
    # a server still starting answers 503: set_context asks once, does not sleep through the retry policy
    asked = []
    monkeypatch.delenv("GRADSERVE_DEVICE", raising=False)
    gs.reset_context()
    try:
        client = gs.context.client()
        monkeypatch.setattr(client, "_sleep", lambda s: pytest.fail("set_context's device check retried"))

        def call(op, body, **kw):
            asked.append((op, kw.get("timeout")))
            raise errors.DeviceUnavailable("starting", status=503)

        monkeypatch.setattr(client._transport, "call", call)
        gs.set_context(device_target="GPU")  # deferred to the first job, as with no server at all
        assert asked == [("devices", 5.0)] and gs.get_context("device_target") == "GPU"
    finally:
        gs.reset_context()


def test_precompile_only_follows_the_environment_at_once(monkeypatch):
    # read from os.environ's own dict on each graph call: setenv / delenv take effect at once; "1" alone counts
    monkeypatch.delenv("MS_DEV_PRECOMPILE_ONLY", raising=False)
    assert gs.context.precompile_only() is False
    for value, want in [("1", True), ("0", False), ("", False), ("1 ", False), ("1", True)]:
        monkeypatch.setenv("MS_DEV_PRECOMPILE_ONLY", value)
        assert gs.context.precompile_only() is want, value
    monkeypatch.delenv("MS_DEV_PRECOMPILE_ONLY")
    assert gs.context.precompile_only() is False


def test_front_end_routes_by_device_target(fake, monkeypatch):
    x = gs.Tensor(np.array([1.0], np.float32))
    monkeypatch.setattr("gradserve._eager._mode", "remote")  # eager ops as requests (default: NumPy here)
    gs.set_context(device_target="GPU")
    ops.sin(x)
    assert fake.requests[-1][1]["device"] == "gpu"
    gs.set_context(device_target="Ascend", device_id=1)
    ops.sin(x)
    assert fake.requests[-1][1]["device"] == "ascend:1"
    monkeypatch.setenv("GRADSERVE_DEVICE", "cpu")
    ops.sin(x)
    assert fake.requests[-1][1]["device"] == "cpu"
    with pytest.raises(ValueError):
        gs.set_context(device_target="TPU")


def test_front_end_graph_mode_traces_once_and_pynative_each_call(fake):
    calls = []

    class N(gs.nn.Cell):
        def construct(self, x):
            calls.extend([1])  # (extend: kept in GRAPH_MODE; an append there is a new list, MindSpore 2.10's)
            return x * 2

    gs.set_context(mode=gs.GRAPH_MODE)
    n, x = N(), gs.Tensor(np.array([1.0, 2.0], np.float32))
    for _ in range(3):
        np.testing.assert_array_equal(n(x).asnumpy(), [2, 4])
    assert len(calls) == 1
    assert [p for p, _ in fake.requests].count("/v1/graphs") == 1
    n(gs.Tensor(np.zeros((2, 2), np.float32)))  # a new signature: traced again
    assert len(calls) == 2
    gs.set_context(mode=gs.PYNATIVE_MODE)
    n(x)
    n(x)
    assert len(calls) == 4


def test_parameter_update_is_seen(fake):
    class N(gs.nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = gs.Parameter(gs.Tensor(np.array([1.0], np.float32)))

        def construct(self, x):
            return x * self.w

    n, x = N(), gs.Tensor(np.array([3.0], np.float32))
    assert n(x).asnumpy()[0] == 3
    n.w.set_data(np.array([2.0], np.float32))
    assert n(x).asnumpy()[0] == 6


def test_eager_ops_and_local_indexing(fake):
    x = gs.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    np.testing.assert_allclose((x * 2 + 1).asnumpy(), [[3, 5], [7, 9]])
    before = len(fake.requests)
    assert x[1, 0].asnumpy() == 3  # data movement on a concrete tensor needs no round trip
    assert len(fake.requests) == before


# -- async --------------------------------------------------------------------------------------
@pytest.fixture
def anyio_backend():
    return "asyncio"


def amake(script, **kw):
    rec = Recorder(script)
    client = gs.AsyncClient("http://test", http_transport=httpx.MockTransport(rec), **kw)
    client.sleeps = []

    async def sleep(d):
        client.sleeps.append(d)

    client._sleep = sleep
    return client, rec


@pytest.mark.anyio
async def test_async_retry_resend_and_typed_errors():
    def script(p, b, n):
        if n == 1:
            return error(429, "overloaded", {"Retry-After": "1"})
        if "graph_id" in b:
            return error(404, "graph_not_found")
        return ok_outputs([X])

    client, rec = amake(script)
    async with client:
        r = await client.eval(DOC, [X])
        np.testing.assert_array_equal(r.value, X)
        assert client.sleeps and client.sleeps[0] >= 1
        assert "graph" in rec.calls[-1][1]

    client, _ = amake(lambda p, b, n: error(400, "differentiation_error"))
    with pytest.raises(errors.DifferentiationError):
        await client.grad(DOC, [X])
    await client.aclose()


@pytest.mark.anyio
async def test_async_binary_and_endpoints():
    big = np.ones(40_000, np.float32)
    client, rec = amake(lambda p, b, n: ok_outputs([big], binary=True))
    r = await client.vjp(DOC, [big], big)
    assert rec.calls[-1][2].headers["content-type"] == "application/octet-stream"
    np.testing.assert_array_equal(r.value, big)
    assert await client.register_graph(DOC) == gs.graph_hash(DOC)
    await client.aclose()
