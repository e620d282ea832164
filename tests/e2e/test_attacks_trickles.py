"""Attacks on the HTTP routes beside /v1's job path (Open Inference Protocol, the model repository, UM-Bridge,
system shared memory), replayed against one real server (a model repository, one cpu pool of 2 workers, a
queue of 2, body_timeout_s 2 s): bodies that trickle, compressed bodies of many members or inflating past a
small route's need, floods of repository loads, clients that go away mid-job.

A body sent a byte now and then must get its 408 after body_timeout_s, on its connection closed, and free
what it held: before, only /v1 timed its bodies, and trickling OIP inferences (as many as the workers and the
queue take) held every admission place for good: everyone else's inference a 429 for as long as they cared
to trickle. Waits are on the answers, /v1/devices and metrics with generous ceilings."""
from __future__ import annotations

import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .server import server_in

ENV = {"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_QUEUE_SIZE": "2", "GRADSERVE_BODY_TIMEOUT_S": "2",
       "GRADSERVE_HEADER_TIMEOUT_S": "2", "GRADSERVE_IDLE_TIMEOUT_S": "2"}
# every body-reading route outside /v1's jobs (each reads its body through service.http_body.read_body)
ROUTES = ["/v2/models/seed_grad/infer", "/v2/repository/index", "/v2/repository/models/seed_grad/load",
          "/v2/repository/models/seed_grad/unload", "/umbridge/Evaluate", "/umbridge/ModelInfo",
          "/v2/systemsharedmemory/region/r/register", "/v2/systemsharedmemory/region/r/create"]
