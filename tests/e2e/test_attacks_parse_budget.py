"""Large JSON bodies' parses within the server's body budget (service.body_budget), against one real server (a
cpu pool of 2 workers, a queue of 2: 4 admission places; max_body_bytes 8 MiB, so body_budget_bytes 16 MiB).

Parsing JSON costs far more than its bytes (orjson's copy of the input, then a Python object per value: ~60 B a
float): four admitted 48 MiB bodies of floats peaked at 1.35 GB, parsed at once in threads. Now a large body's
parse takes its estimated cost from the budget and one that finds the budget held by others is refused (429,
body_budget_bytes); a lone body goes ahead (within max_parse_bytes: test_attacks_parse_cap). /metrics shows the budget held and the admitted
requests not yet queued."""
from __future__ import annotations

import re
import select
import socket
import threading
import time

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .helpers import t
from .server import module_server, server_in
from .helpers import status_kb

MIB = 1 << 20
MAX_BODY = 8 * MIB
BUDGET = 2 * MAX_BODY
pytestmark = pytest.mark.skipif(not __import__("os").path.exists("/proc/self/clear_refs"),
                                reason="reads and resets the server's peak RSS through /proc (Linux)")


srv = module_server("parse_budget", devices="cpu",
                    env={"GRADSERVE_MAX_ELEMENTS": str(1 << 22)})


def floats_job(size: int) -> tuple[bytes, int]:
    """A /v1/eval body of about `size` bytes: the sum of sin of one float32 input of n values, each written
    "0.5"."""
    n = (size - 4096) // 4
    gb = GraphBuilder("net")
    out = gb.sum_to(gb.sin(gb.input((n,), name="x")), (1,))  # (one number out: the answers stay small)
    head = {"graph": graph_to_json(gb.build(out)), "inputs": [t(np.zeros(1, np.float32))]}
    head["inputs"][0].update(shape=[n], data="@")
    return __import__("json").dumps(head).replace('"@"', "[" + ",".join(["0.5"] * n) + "]").encode(), n


def metric(text: str, name: str) -> float:
    return float(re.search(rf"^{re.escape(name)} (\S+)$", text, re.M).group(1))


