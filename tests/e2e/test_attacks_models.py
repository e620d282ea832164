"""Attacks on the model surfaces over HTTP (Open Inference Protocol / KServe v2, UM-Bridge), the ONNX
importer's REST route, and work bombs in graphs, replayed against one real server (a model repository,
one cpu pool of 2 workers, the e2e limits: max_elements 2**20, max_nodes 3000, 8 MiB bodies).

Each attack gets its 4xx naming what is wrong (or is bounded by its deadline), and afterwards the server
is whole: ready, the same worker count, no segment of its own left in /dev/shm beyond what it keeps,
a canary job right. Waits are on /v1/devices and metrics with generous ceilings."""
from __future__ import annotations

import base64
import json
import math
import os
import shutil
import time

import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import DX, X, Y, canary, metric, pool_of, wait_for_pool, within
from .server import server_in

ONNX = {"Content-Type": "application/onnx"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    with server_in(tmp_path_factory, "attacks_models", devices="cpu",
                   env={"GRADSERVE_MODEL_REPOSITORY": str(repo), "GRADSERVE_DEFAULT_DEADLINE_S": "5"}) as s:
        s.repository = repo
        yield s


@pytest.fixture(scope="module")
def c(srv):
    with srv.client(timeout=60) as cl:
        yield cl


def graph_of(make, shape=(4,), dtype="float64") -> dict:
    gb = GraphBuilder("bomb")
    x = gb.input(shape, dtype, name="x")
    return graph_to_json(gb.build(make(gb, x)))


def with_attrs(g: dict, op: str, **attrs) -> dict:
    """The graph with `op`'s attributes replaced: what a hand-written request can say that the SDK's
    builder refuses to write."""
    for n in g["nodes"]:
        if n["op"] == op:
            n["attrs"].update(attrs)
    return g


def post_json(c: httpx.Client, path: str, body) -> httpx.Response:
    return c.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


# -- Open Inference Protocol over HTTP: the binary extension, shapes, names ------------------------------------
def _binary(c: httpx.Client, sizes, shape_x=(2, 3), tail: int = 60, header_len=None) -> httpx.Response:
    head = json.dumps({"inputs": [
        {"name": "x", "shape": list(shape_x), "datatype": "FP32", "parameters": {"binary_data_size": sizes[0]}},
        {"name": "y", "shape": [3, 3], "datatype": "FP32", "parameters": {"binary_data_size": sizes[1]}}]}).encode()
    n = len(head) if header_len is None else header_len
    return c.post("/v2/models/seed_grad/infer", content=head + bytes(tail),
                  headers={"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(n)})


@pytest.mark.parametrize("case,words", [
    (dict(sizes=(10 ** 12, 36)), "past the end"),
    (dict(sizes=(-24, 84)), "non-negative"),
    (dict(sizes=(24.0, 36)), "non-negative integer"),
    (dict(sizes=("24", 36)), "non-negative integer"),
    (dict(sizes=(12, 36), tail=48), "needs 24"),
    (dict(sizes=(24, 36), tail=200), "after the last"),
    (dict(sizes=(24, 36), header_len=10 ** 15), "outside the body"),
    (dict(sizes=(24, 36), header_len=-5), "not a non-negative decimal integer"),
    (dict(sizes=(24, 36), header_len="0x10"), "not a non-negative decimal integer"),
    (dict(sizes=(24, 36), shape_x=(-2, -3)), "non-negative"),
    (dict(sizes=(24, 36), shape_x=(2 ** 63, 2)), "max_elements"),
    (dict(sizes=(24, 36), shape_x=(1 << 30, 1 << 30)), "max_elements"),
], ids=["size_past_body", "negative_size", "float_size", "string_size", "short_size", "bytes_after_tensors",
        "header_length_huge", "header_length_negative", "header_length_not_int", "negative_dims",
        "dims_past_int64", "huge_shape_tiny_data"])
def test_oip_binary_extension_that_lies(c, case, words):
    r = _binary(c, **case)
    assert r.status_code in (400, 413), r.text
    assert words in r.json()["error"], r.text


def test_oip_json_shapes_that_lie(c):
    body = {"inputs": [{"name": "x", "shape": [-2, -3], "datatype": "FP32", "data": [1] * 6},
                       {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": [1] * 9}]}
    r = post_json(c, "/v2/models/seed_grad/infer", body)
    assert r.status_code == 400 and "non-negative" in r.json()["error"], r.text
    body["inputs"][0].update(shape=[1 << 62, 1 << 62, 4], data=[])
    r = post_json(c, "/v2/models/seed_grad/infer", body)
    assert r.status_code == 413 and "max_elements" in r.json()["error"], r.text
    r = c.post("/v2/models/seed_grad/infer", content=b"[" * 100000 + b"]" * 100000,
               headers={"content-type": "application/json"})
    assert r.status_code == 400 and "nested too deeply" in r.json()["error"], r.text


@pytest.mark.parametrize("name", ["..%2f..%2fetc%2fpasswd", "%2e%2e", "a%00b", "a%0d%0ab", "x" * 5000, "%ff%fe"])
def test_oip_model_names_with_traversal_or_control_characters(c, name):
    """No such model (404) or not a model name (400, on load), never a file and never a 500."""
    for r in (c.post(f"/v2/models/{name}/infer", json={"inputs": []}), c.get(f"/v2/models/{name}"),
              c.get(f"/v2/models/{name}/ready"), c.post(f"/v2/repository/models/{name}/load")):
        assert r.status_code in (400, 404), (r.status_code, r.text[:200])
        assert "root:" not in r.text


# -- UM-Bridge ------------------------------------------------------------------------------------------------
def test_umbridge_non_finite_outputs_are_numbers_not_500(c):
    """UM-Bridge answers with JSON numbers: an output that overflows is written as Infinity (as /v1 and
    the OIP routes write it, and as the umbridge client's reader takes it), not a 500."""
    x, y = np.array([1.0, 2, 3]), np.array([1e308, 1e308, -1e308])
    r = post_json(c, "/umbridge/Evaluate", {"name": "um", "input": [x.tolist(), y.tolist()], "config": {}})
    assert r.status_code == 200, r.text
    out = json.loads(r.text)["output"]  # (Python's reader takes the Infinity token)
    np.testing.assert_array_equal(out[0], np.sin(x) * y)  # um: (sin(x) * y, x * x * y)
    np.testing.assert_array_equal(out[1], x * x * y)
    assert np.isinf(out[1]).tolist() == [False, True, True]


@pytest.mark.parametrize("body,words", [
    ({"name": "../../etc", "input": [[1, 2, 3], [1, 2, 3]]}, "not found"),
    ({"name": "um", "input": [[1] * 100000, [1, 2, 3]]}, "expected 3"),
    ({"name": "um", "input": [["a", 2, 3], [1, 2, 3]]}, "list of numbers"),
    ({"name": "um", "input": 5}, "2 vectors"),
    ({"name": ["um"]}, "model's name"),
    ({"name": "um", "inWrt": 10 ** 20, "outWrt": 0, "input": [[1, 2, 3], [1, 2, 3]], "sens": [1, 2, 3]}, "inWrt"),
])
def test_umbridge_mistakes_are_400(c, body, words):
    op = "/umbridge/Gradient" if "inWrt" in body else "/umbridge/Evaluate"
    r = post_json(c, op, body)
    assert r.status_code == 400 and words in r.json()["error"]["message"], r.text


# -- ONNX over REST --------------------------------------------------------------------------------------------
def _onnx(nodes, inits=()):
    onnx = pytest.importorskip("onnx")
    h, tp = onnx.helper, onnx.TensorProto
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", tp.FLOAT, [4])],
                     [h.make_tensor_value_info("y", tp.FLOAT, None)], initializer=list(inits))
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17)]).SerializeToString()


def _raw_tensor(name, dims, raw=b"", location=None):
    from onnx import TensorProto

    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims, raw_data=raw)
    if location is not None:
        t.data_location = TensorProto.EXTERNAL
        t.external_data.add(key="location", value=location)
    return t


def _varint(n: int) -> bytes:
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])


