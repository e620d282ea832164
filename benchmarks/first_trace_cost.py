"""A fresh process's first PyNative (default mode) L1 steps: the first (traced, not recorded) and the second
(traced under the guard hook, which on its first user-code question lists the SDK's dependencies' folders:
gradserve._pyguard._dependency_roots), then a reused one. One process per sample, trees alternating.

    python benchmarks/first_trace_cost.py [--n 5] [--tree base=/path/to/other/checkout --tree new=.]

Each tree's own server and SDK (its PYTHONPATH). Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
import gradserve as gs
from benchmarks import loops_bench as B, loops_workloads as LW
srv = B.Server()
try:
    gs.set_context(server=srv.url, device_target="CPU")
    data = LW.dp_data()
    step, _ = LW.dp_sdk(gs, data, lr=1e-6)
    R, E, F = gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"])
    ms = []
    for _ in range(3):
        t = time.perf_counter()
        step(R, E, F).asnumpy()
        ms.append((time.perf_counter() - t) * 1e3)
    t = time.perf_counter()
    gs._pyguard._dependency_roots()  # (cached by then: ~0 unless the second step did not ask)
    print(json.dumps({"first_ms": ms[0], "second_ms": ms[1], "third_ms": ms[2],
                      "roots_after_ms": (time.perf_counter() - t) * 1e3}))
finally:
    gs.reset_context()
    srv.close()
"""


def sample(tree: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADSERVE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tree), str(tree / "clients" / "python")])
    out = subprocess.run([sys.executable, "-c", _CHILD], cwd=tree, env=env, capture_output=True, text=True,
                         timeout=300, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--tree", action="append", default=[], help="name=path (default: this tree)")
    args = ap.parse_args()
    trees = [(t.split("=", 1)[0], Path(t.split("=", 1)[1]).resolve()) for t in args.tree] or [("this", ROOT)]
    got: dict = {name: [] for name, _ in trees}
    for i in range(args.n):
        for name, tree in trees if i % 2 == 0 else trees[::-1]:
            got[name].append(sample(tree))
    for name, runs in got.items():
        print(name, {k: round(float(np.median([r[k] for r in runs])), 1) for k in runs[0]},
              "second_ms:", [round(r["second_ms"]) for r in runs])
    return 0


if __name__ == "__main__":
    sys.exit(main())
