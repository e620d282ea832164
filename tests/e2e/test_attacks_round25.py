"""Round 25's attacks: round 24's leftovers, then a fresh pass (real servers, two CPU workers, API keys, max_work
2000 under the e2e servers' max_nodes 3000).

Fixed:
- a body's `$.graph.nodes` past max_work was parsed whole (every node's dict built, in a decoder process for a large
  body) before its 413: now counted in the raw bytes before the parse (service.node_scan: the objects directly in
  that list, strings skipped exactly), 413 naming max_work and the count;
- an ONNX Loop whose trip count M the converter folds from constants (an Add of two Constants, a Cast, a Size of a
  declared input times a constant...) counted its body once against max_work, was converted and loaded, then
  refused: now M is folded before the conversion with the converter's own rules (engine.importers.onnx_prefold) and
  the body counts once a trip (413 before the conversion);
- a lone gzip-compressed ONNX model inflating past body_budget_bytes was 429 "retry after 1s" for good (the same
  model sent plain went ahead, as a lone upload does): now it inflates alone too.

Expected values: counts from orjson's parse of the same bytes, or from the model's construction (1 + trips x body
nodes); answers from NumPy (sin applied n times)."""
from __future__ import annotations

import gc
import gzip
import time
import weakref

import grpc
import httpx
import numpy as np
import orjson
import pytest

from service import codec, json_decoder, node_scan
from service.errors import LimitExceeded, ServiceError
from service.refusals import Refusals

from service.proto import gradserve_pb2_grpc as pb_grpc

from . import grpc_wire as gw
from .helpers import error_of
from .server import server_in
from .test_attacks_round22 import probe  # (another client, k2, answered right: cos x)
from .test_attacks_round24 import CEILING, H1, MAX_WORK, XS, answers_sin_n, chain, graph, onnx_headers, sins, tensor

onnx = pytest.importorskip("onnx")
from onnx import TensorProto as TP, helper as oh, numpy_helper as onh  # noqa: E402

