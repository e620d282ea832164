"""A traced program's jobs through a lane (gradserve._lane, issue #13 L3) are the general path's: the same
request bytes, the same Result (fresh, writable arrays and structure per call), the same retries, the same
inline resend on graph_not_found, and the general path wherever a lane does not fit. The wire is canned at
the transport's `send` (every byte a call sends is recorded); the last test runs against a real server."""
from __future__ import annotations

import json

import numpy as np
import pytest

import gradserve as gs
from gradserve import _lane, errors
from gradserve._client import graph_hash
from gradserve._transport.http import HTTPTransport
from gradserve._wire import HEADER_LENGTH

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

X = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 2.0]], np.float32)


def f(w):
    return gs.ops.sum(gs.ops.matmul(gs.Tensor(X), gs.ops.reshape(w, (-1, 1))))


class Wire:
    """The server side of `send`: /v1/graphs answered with the graph's id; a job answered (after the `fail`
    answers queued) in the binary layout a real server writes, timing last, its values from the call's count."""

    def __init__(self):
        self.sent: list[tuple[str, str, bytes, dict]] = []
        self.fail: list = []  # (status, error code) answers, or an exception to raise, before the next job's answer
        self.n = 0
        self.structure: list = [0, 1]  # the answers' structure

    def __call__(self, transport, method, path, content, headers, timeout=None, rid=None):
        self.sent.append((method, path, bytes(content or b""), dict(headers)))
        if path == "/v1/graphs":
            gid = graph_hash(json.loads(content)["graph"])
            return 201, {"content-type": "application/json"}, json.dumps({"graph_id": gid}).encode()
        if self.fail:
            what = self.fail.pop(0)
            if isinstance(what, Exception):
                raise what
            status, code = what
            return status, {"content-type": "application/json"}, json.dumps(
                {"error": {"code": code, "message": code, "detail": {}}}).encode()
        self.n += 1
        head = json.loads(content[:int(headers[HEADER_LENGTH])] if HEADER_LENGTH in headers else content)
        gid = head.get("graph_id") or graph_hash(head["graph"])
        v = np.float32(self.n)
        g = np.arange(3, dtype=np.float32) * self.n
        out = {"outputs": [{"name": "out0", "shape": [], "datatype": "FP32", "parameters": {"binary_data_size": 4}},
                           {"name": "out1", "shape": [3], "datatype": "FP32", "parameters": {"binary_data_size": 12}}],
               "structure": self.structure, "graph_id": gid, "device": "cpu", "timing": {"compute_ms": 0.01 * self.n}}
        raw = json.dumps(out, separators=(",", ":")).encode()
        return 200, {"content-type": "application/octet-stream", "inference-header-content-length": str(len(raw))}, \
            raw + v.tobytes() + g.tobytes()

    def jobs(self) -> list:
        return [s for s in self.sent if s[1] != "/v1/graphs"]


@pytest.fixture
def wire(monkeypatch):
    w = Wire()
    monkeypatch.setattr(HTTPTransport, "send", lambda self, *a, **k: w(self, *a, **k))
    monkeypatch.setattr(gs.Client, "_sleep", staticmethod(lambda s: None))
    gs.reset_context()
    gs.set_context(server="http://127.0.0.1:9", max_retries=2, mode=gs.GRAPH_MODE)  # (lanes pin cached traces)
    yield w
    gs.reset_context()


def _no_lane(monkeypatch):
    monkeypatch.setattr(_lane, "_key", lambda *a: None)


def _calls(n: int) -> list:
    vg = gs.ops.value_and_grad(f)
    return [vg(gs.Tensor(np.array([0.5, -1.0, 2.0], np.float32) * k)) for k in range(n)]


def _without_ids(sent):
    return [(m, p, c, {k: v for k, v in h.items() if k != "x-request-id"}) for m, p, c, h in sent]


