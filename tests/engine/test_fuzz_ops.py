"""Every op against hostile input, in-process, the way the server answers it (tests/engine/_fuzz.py): each
op's valid graph under every derivative kind and NaN / inf values, and under every mutation (wrong arity,
each attribute wrong / negative / huge / null, operand ranks, zero-size and huge shapes, every dtype), a
mutation the graph accepts under a derivative kind too. Each answer is a 200 or a 4xx naming the node,
field or limit; never a 5xx, never a long run. The op list is the catalog's: a new op is swept as soon as
it has its op-table case. The same cases go over HTTP and gRPC in tests/e2e/test_fuzz_wire.py."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from engine.ops import OPS
from _fuzz import (FuzzCase, derivative_of, json_mutations, op_sweep, outcome, seed_cases, structure_cases,
                   verdict)

SEEDS = seed_cases()


def test_every_op_of_the_catalog_has_a_seed():
    assert sorted(OPS) == sorted(SEEDS), sorted(set(OPS) ^ set(SEEDS))


def _sweep(cases: list[FuzzCase], backend: str = "numpy") -> tuple[list[str], int]:
    problems, n = [], 0
    for case in cases:
        o = outcome(case, backend=backend)
        n += 1
        bad = verdict(case, o)
        if bad:
            problems.append(f"{case.id}: {bad}")
        if o.status == 200 and case.kind == "eval" and not case.expect_ok:
            d = derivative_of(case)
            n += 1
            bad = verdict(d, outcome(d, backend=backend))
            if bad:
                problems.append(f"{d.id}: {bad}")
    return problems, n


@pytest.mark.parametrize("op", sorted(OPS))
def test_op_answers_hostile_input_with_a_clear_4xx(op):
    problems, n = _sweep(op_sweep(op, SEEDS[op]))
    assert n > 20
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("op", sorted(OPS))
def test_op_on_the_torch_backend_answers_values_and_dtypes_alike(op):
    """The torchcpu pool's workers run PyTorch kernels, which refuse what NumPy's accept (bool matmul, an int
    divided by zero): the value- and dtype-dependent cases again, on that backend."""
    keep = ("/seed", "/dtype:", "/shape:zero", "/attr:dtype=", "/attr:value=")
    cases = [c for c in op_sweep(op, SEEDS[op]) if any(k in c.id for k in keep)]
    problems, n = _sweep(cases, "torch")
    assert n >= 8
    assert not problems, "\n".join(problems)


def test_deep_wide_nested_graphs_and_work_bombs_are_refused_up_front():
    problems, n = _sweep(structure_cases())
    assert not problems, "\n".join(problems)
    assert n >= 40


# the seeds with the most structure: functions, control flow, custom rules
JSON_SEEDS = ("grad", "custom_vjp", "vmap", "while", "cond", "scan", "switch", "segment_reduce", "conv")


@pytest.mark.parametrize("op", JSON_SEEDS)
def test_every_field_of_a_graph_mistyped_or_missing_gets_a_clear_4xx(op):
    cases = json_mutations(SEEDS[op], op)
    problems, n = _sweep(cases)
    assert n >= 50
    assert not problems, "\n".join(problems)


def test_the_sweep_can_fail():
    """The verdict is not vacuous: a 5xx, a refusal naming nothing, a refused seed and a slow case each fail."""
    case = FuzzCase("x", {}, expect_ok=True)
    from _fuzz import Outcome

    assert verdict(case, Outcome(500, "execution_error", "boom"))
    assert verdict(case, Outcome(400, "shape_error", "bad", {"path": "$.nodes[0]"}))  # a seed must run
    case.expect_ok = False
    assert verdict(case, Outcome(400, "invalid_request", "cannot run", {"path": "$.graph"}))
    assert verdict(case, Outcome(413, "limit_exceeded", "too big", {}))
    assert verdict(case, Outcome(200, seconds=1e3))
    assert verdict(case, Outcome(400, "shape_error", "bad", {"path": "$.nodes[0]"})) is None


def test_nan_and_infinity_in_a_graph_are_refused_as_not_json():
    g = copy.deepcopy(SEEDS["clip"].graph)
    g["nodes"][-1]["attrs"]["min"] = float("nan")
    o = outcome(FuzzCase("clip/nan-attr", g))
    assert (o.status, o.code) == (400, "invalid_graph") and "JSON" in o.message, o