def test_concurrent_large_json_parses_stay_within_the_budget_and_metrics_show_it(srv):
    """6 clients post 8 MiB /v1/eval bodies of 2.1M floats (each parse peaks at ~130 MiB) at once, twice each:
    the peak RSS of the server and its JSON decoder processes together grows by less than the budget, the
    bodies the 4 places admit, one parse and slack (before: 4 parses at once); every answer is the job's result
    or a 429 naming body_budget_bytes or the full pool. A lone body then still gets its answer, and /metrics says the budget is free again."""
    body, n = floats_job(MAX_BODY)
    answers: list = []

    def attack():
        with srv.client(timeout=240) as c:
            for _ in range(2):
                r = c.post("/v1/eval", content=body, headers={"content-type": "application/json"})
                answers.append((r.status_code, r.text[:200] if r.status_code != 200 else ""))

    with srv.client(timeout=120) as c:
        m = c.get("/metrics").text
        assert metric(m, 'gradserve_body_budget_bytes{state="total"}') == BUDGET
        assert metric(m, 'gradserve_body_budget_bytes{state="held"}') == 0
        assert metric(m, "gradserve_jobs_admitting") == 0
    warm = [threading.Thread(target=lambda: srv.client(timeout=240).post(
        "/v1/eval", content=body[:-2], headers={"content-type": "application/json"})) for _ in range(2)]
    for th in warm:  # (two bodies at once, refused by their JSON: both decoder processes started)
        th.start()
    for th in warm:
        th.join(240)
    pids = [srv.proc.pid, *srv.decoder_pids()]  # (the parses run in the decoders: service.json_decoder)
    base = {pid: status_kb(pid, "VmRSS") for pid in pids}
    for pid in pids:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # the peak (VmHWM) restarts at the RSS now
    threads = [threading.Thread(target=attack) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(600)
    grew_mib = sum(status_kb(pid, "VmHWM") - base[pid] for pid in pids) / 1024
    one_parse_mib = (MAX_BODY + 64 * n) / MIB  # (measured ~60 B a float, the input's copy)
    print(f"peak RSS growth: {grew_mib:.0f} MiB (one parse ~{one_parse_mib:.0f} MiB); answers:",
          sorted({a[0] for a in answers}))
    assert len(answers) == 12
    for code, text in answers:
        assert code == 200 or (code == 429 and any(w in text for w in ("body_budget_bytes", "pool is full",
                                                                      "parse_share"))), (code, text)
    bound = (BUDGET + 4 * MAX_BODY) / MIB + one_parse_mib + 96  # (+ the 4 jobs' arrays, the runtime's own)
    assert grew_mib < bound, f"the server's RSS grew by {grew_mib:.0f} MiB (bound {bound:.0f})"

    with srv.client(timeout=240) as c:
        r = c.post("/v1/eval", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text[:300]
        assert np.isclose(r.json()["outputs"][0]["data"][0], n * np.sin(0.5), rtol=1e-3), r.text[:300]
        m = c.get("/metrics").text
        assert metric(m, 'gradserve_body_budget_bytes{state="held"}') == 0
        assert metric(m, "gradserve_jobs_admitting") == 0


def test_slow_graph_uploads_hold_at_most_the_budget_and_small_registrations_still_work(srv):
    """POST /v1/graphs takes no admission place: 24 connections each sending 6 MiB of an 8 MiB body and then
    holding it held 24 x 6 MiB until body_timeout_s. Now the bytes past each body's first MiB come from the
    budget: once it is held, the others are answered 429 naming body_budget_bytes, /metrics shows at most
    the budget held, the server's RSS grows by less than the budget, a MiB a connection and slack; a small
    registration meanwhile gets its 201; once the uploads go, the budget is free again."""
    head = (f"POST /v1/graphs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {MAX_BODY}\r\n\r\n").encode()
    part = b" " * (6 * MIB)
    done, answers, socks = threading.Semaphore(0), [], []

    def upload():  # send until 6 MiB are in or the server answers; then hold the connection
        s = socket.create_connection(("127.0.0.1", srv.port))
        socks.append(s)
        s.setblocking(False)
        data, sent, got = head + part, 0, b""
        end = time.monotonic() + 120
        try:
            while sent < len(data) and time.monotonic() < end:
                r, w, _ = select.select([s], [s], [], 1)
                if r:
                    got = s.recv(4096)
                    break
                if w:
                    sent += s.send(data[sent:sent + (1 << 16)])
        finally:
            answers.append(got.split(b"\r\n\r\n", 1) if got else None)
            done.release()

    pid = srv.proc.pid
    base = status_kb(pid, "VmRSS")
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")
    threads = [threading.Thread(target=upload, daemon=True) for _ in range(24)]
    try:
        for th in threads:
            th.start()
        for _ in threads:
            assert done.acquire(timeout=180)
        with srv.client(timeout=120) as c:
            held = metric(c.get("/metrics").text, 'gradserve_body_budget_bytes{state="held"}')
            gb = GraphBuilder("g")
            r = c.post("/v1/graphs", json={"graph": graph_to_json(gb.build(gb.sin(gb.input((2,), name="x"))))})
            assert r.status_code == 201, r.text[:300]
        grew_mib = (status_kb(pid, "VmHWM") - base) / 1024
        refused = [a for a in answers if a is not None]
        print(f"peak RSS growth: {grew_mib:.0f} MiB, budget held {held / MIB:.1f} MiB, {len(refused)} answered")
        assert held <= BUDGET
        assert refused and all(a[0].startswith(b"HTTP/1.1 429") and b"body_budget_bytes" in a[1] for a in refused), \
            refused[:2]
        assert grew_mib < BUDGET / MIB + len(threads) + 40, f"the server's RSS grew by {grew_mib:.0f} MiB"
    finally:
        for s in socks:
            s.close()
    with srv.client(timeout=120) as c:
        end = time.monotonic() + 120  # (the server sees the connections go, and frees their bytes)
        while (held := metric(c.get("/metrics").text, 'gradserve_body_budget_bytes{state="held"}')) and \
                time.monotonic() < end:
            time.sleep(0.2)
        assert held == 0, "the budget is still held once the uploads are gone"


def test_one_clients_large_json_bodies_take_at_most_its_parse_share(tmp_path_factory):
    """orjson holds the GIL for a whole parse, so a client looping large JSON bodies stalled everyone (a 40 MiB
    one: 2.3-4.7 s without a health probe answered). Its parses' time is charged to it: past parse_share (here
    5 %, 0.3 s ahead) its bodies are refused before they are parsed, 429 naming parse_share with a Retry-After,
    while another client's same body is still parsed (its answer: the graph's own 413)."""
    body = ('{"graph": {"format": "gradserve.graph/1", "nodes": [' + ",".join(["0.5"] * ((2 << 20) - 1000)) + "]}}").encode()
    with server_in(tmp_path_factory, "parse_share", devices="cpu",
                   env={"GRADSERVE_API_KEYS": "k1,k2", "GRADSERVE_PARSE_SHARE": "0.05",
                        "GRADSERVE_PARSE_BURST_S": "0.3", "GRADSERVE_CPU_WORKERS": "1"}) as s:
        with s.client(timeout=120, headers={"Authorization": "Bearer k2"}) as k2, \
                s.client(timeout=120, headers={"Authorization": "Bearer k1"}) as k1:
            codes = []
            for _ in range(40):  # (each parse ~0.1-0.5 s of CPU; the share pays back 0.05 s a second)
                r = k2.post("/v1/graphs", content=body, headers={"content-type": "application/json"})
                codes.append(r.status_code)
                if r.status_code == 429:
                    break
            assert r.status_code == 429 and "parse_share" in r.text and int(r.headers["retry-after"]) >= 1, \
                (codes, r.text[:300])
            print("parses before the refusal:", len(codes) - 1)
            assert all(c == 413 for c in codes[:-1]), codes  # (max_nodes: parsed, then refused by the graph)
            r = k1.post("/v1/graphs", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 413 and "max_nodes" in r.text, r.text[:300]
            small = k2.post("/v1/graphs", json={"graph": {"nodes": []}})  # (small bodies are not timed)
            assert small.status_code != 429, small.text[:300]