def test_a_lane_sends_the_general_paths_bytes_and_gives_its_values(wire, monkeypatch):
    got = _calls(4)
    assert gs.context.client()._lanes  # (the lane took the jobs after the first)
    sent, wire.sent, wire.n = wire.sent, [], 0
    monkeypatch.setattr(HTTPTransport, "send", lambda self, *a, **k: wire(self, *a, **k))
    gs.reset_context()
    gs.set_context(server="http://127.0.0.1:9", max_retries=2, mode=gs.GRAPH_MODE)
    _no_lane(monkeypatch)
    want = _calls(4)
    assert not gs.context.client()._lanes
    assert _without_ids(sent) == _without_ids(wire.sent)
    ids = [h["x-request-id"] for _, _, _, h in sent]
    assert len(set(ids)) == len(ids)
    for (v, g), (wv, wg) in zip(got, want):
        assert v.shape == wv.shape == () and g.shape == wg.shape == (3,) and v.dtype == wv.dtype
        np.testing.assert_array_equal(v.asnumpy(), wv.asnumpy())
        np.testing.assert_array_equal(g.asnumpy(), wg.asnumpy())


def test_a_lanes_result_is_the_general_paths_and_the_callers_own(wire):
    client = gs.Client("http://127.0.0.1:9")
    ref = gs._client.GraphRef(gs._trace.trace_graph(f, [np.zeros(3, np.float32)]), binary=True)
    w = np.array([1.0, 2.0, 3.0], np.float32)
    first = client.eval(ref, [w], device="cpu")  # registers the graph: the lane's jobs follow
    results = [_lane.eval_traced(client, ref, [w], None, "cpu", None) for _ in range(3)]
    assert client._lanes and wire.n == 4
    for k, r in enumerate([first] + results, 1):
        assert r.names == ["out0", "out1"] and r.structure == [0, 1] and r.device == "cpu"
        assert r.graph_id == ref.hash and r.timing == {"compute_ms": 0.01 * k}
        assert r.value[0] == k and r.value[1].tolist() == [0.0, k, 2.0 * k]
        assert all(a.flags.writeable for a in r.outputs)
    a, b = results[0], results[1]
    a.outputs[1][:] = -1
    a.structure.append(9)
    assert b.value[1].tolist() == [0.0, 3.0, 6.0] and b.structure == [0, 1]
    assert not np.shares_memory(a.outputs[1], b.outputs[1])


def _same_tree(a, b, outputs: list, structure) -> None:
    """a, b: one value tree (tuples of arrays) as Result.of builds it from `structure`: each leaf the output
    it names (the object itself), equal to b's."""
    if type(structure) is list:
        assert type(a) is tuple and type(b) is tuple and len(a) == len(b) == len(structure)
        for x, y, s in zip(a, b, structure):
            _same_tree(x, y, outputs, s)
    else:
        assert a is outputs[structure] and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("structure", [[0, 1], [1, 0, 1], [[1], 0], [], [1, [0, [1]]]])
def test_a_lanes_result_of_any_structure_is_result_of(wire, monkeypatch, structure):
    """The lane builds a flat structure's Result itself (without Result.of's walks): the same Result as the
    general path's, whatever the answer's structure."""
    wire.structure = structure
    client = gs.Client("http://127.0.0.1:9")
    ref = gs._client.GraphRef(gs._trace.trace_graph(f, [np.zeros(3, np.float32)]), binary=True)
    w = np.array([1.0, 2.0, 3.0], np.float32)
    client.eval(ref, [w], device="cpu")
    lane = [_lane.eval_traced(client, ref, [w], None, "cpu", None) for _ in range(2)]
    assert client._lanes
    _no_lane(monkeypatch)
    wire.n = 1
    general = [_lane.eval_traced(client, ref, [w], None, "cpu", None) for _ in range(2)]
    for a, b in zip(lane, general):
        assert (a.names, a.structure, a.graph_id, a.device, a.timing) == \
            (b.names, b.structure, b.graph_id, b.device, b.timing)
        assert type(a.structure) is list and type(a.names) is list
        _same_tree(a.value, b.value, a.outputs, structure)
    assert lane[0].structure is not lane[1].structure and lane[0].names is not lane[1].names


