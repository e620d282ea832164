"""Attack replays: what test_attacks*.py and test_fuzz_wire.py left over, each against a real server
(tests/e2e/limited_server.py: 2 cpu workers, API keys k1 / k2 as two clients, 2 s head and body timeouts, a
compute budget of 1e9 operations a job, 8 shared-memory region places).

- compute bombs: a few hundred bytes asking for billions of operations (a matmul chain, one big matmul, a
  convolution, a broadcast chain, a derivative order) are refused before they run, 413 naming max_job_flops
  and the costliest node, over HTTP and gRPC; a job under the budget still runs, and right;
- a NaN / Infinity in the graph JSON: 400 naming its path; gRPC `order: 0`: refused, not read as unset; a
  repeated weight name: refused as a repeated position is;
- made shared-memory regions (POST /v2/systemsharedmemory/region/<name>/create): bad bodies, floods with
  lying pids (they once took every region place), and `shared_memory_generation` reused by another client
  over the same bytes: each client reads its own;
- the Unix socket: slow-loris heads, a half-closed client, a huge head; deeply nested JSON on every surface.

After each attack a canary job is answered right and no worker restarted (an attack refused before it runs
costs no worker). Waits are on answers with generous ceilings, never on tight sleeps."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import grpc
import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from . import grpc_wire as gw
from .helpers import DX, X, Y, call, decode, error_of, matmul_net
from .limited_server import CEILING, FLOPS, SHM, auth, canary, create, limited_server, read_all, uds, uds_path

F32 = np.float32


srv = limited_server("attacks_bombs_regions_sockets")


# -- compute bombs ---------------------------------------------------------------------------------------------
def _chain(n: int, k: int) -> dict:
    gb = GraphBuilder("chain")
    x = gb.input((n, n), name="x")
    y = x
    for _ in range(k):
        y = gb.matmul(y, x)
    return graph_to_json(gb.build(gb.sum(y)))


def _conv() -> dict:
    gb = GraphBuilder("conv")  # out [1, 64, 128, 128] x 2*64*9 = 1.2e9 operations, from a 1M-element input
    x, w = gb.input((1, 64, 128, 128), name="x"), gb.input((64, 64, 3, 3), name="w")
    return graph_to_json(gb.build(gb.emit1("conv", x, w, padding=((1, 1), (1, 1)))))


def _broadcasts() -> dict:
    gb = GraphBuilder("bcast")  # one float in; 600 adds to a 2^20-element broadcast: 1.3e9 element operations
    x = gb.input((1,), name="x")
    y = gb.broadcast_to(x, shape=(1 << 20,))
    for _ in range(600):
        y = gb.add(y, x)
    return graph_to_json(gb.build(gb.sum(y)))


def _mlp(n: int) -> dict:
    gb = GraphBuilder("mlp")
    x = gb.input((n, n), name="x")
    w = gb.param("w", np.full((n, n), 0.01, F32))
    return graph_to_json(gb.build(gb.sum(gb.tanh(gb.matmul(gb.tanh(gb.matmul(x, w)), w)))))


ONES = {n: np.full((n, n), 0.001, F32) for n in (448, 512, 1024)}
BOMBS = {  # name -> (kind, body, op named)
    "matmul_chain": ("eval", lambda: {"graph": _chain(512, 8), "inputs": [ONES[512]]}, "matmul"),
    "one_matmul": ("eval", lambda: {"graph": _chain(1024, 1), "inputs": [ONES[1024]]}, "matmul"),
    "conv": ("eval", lambda: {"graph": _conv(), "inputs": [np.zeros((1, 64, 128, 128), F32),
                                                          np.zeros((64, 64, 3, 3), F32)]}, "conv"),
    "broadcast_chain": ("eval", lambda: {"graph": _broadcasts(), "inputs": [np.ones(1, F32)]}, None),
    # under the budget at order 1 (test_a_job_under_the_budget_runs), past it at order 3
    "derivative_order": ("grad", lambda: {"graph": _mlp(448), "inputs": [ONES[448]], "order": 3}, "matmul"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_compute_bomb_is_refused_before_it_runs(c, name):
    kind, body, op = BOMBS[name]
    t0 = time.monotonic()
    r = call(c, kind, body(), enc="b64")
    assert r.status_code == 413, r.text[:500]
    err = error_of(r)
    assert err["code"] == "limit_exceeded" and err["detail"]["limit"] == "max_job_flops", err
    assert err["detail"]["value"] == FLOPS and err["detail"]["got"] > FLOPS, err
    assert err["detail"]["node"] and "max_job_flops" in err["message"], err
    if op:
        assert f"a {op}, takes" in err["message"] and err["detail"]["node"].endswith(f":{op}"), err
    assert time.monotonic() - t0 < CEILING
    canary(c)


def test_a_compute_bomb_over_grpc_is_resource_exhausted(c, stub):
    e = gw.rpc_error(gw.call, stub, "eval", {"graph": _chain(512, 8), "inputs": [ONES[512]]},
                     metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e
    body = gw.error_body(e)
    assert body["detail"]["limit"] == "max_job_flops" and body["detail"]["node"].endswith(":matmul"), body
    canary(c)


def test_a_job_under_the_budget_runs(c):
    """The order-3 bomb's graph at order 1 (~7e8 operations) runs, checked against NumPy float64."""
    x = np.linspace(-1, 1, 448 * 448, dtype=F32).reshape(448, 448)
    r = call(c, "grad", {"graph": _mlp(448), "inputs": [x]}, enc="b64")
    got = decode(r)["outputs"][0]["array"]
    w = np.full((448, 448), 0.01)
    h = np.tanh(x.astype(np.float64) @ w)
    dz = 1 - np.tanh(h @ w) ** 2  # d sum(tanh(h w)) / d(h w)
    want = ((dz @ w.T) * (1 - h ** 2)) @ w.T
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