def _recursive_model(depth: int) -> bytes:
    """ModelProto.graph -> node -> attribute -> g -> node -> ... `depth` deep: protobuf recursion."""
    def ld(field: int, payload: bytes) -> bytes:
        return _varint(field << 3 | 2) + _varint(len(payload)) + payload
    g = b""
    for _ in range(depth):
        g = ld(1, ld(5, ld(6, g)))
    return _varint(1 << 3) + _varint(8) + ld(7, g)


def onnx_cases():
    from onnx import helper, numpy_helper

    add = [helper.make_node("Add", ["x", "w"], ["y"])]
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)  # noqa: E731
    return {
        "external_data_names_a_server_file": (add, [_raw_tensor("w", [4], location="/etc/passwd")], 400, "external data"),
        "external_data_traversal": (add, [_raw_tensor("w", [4], location="../../../etc/passwd")], 400, "external"),
        "declared_huge_initializer": (add, [_raw_tensor("w", [1 << 20, 1 << 20])], 413, "max_elements"),
        "negative_dims": (add, [_raw_tensor("w", [-4], bytes(16))], 400, "negative dimension"),
        "lying_raw_bytes": (add, [_raw_tensor("w", [4], bytes(7))], 400, "cannot be decoded"),
        "constant_of_shape_bomb": ([helper.make_node("ConstantOfShape", ["s"], ["c"]),
                                    helper.make_node("Add", ["c", "x"], ["y"])], [i64("s", [1 << 16, 1 << 16])], 413,
                                   "max_elements"),
        "expand_bomb": ([helper.make_node("Expand", ["x", "s"], ["y"])], [i64("s", [1 << 20, 1 << 20, 4])], 413,
                        "max_elements"),
        "range_bomb": ([helper.make_node("Range", ["a", "b", "d"], ["r"]), helper.make_node("Cast", ["r"], ["y"], to=1)],
                       [i64("a", 0), i64("b", 1 << 40), i64("d", 1)], 413, "max_elements"),
    }


