"""Round 23's attacks: round 22's leftovers (one real server, two CPU workers, API keys, max_work 2000 under the e2e
servers' max_nodes 3000, so a node count can pass max_work and not max_nodes).

Fixed:
- a graph with more nodes than max_work was hashed and loaded whole before check_expansion's 413 (99 000 tiny nodes:
  ~1.8 s of the server's CPU): now counted from its JSON first (engine.serialize.least_work), 413 naming max_work
  and the count at $.graph.nodes; an ONNX model's nodes (sub-graphs included) likewise before its conversion;
- one client's ONNX imports ran side by side (parse_share bounds their total time, not their overlap: four at once
  held another client's grad 2.9 s): at most imports_per_client (1) at once, 429 naming it before the body is read;
- a vmap counted one equation in check_expansion: a vmap over a body of thousands of equations, or of an op with no
  batching rule over a batch of 2^18 (unrolled once per example), spent max_work in a worker before its 413: now
  counted at load (its function lowered as a call, then batched), 413 max_work at registration.

Expected values: d/dx sum(sin x) = cos x (by hand); sum of sin over a batch, and a sin chain, by NumPy."""
from __future__ import annotations

import threading

import httpx
import numpy as np
import pytest

from .helpers import error_of
from .server import server_in
from .test_attacks_round22 import probe  # (another client, k2, answered right: cos x)

onnx = pytest.importorskip("onnx")
from onnx import TensorProto as TP, helper as oh, numpy_helper as onh  # noqa: E402

KEYS = ("k1", "k2", "imp1", "imp2", "imp3")  # imp*: the import-concurrency tests' own clients
H1 = {"authorization": "Bearer k1"}
MAX_WORK = 2000
CEILING = 120.0
XS = [0.1, 0.2, 0.3]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with server_in(tmp_path_factory, "attacks_round23", devices="cpu",
                   env={"GRADSERVE_API_KEYS": ",".join(KEYS), "GRADSERVE_MAX_WORK": str(MAX_WORK)}) as s:
        yield s


@pytest.fixture(scope="module")
def c(srv):
    with httpx.Client(base_url=srv.url, timeout=CEILING) as cl:
        yield cl


def graph(nodes, functions=None, shape=(3,)) -> dict:
    g = {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": list(shape), "dtype": "float32"}],
         "nodes": nodes, "outputs": "z"}
    return {**g, "functions": functions} if functions else g


def tensor(data, shape=None) -> dict:
    return {"shape": shape or [len(data)], "datatype": "FP32", "data": data}


def chain(n: int, op: str = "sin", first: str = "x", last: str = "z") -> list:
    return [{"op": op, "inputs": [first if i == 0 else f"t{i - 1}"], "outputs": [f"t{i}" if i < n - 1 else last]}
            for i in range(n)]


# -- a node count past max_work, and vmap's count, refused before the load ---------------------------------------
def fn(nodes, shape=(3,), name="a") -> dict:
    return {"inputs": [{"name": name, "shape": list(shape), "dtype": "float32"}], "nodes": nodes, "outputs": "o"}


EINSUM = fn([{"op": "einsum", "inputs": ["a"], "outputs": ["o"], "attrs": {"equation": "...i->...i"}}])
STEP = {"inputs": [{"name": "i", "shape": [], "dtype": "int64"}, {"name": "a", "shape": [3], "dtype": "float32"}],
        "nodes": [{"op": "sin", "inputs": ["a"], "outputs": ["o"]}], "outputs": "o"}
LOOPY = fn([{"op": "fori_loop", "inputs": ["a"], "outputs": ["o"], "attrs": {"body": "step", "upper": 600}}])


def vmaps(fname: str, functions: dict, count: int = 1, batch: int = 4) -> dict:
    """`count` vmaps of `fname` over x [batch, 3], the first summed."""
    return graph([{"op": "vmap", "inputs": ["x"], "outputs": [f"v{i}"], "attrs": {"fn": fname}} for i in range(count)]
                 + [{"op": "sum", "inputs": ["v0"], "outputs": ["z"]}], functions, shape=(batch, 3))