# -- graph JSON and options that were read wrong ------------------------------------------------------------------
def _with(where: str, value: float) -> dict:
    g = matmul_net()
    if where == "param":
        g["params"][0]["value"]["data"] = [value]
    else:  # an attr of the matmul node
        g["nodes"][1]["attrs"]["alpha"] = [1.0, value]
    return g


@pytest.mark.parametrize("where, value, token, path", [
    ("param", float("nan"), "NaN", "$.graph.params[0].value.data[0]"),
    ("param", float("inf"), "Infinity", "$.graph.params[0].value.data[0]"),
    ("attr", float("-inf"), "-Infinity", "$.graph.nodes[1].attrs.alpha[1]"),
])
def test_a_non_finite_number_in_the_graph_names_its_path(c, stub, where, value, token, path):
    body = {"graph": _with(where, value), "inputs": [X, Y]}
    r = call(c, "grad", body)  # (Python's json writes NaN / Infinity tokens)
    assert r.status_code == 400, r.text
    err = error_of(r)
    assert err["code"] == "invalid_graph" and err["detail"]["path"] == path, err
    assert f"holds {token} at {path}" in err["message"], err
    e = gw.rpc_error(gw.call, stub, "grad", body, metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and gw.error_body(e)["detail"]["path"] == path
    canary(c)


def test_grpc_order_zero_is_refused_not_read_as_one(c, stub):
    md = [("authorization", "Bearer k1")]
    for order in (0, -2):
        e = gw.rpc_error(gw.call, stub, "grad", {"graph": matmul_net(), "inputs": [X, Y], "order": order},
                         metadata=md)
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, (order, e)
        assert gw.error_body(e)["detail"]["path"] == "$.order", order
    r = call(c, "grad", {"graph": matmul_net(), "inputs": [X, Y], "order": 0})  # as HTTP answers it
    assert r.status_code == 400 and error_of(r)["detail"]["path"] == "$.order", r.text
    out = gw.call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]}, metadata=md)  # unset: order 1
    np.testing.assert_allclose(gw.arrays(out)[0], DX, rtol=1e-6)


