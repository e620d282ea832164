"""The SDK's per-call shortcuts (issue #13) keep what they replace: request ids stay unique (also in a
forked child) without a system call each; the float finiteness test (the Python sum of the values) agrees
with isfinite, overflow included and without a warning; binary tensor entries shared between requests
stay right; response arrays own their bytes; outputs take the traced shapes; a derivative function's
remembered cache follows a changed weight list; a trace's small jobs go binary; a kept connection's
timeout follows each call's."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import gradserve as gs
from gradserve import _wire
from gradserve._trace import _conform, trace_graph
from gradserve._transport import _http1, new_request_id

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


FORK_CHILD = """
import os
from gradserve._transport import new_request_id
new_request_id()
r, w = os.pipe()
pid = os.fork()
if pid == 0:  # the child: its next id, then out at once
    os.write(w, new_request_id().encode())
    os._exit(0)
os.waitpid(pid, 0)
print(os.read(r, 64).decode(), new_request_id())
"""


def test_request_ids_are_unique_hex_and_new_in_a_forked_child():
    ids = [new_request_id() for _ in range(20000)]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids[:100])
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    # in a fresh interpreter (this one may run threads, JAX's, that fork does not carry)
    out = subprocess.run([sys.executable, "-c", FORK_CHILD], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), check=True).stdout.split()
    child, parent = out
    # a child that kept the parent's prefix and count would give the parent's next id
    assert re.fullmatch(r"[0-9a-f]{32}", child) and child[:16] != parent[:16]


FLOATS = [np.array([1.0, -2.5, 3.0], np.float32), np.full(5, 1e308, np.float64), np.array([np.nan, 1.0], np.float32),
          np.array([1.0, np.inf], np.float64), np.array([-np.inf], np.float32),
          np.full((3, 4), 3e38, np.float32),  # finite, but its dot product with itself overflows
          np.full(5, 1e200, np.float64), np.array([60000.0, 1.0], np.float16), np.array([np.nan], np.float16),
          np.zeros((0,), np.float32), np.arange(12, dtype=np.float32).reshape(3, 4).T, np.array(2.5, np.float32),
          np.array([1 + 2j, np.nan], np.complex64), np.array([1 - 2j], np.complex128)]


@pytest.mark.parametrize("a", FLOATS, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_finiteness_agrees_with_isfinite_and_picks_the_encoding(a):
    """Float tensors with NaN or Inf go as b64 (JSON has no such numbers), the others as data."""
    if a.dtype.kind == "f":
        assert _wire._finite(a, a.reshape(-1).tolist()) == bool(np.isfinite(a).all())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from the check
        content, _ = _wire.encode_request({"inputs": [a]}, binary=False)
    t = json.loads(content)["inputs"][0]
    assert ("data" in t) == bool(np.isfinite(a).all()) and ("b64" in t) != ("data" in t)
    np.testing.assert_array_equal(_wire.decode_tensor(t, None, [0]), a)


def test_binary_entries_shared_between_requests_stay_right():
    a, b = np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(6, dtype=np.int32).reshape(2, 3)
    for k in range(3):  # the same shapes again: the remembered entries
        body = {"inputs": [a + k, b + k, a[:, :2] + k], "params": {"w": np.float64(k) * np.ones(2)}}
        content, headers = _wire.encode_request(body, binary=True)
        n = int(headers[_wire.HEADER_LENGTH])
        head = json.loads(content[:n])
        assert [t["datatype"] for t in head["inputs"]] == ["FP32", "INT32", "FP32"]
        assert [t["shape"] for t in head["inputs"]] == [[2, 3], [2, 3], [2, 2]]
        assert [t["parameters"]["binary_data_size"] for t in head["inputs"]] == [24, 24, 16]
        # read back as a response carrying the same entries and bytes
        rhead = json.dumps({"outputs": head["inputs"] + [head["params"]["w"]]}).encode()
        resp = _wire.decode_response(rhead + content[n:], str(len(rhead)))
        got = [t["array"] for t in resp["outputs"]]
        for x, y in zip(got, [a + k, b + k, a[:, :2] + k, np.float64(k) * np.ones(2)]):
            np.testing.assert_array_equal(x, y)
            assert x.dtype == y.dtype


LAYOUTS = [np.arange(12, dtype=np.float32).reshape(3, 4).T,  # small, Fortran order
           np.arange(40000, dtype=np.float64).reshape(200, 200).T,  # large (320 kB), Fortran order
           np.arange(40000, dtype=np.float64).reshape(200, 200)[:, ::2],  # large, strided
           np.arange(40000, dtype=np.float32).reshape(200, 200),  # large, contiguous: sent as a view
           np.arange(20000, dtype=">f8"),  # large, big-endian
           np.arange(6, dtype=">i4").reshape(2, 3),  # small, big-endian
           np.array(3.5, np.float32)]  # 0-d


def test_binary_bodies_carry_row_major_little_endian_bytes_of_any_layout():
    """Each tensor of a binary body is its values in row-major order, little-endian, whatever the array's
    layout and byte order (expected: NumPy's own values of the same arrays, read back from the bytes)."""
    content, headers = _wire.encode_request({"inputs": LAYOUTS}, binary=True)
    n = int(headers[_wire.HEADER_LENGTH])
    at = n
    for t, a in zip(json.loads(content[:n])["inputs"], LAYOUTS):
        size = t["parameters"]["binary_data_size"]
        assert t["shape"] == list(a.shape) and size == a.nbytes
        got = np.frombuffer(content[at:at + size], a.dtype.newbyteorder("<")).reshape(a.shape)
        np.testing.assert_array_equal(got, a)
        at += size
    assert at == len(content)


def test_binary_outputs_own_their_bytes():
    raw = bytearray(np.array([1.5, -2.0], "<f4").tobytes() + np.array([True, False]).tobytes())
    head = b'{"outputs":[{"shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}},' \
           b'{"shape":[1,2],"datatype":"BOOL","parameters":{"binary_data_size":2}}]}'
    resp = _wire.decode_response(bytes(head) + bytes(raw), str(len(head)))
    x, m = (t["array"] for t in resp["outputs"])
    assert x.flags.writeable and x.tolist() == [1.5, -2.0]
    assert m.shape == (1, 2) and m.dtype == np.bool_ and m.tolist() == [[True, False]]
    x[0] = 7.0  # a copy: the response's bytes are not touched
    assert resp["outputs"][0]["array"][0] == 7.0 and np.frombuffer(raw[:8], "<f4")[0] == 1.5


def test_outputs_take_the_traced_shapes():
    shapes = [((), 1), ((2, 3), 6)]
    v, g = _conform((np.array([4.0]), np.arange(6.0)), shapes)  # a 0-d value sent as [1], a matrix flat
    assert isinstance(v, gs.Tensor) and v.shape == () and g.shape == (2, 3)
    (w,) = _conform([np.arange(4.0)], [((2, 2), 4)])  # a list becomes a tuple, as before
    assert w.shape == (2, 2)
    odd = _conform((np.arange(3.0),), shapes)  # counts differ: nothing reshaped
    assert odd[0].shape == (3,)
    keep = _conform((np.arange(3.0), np.arange(5.0)), shapes)  # sizes differ: kept as sent
    assert keep[0].shape == (3,) and keep[1].shape == (5,)


def test_a_derivative_function_follows_its_weight_list(fake):
    w1 = gs.Parameter(gs.Tensor(np.array([2.0], np.float32)), name="w1")
    w2 = gs.Parameter(gs.Tensor(np.array([3.0], np.float32)), name="w2")

    def f(x):
        return gs.ops.sum(x * w1 * w2)

    ws = [w1]
    g = gs.ops.grad(f, None, ws)
    x = gs.Tensor(np.array([5.0], np.float32))
    (d1,) = g(x)
    np.testing.assert_allclose(d1.asnumpy(), [15.0])
    ws.append(w2)  # the weights asked for change: a new program, not the remembered one
    d1, d2 = g(x)
    np.testing.assert_allclose(d1.asnumpy(), [15.0])
    np.testing.assert_allclose(d2.asnumpy(), [10.0])
    ws.pop()
    (d1,) = g(x)
    np.testing.assert_allclose(d1.asnumpy(), [15.0])


def _encodings(fake) -> list:
    """How each job request so far sent its inputs: "binary" or "json"."""
    return ["binary" if all("parameters" in t for t in head["inputs"]) else "json"
            for path, head in fake.requests if path == "/v1/eval"]


def test_a_traces_small_jobs_go_binary_and_give_the_same_values(fake):
    """A trace's jobs go in the binary layout whatever their size (the server reuses what it found for a
    binary header seen before); a graph passed as a dict keeps the size rule; binary_threshold=None keeps
    JSON for everything. The values are NumPy's closed form of L3's log-density and its gradient."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 4)).astype(np.float32)
    y = (rng.random(20) < 0.5).astype(np.float32)
    w = np.array([0.3, -0.2, 0.1, 0.5], np.float32)
    z = X.astype(np.float64) @ w
    want_v = np.sum(y * z - np.logaddexp(0.0, z)) - 0.5 * np.sum(w.astype(np.float64) ** 2)
    want_g = X.T.astype(np.float64) @ (y - 1 / (1 + np.exp(-z))) - w

    def logp(v):
        zt = gs.ops.matmul(gs.Tensor(X), gs.ops.reshape(v, (-1, 1))).reshape((-1,))
        return gs.ops.sum(gs.Tensor(y) * zt - gs.ops.softplus(zt)) - 0.5 * gs.ops.sum(v * v)

    got = []
    for threshold in (1024, None):
        gs.set_context(binary_threshold=threshold)
        vg = gs.ops.value_and_grad(logp)
        for _ in range(2):  # (the first call registers the graph; both are jobs of the trace)
            v, g = vg(gs.Tensor(w))
            got.append((v.asnumpy(), g.asnumpy()))
    assert _encodings(fake) == ["binary", "binary", "json", "json"]
    for v, g in got:
        np.testing.assert_allclose(v, want_v, rtol=1e-5)
        np.testing.assert_allclose(g, want_g, rtol=1e-4, atol=1e-5)
    gs.set_context(binary_threshold=1024)
    gs.context.client().eval(trace_graph(logp, [w]), [w])  # a graph as a dict: 16 bytes of inputs stay JSON
    assert _encodings(fake)[-1] == "json"


def _ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


def test_a_kept_connections_timeout_follows_each_call():
    """A call with a short timeout of its own, then one without on the same kept connection: the second
    gets the client's (long) timeout back, and the third its own short one again."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    done = threading.Event()

    def serve():
        conn, _ = srv.accept()
        with conn:
            for i in range(3):
                buf = b""
                while b"\r\n\r\n" not in buf:
                    buf += conn.recv(65536)
                if i == 1:
                    time.sleep(4)  # twice the first call's timeout: the second fails if it kept that one
                if i == 2:
                    done.wait(120)  # never in time for the third call's timeout
                try:
                    conn.sendall(_ok(b'{"i":%d}' % i))
                except OSError:  # the third: the client has given up and closed
                    return

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    c = _http1.HTTP1Client(f"http://127.0.0.1:{srv.getsockname()[1]}", {}, 60)
    try:
        # (2 s: a loopback answer sent at once is never that late, even on a loaded box)
        assert c.request("GET", "/", None, {}, timeout=2.0).content == b'{"i":0}'
        assert c.request("GET", "/", None, {}).content == b'{"i":1}'
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            c.request("GET", "/", None, {}, timeout=0.3)
        assert time.monotonic() - t0 < 30  # its own timeout, not the client's 60 s
    finally:
        done.set()
        c.close()
        srv.close()


@pytest.mark.parametrize("a", [np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(6.0).reshape(2, 3).T,
                               np.array(3.5), np.arange(4, dtype=np.intc), np.arange(3, dtype=">f4"),
                               np.array([1 + 2j], np.complex64), np.array([True, False]), np.zeros((0, 2), np.uint8),
                               np.arange(3, dtype=np.longdouble), np.arange(3, dtype=np.float16)])
def test_a_tensor_of_an_array_is_the_general_constructions(a):
    """Tensor(array) (a loop's every call) is what the general construction makes of it (here reached by
    giving the array's own shape): the same attributes in the same order, a copy of the values."""
    t, want = gs.Tensor(a), gs.Tensor(a, shape=a.shape)
    assert list(t.__dict__) == list(want.__dict__)
    assert (t._shape, t._dtype, t._trace, t._name) == (want._shape, want._dtype, None, None)
    assert type(t._data) is np.ndarray and t._data.dtype == want._data.dtype and t._data.shape == a.shape
    assert t._data.tobytes() == want._data.tobytes() and not np.shares_memory(t._data, a)
    assert t._data.strides == want._data.strides and t._data.flags.writeable


def test_a_tensor_of_an_unsupported_array_is_refused_as_before():
    with pytest.raises(TypeError, match="cannot make a Tensor of dtype <U1"):
        gs.Tensor(np.array(["a"]))
    p = gs.Parameter(np.ones(2, np.float32), name="w")
    assert p._dtype == "float32" and p.name == "w" and p._version == 0


def test_the_jobs_device_follows_the_context():
    """context.device() (remembered per device_target and device_id) follows every change."""
    from gradserve import context

    gs.reset_context()
    try:
        seen = [context.device()]
        for opts in ({"device_target": "GPU"}, {"device_id": 1}, {"device_target": "CPU"}, {"device_id": 0},
                     {"device_target": "Ascend"}):
            gs.set_context(**opts)
            seen.append(context.device())
        assert seen == ["cpu", "gpu", "gpu:1", "cpu:1", "cpu:0", "ascend:0"]
        # device_id=None is refused since stop 56 (MindSpore 2.10 raises a TypeError for it too); nothing changes
        with pytest.raises(TypeError, match="device_id"):
            gs.set_context(device_id=None)
        assert context.device() == "ascend:0"
    finally:
        gs.reset_context()