X = np.arange(6, dtype=np.float32).reshape(2, 3)
Y = np.arange(9, dtype=np.float32).reshape(3, 3)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    write_big_model(repo / "big")
    write_endless_model(repo / "endless")
    with server_in(tmp_path_factory, "attacks_trickles", devices="cpu",
                   env={**ENV, "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        s.repository = repo
        yield s


@pytest.fixture(scope="module")
def c(srv):
    with srv.client(timeout=60, limits=httpx.Limits(max_keepalive_connections=0)) as cl:
        yield cl


def write_big_model(folder) -> None:
    """A grad model with a 512 x 512 weight: a graph.json of ~5 MB, whose read, parse and hash take ~0.1 s."""
    gb = GraphBuilder("big")
    x = gb.input((512, 1), "float32", name="x")
    w = gb.param("w", np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32))
    folder.mkdir()
    (folder / "graph.json").write_text(json.dumps(graph_to_json(gb.build(gb.sum(gb.matmul(w, x))))))
    (folder / "config.json").write_text('{"kind": "grad"}')


def write_endless_model(folder) -> None:
    """An eval of minutes from one float (a 1024 x 1024 matrix made of it, 1,400 chained matmuls), its deadline
    10 min: only the client's going away can end it early."""
    gb = GraphBuilder("endless")
    x = gb.input((1,), "float32", name="x")
    rows, cols = (gb.emit1("iota", shape=[1024, 1024], dimension=d, dtype="float32") for d in (0, 1))
    b = gb.sin(gb.add(gb.mul(rows, x), cols))  # (no two entries alike: nothing for the engine to fold)
    y = b
    for _ in range(1400):
        y = gb.tanh(gb.matmul(y, b))
    folder.mkdir()
    (folder / "graph.json").write_text(json.dumps(graph_to_json(gb.build(gb.sum(y)))))
    (folder / "config.json").write_text('{"kind": "eval", "deadline_ms": 600000}')


def wait_until(fn, why: str, timeout: float = 60):
    end = time.monotonic() + timeout
    while not fn():
        assert time.monotonic() < end, why
        time.sleep(0.05)


def admitting(c: httpx.Client) -> int:
    return c.get("/v1/devices").json()["admitting"]


def trickle(port: int, path: str) -> socket.socket:
    """A POST whose 1,000-byte body has sent one byte."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(60)
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
              .encode())
    return s


def answer(s: socket.socket, end: float) -> tuple[int | None, bytes, bool]:
    """(status or None, the answer's bytes, whether the server then closed the connection): read until it
    closes, or until `end` (time.monotonic()): no answer, or a connection kept open after its answer."""
    got = b""
    s.settimeout(max(0.1, end - time.monotonic()))
    try:
        while chunk := s.recv(65536):
            got += chunk
        closed = True
    except socket.timeout:
        closed = False
    return (int(got.split(b" ", 2)[1]) if got else None), got, closed


def infer(c: httpx.Client) -> httpx.Response:
    body = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist()},
                       {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.ravel().tolist()}]}
    return c.post("/v2/models/seed_grad/infer", content=json.dumps(body), headers={"content-type": "application/json"})


def test_trickling_bodies_get_408_closed_and_free_their_places(srv, c):
    wait_until(lambda: admitting(c) == 0, "places held before the test")
    infers = [trickle(srv.port, ROUTES[0]) for _ in range(2)]
    wait_until(lambda: admitting(c) == 2, "the trickling inferences did not take places")
    others = [trickle(srv.port, path) for path in ROUTES]
    t0 = time.monotonic()
    names = [f"{i}:{path}" for i, path in enumerate(["infer"] * 2 + ROUTES)]
    got = {name: answer(s, t0 + 60) for name, s in zip(names, infers + others)}
    took = time.monotonic() - t0
    for s in infers + others:
        s.close()
    wrong = {path: (status, closed, raw[-200:]) for path, (status, raw, closed) in got.items()
             if not (status == 408 and b"body_timeout_s" in raw and closed)}
    # (the third OIP inference may find the places held: its 429 is right, its body read past within the limit)
    assert set(wrong) <= {f"2:{ROUTES[0]}"} and wrong.get(f"2:{ROUTES[0]}", (429,))[0] == 429, wrong
    assert took < 50, took  # (2 s each, all at once: a ceiling against "never", not a speed check)
    wait_until(lambda: admitting(c) == 0, "the timed-out inferences kept their places")
    r = infer(c)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("head", [
    "POST /v2/systemsharedmemory/unregister HTTP/1.1",  # a route that answers without reading the body
    "GET /v2/health/live HTTP/1.1",
])
def test_a_body_that_trickles_after_its_answer_does_not_hold_the_connection(srv, head):
    """The answer leaves before the body is in; the body then comes a byte at a time, each within
    idle_timeout_s: the connection is closed body_timeout_s after the answer (before, it was held for as long
    as the bytes came: max_connections such clients locked everyone out)."""
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(f"{head}\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{".encode())
    s.settimeout(0.5)
    got, end = b"", time.monotonic() + 60
    try:
        while time.monotonic() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                s.sendall(b" ")
                continue
            if not chunk:
                break
            got += chunk
        else:
            pytest.fail(f"the connection was held {60} s after its answer: {got[:80]!r}")
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        s.close()
    assert got.startswith(b"HTTP/1.1 200"), got[:200]


def test_a_body_of_many_gzip_members_is_a_400_naming_the_limit(srv, c):
    """128,000 empty gzip members (2.5 MB sent, nothing inflated): each member's end copied the whole rest of the
    body (zlib's unused_data), quadratic: ~10 s of the server's CPU (its GIL) for this body, hours for one at the
    default max_body_bytes. Now the members are counted (service.http_body.MAX_MEMBERS) and it is a 400 naming
    the limit; the server keeps serving."""
    body = gzip.compress(b"", mtime=0) * 128_000
    for route in ("/v1/grad", "/v2/models/seed_grad/infer"):
        r = c.post(route, content=body, headers={"content-type": "application/json", "content-encoding": "gzip"})
        assert r.status_code == 400 and "more than 1024 members" in r.text, (route, r.status_code, r.text[:300])
    r = infer(c)
    assert r.status_code == 200, r.text


def inference_count(c: httpx.Client, name: str) -> int:
    return c.get(f"/v2/models/{name}/stats").json()["model_stats"][0]["inference_count"]


def test_a_load_of_an_unchanged_model_keeps_it_and_a_changed_one_is_read_again(srv, c):
    """As Triton's repository: a load of a loaded model whose files have not changed keeps it (its statistics
    go on); one whose files changed is read again (a reloaded model's statistics start again)."""
    assert infer(c).status_code == 200
    n = inference_count(c, "seed_grad")
    assert n >= 1
    assert c.post("/v2/repository/models/seed_grad/load").status_code == 200
    assert inference_count(c, "seed_grad") == n  # kept
    os.utime(srv.repository / "seed_grad" / "config.json")  # (the same bytes: a new mtime / ctime)
    assert c.post("/v2/repository/models/seed_grad/load").status_code == 200
    assert inference_count(c, "seed_grad") == 0  # read again


FLOOD = """
import http.client, os, sys, threading
port, stop = int(sys.argv[1]), sys.argv[2]
said = threading.Lock()  # (three threads' prints would interleave: '200200')
def one():
    while not os.path.exists(stop):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/v2/repository/models/big/load", body=b"")
        r = conn.getresponse(); r.read(); conn.close()
        with said:
            print(r.status, flush=True)
ths = [threading.Thread(target=one) for _ in range(3)]
[t.start() for t in ths]
[t.join() for t in ths]
"""


@pytest.mark.serial  # probes' median against one load's time: a sibling's load skews it
def test_a_flood_of_loads_does_not_stall_everyone_else(srv, c, tmp_path):
    """Loads of a model with a 5 MB graph.json, back to back from another client: each read, parsed and hashed
    that file on the event loop (~0.1 s each), and every other request waited for the load in progress. Now a
    load of the unchanged model is two stat() calls; one that reads is off the event loop, one at a time.
    Health probes meanwhile take a small part of one full load (relative to it, never a wall-clock bound)."""
    assert c.post("/v2/repository/models/big/unload").status_code == 200
    graph = srv.repository / "big" / "graph.json"  # changed (its time): the load reads it again, not the last read
    st = os.stat(graph)
    os.utime(graph, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    t0 = time.monotonic()
    assert c.post("/v2/repository/models/big/load").status_code == 200  # a full read
    took = time.monotonic() - t0
    # the flood in a process of its own (as tests/e2e/flood_process.py's): in this one, its threads would share
    # the probes' GIL; three connections, each posting loads back to back, until the stop file exists
    stop = tmp_path / "stop"
    flood = subprocess.Popen([sys.executable, "-c", FLOOD, str(srv.port), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        lat = []
        first = flood.stdout.readline()  # the flood under way: its first load answered
        for _ in range(40):
            t1 = time.monotonic()
            assert c.get("/v2/health/live").status_code == 200
            lat.append(time.monotonic() - t1)
    finally:
        stop.touch()
        out, _ = flood.communicate(timeout=120)
    statuses = (first + out).split()
    assert statuses and set(statuses) == {"200"}, statuses[:20]
    print(f"one full load {took * 1e3:.0f} ms; probes during the flood: median {statistics.median(lat) * 1e3:.1f} ms")
    assert statistics.median(lat) < took / 4, (took, sorted(lat))


def pool(c: httpx.Client) -> dict:
    return c.get("/v1/devices").json()["pools"][0]


@pytest.mark.parametrize("route", ["/umbridge/Evaluate", "/v2/models/endless/infer"])
def test_a_client_that_goes_away_does_not_pin_a_worker(srv, c, route):
    """Two jobs of minutes whose clients go away (killed mid-request): their workers are recycled at once, as
    /v1's are (before, UM-Bridge's ran on to their deadline, 10 min here: two such requests held the pool)."""
    wait_until(lambda: all(w["state"] == "idle" for w in pool(c)["workers"]), "the workers did not settle")
    before = pool(c)["restarts"]
    body = {"name": "endless", "input": [[0.5]]} if "umbridge" in route else \
        {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [0.5]}]}
    payload = json.dumps(body).encode()
    for k in (1, 2):  # each client goes away once its job runs on a worker (an event, not a guessed time)
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(f"POST {route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        wait_until(lambda: any(w["state"] == "busy" for w in pool(c)["workers"]), "the job never reached a worker")
        s.close()
        wait_until(lambda: pool(c)["restarts"] >= before + k, "the abandoned job kept its worker")
    r = infer(c)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("route", ["/umbridge/ModelInfo", "/umbridge/InputSizes", "/v2/repository/index",
                                   "/v2/repository/models/seed_grad/load"])
def test_a_small_request_route_refuses_a_big_body(c, route):
    """Routes whose request is a small JSON object (UM-Bridge's model questions, the repository's) read at most
    64 KiB: a 2 KB gzip body inflating to 8 MB (max_body_bytes) was inflated, held and parsed by each, with no
    admission place to bound how many at once (8 MB of whitespace each, a thousand connections)."""
    body = gzip.compress(b'{"name": "seed_grad"' + b" " * ((8 << 20) - 100) + b"}")
    r = c.post(route, content=body, headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert r.status_code == 413 and "65536" in r.text, (r.status_code, r.text[:300])
    r = c.post(route, content=gzip.compress(b'{"name": "seed_grad"}'),
               headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert r.status_code == 200, r.text[:300]


def test_umbridge_jobs_take_their_place_before_their_body_is_read(srv, c):
    """As /v1 and /v2: an UM-Bridge job is admitted before its body is read and parsed (up to max_body_bytes, a
    compressed one from a few KiB), so the places bound how many are read at once; before, any number were."""
    wait_until(lambda: admitting(c) == 0, "places held before the test")
    socks = [trickle(srv.port, "/umbridge/Evaluate") for _ in range(2)]
    try:
        wait_until(lambda: admitting(c) == 2, "the UM-Bridge bodies were read without a place")
    finally:
        for s in socks:
            s.close()
    wait_until(lambda: admitting(c) == 0, "the places were not freed")
