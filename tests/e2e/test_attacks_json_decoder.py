"""Large JSON bodies parsed in decoder processes (service.json_decoder), against the e2e server.

orjson holds the GIL for a whole parse: one sequential client posting 40 MiB JSON bodies, under its parse share,
kept health probes waiting up to 4 s (a third over 100 ms; benchmarks/parse_stall.py). Now a body above 1 MiB is
parsed in another process: the server's own CPU for such a request is a fraction of the decoder's, the answers
and the errors are those of a parse in place, and a decoder killed mid-parse fails only its request (503)."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from benchmarks.parse_stall import health_probe

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes' CPU time in /proc")
N = 1_000_000  # values of the large input: ~7 MiB of JSON ("0.5123,"), under the e2e max_body_bytes (8 MiB)


@pytest.fixture
def srv(server):
    return server  # (the e2e session server: tests/e2e/conftest.py)


def body(data: str, n: int = N, datatype: str = "FP32", key: str = "data") -> bytes:
    gb = GraphBuilder("net")
    out = gb.sum_to(gb.sin(gb.input((n,), name="x")), (1,))
    head = {"graph": graph_to_json(gb.build(out)), "inputs": [{"name": "x", "shape": [n], "datatype": datatype,
                                                               key: "@"}]}
    return json.dumps(head).replace('"@"', data).encode()


def numbers(n: int = N, last: str = "0.5123") -> str:
    return "[" + ",".join(["0.5123"] * (n - 1) + [last]) + "]"


def cpu_s(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def post(c, content: bytes):
    return c.post("/v1/eval", content=content, headers={"content-type": "application/json"})


def test_a_large_json_body_is_parsed_outside_the_servers_process_and_answered_as_before(srv):
    """The server's CPU for a 7 MiB JSON job is less than its decoder's (before: the parse, ~0.3 s, was the
    server's own, holding its GIL); health probes meanwhile are answered (their latencies printed, not
    asserted); the answer is the job's, and the decoders' memory is measured (printed)."""
    big = body(numbers())
    lat: list[float] = []
    stop = threading.Event()

    with srv.client(timeout=240) as c:
        assert post(c, big).status_code == 200  # (the first starts the decoder)
        decoders = srv.decoder_pids()
        assert decoders, "no decoder process"
        th = health_probe(srv, stop, lat, every=0.02)
        try:
            before = cpu_s(srv.proc.pid), sum(cpu_s(p) for p in decoders)
            for _ in range(3):
                r = post(c, big)
                assert r.status_code == 200, r.text[:300]
                assert np.isclose(r.json()["outputs"][0]["data"][0], N * np.sin(np.float32(0.5123)), rtol=1e-3)
            server, dec = cpu_s(srv.proc.pid) - before[0], sum(cpu_s(p) for p in decoders) - before[1]
        finally:
            stop.set()
            th.join()
    a = np.array(lat) * 1e3
    print(f"CPU: server {server:.2f} s, decoders {dec:.2f} s; probes p50 {np.median(a):.1f} ms p90 "
          f"{np.percentile(a, 90):.1f} ms max {a.max():.0f} ms; decoders' peak RSS "
          f"{[Path(f'/proc/{p}/status').read_text().split('VmHWM:')[1].split()[0] for p in decoders]} kB")
    assert dec > 0.05 and server < dec, (server, dec)


@pytest.mark.parametrize("data, datatype, status, words", [
    (numbers(last='"x"'), "FP32", 400, "strings are not numbers"),
    ("[" + "1," * (N - 1) + "3000000000]", "INT32", 400, "out of the range of INT32"),
    (numbers(N - 1), "FP32", 400, "needs 1000000"),
    (numbers(last="0.5123]"), "FP32", 400, "not valid JSON"),
    (numbers(last="NaN"), "FP32", 200, ""),  # (json reads NaN where orjson refuses it: as in place)
])
def test_large_bodies_decoder_errors_are_the_in_place_parses(srv, data, datatype, status, words):
    """What is wrong in a large body is answered as a parse in the server's process answered it: the same
    status, words and path."""
    with srv.client(timeout=240) as c:
        r = post(c, body(data, datatype=datatype))
    assert r.status_code == status, r.text[:400]
    if status != 200:
        err = r.json()["error"]
        assert words in err["message"], err
        assert err["detail"].get("path", "$.inputs[0].data").startswith("$"), err
    else:
        assert np.isnan(r.json()["outputs"][0]["data"][0])


def test_repeated_keys_in_a_large_body_are_refused(srv):
    with srv.client(timeout=240) as c:
        r = post(c, body(numbers()).replace(b'"name": "x"', b'"name": "x", "name": "y"', 1))
    assert r.status_code == 400 and "repeat" in r.text, r.text[:300]


def test_a_decoder_killed_mid_parse_fails_only_its_request(srv):
    """SIGKILL to the decoder while it parses: that request is answered 503 (not a hang, not a 500), the next
    large body gets a new decoder and its answer."""
    big = body(numbers())
    with srv.client(timeout=240) as c:
        assert post(c, big).status_code == 200
    pids = srv.decoder_pids()
    base = {p: cpu_s(p) for p in pids}
    got: list = []
    def send():
        with srv.client(timeout=240) as c:
            got.append(post(c, big))

    th = threading.Thread(target=send)
    th.start()
    end, victim = time.monotonic() + 120, None
    while victim is None and time.monotonic() < end and th.is_alive():  # (the one whose CPU time moves)
        victim = next((p for p in pids if cpu_s(p) > base[p] + 0.05), None)
        time.sleep(0.005)
    assert victim is not None, "no decoder started parsing"
    os.kill(victim, signal.SIGKILL)
    th.join(240)
    r = got[0]
    assert r.status_code == 503 and "decoder" in r.text, r.text[:300]
    with srv.client(timeout=240) as c:
        r = post(c, big)
        assert r.status_code == 200, r.text[:300]
        assert c.get("/v2/health/ready").status_code == 200
    assert victim not in srv.decoder_pids()