KEYS = {"GRADSERVE_API_KEYS": "k1,k2"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with server_in(tmp_path_factory, "attacks_round25", devices="cpu",
                   env={**KEYS, "GRADSERVE_MAX_WORK": str(MAX_WORK)}) as s:
        yield s


@pytest.fixture(scope="module")
def c(srv):
    with httpx.Client(base_url=srv.url, timeout=CEILING) as cl:
        yield cl


# -- a node list past max_work, counted before the parse --------------------------------------------------------------
def body(nodes: list, **extra) -> bytes:
    return orjson.dumps({**extra, "graph": graph(nodes), "inputs": [tensor(XS)]})


BRACE_NAMES = [{"op": "sin", "inputs": ["x" if i == 0 else "{[\\\"" * 3 + str(i - 1)],
                "outputs": ["{[\\\"" * 3 + str(i) if i < 9 else "z"]} for i in range(10)]
SCAN_CASES = {  # raw body -> what orjson's parse says: the objects directly in $.graph.nodes (None: not counted)
    "a plain chain": body(chain(50, first="x", last="z")),
    "names full of { [ and escaped quotes": body(BRACE_NAMES),
    "a string ending in an escaped backslash": body(chain(3, first="x", last="z"), note="\\\\"),
    "another member named nodes beside the graph": orjson.dumps({"nodes": [{}, {}, {}], "graph": graph(chain(4))}),
    "attrs holding objects (not counted)": body([{"op": "sin", "inputs": ["x"], "outputs": ["z"],
                                                 "attrs": {"t": {"tensor": {"shape": [], "dtype": "float32"}}}}]),
    "functions' nodes (not counted)": orjson.dumps({"graph": {**graph(chain(2)), "functions": {
        "f": {"nodes": [{}, {}, {}, {}]}}}}),
    "whitespace around the colons": b'{ "graph" :\n { "nodes"\t: [ {} , {"a": "}"} , 1 ] } }',
}
NOT_COUNTED = {  # bodies whose structure the scan does not vouch for: None (the parse and its checks decide)
    "graph twice": b'{"graph": {"nodes": [{}]}, "graph": {"nodes": [{}]}}',
    "nodes not a list": b'{"graph": {"nodes": {"a": {}}}}',
    "no graph": b'{"x": [{}, {}]}',
    "an unclosed string": b'{"graph": {"nodes": [{}], "x": "}]}',
    "two top-level values": b'{"graph": {"nodes": [{}]}} {"graph": {"nodes": [{}]}}',
}


@pytest.mark.parametrize("case", list(SCAN_CASES))
def test_the_scan_counts_what_the_parse_holds(case):
    raw = SCAN_CASES[case]
    parsed = orjson.loads(raw)["graph"]["nodes"]
    assert node_scan.graph_node_objects(raw) == sum(type(n) is dict for n in parsed)


@pytest.mark.parametrize("case", list(NOT_COUNTED))
def test_the_scan_leaves_unplain_bodies_to_the_parse(case):
    assert node_scan.graph_node_objects(NOT_COUNTED[case]) is None


def test_a_node_list_past_max_work_is_never_parsed(monkeypatch):
    """codec.loads refuses it before its parse (before: orjson built every node, then check_graph_size's 413)."""
    def no_parse(*a):
        raise AssertionError("parsed")

    monkeypatch.setattr(codec, "_parse", no_parse)
    with pytest.raises(LimitExceeded) as e:
        codec.loads(body(chain(2100, first="x", last="z")), limits=codec.JsonLimits(64, 1 << 20, 3000, MAX_WORK))
    assert e.value.detail == {"path": "$.graph.nodes", "limit": "max_work", "value": MAX_WORK, "got": 2100}
    with pytest.raises(LimitExceeded) as e:  # (past max_nodes too: named first, as check_graph_size does)
        codec.loads(body(chain(3100, first="x", last="z")), limits=codec.JsonLimits(64, 1 << 20, 3000, MAX_WORK))
    assert e.value.detail["limit"] == "max_nodes"


PAD = "_" * 500  # (long names: a body past json_decoder.OFFLOAD_MIN, parsed in a decoder process)


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("route", ["/v1/graphs", "/v1/eval"])
def test_a_node_list_past_max_work_over_the_wire(c, route, size):
    nodes = chain(2400, first="x", last="z", pad=PAD if size == "large" else "")
    r = c.post(route, headers=H1, content=body(nodes))
    assert r.status_code == 413, r.text
    err = error_of(r)
    assert err["detail"]["limit"] == "max_work" and err["detail"]["got"] == 2400, err
    assert "graph has 2400 nodes to build (at least: the objects in its node list, counted in the body before its " \
           "parse)" in err["message"], err
    probe(c)


def test_a_grpc_graph_json_past_max_work_is_refused_before_its_parse(srv, c):
    """gRPC's graph_json is the graph itself (its nodes at `$.nodes`): counted in its bytes too (before: parsed in the
    server's process, 0.6-1.1 s of its CPU for 99 000 nodes, before check_graph_size's 413)."""
    nodes = chain(2400, first="x", last="z")
    assert node_scan.graph_node_objects(orjson.dumps(graph(nodes)), in_body=False) == 2400
    ch = gw.open_channel(srv.grpc_target)
    try:
        err = gw.rpc_error(gw.call, pb_grpc.GradserveStub(ch), "eval", {"graph": graph(nodes), "inputs": [np.float32(XS)]},
                           metadata=[("authorization", "Bearer k1")])
    finally:
        ch.close()
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err.details()
    assert "graph has 2400 nodes to build (at least: the objects in its node list" in err.details(), err.details()
    probe(c)


def test_braces_in_names_never_count(c):
    """A 10-node chain whose names hold 3000 `{` (past max_work's 2000): answered (sin applied 10 times)."""
    pad = "{" * 300
    nodes = [{"op": "sin", "inputs": ["x" if i == 0 else f"{pad}{i - 1}"], "outputs": [f"{pad}{i}" if i < 9 else "z"]}
             for i in range(10)]
    raw = body(nodes)
    assert raw.count(b"{") > MAX_WORK
    answers_sin_n(c, {"graph": graph(nodes)}, 10)


# -- ONNX: a Loop's trip count folded before the conversion -------------------------------------------------------------
X = oh.make_tensor_value_info("x", TP.FLOAT, [3])
Y = oh.make_tensor_value_info("y", TP.FLOAT, [3])


def const(name: str, v, dtype=np.int64):
    return oh.make_node("Constant", [], [name], value=onh.from_array(np.array(v, dtype)))


def loop_of(pre: list, body_n: int) -> bytes:
    """A Loop over `body_n` Sin nodes a trip (condition a constant true), its M the output "M" of the nodes `pre`."""
    body = oh.make_graph([oh.make_node("Identity", ["c"], ["c_out"])] + sins(body_n, "v", "v_out", "b"), "body",
                         [oh.make_tensor_value_info("i", TP.INT64, []), oh.make_tensor_value_info("c", TP.BOOL, []),
                          oh.make_tensor_value_info("v", TP.FLOAT, [3])],
                         [oh.make_tensor_value_info("c_out", TP.BOOL, []), oh.make_tensor_value_info("v_out", TP.FLOAT, [3])])
    g = oh.make_graph(pre + [oh.make_node("Loop", ["M", "cond", "x"], ["y"], body=body)], "g", [X], [Y],
                      initializer=[onh.from_array(np.array(True), "cond")])
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 17)]).SerializeToString()


