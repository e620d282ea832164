"""W2's client CPU per call through the SDK (issue #13, stop 39): ops.grad of the MLP 784-512-512-10 w.r.t. its
weights at one unchanged x, against a real server on loopback. Prints one JSON line: the median wall time, the
client process's CPU per call, and that CPU outside the HTTP exchange (tracing cache, guards, body, shared-memory
placement, decoding). CPU time, unlike wall time, stays comparable between runs on a busy box.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/w2_client_cpu.py [--mode graph|pynative] [--calls 300] [--loaded]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from benchmarks import loops_bench as B
from benchmarks import loops_workloads as LW
from benchmarks.engine_workloads import MLP_SIZES, _mlp_params


def w2_grad(gs, mode: str, loaded: bool = False):
    """(ops.grad of the MLP w.r.t. its weights, x) on the SDK's context (already set to a server), warmed up: W2 as
    loops_bench calls it (also benchmarks/w2_client_pieces.py's)."""
    if mode == "graph":
        LW.graph_mode(gs)
    net = LW.mlp_sdk(gs, _mlp_params(MLP_SIZES))
    if loaded:
        for p in net.trainable_params():
            p.set_data(gs.Tensor(p.asnumpy()))
    gfn = gs.ops.grad(net, None, net.trainable_params())
    xt = gs.Tensor(np.random.default_rng(1).standard_normal((256, MLP_SIZES[0])).astype(np.float32))
    for _ in range(5):
        gfn(xt)
    return gfn, xt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("graph", "pynative"), default="pynative")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--tag", default="")
    ap.add_argument("--loaded", action="store_true",
                    help="every weight set_data once first (a loaded checkpoint: its values travel with each job)")
    args = ap.parse_args()
    gs = B.gs
    srv = B.Server()
    try:
        gs.set_context(server=srv.url, device_target="CPU")
        gfn, xt = w2_grad(gs, args.mode, args.loaded)
        from gradserve._transport import _http1
        cls = next(c for c in vars(_http1).values() if isinstance(c, type) and "_exchange" in vars(c))
        exchange, inside = cls._exchange, []

        def timed(self, *a, **k):
            p = time.process_time()
            try:
                return exchange(self, *a, **k)
            finally:
                inside.append(time.process_time() - p)
        cls._exchange = timed
        wall, cpu = [], []
        for _ in range(args.calls):
            t, p = time.perf_counter(), time.process_time()
            gfn(xt)
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - p)
        cls._exchange = exchange
        print(json.dumps({"tag": args.tag, "mode": args.mode, "loaded": args.loaded, "wall_ms": float(np.median(wall) * 1e3),
                          "cpu_ms": float(np.median(cpu) * 1e3),
                          "outside_cpu_us": float(np.median([c - i for c, i in zip(cpu, inside)]) * 1e6),
                          "load": os.getloadavg()[0]}))
    finally:
        gs.reset_context()
        srv.close()


if __name__ == "__main__":
    main()
