"""service.refusals: only build refusals by max_work / max_nodes are remembered (a memory or deadline failure can
pass next time), per pool and program, at most KEPT of them; RefusedWork, each client's account of the worker time
its refused builds took (a leaky bucket: times are given, no clock)."""
from __future__ import annotations

import pytest

from service.errors import DeadlineExceeded, LimitExceeded, from_engine
from service.refusals import KEPT, RefusedWork, Refusals


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


def test_note_says_whether_it_was_a_build_refusal():
    r = Refusals()
    assert r.note("cpu", "k", build_refusal()) is True
    assert r.note("cpu", "k2", DeadlineExceeded("late")) is False


def test_refused_work_waits_past_the_burst_and_drains_at_the_share():
    w = RefusedWork(share=0.25, burst=10.0)
    assert w.wait_s("a", 0.0) == 0.0
    w.charge("a", 8.0, 0.0)
    assert w.wait_s("a", 0.0) == 0.0  # within the burst
    w.charge("a", 6.0, 0.0)  # 14 owed, 4 past the burst: 4 / 0.25 = 16 s
    assert w.wait_s("a", 0.0) == pytest.approx(16.0)
    assert w.wait_s("a", 8.0) == pytest.approx(8.0)  # drained 2 of the 4
    assert w.wait_s("b", 0.0) == 0.0  # another client owes nothing
    assert w.wait_s("a", 16.0) == 0.0
    assert w.wait_s("a", 100.0) == 0.0 and "a" not in w.level  # drained to nothing: forgotten


def test_refused_work_share_0_never_waits():
    w = RefusedWork(share=0.0, burst=1.0)
    w.charge("a", 1e6, 0.0)
    assert w.wait_s("a", 0.0) == 0.0 and not w.level


def test_refused_work_forgets_drained_accounts_past_kept():
    w = RefusedWork(share=1.0, burst=1.0)
    for i in range(KEPT + 1):
        w.charge(f"c{i}", 1.0, float(i))  # each drained a second after its charge
    assert len(w.level) <= 2


def test_recycles_halve_a_clients_burst_and_are_forgotten_one_a_minute():
    """Round 29: a cancel loop's fifth recycle leaves it 120 / 2**5 = 3.75 s of burst (was 120: two minutes of a
    worker restarting); a client recycling a worker now and then keeps most of it."""
    w = RefusedWork(share=0.5, burst=120.0)
    for i in range(5):
        w.recycle("loop", 1.0, 0.0)  # 1 s of worker (the job and its restart) each
    assert w.burst_of("loop", 0.0) == pytest.approx(3.75)
    assert w.wait_s("loop", 0.0) == pytest.approx((5.0 - 3.75) / 0.5)  # 5 owed, 1.25 past the burst
    assert w.burst_of("other", 0.0) == 120.0 and w.wait_s("other", 0.0) == 0.0
    assert w.burst_of("loop", 120.0) == pytest.approx(120.0 / 2 ** 3)  # two of the five forgotten
    w.recycle("now_and_then", 1.0, 0.0)
    assert w.wait_s("now_and_then", 0.0) == 0.0 and w.burst_of("now_and_then", 0.0) == 60.0
    w.recycle("now_and_then", 1.0, 60.0)  # a minute on: the first forgotten
    assert w.burst_of("now_and_then", 60.0) == 60.0
    assert w.burst_of("now_and_then", 600.0) == 120.0 and "now_and_then" not in w.recycled


def test_recycles_with_share_0_never_wait():
    w = RefusedWork(share=0.0, burst=1.0)
    w.recycle("a", 1e6, 0.0)
    assert w.wait_s("a", 0.0) == 0.0 and not w.recycled