FOLDED = {  # nodes computing M = 100 from constants (the body: 25 Sin and the condition's Identity)
    "an Add of two Constants": [const("a", 60), const("b", 40), oh.make_node("Add", ["a", "b"], ["M"])],
    "a Cast of a float Constant": [const("f", 100.0, np.float32), oh.make_node("Cast", ["f"], ["M"], to=TP.INT64)],
    "a Size of the input times 33, plus 1": [oh.make_node("Size", ["x"], ["s"]), const("k", 33),
                                            oh.make_node("Mul", ["s", "k"], ["s3"]), const("one", 1),
                                            oh.make_node("Add", ["s3", "one"], ["M"])],
    "a Reshape of [100] to a scalar": [const("a", [100]), const("shape", [], np.int64),
                                      oh.make_node("Reshape", ["a", "shape"], ["M"])],
    "a Constant's value_int": [oh.make_node("Constant", [], ["M"], value_int=100)],
}


@pytest.mark.parametrize("case", list(FOLDED))
def test_a_folded_trip_count_counts_the_body_once_a_trip(c, case):
    pre = FOLDED[case]
    count = len(pre) + 1 + 100 * 26  # (its nodes, the Loop, 100 trips of the body's 26)
    r = c.post("/v1/graphs", content=loop_of(pre, 25), headers=onnx_headers())
    assert r.status_code == 413, r.text
    err = error_of(r)
    assert err["detail"]["limit"] == "max_work", err
    assert f"the model has {count} nodes (sub-graphs included), a Loop / Scan body once a trip" in err["message"], err
    probe(c)


def test_a_folded_trip_count_under_max_work_still_answers_right(c):
    """M = 4 + 6 trips of 3 Sin nodes: sin applied 30 times (NumPy's value)."""
    r = c.post("/v1/graphs", content=loop_of([const("a", 4), const("b", 6), oh.make_node("Add", ["a", "b"], ["M"])], 3),
               headers=onnx_headers())
    assert r.status_code == 201, r.text
    answers_sin_n(c, {"graph_id": r.json()["graph_id"]}, 30)


# -- a lone gzip model past the body budget -------------------------------------------------------------------------------
BUDGET = 4 << 20


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    with server_in(tmp_path_factory, "attacks_round25_budget", devices="cpu",
                   env={**KEYS, "GRADSERVE_BODY_BUDGET_BYTES": str(BUDGET)}) as s:
        with httpx.Client(base_url=s.url, timeout=CEILING) as cl:
            yield cl