def called(n: int) -> dict:
    """A 10-node top graph calling a function of n nodes once."""
    return graph([{"op": "call", "inputs": ["x"], "outputs": ["c"], "attrs": {"fn": "f"}}] + chain(9, first="c"),
                 {"f": fn(chain(n, first="a", last="o"))})


GRAPH_CASES = {  # graph, words in the message; each 413 naming max_work at registration
    # fixed: counted from the JSON before the hash and the load (was: loaded whole, then check_expansion's 413)
    "2500 nodes": (graph(chain(2500)), "graph has 2500 nodes to build"),
    "a call of a 2400-node function": (called(2400), "graph has 2410 nodes to build"),
    # fixed: vmap counted (was: one equation; 201, then max_work spent in a worker at the first job)
    "vmap of an unruled einsum over 2^18": (vmaps("e", {"e": EINSUM}, batch=1 << 18), "vmap batches its body"),
    # (round 24: refused from the JSON now, the vmapped function's fori_loop followed: 3 x (1 + 600 x 2) + 1)
    "3 vmaps of a fori_loop of 600 trips": (vmaps("loopy", {"step": STEP, "loopy": LOOPY}, count=3),
                                           "graph has 3604 nodes to build"),
}


@pytest.mark.parametrize("case", list(GRAPH_CASES))
def test_graphs_past_max_work_are_refused_before_the_load(c, case):
    g, words = GRAPH_CASES[case]
    r = c.post("/v1/graphs", headers=H1, json={"graph": g})
    assert r.status_code == 413, r.text
    err = error_of(r)
    assert err["detail"]["limit"] == "max_work" and words in err["message"], err
    probe(c)


def test_a_node_count_past_max_work_is_refused_inline_too(c):
    r = c.post("/v1/eval", headers=H1, json={"graph": graph(chain(2500)), "inputs": [tensor(XS)]})
    assert r.status_code == 413, r.text
    err = error_of(r)
    assert err["detail"]["limit"] == "max_work" and err["detail"]["got"] == 2500, err
    assert "graph has 2500 nodes to build" in err["message"], err  # (before: loaded, then check_expansion's)


def test_graphs_under_max_work_still_answer_right(c):
    """A 400-sin chain, a vmap of sum(sin a) over 4 rows and of a rule-less einsum over 4: NumPy's values."""
    x = np.array(XS, np.float32)
    r = c.post("/v1/eval", headers=H1, json={"graph": graph(chain(400)), "inputs": [tensor(XS)]})
    assert r.status_code == 200, r.text
    v = x
    for _ in range(400):
        v = np.sin(v)
    np.testing.assert_allclose(r.json()["outputs"][0]["data"], v, rtol=1e-5)
    rows = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    body = fn([{"op": "sin", "inputs": ["a"], "outputs": ["s"]}, {"op": "sum", "inputs": ["s"], "outputs": ["o"]}])
    for g, want in ((vmaps("f", {"f": body}), np.sin(rows).sum()), (vmaps("e", {"e": EINSUM}), rows.sum())):
        r = c.post("/v1/eval", headers=H1, json={"graph": g, "inputs": [tensor(rows.ravel().tolist(), [4, 3])]})
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["outputs"][0]["data"], want, rtol=1e-5)


# -- ONNX: the model's node count, and one import at a time per client ----------------------------------------------
X = oh.make_tensor_value_info("x", TP.FLOAT, [3])
Y = oh.make_tensor_value_info("y", TP.FLOAT, [3])


def sins(n: int, out: str = "y", name: str = "t") -> list:
    return [oh.make_node("Sin", ["x" if i == 0 else f"{name}{i - 1}"], [f"{name}{i}" if i < n - 1 else out])
            for i in range(n)]


def model(nodes, inits=()) -> bytes:
    g = oh.make_graph(nodes, "g", [X], [Y], initializer=list(inits))
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 17)]).SerializeToString()


