"""The floor of a call's process hops on this host: what a same-host direct path (SDK -> worker) could save.

    python benchmarks/hop_floor.py [--calls 2000] [--rounds 6] [--busy-ms 0]

A W2 call through the service crosses four process hand-offs (SDK -> server main -> worker -> server main ->
SDK); a direct path for a pinned program's jobs would cross two (SDK -> worker -> SDK). This measures the
two shapes with nothing but the hand-offs: three forked processes (client, relay, worker) on AF_UNIX stream
socket pairs (the SDK's Unix socket, the pool's pipes), messages of the sizes a W2 call sends (the request
head ~0.6 kB, the answer head ~1.4 kB; tensors cross in shared memory), a relay that only forwards and a
worker that only answers (optionally after spinning `--busy-ms`, a compute that keeps its core busy so the
other processes sleep meanwhile, as a real call's do). Rounds alternate the two shapes; per round the median
round trip; the saving is relayed - direct, medians over rounds. The server main's own work per call (parse,
admit, dispatch, answer) is not here: it comes on top (benchmarks/w2_timeline.py's stamps, percall_cpu.py).
Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import os
import selectors
import socket
import statistics
import sys
import time

REQ, ANS = 600, 1400  # bytes: the SDK's request head for a shared-memory W2 job, the answer's JSON head


def _recv(s: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def _worker(socks: list[socket.socket], busy_s: float) -> None:
    """Answer each request on any of `socks` (the relay's pipe, the direct channel) with ANS bytes."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    answer = b"a" * ANS
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            try:
                _recv(s, REQ)
            except EOFError:
                os._exit(0)
            if busy_s:
                end = time.perf_counter() + busy_s
                while time.perf_counter() < end:
                    pass
            s.sendall(answer)


def _relay(front: socket.socket, back: socket.socket) -> None:
    """The server main reduced to its hand-offs: a request from the client to the worker, its answer back."""
    while True:
        try:
            req = _recv(front, REQ)
        except EOFError:
            os._exit(0)
        back.sendall(req)
        front.sendall(_recv(back, ANS))


def _fork(fn, *args) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            fn(*args)
        finally:
            os._exit(0)
    return pid


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--busy-ms", type=float, default=0.0)
    args = ap.parse_args()
    c_relay, r_front = socket.socketpair()
    r_back, w_relay = socket.socketpair()
    c_direct, w_direct = socket.socketpair()
    pids = [_fork(_worker, [w_relay, w_direct], args.busy_ms / 1e3), _fork(_relay, r_front, r_back)]
    for s in (r_front, r_back, w_relay, w_direct):
        s.close()
    req = b"r" * REQ
    ways = {"relayed (4 hops)": c_relay, "direct (2 hops)": c_direct}
    medians: dict = {k: [] for k in ways}
    try:
        for s in ways.values():  # warm both
            for _ in range(50):
                s.sendall(req)
                _recv(s, ANS)
        for r in range(args.rounds):
            order = list(ways.items()) if r % 2 == 0 else list(ways.items())[::-1]
            for name, s in order:
                times = []
                for _ in range(args.calls):
                    t = time.perf_counter_ns()
                    s.sendall(req)
                    _recv(s, ANS)
                    times.append(time.perf_counter_ns() - t)
                medians[name].append(statistics.median(times) / 1e3)
    finally:
        for s in ways.values():  # (shutdown, not only close: the forked processes hold copies of every end)
            s.shutdown(socket.SHUT_RDWR)
            s.close()
        for pid in pids:
            os.waitpid(pid, 0)
    load = os.getloadavg()
    print(f"hop floor, {args.rounds} rounds x {args.calls} calls, worker busy {args.busy_ms} ms, load "
          f"{load[0]:.1f} (round-trip medians, us; busy time included)")
    for name, ms in medians.items():
        print(f"  {name:<18} median {statistics.median(ms):8.1f}  rounds {' '.join(f'{m:.1f}' for m in ms)}")
    a, b = (statistics.median(v) for v in medians.values())
    print(f"  saved by the direct shape: {a - b:.1f} us a call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
