"""Attack replays on what a JSON request body counts, each against a real server (tests/e2e/limited_server.py:
2 cpu workers, API keys k1 / k2 as two clients) with the default max_tensors (65536), as gRPC's.

- an HTTP body of many tiny tensors, under the parse cap: refused with 413 limit_exceeded naming max_tensors and
  the count per field right after its parse (before: 1 M input envelopes took 22.8 s and +709 MiB before the
  graph's input count refused them, health probes waiting up to 2.8 s), on /v1 (small bodies parsed in place,
  large ones in the JSON decoder process), OIP HTTP inference (inputs + requested outputs) and UM-Bridge; a
  second client's health probes are all answered meanwhile, and the server's memory stays bounded;
- a body of millions of empty arrays / objects, or nested millions deep, under the parse cap: 413 naming
  max_json_containers (default 1 M) before its parse (before: 8 M `[]`, 16 MB, took 12-16 s and +630 MiB and
  stalled other clients 3.5 s), on a job route, on a graph's registration (no admission place) and in a gRPC
  request's graph_json.

After each attack a canary job is answered right and no worker restarted (limited_server's `canary`)."""
from __future__ import annotations

import threading
from pathlib import Path

import grpc
import httpx
import pytest

from .helpers import error_of, status_kb
from .limited_server import CEILING, auth, canary, limited_server

LIMIT = 65536  # the server's max_tensors (the default)
ONE = b'{"name":"x","shape":[],"datatype":"FP32","data":[0]}'
pytestmark = pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(),
                                reason="reads and resets the server's peak RSS through /proc (Linux)")


srv = limited_server("attacks_request_counts", GRADSERVE_MAX_BODY_BYTES=str(32 << 20))


def _refused(r: httpx.Response, got: int, *counts: str) -> None:
    """A 413 limit_exceeded naming max_tensors, the request's `got` tensors and each field's count."""
    assert r.status_code == 413, r.text[:300]
    err = error_of(r)
    assert err["code"] == "limit_exceeded", err
    assert {k: err["detail"][k] for k in ("limit", "value", "got")} == \
        {"limit": "max_tensors", "value": LIMIT, "got": got}, err
    for count in counts:
        assert count in err["message"], err["message"]


def _probing(srv, stop: threading.Event, codes: list) -> threading.Thread:
    """A second client (k2) asking /v2/health/live until `stop`, each status appended to `codes` (started, its
    first answer in: the attack that follows overlaps its probes)."""
    first = threading.Event()

    def probe():
        with httpx.Client(base_url=srv.url, timeout=CEILING, headers=auth("k2")) as p:
            while not stop.is_set():
                try:
                    codes.append(p.get("/v2/health/live").status_code)
                except httpx.HTTPError as e:  # (a probe past CEILING, or refused: the attack's harm, recorded)
                    codes.append(repr(e))
                first.set()
                stop.wait(0.05)
    th = threading.Thread(target=probe)
    th.start()
    assert first.wait(CEILING), "the health probe got no answer"
    return th


@pytest.mark.parametrize("n", [LIMIT + 1, 300_000])  # 3.5 MB: parsed in place; 16 MB: in a decoder process
def test_many_tiny_inputs_are_refused_by_max_tensors_while_another_client_is_served(srv, c, n):
    body = b'{"graph_id":"g","inputs":[' + b",".join([ONE] * n) + b"]}"
    pid = srv.proc.pid
    base = status_kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM from now
    stop, codes = threading.Event(), []
    th = _probing(srv, stop, codes)
    try:
        _refused(c.post("/v1/eval", content=body, headers={"content-type": "application/json"}), n, f"{n} in inputs")
    finally:
        stop.set()
        th.join()
    assert codes and set(codes) == {200}, codes
    grown = (status_kb(pid, "VmHWM") - base) / 1024  # MiB: the body and its count, no tensor decoded
    assert grown < 160, grown
    canary(c)


def test_params_and_sens_add_up(srv, c):
    half = LIMIT // 2 + 1
    params = b",".join(b'"p%d":%s' % (i, ONE) for i in range(half))
    body = b'{"graph_id":"g","inputs":[],"params":{' + params + b'},"sens":[' + b",".join([ONE] * half) + b"]}"
    r = c.post("/v1/grad", content=body, headers={"content-type": "application/json"})
    _refused(r, 2 * half, f"{half} in params", f"{half} in sens")
    canary(c)


