"""W2's input side, one server per tree, interleaved call by call (issue #13): per call the wall time, the
server main process's CPU and its workers' CPU (schedstat, every thread), medians.

    PYTHONPATH=$PWD:$PWD/clients/python python benchmarks/w2_input_ab.py --tree base=/path/to/old --calls 60
    ... w2_input_ab.py --variant unpinned=GRADSERVE_PIN_CPUS=false --only same_x  # this tree, a setting changed

One SDK (this process's, this tree's) drives both servers, so what differs is the server: x (256x784
float32) unchanged from call to call (as loops_bench's W2: the server's kept copy, or the made region read in
place) and x new on every call (the server reads it with preadv, or the worker maps it in place). The
weights live in the registered graph. Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import gradserve as gs  # noqa: E402

from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks.engine_workloads import MLP_SIZES, _mlp_params  # noqa: E402
from benchmarks.loops_bench import Server  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", default=[], help="name=path of another tree's server")
    ap.add_argument("--variant", action="append", default=[],
                    help="name=KEY=VALUE[,KEY=VALUE]: a server of this tree with these environment settings")
    ap.add_argument("--only", default="same_x,new_x")
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--json")
    args = ap.parse_args()
    trees = [("new", str(ROOT), {})] + [(*t.split("=", 1), {}) for t in args.tree]
    trees += [(v.split("=", 1)[0], str(ROOT), dict(kv.split("=", 1) for kv in v.split("=", 1)[1].split(",")))
              for v in args.variant]
    servers = {}
    for name, path, extra in trees:
        env = {"PYTHONPATH": f"{path}:{path}/clients/python"} | extra
        servers[name] = Server(env)
    try:
        ps = _mlp_params(MLP_SIZES)
        rng = np.random.default_rng(1)
        x0 = rng.standard_normal((256, MLP_SIZES[0])).astype(np.float32)
        net = LW.mlp_sdk(gs, ps)
        gfn = gs.ops.grad(net, None, net.trainable_params())
        from gradserve import context

        clients = {n: gs.Client(s.url) for n, s in servers.items()}
        res: dict = {}
        last_lent: dict = {}
        for mode in args.only.split(","):
            # workers_lent: the workers' CPU of the calls lent a second core (a pool's lending verdict may differ
            # between the servers on a loaded box: a one-thread run costs less CPU, and would mask a split change)
            rows: dict = {n: {"wall": [], "main": [], "workers": [], "workers_lent": []} for n in servers}
            for i in range(2 * args.calls + 4 * len(servers)):
                n = list(servers)[(i + i // len(servers)) % len(servers)]  # (the order alternates too)
                context._client = clients[n]
                x = x0 if mode == "same_x" else x0 + np.float32(i)
                xt = gs.Tensor(x)
                s0 = servers[n].cpu_s()
                t = time.perf_counter()
                gfn(xt)
                wall = time.perf_counter() - t
                s1 = servers[n].cpu_s()
                lent = servers[n].jobs()["cores_lent"]  # (after s1: its CPU is no call's)
                if i >= 4 * len(servers):  # regions sized, graph registered and compiled
                    rows[n]["wall"].append(wall)
                    rows[n]["main"].append(s1[0] - s0[0])
                    rows[n]["workers"].append(s1[1] - s0[1])
                    if lent > last_lent.get(n, lent):
                        rows[n]["workers_lent"].append(s1[1] - s0[1])
                last_lent[n] = lent
            res[mode] = {n: {k: round(float(np.median(v)) * 1e3, 3) if v else None for k, v in r.items()}
                         | {"wall_p90": round(float(np.percentile(r["wall"], 90)) * 1e3, 3),
                            "n": len(r["wall"]), "lent": len(r["workers_lent"])} for n, r in rows.items()}
            print(mode, json.dumps(res[mode]))
        for c in clients.values():
            c.close()
    finally:
        for s in servers.values():
            s.proc.terminate()
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
