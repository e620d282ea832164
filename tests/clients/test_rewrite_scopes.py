"""The control-flow rewrite (gradserve._rewrite) keeps Python's scopes and traces an `if` once.

- Item assignment to a global's or a closure's container (`STATS["n"] += 1`, `cnt[0] = ...`) inside a function
  traced by grad stays Python's: the rewrite once bound the name locally (UnboundLocalError). MindSpore 2.10
  (PyNative, ops.grad of such an f at ones(3)): gradient [2, 2, 2] and STATS {'n': 1}.
- An `if` whose side holds a loop with its own `break` is a cond of one trace per side: the rewrite once left
  it Python's, so every such `if` on a traced flag re-ran the whole function per side (MindSpore's
  test_if_after_for_in_for_break: 116 runs of construct and ~20 s on CI; then 3, now 1).
- A name a side assigns that nothing reads (`for _ in range(5)` in a side) is no output of the cond (two
  sides' different loop counters had become a traced value, and a graph refused joining it with a number).
"""
import numpy as np

from gradserve import Tensor, nn, ops
from gradserve import dtype as mstype

from .test_mindspore_cf_alias import GradNet, IfAfterForInForBreak

STATS = {"n": 0}


def _scaled_sum(x):
    STATS["n"] += 1
    return (x * 2).sum()


def test_a_globals_item_written_in_a_traced_function_stays_the_global(fake, pynative):
    STATS["n"] = 0
    g = ops.grad(_scaled_sum)(Tensor(np.ones(3, np.float32)))
    np.testing.assert_array_equal(g.asnumpy(), [2, 2, 2])
    assert STATS["n"] >= 1  # (run at least once: by the trace)


def test_a_closures_item_written_in_a_traced_function_stays_the_closures(fake, pynative):
    cnt = [0]

    def f(x):
        cnt[0] = cnt[0] + 1
        return (x * 3).sum()

    g = ops.grad(f)(Tensor(np.ones(3, np.float32)))
    np.testing.assert_array_equal(g.asnumpy(), [3, 3, 3])
    assert cnt[0] >= 1


class _Breaks(IfAfterForInForBreak):
    """MindSpore's test_if_after_for_in_for_break (tests/st/compiler/control), counting its runs."""

    def __init__(self):
        super().__init__()
        self.runs = 0

    def construct(self, x):
        self.runs += 1
        return super().construct(x)


def test_an_if_around_a_loop_with_a_break_is_traced_once_a_side(fake, graph_mode):
    net = _Breaks()
    assert int(net(Tensor(2, mstype.int32)).asnumpy()) == 106  # MindSpore 2.10 CPU
    # one run for the trace: each `if` on a traced value inside is a cond traced once a side, and so is the
    # `if _gs_ret: return` the loop's `return x` leaves at its end (one exit: test_rewrite_returns; was 3 runs)
    assert net.runs == 1, net.runs

    (g,) = GradNet(_Breaks())(Tensor(2, mstype.int32))
    assert int(g.asnumpy()) == 16  # MindSpore 2.10 CPU


class _CountsUnread(nn.Cell):
    def construct(self, x):
        hits = 0
        for i in range(3):
            if x.sum() > i:
                hits += 1  # (augmented: the side reads hits, so it goes in)
                for _ in range(2):  # (a counter nothing reads: no output of the cond)
                    x = x * 2
        return x


def test_names_a_side_assigns_and_nothing_reads_join_no_cond(fake, graph_mode):
    x = np.array([0.5, 1.0], np.float32)  # sums 1.5, 6, 24 before the three `if`s: each true, x * 4 each
    np.testing.assert_allclose(_CountsUnread()(Tensor(x)).asnumpy(), x * 64)
    x = np.array([-1.0, 0.5], np.float32)  # sum -0.5: no side taken
    np.testing.assert_allclose(_CountsUnread()(Tensor(x)).asnumpy(), x)