def if_model(branch_nodes: int) -> bytes:
    """An If (cond a constant true) whose then branch is a chain of `branch_nodes` Sin nodes."""
    then = oh.make_graph(sins(branch_nodes, "o", "b"), "then", [], [oh.make_tensor_value_info("o", TP.FLOAT, [3])])
    other = oh.make_graph([oh.make_node("Identity", ["x"], ["e"])], "else", [],
                          [oh.make_tensor_value_info("e", TP.FLOAT, [3])])
    cond = onh.from_array(np.array(True), "c")
    return model([oh.make_node("If", ["c"], ["y"], then_branch=then, else_branch=other)], [cond])


def onnx_headers(key: str) -> dict:
    return {"authorization": f"Bearer {key}", "content-type": "application/onnx"}


@pytest.mark.parametrize("body, count", [(model(sins(2500)), 2500), (if_model(2100), 2102)],
                         ids=["2500 nodes", "an If branch of 2100"])
def test_an_onnx_model_past_max_work_is_refused_before_its_conversion(c, body, count):
    r = c.post("/v1/graphs", content=body, headers=onnx_headers("k1"))
    assert r.status_code == 413, r.text
    err = error_of(r)
    assert err["detail"]["limit"] == "max_work", err
    assert f"the model has {count} nodes (sub-graphs included)" in err["message"], err
    probe(c)


class HeldUpload:
    """An ONNX upload of `key` sent in two pieces, the second held until release() (or abort()): its import is
    under way, its body half read, meanwhile."""

    def __init__(self, url: str, key: str, body: bytes):
        self.go, self.fail, self.result = threading.Event(), False, None
        self.t = threading.Thread(target=self._send, args=(url, key, body), daemon=True)
        self.t.start()

    def _pieces(self, body: bytes):
        yield body[: len(body) // 2]
        assert self.go.wait(CEILING)
        if self.fail:
            raise RuntimeError("the client goes away mid-body")
        yield body[len(body) // 2:]

    def _send(self, url, key, body):
        try:
            self.result = httpx.post(f"{url}/v1/graphs", content=self._pieces(body), headers=onnx_headers(key),
                                     timeout=CEILING)
        except Exception as e:  # noqa: BLE001 - the aborted upload's own end
            self.result = e

    def end(self, fail: bool = False):
        self.fail = fail
        self.go.set()
        self.t.join(CEILING)
        return self.result


def until(c, key: str, status: int) -> httpx.Response:
    """Small imports of `key` until one answers `status` (the held upload reached the server, or its end did)."""
    for _ in range(600):
        r = c.post("/v1/graphs", content=model([oh.make_node("Add", ["x", "x"], ["y"])]), headers=onnx_headers(key))
        if r.status_code == status:
            return r
        assert r.status_code in (201, 429), r.text
        threading.Event().wait(0.1)
    raise AssertionError(f"no {status} for {key} within the ceiling")


def test_one_import_at_a_time_per_client(srv, c):
    """imp1's upload held mid-body: imp1's next import is 429 naming imports_per_client (before: a second import ran
    beside it), another client's registers; once the first ends, imp1 imports again."""
    held = HeldUpload(srv.url, "imp1", model(sins(200)))
    r = until(c, "imp1", 429)
    err = error_of(r)
    assert err["detail"]["limit"] == "imports_per_client" and err["detail"]["value"] == 1, err
    assert int(r.headers["retry-after"]) >= 1
    other = c.post("/v1/graphs", content=model(sins(3)), headers=onnx_headers("imp2"))
    assert other.status_code == 201, other.text
    first = held.end()
    assert isinstance(first, httpx.Response) and first.status_code == 201, first
    assert c.post("/v1/graphs", content=model(sins(4)), headers=onnx_headers("imp1")).status_code == 201
    probe(c)


def test_an_upload_that_goes_away_ends_its_import(srv, c):
    """imp3's upload aborted mid-body: its place is given back (imp3 imports again: 201), not held for good."""
    held = HeldUpload(srv.url, "imp3", model(sins(200)))
    until(c, "imp3", 429)
    assert not isinstance(held.end(fail=True), httpx.Response) or held.result.status_code >= 400
    assert until(c, "imp3", 201).status_code == 201
    probe(c)