@pytest.mark.parametrize("case", ["external_data_names_a_server_file", "external_data_traversal",
                                  "declared_huge_initializer", "negative_dims", "lying_raw_bytes",
                                  "constant_of_shape_bomb", "expand_bomb", "range_bomb"])
def test_onnx_bombs_and_file_references(c, case):
    pytest.importorskip("onnx")
    nodes, inits, status, words = onnx_cases()[case]
    t0 = time.monotonic()
    r = c.post("/v1/graphs", content=_onnx(nodes, inits), headers=ONNX)
    assert r.status_code == status and words in r.json()["error"]["message"], r.text
    assert "root:" not in r.text
    within(t0, 60, f"onnx {case} refused")  # (materialised: minutes or OOM)


def test_onnx_protobuf_recursion_and_garbage(c):
    pytest.importorskip("onnx")
    r = c.post("/v1/graphs", content=_recursive_model(5000), headers=ONNX)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_graph", r.text
    for body in (b"", b"\x08" + b"\xff" * 9 + b"\x01", bytes(1000)):
        r = c.post("/v1/graphs", content=body, headers=ONNX)
        assert r.status_code == 400, r.text


# -- work bombs in graphs -------------------------------------------------------------------------------------
def bombs() -> dict:
    s = lambda g, v: g.sum(g.cast(v, dtype="float64"))  # noqa: E731
    return {
        "broadcast_to": (graph_of(lambda g, x: g.sum(g.emit1("broadcast_to", x, shape=[1 << 20, 1 << 20, 4]))), {}),
        "tile": (graph_of(lambda g, x: g.sum(g.emit1("tile", x, reps=[1 << 40]))), {}),
        "iota": (with_attrs(graph_of(lambda g, x: g.add(s(g, g.emit1("iota", shape=[3, 3])), g.sum(x))), "iota",
                            shape=[1 << 30, 1 << 30]), {}),
        "iota_within_the_engine": (with_attrs(graph_of(lambda g, x: g.add(s(g, g.emit1("iota", shape=[3, 3])),
                                                                          g.sum(x))), "iota", shape=[1 << 24, 1 << 24]), {}),
        "arange": (with_attrs(graph_of(lambda g, x: g.add(s(g, g.emit1("arange", stop=5.0)), g.sum(x))), "arange",
                              stop=1e15), {}),
        "arange_tiny_step": (with_attrs(graph_of(lambda g, x: g.add(s(g, g.emit1("arange", stop=5.0, dtype="float64")),
                                                                    g.sum(x))), "arange", step=1e-300), {}),
        "jacobian_basis": (graph_of(lambda g, x: g.sin(x), (1 << 16,)), {"kind": "jacobian"}),
        "hessian_basis": (graph_of(lambda g, x: g.sum(g.sin(x)), (1 << 16,)), {"kind": "hessian"}),
        "order": (graph_of(lambda g, x: g.sum(g.sin(x))), {"kind": "grad", "order": 10 ** 9}),
        "vmap_batch": (vmap_bomb(), {}),
    }