def test_a_repeated_weight_is_refused(c, stub):
    body = {"graph": matmul_net(), "inputs": [X, Y], "grad_position": None, "weights": ["z", "z"]}
    r = call(c, "grad", body)
    assert r.status_code == 400, r.text
    err = error_of(r)
    assert err["detail"]["path"] == "$.weights" and "'z' repeated" in err["message"], err
    e = gw.rpc_error(gw.call, stub, "grad", body, metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "'z' repeated" in e.details()
    # one z: d sum-free output / dz = sum over (x @ y)'s elements of the default ones sens, by NumPy
    one = decode(call(c, "grad", dict(body, weights=["z"])))["outputs"][0]["array"]
    np.testing.assert_allclose(one, [(X @ Y).sum()], rtol=1e-5)


# -- made shared-memory regions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("body, status, says", [
    ({"byte_size": 1 << 40}, 413, "client_shm_made_bytes"),
    ({"byte_size": -1}, 400, "byte_size"), ({"byte_size": 0}, 400, "byte_size"),
    ({"byte_size": 1.5}, 400, "byte_size"), ({"byte_size": True}, 400, "byte_size"),
    ({"byte_size": "4096"}, 400, "byte_size"), ({}, 400, "byte_size"),
    ({"byte_size": 4096, "pid": 0}, 400, "pid"), ({"byte_size": 4096, "pid": -5}, 400, "pid"),
    ({"byte_size": 4096, "pid": 2 ** 70}, 400, "pid"), ({"byte_size": 4096, "pid": "1"}, 400, "pid"),
    ({"byte_size": 4096, "pid": 1 << 30}, 400, "no process"),
    ({"byte_size": 4096, "extra": 1}, 400, "byte_size, pid"),
    (b"[" * 30000 + b"]" * 30000, 400, "nested"), (b"x" * 70000, 413, "65536"),  # (413: every route's size limit)
])
def test_made_region_create_refusals(c, body, status, says):
    r = create(c, "bad", body)
    assert r.status_code == status and says in r.json()["error"], r.text
    assert c.get(f"{SHM}/status").json() == []  # nothing made


def test_a_create_naming_another_users_process_is_refused(c):
    def uid(pid: str) -> int | None:
        try:
            return os.stat(f"/proc/{pid}").st_uid
        except OSError:  # gone meanwhile
            return None
    theirs = next((int(p) for p in os.listdir("/proc") if p.isdigit() and uid(p) not in (None, os.geteuid())), None)
    if theirs is None:
        pytest.skip("no process of another user on this host")
    r = create(c, "x", {"byte_size": 4096, "pid": theirs})
    assert r.status_code == 400 and "server's user" in r.json()["error"], r.text


def test_a_create_flood_with_lying_pids_leaves_places_for_regions_of_ones_own(c, srv):
    """Client k1 names the pids of four processes (of its user, not itself) to pass for four clients: made
    regions take at most half of the 8 places (before: all 8, and no client could register a region of its
    own until they went idle, 10 minutes). Client k2 then registers one of its own and uses it."""
    others = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(4)]
    obj = f"/atk2_{os.getpid()}"
    try:
        made = 0
        for p in others:
            for i in range(2):
                r = create(c, f"f{p.pid}_{i}", {"byte_size": 4096, "pid": p.pid})
                if r.status_code != 200:
                    assert r.status_code == 413 and "the most they may" in r.json()["error"], r.text
                    break
                made += 1
        assert made == 4
        with open("/dev/shm" + obj, "wb") as f:
            f.write(np.arange(4, dtype=F32).tobytes())
        with httpx.Client(base_url=srv.url, timeout=CEILING, headers=auth("k2")) as k2:
            r = k2.post(f"{SHM}/region/own/register", json={"key": obj, "offset": 0, "byte_size": 16})
            assert r.status_code == 200, r.text
            r = k2.post("/v1/eval", json={"graph": _sum_net(4), "inputs": [
                {"shape": [4], "datatype": "FP32", "parameters": {"shared_memory_region": "own"}}]})
            assert decode(r)["outputs"][0]["array"] == 6.0
    finally:
        c.post(f"{SHM}/unregister")
        for p in others:
            p.kill()
            p.wait()
        if os.path.exists("/dev/shm" + obj):
            os.unlink("/dev/shm" + obj)
    canary(c)


def _sum_net(n: int) -> dict:
    gb = GraphBuilder("s")
    return graph_to_json(gb.build(gb.sum(gb.input((n,), name="x"))))