@pytest.mark.parametrize("lane", [True, False])
def test_a_failed_lane_call_goes_on_as_the_general_paths_first_attempt(wire, monkeypatch, lane):
    """The same sends with and without the lane: a 503 then an answer (one retry); a lost connection (one
    retry); graph_not_found (the graph sent inline at once); a 400 (raised after one send)."""
    if not lane:
        _no_lane(monkeypatch)
    vg = gs.ops.value_and_grad(f)
    w = gs.Tensor(np.ones(3, np.float32))
    vg(w)
    vg(w)
    assert bool(gs.context.client()._lanes) is lane
    n0 = len(wire.jobs())
    wire.fail = [(503, "device_unavailable")]
    assert vg(w)[0].asnumpy() == 3
    wire.fail = [errors.APIConnectionError("lost")]
    assert vg(w)[0].asnumpy() == 4
    wire.fail = [(404, "graph_not_found")]
    assert vg(w)[0].asnumpy() == 5
    jobs = wire.jobs()[n0:]
    assert ["graph" in json.loads(c[:int(h[HEADER_LENGTH])]) for _, _, c, h in jobs] == \
        [False, False, False, False, False, True]
    wire.fail = [(400, "invalid_request")]
    with pytest.raises(errors.InvalidRequest):
        vg(w)
    wire.fail = [(503, "device_unavailable")] * 3  # past max_retries (2): raised after three sends
    with pytest.raises(errors.DeviceUnavailable):
        vg(w)
    assert len(wire.jobs()) - n0 == 6 + 1 + 3


def test_jobs_a_lane_does_not_carry_take_the_general_path(wire):
    client = gs.context.client()
    ref = gs._client.GraphRef(gs._trace.trace_graph(f, [np.zeros(3, np.float32)]), binary=True)
    w = np.ones(3, np.float32)
    client.eval(ref, [w])
    assert _lane._key(client, ref, [w], None, None, None) is not None
    assert _lane._key(client, ref, [w.tolist()], None, None, None) is None  # not an array
    assert _lane._key(client, ref, [w], None, None, False) is None  # JSON answers asked for
    assert _lane._key(client, gs._client.GraphRef(ref.doc), [w], None, None, None) is None  # not a trace's
    big = np.ones(1 << 16, np.float32)  # shared memory's size
    assert client._transport._shm is not None
    assert _lane._key(client, ref, [w], {"p": big}, None, None) is None
    client.binary_threshold = None
    assert _lane._key(client, ref, [w], None, None, None) is None


def test_l3_through_a_real_server_is_bit_identical_with_and_without_the_lane(on_real_server, monkeypatch):
    from benchmarks import loops_workloads as LW

    Xd, y = LW.logreg_data()

    def chain():
        vg = gs.ops.value_and_grad(LW.logp_sdk(gs, Xd, y))
        w, out = np.zeros(Xd.shape[1], np.float32), []
        for _ in range(5):
            v, g = vg(gs.Tensor(w))
            out.append((v.asnumpy(), g.asnumpy()))
            w = w + 1e-3 * g.asnumpy()
        return out

    got = chain()
    assert gs.context.client()._lanes
    gs.reset_context()
    _no_lane(monkeypatch)
    want = chain()
    for (v, g), (wv, wg) in zip(got, want):
        assert v.tobytes() == wv.tobytes() and g.tobytes() == wg.tobytes()


P = gs.Parameter(gs.Tensor(np.array([1.0, -2.0, 0.5], np.float32)), name="p")


def _changing_calls(wire, count) -> tuple[list, list, list]:
    """value_and_grad calls, each change of what a lane is made for (client, device, deadline, JSON jobs, the
    parameter set, an array rebound to another dtype, a trace evicted from the cache) between repeats of one
    call: (the values, the requests sent, `count()` after each step)."""
    import gradserve._trace as T

    def h(w):
        return gs.ops.sum(gs.ops.matmul(gs.Tensor(X), gs.ops.reshape(w * P, (-1, 1))))

    vg = gs.ops.value_and_grad(h)
    x = gs.Tensor(np.array([0.5, -1.0, 2.0], np.float32))
    out, steps = [], []

    def call(x, n=2):
        for _ in range(n):
            v, g = vg(x)
            out.append((v.asnumpy().tobytes(), g.asnumpy().tobytes(), g.dtype, g.shape))
        steps.append(count())

    call(x, 3)
    gs.context.client().deadline_ms = 700
    call(x)
    gs.set_context(device_target="GPU")
    call(x)
    gs.set_context(device_target="CPU", device_id=1)
    call(x)
    gs.context.client().binary_threshold = None  # JSON jobs: no lane
    call(x)
    gs.context.client().binary_threshold = 1 << 12
    call(x)
    P.set_data(np.array([2.0, 1.0, 0.0], np.float32))  # the first change: a new graph, its value a job's array
    call(x)
    P.set_data(np.array([3.0, 1.0, 0.0], np.float32))  # the same graph, a new value
    call(x)
    x._data = x._data.astype(np.float64)  # (a Tensor's array rebound behind its back: another request head)
    call(x)
    x._data = x._data.astype(np.float32)
    call(x)
    size = T.TRACE_CACHE_SIZE
    T.TRACE_CACHE_SIZE = 1
    try:  # another shape (a new graph), then back: each trace evicted by the other and made again
        row = gs.Tensor(x.asnumpy().reshape(1, 3))
        for t in (row, x, row):
            call(t)
    finally:
        T.TRACE_CACHE_SIZE = size
    gs.set_context(server="http://127.0.0.1:10")  # another client
    call(x)
    return out, wire.sent, steps


