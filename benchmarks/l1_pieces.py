"""L1's training step piece by piece (issue #13), through the SDK against a real server on loopback.

    python benchmarks/l1_pieces.py [--mode graph|pynative] [--steps 400] [--jax]

Per step (medians, microseconds, wall): the SDK before the exchange (the value_and_grad call up to the
transport's send: cache look-up, PyNative's guard check, the request), the exchange (send to answer, with the
server's own share from the answer's `timing`: read + decode, prepare, the plan's compute), after it (the
answer made into Tensors), the optimizer's update (nn.SGD), and within "before" the guard check alone
(PyNative: _pyguard.Guarded.holds, the check _pyguard._compiled generates). --jax: local JAX's jitted step runs between the SDK's steps, as in
loops_bench.py (the SDK's code then runs with caches another program filled: closer to the bar's figures).
The plan alone, in-process: benchmarks/plan_bench.py --only L1. Nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "clients" / "python"):
    sys.path.insert(0, str(p))

import gradserve as gs  # noqa: E402
from gradserve import _pyguard  # noqa: E402
from gradserve._transport import http as _http  # noqa: E402

from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks.loops_bench import Server  # noqa: E402


def pieces(mode: str, steps: int, with_jax: bool) -> dict:
    rec: dict = {"holds": 0.0}
    send, compiled = _http.HTTPTransport.send, _pyguard._compiled

    def timed_send(self, *a, **k):
        rec["s0"] = time.perf_counter()
        r = send(self, *a, **k)
        rec["s1"] = time.perf_counter()
        n = int(r[1].get("inference-header-content-length", 0))
        rec["timing"] = json.loads(bytes(r[2][:n]))["timing"] if n else {}
        return r

    def timed_compiled(recorder):  # (each trace recorded from here on: its generated check, timed)
        check = compiled(recorder)

        def timed_holds():
            t = time.perf_counter()
            try:
                return check()
            finally:
                rec["holds"] += time.perf_counter() - t
        return timed_holds

    _http.HTTPTransport.send, _pyguard._compiled = timed_send, timed_compiled
    srv = Server()
    try:
        gs.set_context(server=srv.url, device_target="CPU")
        if mode == "graph":
            LW.graph_mode(gs)
        data = LW.dp_data()
        step, net = LW.dp_sdk(gs, data, lr=1e-6)
        # dp_sdk's step is `loss, grads = grad_fn(R, E, F); opt(grads)`: its two callables, timed apart
        parts = {type(c.cell_contents).__name__: c.cell_contents for c in step.__closure__}
        grad_fn, opt = parts["_FunctionalGrad"], parts["SGD"]
        R, E, F = gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"])
        if with_jax:
            jstep, jp = LW.dp_jax(data, lr=1e-6)
            args = (data["R"], data["E"], data["F"])
        for _ in range(20):
            step(R, E, F)
        out: dict = {k: [] for k in ("step", "before", "guard", "exchange", "after", "optimizer", "server_total",
                                     "server_read_decode", "server_prepare", "server_compute")}
        for _ in range(steps):
            rec["holds"] = 0.0
            t0 = time.perf_counter()
            _, grads = grad_fn(R, E, F)
            t1 = time.perf_counter()
            opt(grads)
            t2 = time.perf_counter()
            tm = rec["timing"]
            for k, v in (("step", t2 - t0), ("before", rec["s0"] - t0), ("guard", rec["holds"]),
                         ("exchange", rec["s1"] - rec["s0"]), ("after", t1 - rec["s1"]), ("optimizer", t2 - t1),
                         ("server_total", tm.get("total_ms", 0) / 1e3),
                         ("server_read_decode", tm.get("read_decode_ms", 0) / 1e3),
                         ("server_prepare", tm.get("prepare_ms", 0) / 1e3),
                         ("server_compute", tm.get("compute_ms", 0) / 1e3)):
                out[k].append(v)
            if with_jax:
                jl, jp = jstep(jp, *args)
                jl.block_until_ready()
        return {k: round(statistics.median(v) * 1e6, 1) for k, v in out.items()} | {"lane": tm.get("lane")}
    finally:
        _http.HTTPTransport.send, _pyguard._compiled = send, compiled
        gs.reset_context()
        srv.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("graph", "pynative"), default="graph")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--jax", action="store_true", help="local JAX's step between the SDK's steps")
    args = ap.parse_args()
    print(json.dumps({"mode": args.mode, "jax_between": args.jax} | pieces(args.mode, args.steps, args.jax)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