def _shm_job(cl: httpx.Client, region: str, gen, n: int) -> httpx.Response:
    p = {"shared_memory_region": region}
    if gen is not None:
        p["shared_memory_generation"] = gen
    return cl.post("/v1/eval", json={"graph": _sum_net(n),
                                     "inputs": [{"shape": [n], "datatype": "FP32", "parameters": p}]})


def test_a_generation_reused_by_another_client_reads_that_clients_bytes(c, srv):
    """k1 and k2 register regions over the same 64 KiB (the server keeps a copy of a large input per
    registered region and generation). k1 reads ones under generation 5; the bytes become twos; k2 names
    generation 5 too and must read twos (not k1's kept copy); k1's own reuse of 5 gets its own copy (the
    documented price of lying), its generation 6 the twos."""
    n = 1 << 14  # 64 KiB: at shm_threshold_bytes, so the input is kept under its generation
    obj = f"/atk2g_{os.getpid()}"
    path = "/dev/shm" + obj
    with open(path, "wb") as f:
        f.write(np.ones(n, F32).tobytes())
    try:
        with httpx.Client(base_url=srv.url, timeout=CEILING, headers=auth("k2")) as k2:
            for cl, name in ((c, "g1"), (k2, "g2")):
                r = cl.post(f"{SHM}/region/{name}/register", json={"key": obj, "offset": 0, "byte_size": 4 * n})
                assert r.status_code == 200, r.text

            def total(cl, region, gen):
                return float(decode(_shm_job(cl, region, gen, n))["outputs"][0]["array"])
            assert total(c, "g1", 5) == n
            with open(path, "r+b") as f:
                f.write(np.full(n, 2, F32).tobytes())
            assert total(k2, "g2", 5) == 2 * n
            assert total(c, "g1", 5) == n
            assert total(c, "g1", 6) == 2 * n
            for bad in (-1, 1.5, "5", True):
                r = _shm_job(c, "g1", bad, n)
                assert r.status_code == 400, (bad, r.text)
                assert error_of(r)["detail"]["path"] == "$.inputs[0].parameters.shared_memory_generation", r.text
    finally:
        c.post(f"{SHM}/unregister")
        os.unlink(path)
    canary(c)