def sin_plus_zeros(n: int) -> bytes:
    """y = sin(x) + sum(W0) + sum(W1), W0 and W1 n float32 zeros each (initializers: the model's bytes)."""
    nodes = [oh.make_node("Sin", ["x"], ["s0"])]
    for k in range(2):
        nodes += [oh.make_node("ReduceSum", [f"W{k}"], [f"t{k}"], keepdims=0),
                  oh.make_node("Add", [f"s{k}", f"t{k}"], [f"s{k + 1}" if k < 1 else "y"])]
    g = oh.make_graph(nodes, "g", [X], [Y], initializer=[onh.from_array(np.zeros(n, np.float32), f"W{k}")
                                                         for k in range(2)])
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 17)]).SerializeToString()


@pytest.mark.parametrize("coding", [None, "gzip"])
def test_a_lone_model_past_the_body_budget_goes_ahead_compressed_or_not(tight, coding):
    """A 6 MB model (4 MiB budget) sent alone: registered and answered, gzipped as plain (before: gzipped, 429 naming
    body_budget_bytes, "retry after 1s", every time)."""
    model = sin_plus_zeros(3 << 18)  # (two of 786 432 elements: under the e2e servers' max_elements)
    assert len(model) > BUDGET
    headers = {**onnx_headers(), **({"content-encoding": coding} if coding else {})}
    r = tight.post("/v1/graphs", content=gzip.compress(model) if coding else model, headers=headers)
    assert r.status_code == 201, r.text
    answers_sin_n(tight, {"graph_id": r.json()["graph_id"]}, 1)


# -- an error raised from a local: the request's body lived until a collection -------------------------------------------
class Body(bytearray):
    """A body a weak reference can watch."""


def _decoder_refusal(raw) -> None:
    d = json_decoder.Decoders(1)
    try:
        d.loads(raw)  # (not JSON: the decoder process's NotJson, raised here)
    finally:
        d.close()


def _remembered_refusal(raw) -> None:
    r = Refusals()
    r.note("cpu", "k", LimitExceeded("refused", limit="max_work", value=1))
    r.check("cpu", "k")


@pytest.mark.parametrize("raise_site", [_decoder_refusal, _remembered_refusal], ids=["decoder", "refusal memo"])
def test_a_refusal_keeps_no_body_alive(raise_site):
    """The error raised from a local of the raising frame (json_decoder.Decoders.loads' `out`, Refusals.check's `e`)
    made a cycle (error -> traceback -> frame -> error): every frame of its traceback, and the request body in them,
    lived until the collector ran (a 200 MB inflated body held the server's memory and body budget, every later large
    body 429, for good once a settle froze it). With the collector off, the body goes with the error."""
    raw = Body(b"\0" * 100)
    ref = weakref.ref(raw)
    was = gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(ServiceError):
            raise_site(raw)
        del raw
        assert ref() is None
    finally:
        if was:
            gc.enable()


def budget_freed(c) -> bool:
    """Whether the server's body budget holds nothing, within CEILING (the request's frames unwind after its answer)."""
    deadline = time.monotonic() + CEILING
    while time.monotonic() < deadline:
        lines = c.get("/metrics").text.splitlines()
        if next(ln for ln in lines if ln.startswith('gradserve_body_budget_bytes{state="held"}')).split()[-1] == "0.0":
            return True
        time.sleep(0.05)
    return False


def test_a_refused_gzip_body_gives_its_budget_back(tight):
    """Two 3 MB non-JSON bodies sent gzipped, one after the other (a 4 MiB budget): each 400 and its budget given back
    (before: the first's inflated bytes stayed held, until a collection or for good, the second 429 naming
    body_budget_bytes)."""
    bad = gzip.compress(b"\0" * (3 << 20))
    for _ in range(2):
        r = tight.post("/v1/eval", content=bad, headers={**H1, "content-type": "application/json",
                                                          "content-encoding": "gzip"})
        assert r.status_code == 400 and "not valid JSON" in error_of(r)["message"], r.text
        assert budget_freed(tight)
