"""How a Jacobian by parameter name (engine.wrt_params) grows with the number of outputs: one float input times
a parameter, broadcast to `outputs` outputs of 64 elements (tests/e2e/test_attacks_derivation.py's old
slow-derivation attack). Per output count: the derive time (wrt_params.jacobian + lowering), `built` (equations
the lowering's builder emitted: what max_nodes counts) and `final` (the optimised plan graph).

    PYTHONPATH=.:clients/python:tests python benchmarks/jacobian_outputs.py [--outputs 50 300 900]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "clients" / "python"):
    sys.path.insert(0, str(p))

from engine import GraphBuilder, wrt_params  # noqa: E402
from engine.lower import lower  # noqa: E402


def wide_net(outputs: int, m: int = 64):
    gb = GraphBuilder(f"wide{outputs}")
    x = gb.input((1,), name="x")
    xw = gb.mul(x, gb.param("w", np.full(1, 2.0, np.float32)))
    return gb.build(tuple(gb.broadcast_to(gb.mul(xw, gb.scalar(float(i + 1), "float32")), shape=(m,))
                          for i in range(outputs)))


def row(outputs: int) -> str:
    g = wide_net(outputs)
    t0 = time.perf_counter()
    dg = wrt_params.jacobian(g, [], ["w"])
    built = len(lower(dg, opt=False).eqns)
    took = time.perf_counter() - t0
    final = len(lower(dg).eqns)
    return f"| {outputs} | {took:.2f} | {built} | {final} |"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--outputs", type=int, nargs="*", default=[50, 300, 900])
    args = ap.parse_args(argv)
    print("| outputs | derive s | built | final |\n|---|---|---|---|")
    for n in args.outputs:
        print(row(n), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