def vmap_bomb() -> dict:
    """vmap over 2**16 rows of a function that broadcasts each row to 2**16 elements: 2**32 in all, each
    row's tensor within max_elements: refused by its memory estimate (max_job_bytes) before it runs."""
    fb = GraphBuilder("row")
    a = fb.input((1,), "float64", name="a")
    ramp = fb.cast(fb.emit1("arange", stop=float(1 << 16), dtype="int64"), dtype="float64")
    row = fb.build(fb.sum(fb.sin(fb.add(fb.emit1("broadcast_to", a, shape=[1 << 16]), ramp))))
    gb = GraphBuilder("bomb")
    x = gb.input((1 << 16, 1), "float64", name="x")
    (y,) = gb.emit("vmap", [x], {"fn": gb.function(row), "in_axes": 0, "out_axes": 0})
    return graph_to_json(gb.build(gb.sum(y)))


@pytest.mark.parametrize("name", ["broadcast_to", "tile", "iota", "iota_within_the_engine", "arange",
                                  "arange_tiny_step", "jacobian_basis", "hessian_basis", "order", "vmap_batch"])
def test_work_bombs_are_refused_before_they_run(c, name):
    """A 4xx from the shapes alone, in well under a second of work, naming the node or the limit."""
    g, opts = bombs()[name]
    kind = opts.pop("kind", "eval")
    n = math.prod(g["inputs"][0]["shape"])
    t0 = time.monotonic()
    r = post_json(c, f"/v1/{kind}", {"graph": g, "inputs": [{"shape": g["inputs"][0]["shape"], "datatype": "FP64",
                                                             "data": [0.5] * n}], **opts})
    assert r.status_code in (400, 413), r.text
    err = r.json()["error"]
    assert r.status_code == 400 or err["detail"]["limit"] in ("max_elements", "max_jacobian_basis", "max_order",
                                                              "max_job_bytes"), err
    assert any(w in err["message"] for w in ("elements", "basis", "order", "step", "bytes")), err
    within(t0, 60, f"work bomb {name} refused")  # (run: hours or OOM)


def test_a_while_loop_at_max_trips_with_a_heavy_body_is_bounded_by_its_deadline(c):
    """10**9 trips of a 65536-element body: the job's deadline ends it (504), its worker is recycled and
    the pool comes back whole."""
    def fn(make, name):
        g = GraphBuilder(name)
        a = g.input((1 << 16,), "float64", name="a")
        return g.build(make(g, a))

    gb = GraphBuilder("wh")
    x = gb.input((1 << 16,), "float64", name="x")
    cond = gb.function(fn(lambda g, a: g.less(g.sum(a), g.scalar(1e300, "float64")), "cond"))
    body = gb.function(fn(lambda g, a: g.add(g.sin(a), g.scalar(1.0, "float64")), "body"))
    (y,) = gb.emit("while", [x], {"cond": cond, "body": body, "max_trips": 10 ** 9})
    g = graph_to_json(gb.build(gb.sum(y)))
    restarts = metric(c, "gradserve_worker_restarts_total", device="cpu")
    t0 = time.monotonic()
    r = post_json(c, "/v1/grad", {"graph": g, "inputs": [{"shape": [1 << 16], "datatype": "FP64",
                                                          "b64": base64.b64encode(bytes(8 << 16)).decode()}],
                                  "deadline_ms": 1500})
    assert r.status_code == 504, r.text
    within(t0, 120, "max-trips while loop ended by its deadline")  # (run: days)
    end = time.monotonic() + 120  # (kill after the grace, then a fresh worker: slow on a loaded box)
    while metric(c, "gradserve_worker_restarts_total", device="cpu") < restarts + 1:
        assert time.monotonic() < end, "the worker running past its deadline was not recycled"
        time.sleep(0.1)
    wait_for_pool(c, "the pool did not come back", lambda p: all(w["state"] == "idle" for w in p["workers"]),
                  timeout=60)
    canary(c)


