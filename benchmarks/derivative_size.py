"""How large derivative graphs get: node counts of grad order 1-3 and of the hessian of one small graph per
op family (tests/engine/_derivative_families.py) and of the wire fuzzer's hessian / order-3 seeds that came
near the test server's max_nodes (3000), against JAX's jaxpr equation count for the same function.

    PYTHONPATH=.:clients/python:tests python benchmarks/derivative_size.py [--seeds 41 63 ...]

Per derivative: `built`, the equations the lowering's builder emitted (what max_nodes counts while the graph
is built), and `final`, the equations of the optimised plan graph; `jax`, len(make_jaxpr(...).eqns) (order k:
GradOperation's grad of the sum, nested k times; hessian: jax.hessian). Not a test: the ceilings are in
tests/engine/test_derivative_size.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "clients" / "python", ROOT / "tests", ROOT / "tests" / "engine"):
    sys.path.insert(0, str(p))

import jax  # noqa: E402

from engine import transforms  # noqa: E402
from engine.lower import lower  # noqa: E402
from _derivative_families import (FAMILIES, derived_for_seed, family_graph, family_input, jax_order,  # noqa: E402
                                  nested_grad)

SEEDS = (4, 41, 63, 82, 107)  # the fuzzer's seeds whose hessian came near or past 3000 built nodes


def sizes(dg) -> tuple[int, int]:
    return len(lower(dg, opt=False).eqns), len(lower(dg).eqns)


def family_rows(name: str) -> list[str]:
    g, x, f = family_graph(name), family_input(name), FAMILIES[name][2]
    rows = []
    for order in (1, 2, 3):
        built, final = sizes(nested_grad(g, order))
        peer = len(jax.make_jaxpr(jax_order(f, order))(x).eqns)
        rows.append(f"| {name} | order {order} | {built} | {final} | {peer} |")
    built, final = sizes(transforms.hessian(g, 0))
    peer = len(jax.make_jaxpr(jax.hessian(f))(x).eqns)
    rows.append(f"| {name} | hessian | {built} | {final} | {peer} |")
    return rows


def seed_rows(seed: int) -> list[str]:
    rows = []
    for kind in ("hessian", "order"):
        case, job, dg, jf = derived_for_seed(seed, kind)
        built, final = sizes(dg)
        x = [np.asarray(a, np.float64) for a in case.inputs]
        peer = len(jax.make_jaxpr(jf)(*x).eqns)
        rows.append(f"| seed {seed} ({', '.join(case.ops)}) | {job} | {built} | {final} | {peer} |")
    return rows


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="*", default=list(SEEDS))
    args = ap.parse_args(argv)
    jax.config.update("jax_enable_x64", True)  # float64 references, as the tests ask by a marker (tests/jax_mode.py)
    print("| graph | derivative | built | final | jax eqns |")
    print("|---|---|---|---|---|")
    for name in FAMILIES:
        print("\n".join(family_rows(name)), flush=True)
    for seed in args.seeds:
        print("\n".join(seed_rows(seed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