def test_an_inference_of_many_requested_outputs_and_umbridge_vectors_are_refused(srv, c):
    outs = b",".join([b'{"name":"o"}'] * (LIMIT + 1))
    r = c.post("/v2/models/seed_grad/infer", content=b'{"inputs":[],"outputs":[' + outs + b"]}",
               headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text[:300]  # (the Open Inference Protocol's error: a message)
    assert f"{LIMIT + 1} tensors (0 in inputs + {LIMIT + 1} in outputs)" in r.json()["error"], r.text[:300]
    assert "max_tensors=65536" in r.json()["error"], r.text[:300]
    r = c.post("/umbridge/Evaluate", content=b'{"name":"um","input":[' + b",".join([b"[]"] * (LIMIT + 1)) + b"]}",
               headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text[:300]  # (UM-Bridge's error: a type and a message)
    assert r.json()["error"] == {"type": "InvalidInput", "message": f"the request has {LIMIT + 1} tensors "
                                 f"({LIMIT + 1} in input), above the limit max_tensors={LIMIT}"}, r.text[:300]
    canary(c)


CONTAINERS = 1_000_000  # the server's max_json_containers (the default)


@pytest.mark.parametrize("route, body", [
    ("/v1/eval", b'{"graph_id":"g","inputs":[' + b",".join([b"[]"] * 8_000_000) + b"]}"),
    ("/v1/graphs", b'{"graph":{"nodes":[' + b",".join([b"{}"] * 8_000_000) + b"]}}"),
    ("/v1/grad", b'{"graph_id":"g","inputs":' + b"[" * 4_000_000 + b"]" * 4_000_000 + b"}"),
], ids=["empty arrays", "empty objects in a graph", "nested arrays"])
def test_a_body_of_millions_of_containers_is_refused_before_its_parse(srv, c, route, body):
    pid = srv.proc.pid
    base = status_kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    stop, codes = threading.Event(), []
    th = _probing(srv, stop, codes)
    try:
        r = c.post(route, content=body, headers={"content-type": "application/json"})
    finally:
        stop.set()
        th.join()
    assert r.status_code == 413, r.text[:300]
    err = error_of(r)
    want = body.count(b"[") + body.count(b"{")
    assert err["code"] == "limit_exceeded" and {k: err["detail"][k] for k in ("limit", "value", "got")} == \
        {"limit": "max_json_containers", "value": CONTAINERS, "got": want}, err
    assert "max_json_containers" in err["message"]
    assert codes and set(codes) == {200}, codes
    grown = (status_kb(pid, "VmHWM") - base) / 1024  # MiB: the body read and counted, never parsed
    assert grown < 100, grown
    canary(c)


def test_a_grpc_graph_json_of_millions_of_containers_is_refused_before_its_parse(srv, c, stub):
    from service.proto import gradserve_pb2 as pb

    deep = CONTAINERS + 1  # (nested: no separators, so its parse cost is within this server's small budget)
    graph = b'{"nodes":' + b"[" * deep + b"]" * deep + b"}"
    md = (("authorization", "Bearer k1"),)
    for call in (lambda: stub.RegisterGraph(pb.RegisterGraphRequest(graph_json=graph), metadata=md, timeout=CEILING),
                 lambda: stub.Eval(pb.EvalRequest(graph_json=graph), metadata=md, timeout=CEILING)):
        with pytest.raises(grpc.RpcError) as e:
            call()
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e.value.details()
        assert f"graph_json has {deep + 1} JSON objects and arrays" in e.value.details(), e.value.details()
        assert f"max_json_containers={CONTAINERS}" in e.value.details(), e.value.details()
    canary(c)


def test_a_lone_grpc_graph_json_is_parsed_beside_its_own_messages_charge(srv, c, stub):
    """A 6 MB graph_json whose parse (~300 MB estimated) fits max_parse_bytes but not what this server's 64 MiB
    body budget has left beside the message's own charge: a lone call goes ahead, here to its graph's
    max_nodes error (before: RESOURCE_EXHAUSTED overloaded, as if another request held that charge, on every retry)."""
    from service.proto import gradserve_pb2 as pb

    graph = b'{"nodes":[' + b",".join([b"0"] * 3_000_000) + b"]}"
    md = (("authorization", "Bearer k2"),)
    for call in (lambda: stub.RegisterGraph(pb.RegisterGraphRequest(graph_json=graph), metadata=md, timeout=CEILING),
                 lambda: stub.Eval(pb.EvalRequest(graph_json=graph), metadata=md, timeout=CEILING)):
        with pytest.raises(grpc.RpcError) as e:
            call()
        # parsed: its 3 M nodes are past this server's max_nodes (3000), not its body budget
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (e.value.code(), e.value.details())
        assert "graph has 3000000 nodes, above the limit max_nodes=3000" in e.value.details(), e.value.details()
    canary(c)