# -- the Unix socket ---------------------------------------------------------------------------------------------
def test_slow_loris_heads_on_the_unix_socket_get_408_and_others_are_served(c):
    """20 connections that never finish their head: each 408 within header_timeout_s (2 s), while TCP and
    Unix-socket clients are served."""
    path = uds_path(c)
    t0 = time.monotonic()
    held = [uds(path) for _ in range(20)]
    try:
        for s in held:
            s.sendall(b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nContent-Le")
        canary(c)
        with httpx.Client(transport=httpx.HTTPTransport(uds=path), base_url="http://local", timeout=CEILING,
                          headers=auth("k2")) as u:
            np.testing.assert_allclose(decode(call(u, "grad", {"graph": matmul_net(), "inputs": [X, Y]}))
                                       ["outputs"][0]["array"], DX, rtol=1e-6)
        for s in held:
            assert read_all(s).startswith(b"HTTP/1.1 408"), "a slow head was not timed out"
        assert time.monotonic() - t0 < CEILING
    finally:
        for s in held:
            s.close()


def test_a_half_closed_unix_socket_client_gets_its_answer(c):
    body = json.dumps({"graph": matmul_net(), "inputs": [
        {"shape": list(a.shape), "datatype": "FP32", "data": a.ravel().tolist()} for a in (X, Y)]}).encode()
    s = uds(uds_path(c))
    try:
        s.sendall(b"POST /v1/grad HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k1\r\nContent-Type: "
                  b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        s.shutdown(socket.SHUT_WR)
        got = read_all(s)
    finally:
        s.close()
    head, _, rest = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), got[:300]
    out = json.loads(rest)["outputs"][0]
    np.testing.assert_allclose(np.array(out["data"], F32).reshape(out["shape"]), DX, rtol=1e-6)


def test_a_huge_head_on_the_unix_socket_is_431(c):
    s = uds(uds_path(c))
    try:
        s.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        got = read_all(s)
    finally:
        s.close()
    assert got.startswith(b"HTTP/1.1 431"), got[:200]
    canary(c)


# -- deeply nested JSON on every surface -------------------------------------------------------------------------
DEEP = b"[" * 30000 + b"]" * 30000  # (60 KB: under the shared-memory routes' 64 KiB body limit)


@pytest.mark.parametrize("route", ["/v1/grad", "/v1/graphs", "/v2/models/seed_grad/infer", f"{SHM}/region/r/register",
                                   "/umbridge/Evaluate"])
def test_deeply_nested_json_is_a_400(c, route):
    r = c.post(route, content=DEEP, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nested too deeply" in r.text, (route, r.status_code, r.text[:300])
    canary(c)


def test_a_deeply_nested_graph_inside_a_body_is_a_400(c, stub):
    body = b'{"graph": {"format": "gradserve.graph/1", "nodes": ' + DEEP + b"}, \"inputs\": []}"
    r = c.post("/v1/grad", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nested too deeply" in r.text, r.text[:300]
    m = gw.request("grad", {"inputs": [X, Y]})
    m.graph_json = DEEP
    e = gw.rpc_error(stub.Grad, m, timeout=CEILING, metadata=[("authorization", "Bearer k1")])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "nested too deeply" in e.details(), e
    canary(c)


# -- gRPC streams held open, the inline lane fed many graphs -----------------------------------------------------
def test_grpc_streams_held_open_do_not_stall_other_callers(c, srv, stub):
    """Three connections each open 100 calls (the per-connection cap) whose request message never ends (a
    5-byte prefix announcing 1 MiB, then nothing): other gRPC and HTTP callers are answered meanwhile, and
    once the holder goes away the server is whole."""
    from .h2_raw import DATA, END_HEADERS, HEADERS, RawH2, frame, hpack

    held = []
    try:
        for _ in range(3):
            h = RawH2(srv.grpc_target)
            for k in range(100):
                sid = 1 + 2 * k
                head = [(":method", "POST"), (":scheme", "http"), (":path", "/gradserve.v1.Gradserve/Eval"),
                        (":authority", "x"), ("content-type", "application/grpc"), ("te", "trailers"),
                        ("authorization", "Bearer k1")]
                h.sock.sendall(frame(HEADERS, END_HEADERS, sid, hpack(head)) +
                               frame(DATA, 0, sid, b"\x00" + (1 << 20).to_bytes(4, "big")))
            held.append(h)
        t0 = time.monotonic()
        out = gw.call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]}, timeout=CEILING,
                      metadata=[("authorization", "Bearer k2")])
        np.testing.assert_allclose(gw.arrays(out)[0], DX, rtol=1e-6)
        canary(c)
        assert time.monotonic() - t0 < CEILING
    finally:
        for h in held:
            h.close()
    canary(c)


def test_the_inline_lane_fed_many_distinct_graphs_keeps_its_bounds(c):
    """48 distinct small graphs (each one the lane lowers ahead while its first run is in a worker, within a
    CPU budget): every answer right, the graphs kept lowered ahead at most 16 (service.inline_ahead.KEEP),
    and a known graph still answered."""
    from service.inline_ahead import KEEP

    def net(k: int) -> tuple[dict, float]:
        gb = GraphBuilder(f"n{k}")
        x = gb.input((3,), name="x")
        return graph_to_json(gb.build(gb.sum(gb.mul(x, gb.scalar(float(k) + 0.5, "float32"))))), float(k) + 0.5

    x = np.array([1.0, 2.0, 4.0], F32)
    for k in range(48):
        g, s = net(k)
        got = decode(call(c, "grad", {"graph": g, "inputs": [x]}))["outputs"][0]["array"]
        np.testing.assert_allclose(got, [s, s, s], rtol=1e-6)  # d sum(s x) / dx = s
    lane = c.get("/v1/devices").json()["pools"][0]["inline"]
    assert lane is not None and lane["lowered_ahead"] <= KEEP, lane
    assert lane["plans"] + lane["lowered_ahead"] > 0, lane  # the lane did take them up
    canary(c)