def _fresh_p() -> None:
    """P as new: its first value, never changed, its array its own (sealed, as Parameter() makes it: one not
    sealed would be taken as written through NumPy and thawed: gradserve._trace.Program.ref)."""
    P._data, P._version = np.array([1.0, -2.0, 0.5], np.float32), 0
    P._own_array()


def test_a_programs_pinned_lane_is_left_whenever_its_job_changes(wire, monkeypatch):
    """The lane pinned on a traced program (_lane.eval_program) serves repeats of the last call only: after
    each change of client, device, deadline, encoding, parameter set, array dtype or trace, the lane's key is
    derived again; the requests and values are the general path's throughout."""
    _fresh_p()
    keyed: list = []
    key = _lane._key
    monkeypatch.setattr(_lane, "_key", lambda *a: keyed.append(1) or key(*a))
    got, sent, steps = _changing_calls(wire, lambda: len(keyed))
    _fresh_p()
    wire.sent, wire.n = [], 0
    gs.reset_context()
    gs.set_context(server="http://127.0.0.1:9", max_retries=2, mode=gs.GRAPH_MODE)
    _no_lane(monkeypatch)
    want, sent_general, _ = _changing_calls(wire, lambda: 0)
    assert got == want
    assert _without_ids(sent) == _without_ids(sent_general)
    # keys derived per step: a new graph's first call (registered on the general path) and second (the pin
    # made); the first call after a change (the pin made again); JSON jobs on every call (no pin); a new
    # parameter value alone: none (the pin kept)
    assert [b - a for a, b in zip([0] + steps, steps)] == [2, 1, 1, 1, 2, 1, 2, 0, 1, 1, 2, 1, 1, 2]


@pytest.mark.parametrize("scalar_shape", [[], [1]])
def test_a_pinned_programs_answer_becomes_its_tensors_as_conform_makes_them(wire, monkeypatch, scalar_shape):
    """A pinned program whose outputs are a flat tuple of Tensors gets them from the lane (no Result, no
    _conform): the same Tensors as the general path's (a 0-d value the server sent as [1] given its traced
    shape ()), each call's arrays fresh and the caller's own."""
    real = wire.__call__

    def answer(transport, method, path, content, headers, timeout=None, rid=None):
        status, h, body = real(transport, method, path, content, headers, timeout, rid)
        if path == "/v1/graphs":
            return status, h, body
        n = int(h["inference-header-content-length"])
        head = json.loads(body[:n])
        head["outputs"][0]["shape"] = scalar_shape
        raw = json.dumps(head, separators=(",", ":")).encode()
        return status, dict(h, **{"inference-header-content-length": str(len(raw))}), raw + body[n:]

    monkeypatch.setattr(HTTPTransport, "send", lambda self, *a, **k: answer(self, *a, **k))
    made: list = []
    tensors = _lane._tensors
    monkeypatch.setattr(_lane, "_tensors", lambda *a: made.append(1) or tensors(*a))
    got = _calls(5)
    assert len(made) == 3  # (the first call registers the graph, the second pins the lane)
    wire.n = 0
    gs.reset_context()
    gs.set_context(server="http://127.0.0.1:9", max_retries=2, mode=gs.GRAPH_MODE)
    _no_lane(monkeypatch)
    want = _calls(5)
    for (v, g), (wv, wg) in zip(got, want):
        assert type(v) is type(wv) is gs.Tensor and v.shape == wv.shape == () and g.shape == wg.shape == (3,)
        assert v.dtype == wv.dtype and g.dtype == wg.dtype
        assert v.asnumpy().tobytes() == wv.asnumpy().tobytes() and g.asnumpy().tobytes() == wg.asnumpy().tobytes()
    a, b = got[3][1]._data, got[4][1]._data
    assert a.flags.writeable and not np.shares_memory(a, b)
    a[:] = -1
    assert got[4][1].asnumpy().tolist() == [0.0, 5.0, 10.0]


