"""Derivative graphs of small graphs stay small: node-count ceilings for grad order 1-3 and the hessian of one
graph per op family (tests/engine/_derivative_families.py) and of the wire fuzzer's seeds whose hessian passed
the e2e server's max_nodes (3000), with the values checked against JAX (float64).

`built` is what the lowering's builder emitted (what max_nodes counts as the graph is built); `final` the
optimised graph. Ceilings: the figures of benchmarks/derivative_size.py (benchmarks/NOTES.md, "Derivative graph
sizes") with headroom. The hessian ceilings failed before the jacobian was one vmap node per block row / column
(built 700-4,400 nodes for these 6x6 hessians, one derivative graph per basis vector).
"""
from __future__ import annotations

import numpy as np
import pytest

import jax

from engine import Engine, hessian, lower
from e2e._wire_jobs import mismatch
from _derivative_families import FAMILIES, derived_for_seed, family_graph, family_input, jax_order, nested_grad

pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)

# family -> (built ceiling of orders 1, 2, 3; built ceiling of the hessian); measured (order 1/2/3, hessian):
# elementwise 15/27/49, 55; reductions 25/35/53, 72; softmax 14/27/55, 54; cumulative 20/28/38, 83;
# stack_concat_split 29/53/99, 89; where_max_clip 51/68/66, 116 (69/84/79, 137 before maximum / minimum's
# rules shared one mask per operand: ceilings below the old counts); gather_scatter 11/9/7, 41; matmul 13/29/55, 71;
# conv 28/35/58, 88
CEILINGS = {
    "elementwise": ((25, 40, 75), 85), "reductions": ((40, 55, 80), 110), "softmax": ((25, 40, 85), 85),
    "cumulative": ((30, 45, 60), 125), "stack_concat_split": ((45, 80, 150), 135),
    "where_max_clip": ((60, 76, 74), 128), "gather_scatter": ((20, 15, 15), 65), "matmul": ((20, 45, 85), 110),
    "conv": ((45, 55, 90), 135),
}
# the fuzzer's seeds (tests/e2e/_wire_fuzz.py) whose hessian came near or past 3000 built nodes, with the
# built ceiling of their hessian and order job (measured: 67 / 1, 66 / 31, 49 / 49, 48 / 1, 52 / 1;
# before: hessians of 2,463, 3,409, 2,732, 2,468 and 4,393 nodes)
SEEDS = {4: (100, 5), 41: (100, 50), 63: (75, 75), 82: (75, 5), 107: (80, 5)}


def built(g) -> int:
    return len(lower(g, opt=False).eqns)


def close(got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_derivatives_stay_small_and_match_jax(name):
    g, x, f = family_graph(name), family_input(name), FAMILIES[name][2]
    grads, hess = CEILINGS[name]
    for order, ceiling in zip((1, 2, 3), grads):
        dg = nested_grad(g, order)
        assert built(dg) <= ceiling, (name, order)
        close(Engine().run(dg, [x]), jax.jit(jax_order(f, order))(x))  # jit: one compile, not one per op
    h = hessian(g, 0)
    assert built(h) <= hess, name
    assert len(lower(h).eqns) <= hess
    close(Engine().run(h, [x]), jax.jit(jax.hessian(f))(x))


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_fuzzer_seed_derivatives_stay_small_and_match_jax(seed):
    for kind, ceiling in zip(("hessian", "order"), SEEDS[seed]):
        case, job, dg, jf = derived_for_seed(seed, kind)
        assert built(dg) <= ceiling, (seed, job)
        got = Engine().run(dg, list(case.inputs))
        why = mismatch(got, jax.jit(jf)(*[np.asarray(a, np.float64) for a in case.inputs]), case.dtype)
        assert why is None, f"seed {seed} {job}: {why}"
