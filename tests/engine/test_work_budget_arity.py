"""max_work counts a node's inputs and outputs (engine.builder.node_work): emitting a node walks each of them
(shape inference, the CSE key, every optimizer pass), so a 4000-input concat is not one unit of work.
The e2e attack: tests/e2e/test_attacks_wide_nodes.py."""
from __future__ import annotations

import pytest

from engine import GraphBuilder
from engine.builder import ARITY_PER_UNIT, Budget, Builder, node_work
from engine.errors import LimitExceeded
from engine.ir import AVal, Var


def test_a_node_of_few_inputs_is_one_unit_and_a_wide_one_a_unit_per_inputs_past_it():
    assert [node_work(n) for n in (0, 1, 2, 3, ARITY_PER_UNIT)] == [1] * 5
    assert node_work(ARITY_PER_UNIT + 1) == 2
    assert node_work(4000) == 1 + 3999 // ARITY_PER_UNIT


def test_emitting_a_wide_concat_charges_its_inputs_and_a_wide_split_its_outputs():
    b = Builder(budget=Budget())
    x = Var(AVal((2,), "float32"))
    b.concat(*([x] * 100), axis=0)
    assert b.budget.work == node_work(100)
    before = b.budget.work
    b.emit("split", [Var(AVal((100,), "float32"))], {"sections": 100, "axis": 0})
    assert b.budget.work - before == node_work(1) + node_work(100) - 1


def test_max_work_refuses_many_wide_nodes_that_the_node_count_would_let_through():
    gb = GraphBuilder("w", budget=Budget(1000))
    x = gb.input((1,), name="x")
    with pytest.raises(LimitExceeded) as ei:
        for i in range(20):  # 20 nodes, ~2500 units: each a distinct concat (no CSE hit)
            gb.concat(*([x] * 1000), gb.full((i + 1,), 0.0, "float32"), axis=0)
    assert ei.value.setting == "max_work" and ei.value.limit == 1000