def test_a_load_unload_loop_and_a_broken_model_are_read_once(srv, c):
    """A client looping load + unload on a model re-read and re-parsed its graph.json each time (~90 ms of the
    GIL per 5 MB, every other client stalled), and one re-posting the load of a broken model re-read it each
    time. Now a folder whose files are unchanged (their stat signature, as Triton's polling) is read once:
    gradserve_repository_reads counts one read of each over 5 loops, every load after an unload serves again
    (fresh statistics), every broken load is the same 400; a changed file is read again."""
    shutil.copytree(srv.repository / "seed_grad", srv.repository / "looped")
    broken = srv.repository / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"kind": "grad"}')
    (broken / "graph.json").write_text('{"nodes": [')
    reads = metric(c, "gradserve_repository_reads_total")
    for _ in range(5):
        r = c.post("/v2/repository/models/looped/load")
        assert r.status_code == 200, r.text[:300]
        r = c.post("/v2/models/looped/infer", json={"inputs": [
            {"name": "x", "datatype": "FP32", "shape": [2, 3], "data": X.reshape(-1).tolist()},
            {"name": "y", "datatype": "FP32", "shape": [3, 3], "data": Y.reshape(-1).tolist()}]})
        assert r.status_code == 200, r.text[:300]
        np.testing.assert_allclose(np.reshape(r.json()["outputs"][0]["data"], (2, 3)), DX, rtol=1e-6)
        stats = c.get("/v2/models/looped/stats").json()["model_stats"][0]["inference_stats"]
        assert stats["success"]["count"] == 1  # (statistics start at each load, as Triton's)
        assert c.post("/v2/repository/models/looped/unload").status_code == 200
        r = c.post("/v2/repository/models/broken/load")
        assert r.status_code == 400 and "graph.json" in r.json()["error"], r.text[:300]
    assert metric(c, "gradserve_repository_reads_total") - reads == 2
    assert metric(c, "gradserve_repository_reads_total", outcome="failed") >= 1
    (broken / "graph.json").write_text(json.dumps(json.loads((srv.repository / "seed_grad" / "graph.json").read_text())))
    r = c.post("/v2/repository/models/broken/load")
    assert r.status_code == 200, r.text[:300]
    assert metric(c, "gradserve_repository_reads_total") - reads == 3
    for name in ("broken",):
        assert c.post(f"/v2/repository/models/{name}/unload").status_code == 200
    canary(c)


def test_after_every_attack_the_server_is_whole(srv, c):
    """Ready, both workers idle and alive, a canary right, no segment in /dev/shm of a worker that is
    gone (the one recycled past its deadline above), and a bounded count of open descriptors."""
    assert c.get("/v2/health/ready").status_code == 200
    p = wait_for_pool(c, "workers not settled", lambda p: all(w["state"] == "idle" for w in p["workers"]), timeout=60)
    assert len(p["workers"]) == 2 and all(os.path.exists(f"/proc/{w['pid']}") for w in p["workers"])
    canary(c)
    live = {w["pid"] for w in pool_of(c)["workers"]}
    prefix = f"gs_{srv.proc.pid}_w"
    orphans = [n for n in os.listdir("/dev/shm") if n.startswith(prefix) and int(n[len(prefix):].split("_")[0]) not in live]
    assert orphans == [], f"segments of workers that are gone (the recycled one above among them): {orphans}"
    fds = len(os.listdir(f"/proc/{srv.proc.pid}/fd"))
    assert fds < 200, fds
