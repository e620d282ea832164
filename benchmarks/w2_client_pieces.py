"""Where the SDK's own time goes in one W2 call (issue #13, h-w2fast): ops.grad of the MLP 784-512-512-10 w.r.t. its
weights at one unchanged x, against a real server on loopback, the SDK's shared-memory path (its default there).

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/w2_client_pieces.py [--mode graph|pynative] [--calls 200]

Prints, per call (medians): the wall and thread CPU before the HTTP exchange (trace lookup, body, shared-memory
lease and placement, encoding), the exchange, and after it (decoding, Result, Tensors); then, in a second pass
with the pieces wrapped, each piece's inclusive wall time (means: a wrapper costs ~0.3 us a call, and inner
pieces are inside outer ones). Wall times on a loaded box grow with the load; compare runs only side by side.
Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict

import numpy as np

from benchmarks import loops_bench as B
from benchmarks.w2_client_cpu import w2_grad


def _pieces():
    """(owner, attribute, label) of the SDK's pieces of a W2 call, outermost first."""
    from gradserve import _client, _lane, _shm, _trace
    from gradserve._transport import _http1, http

    return [(_lane, "_eval", "lane._eval"),
            (_client.Client, "_b_eval", "Client._b_eval"), (_client.Client, "_fields", "Client._fields"),
            (http.HTTPTransport, "call", "HTTPTransport.call"), (_shm.SharedMemory, "lease", "SharedMemory.lease"),
            (http, "_prepare", "_prepare (encode, places inputs)"), (_shm.Lease, "place", "Lease.place"),
            (_http1.HTTP1Client, "_exchange", "HTTP exchange"), (http, "decode_response", "decode_response"),
            (_shm.Lease, "read", "Lease.read (outputs)"), (_shm.Lease, "done", "Lease.done"),
            (_client.Client, "_answered", "Client._answered (Result)"), (_trace, "_conform", "_trace._conform")]


def around_exchange(gfn, xt, calls: int) -> dict:
    from gradserve._transport import _http1

    cls, st = _http1.HTTP1Client, {}
    exchange = cls._exchange

    def timed(self, *a, **k):
        st["s"], st["cs"] = time.perf_counter(), time.thread_time()
        try:
            return exchange(self, *a, **k)
        finally:
            st["e"], st["ce"] = time.perf_counter(), time.thread_time()
    cls._exchange = timed
    rows: dict = defaultdict(list)
    try:
        for _ in range(calls):
            t0, c0 = time.perf_counter(), time.thread_time()
            gfn(xt)
            t1, c1 = time.perf_counter(), time.thread_time()
            for k, v in (("total", t1 - t0), ("before", st["s"] - t0), ("before_cpu", st["cs"] - c0),
                         ("exchange", st["e"] - st["s"]), ("after", t1 - st["e"]), ("after_cpu", c1 - st["ce"])):
                rows[k].append(v)
    finally:
        cls._exchange = exchange
    return {k: round(float(np.median(v)) * 1e3, 3) for k, v in rows.items()}


def by_piece(gfn, xt, calls: int) -> dict:
    acc: dict = defaultdict(float)
    saved = []

    def wrap(owner, name, label):
        fn = getattr(owner, name)
        saved.append((owner, name, fn))

        def w(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                acc[label] += time.perf_counter() - t
        setattr(owner, name, w)
    for owner, name, label in _pieces():
        wrap(owner, name, label)
    try:
        for _ in range(calls):
            gfn(xt)
    finally:
        for owner, name, fn in reversed(saved):
            setattr(owner, name, fn)
    return {label: round(acc[label] / calls * 1e6, 1) for _, _, label in _pieces()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("graph", "pynative"), default="pynative")
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    gs = B.gs
    srv = B.Server()
    try:
        gs.set_context(server=srv.url, device_target="CPU")
        gfn, xt = w2_grad(gs, args.mode)
        print(f"{args.mode}, load {os.getloadavg()[0]:.1f}: ms a call (medians):", around_exchange(gfn, xt, args.calls))
        for label, us in by_piece(gfn, xt, args.calls).items():
            print(f"  {label:34s} {us:9.1f} us (mean, inclusive)")
        print(f"load after {os.getloadavg()[0]:.1f}")
    finally:
        gs.reset_context()
        srv.close()


if __name__ == "__main__":
    main()
