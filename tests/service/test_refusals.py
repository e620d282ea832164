"""service.refusals: only build refusals by max_work / max_nodes are remembered (a memory or deadline failure can
pass next time), per pool and program, at most KEPT of them."""
from __future__ import annotations

import pytest

from service.errors import DeadlineExceeded, LimitExceeded, from_engine
from service.refusals import Refusals


def build_refusal(setting: str = "max_work") -> LimitExceeded:
    e = from_engine({"code": "limit_exceeded", "message": f"building the graph took more than 10 steps ({setting})",
                     "detail": {"setting": setting, "limit": 10, "value": 11, "node": "n"}})
    e.detail["request_id"] = "r1"
    assert isinstance(e, LimitExceeded)
    return e


@pytest.mark.parametrize("setting", ["max_work", "max_nodes"])
def test_a_build_refusal_is_raised_again_for_the_same_program_on_the_same_pool(setting):
    r = Refusals()
    r.note("cpu", "k", build_refusal(setting))
    with pytest.raises(LimitExceeded) as ei:
        r.check("cpu", "k")
    assert ei.value.detail == {"limit": setting, "value": 10, "got": 11, "node": "n"}  # (not the first request's id)
    assert setting in ei.value.message
    r.check("cpu", "other")  # another program, another pool: nothing remembered
    r.check("torchcpu", "k")


def test_other_failures_are_not_remembered():
    r = Refusals()
    memory = from_engine({"code": "limit_exceeded", "message": "no memory", "detail": {"limit": "worker memory"}})
    for e in (memory, DeadlineExceeded("late"), ValueError("x")):
        r.note("cpu", "k", e)
    r.check("cpu", "k")
    assert not r.errors


def test_at_most_kept_programs_are_remembered():
    r = Refusals(kept=3)
    for i in range(5):
        r.note("cpu", f"k{i}", build_refusal())
    assert [k for _, k in r.errors] == ["k2", "k3", "k4"]
    r.check("cpu", "k0")
    with pytest.raises(LimitExceeded):
        r.check("cpu", "k4")


def test_what_is_kept_is_clipped_as_answered():
    e = from_engine({"code": "limit_exceeded", "message": "took more than 10 steps at " + "f" * 100_000,
                     "detail": {"setting": "max_work", "limit": 10, "value": 11, "node": "g" * 100_000}})
    r = Refusals()
    r.note("cpu", "k", e)
    message, detail = r.errors["cpu", "k"]
    assert len(message) < 2_000 and len(detail["node"]) < 1_000 and detail["limit"] == "max_work"