def _tree(v) -> object:
    """A value tree of Tensors as (nesting, shapes, dtypes, bytes) for comparing two of them."""
    if type(v) is tuple:
        return tuple(_tree(x) for x in v)
    assert type(v) is gs.Tensor
    return v.shape, str(v.dtype), v.asnumpy().tobytes()


@pytest.mark.parametrize("structure", [[0, [1]], [[0, 1]], [[1], 0], [[0, 1], []], [1, 0, 1], [1, [0, [1]]], [0, 1, 1]])
def test_a_pinned_programs_nested_answer_becomes_its_tensors_as_conform_makes_them(wire, monkeypatch, structure):
    """value_and_grad's answer (a value and a tuple of gradients: outputs and flat lists of them, each output
    once) becomes its Tensors on a pinned lane in one pass (_lane._tensors with the nesting), the same tree
    as the general path's Result conformed; any other structure (an output twice, deeper) takes that path.
    And a layout that changes between calls is seen: the answers switch to a flat structure on call 4."""
    plannable = structure in ([0, [1]], [[0, 1]], [[1], 0], [[0, 1], []])
    made: list = []
    tensors = _lane._tensors
    monkeypatch.setattr(_lane, "_tensors", lambda *a: made.append(a[2]) or tensors(*a))

    def calls() -> list:
        vg, out = gs.ops.value_and_grad(f), []
        for k in range(6):
            wire.structure = structure if k < 4 else [0, 1]
            out.append(_tree(vg(gs.Tensor(np.array([0.5, -1.0, 2.0], np.float32) * k))))
        return out

    got = calls()
    # calls 3 and 4 (the first registers the graph, the second pins the lane) nested; 5 and 6 flat again
    assert made == ([made[0]] * 2 if plannable else []) + [None, None]
    if plannable:
        assert made[0] is not None
    wire.n = 0
    gs.reset_context()
    gs.set_context(server="http://127.0.0.1:9", max_retries=2, mode=gs.GRAPH_MODE)
    _no_lane(monkeypatch)
    assert got == calls()


def test_a_pinned_programs_request_joins_its_arrays_with_no_copy_of_each(wire, monkeypatch):
    """A pinned program's request joins its arrays' memory itself: no _raw copy per array once pinned (counted;
    one an array a call before), and the bytes the general path sends (the test above). An array that is not
    C-contiguous goes _raw's way (row-major bytes), as does every array of a pin with a dtype whose memory is
    not its wire bytes (big-endian, bfloat16)."""
    import types

    import ml_dtypes

    raws: list = []
    raw = _lane._raw
    monkeypatch.setattr(_lane, "_raw", lambda a: raws.append(a.shape) or raw(a))
    vg = gs.ops.value_and_grad(f)
    w = gs.Tensor(np.array([0.5, -1.0, 2.0], np.float32))
    counts = []
    for _ in range(5):
        vg(w)
        counts.append(len(raws))
    assert counts == [0, 1, 1, 1, 1]  # (the first call registers the graph; the second pins its lane)
    strided = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]
    pin = types.SimpleNamespace(direct=True)
    assert _lane._body(b"H", [strided, np.float32([1, 2])], None, pin) == \
        b"H" + strided.copy().tobytes() + np.float32([1, 2]).tobytes()
    assert _lane._body(b"H", [np.float32([1, 2])], {"p": np.int64([3])}, pin) == \
        b"H" + np.float32([1, 2]).tobytes() + np.int64([3]).tobytes()
    assert _lane._direct([((2,), np.dtype("<f4")), ((), np.dtype(np.bool_))])
    assert not _lane._direct([((2,), np.dtype("<f4")), ((2,), np.dtype(">f4"))])
    assert not _lane._direct([((2,), np.dtype(ml_dtypes.bfloat16))])
    assert _lane._body(b"H", [np.array([1.5, 2.0], ">f4")], None, types.SimpleNamespace(direct=False)) == \
        b"H" + np.float32([1.5, 2.0]).tobytes()
