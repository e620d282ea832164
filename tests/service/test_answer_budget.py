"""service.answer_budget.UnsentAnswers with a stand-in for grpc's servicer context (its done callbacks run when the
call finishes): what a client may hold unsent, what is refused, and what a finished call gives back. The e2e
replay with a peer that grants no credit: tests/grpc/test_grpc_attacks_round8.py."""
from __future__ import annotations

import pytest

from service.answer_budget import COUNTED, UnsentAnswers
from service.errors import Overloaded

MiB = 1 << 20


class Call:
    """A call's context: add_done_callback, and `finish` as grpc runs the callbacks once the call is over."""

    def __init__(self):
        self.callbacks = []

    def add_done_callback(self, cb):
        self.callbacks.append(cb)

    def finish(self):
        for cb in self.callbacks:
            cb(self)


def test_answers_past_the_limit_and_new_jobs_are_refused_until_calls_finish():
    u = UnsentAnswers(4 * MiB, retry_after=2)
    calls = [Call() for _ in range(4)]
    for c in calls:
        u.hold(c, "a", MiB)  # 4 x 1 MiB: exactly the limit
    with pytest.raises(Overloaded) as e:
        u.hold(Call(), "a", MiB)
    assert "grpc_unsent_answer_bytes" in e.value.message and e.value.retry_after == 2
    assert e.value.detail["unsent_bytes"] == 4 * MiB and e.value.detail["answer_bytes"] == MiB
    with pytest.raises(Overloaded, match="grpc_unsent_answer_bytes"):
        u.check("a")
    u.check("b")  # another client is not held back
    u.hold(Call(), "b", MiB)
    calls[0].finish()
    u.check("a")  # 3 MiB held now
    u.hold(Call(), "a", MiB)
    for c in calls[1:]:
        c.finish()
    assert u.held == {"a": MiB, "b": MiB}


def test_one_answer_above_the_limit_is_sent_when_nothing_else_is_held():
    u = UnsentAnswers(4 * MiB)
    big = Call()
    u.hold(big, "a", 6 * MiB)
    with pytest.raises(Overloaded):
        u.hold(Call(), "a", COUNTED)
    big.finish()
    assert u.held == {}


def test_small_answers_and_a_zero_limit_count_nothing():
    u = UnsentAnswers(4 * MiB)
    c = Call()
    u.hold(c, "a", COUNTED - 1)
    assert u.held == {} and c.callbacks == []
    off = UnsentAnswers(0)
    for _ in range(10):
        off.hold(Call(), "a", 100 * MiB)
    off.check("a")
    assert off.held == {}
