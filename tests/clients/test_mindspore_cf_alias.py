"""MindSpore's own control-flow tests that gave a wrong number or failed to build (tests/st/compiler/control/inner
of mindspore-ai/mindspore_test), and the write-back rule behind the first.

Expected values: MindSpore 2.10 CPU (/work/msvenv), GRAPH_MODE unless said, int32 scalars:
- test_330_for_after_for_in_if's Cell (`out = self.param_a`; `if self.param_a > self.param_b:` around a for loop
  of `self.param_a += 1; self.param_b -= 3`; `self.param_b += 10`; five `x += self.param_b`; `out *= x`) at x=5
  gives 135 and GradOperation(get_all=True) (9,), in both modes, and the caller's x stays 5 (so the PyNative run
  after the graph runs, fed the same x, gives 135 too).
- The rule (MindSpore 2.10 GRAPH_MODE, x=5, param_a=5, param_b=4): `x += self.param_b` writes back into the
  caller's x (x becomes 9) unless an `if` whose condition reads no argument runs before x's first in-place write:
  `if self.param_a > self.param_b: self.param_a += 1` then five `x += self.param_b` returns 25, x stays 5;
  `if self.param_a > 3: y = 1` then `if x > 3: y = 2` then `x += 10`: 15, x stays 5; such an `if` inside a
  `for` loop: 15, x stays 5. An `if x > self.param_a:` (reads x) changes nothing: 9, x 9; `x += 1` before the
  parameter-only `if` and `x += 10` after it: 16, x 16 (written back).
- test_break_continue.py::test_if_after_for_in_for_break: 106 and gradient (16,) at x=2."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn
from gradserve import dtype as mstype
from gradserve.ops import composite as C

grad_all = C.GradOperation(get_all=True)


def _i32(v):
    return Tensor(v, mstype.int32)


class _Two(nn.Cell):
    def __init__(self, a=5, b=4):
        super().__init__()
        self.param_a = Parameter(_i32(a), name="a")
        self.param_b = Parameter(_i32(b), name="b")


class ForAfterForInIf(_Two):
    def construct(self, x):
        out = self.param_a
        if self.param_a > self.param_b:
            for _ in range(0, 4):
                self.param_a += 1
                self.param_b -= 3
        self.param_b += 10
        for _ in range(0, 5):
            x += self.param_b
        out *= x
        return out


class GradNet(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def construct(self, *inputs):
        return grad_all(self.net)(*inputs)


@pytest.mark.parametrize("mode", ["GRAPH_MODE", "PYNATIVE_MODE"])
def test_330_for_after_for_in_if(fake, mode):
    ms.set_context(mode=getattr(ms, mode))
    x = _i32(5)
    assert int(ForAfterForInIf()(x).asnumpy()) == 135
    (g,) = GradNet(ForAfterForInIf())(x)
    assert int(g.asnumpy()) == 9
    assert int(x.asnumpy()) == 5


def test_330_graph_then_pynative_on_the_same_x(fake):
    x = _i32(5)
    ms.set_context(mode=ms.GRAPH_MODE)
    graph = int(ForAfterForInIf()(x).asnumpy()), int(GradNet(ForAfterForInIf())(x)[0].asnumpy())
    ms.set_context(mode=ms.PYNATIVE_MODE)
    pynative = int(ForAfterForInIf()(x).asnumpy()), int(GradNet(ForAfterForInIf())(x)[0].asnumpy())
    assert graph == pynative == (135, 9)


class IfOnParamThenLoop(_Two):
    def construct(self, x):
        if self.param_a > self.param_b:
            self.param_a += 1
        for _ in range(0, 5):
            x += self.param_b
        return x


class TwoIfsThenWrite(_Two):
    def construct(self, x):
        if self.param_a > 3:
            y = 1
        if x > 3:
            y = 2
        x += 10
        return x


class IfInLoopThenWrite(_Two):
    def construct(self, x):
        for _ in range(3):
            if self.param_a > 3:
                y = 1
        x += 10
        return x


class IfReadingXThenWrite(_Two):
    def construct(self, x):
        if x > self.param_a:
            y = 1
        x += self.param_b
        return x


class WriteIfWrite(_Two):
    def construct(self, x):
        x += 1
        if self.param_a > 3:
            y = 1
        x += 10
        return x


class WriteThenIf(_Two):
    def construct(self, x):
        x += self.param_b
        if self.param_a > self.param_b:
            self.param_a += 1
        return x


@pytest.mark.parametrize("cell, out, x_after", [
    (IfOnParamThenLoop, 25, 5), (TwoIfsThenWrite, 15, 5), (IfInLoopThenWrite, 15, 5),
    (IfReadingXThenWrite, 9, 9), (WriteIfWrite, 16, 16), (WriteThenIf, 9, 9)])
def test_write_back_after_an_if_on_parameters_only(fake, cell, out, x_after):
    ms.set_context(mode=ms.GRAPH_MODE)
    x = _i32(5)
    assert int(cell()(x).asnumpy()) == out
    assert int(x.asnumpy()) == x_after


class IfAfterForInForBreak(nn.Cell):
    def __init__(self):
        super().__init__()
        self.param_a = Parameter(_i32(5), name="a")
        self.param_b = Parameter(_i32(2), name="b")

    def construct(self, x):
        out = x + self.param_a
        for _ in range(0, 10):
            x *= 2
            if self.param_a % 2 == 0:
                self.param_a += 1
                continue
            for _ in range(0, 5):
                self.param_a += 1
                x += self.param_b
                if x > 10:
                    break
            if x > 100:
                return x
        if self.param_a > self.param_b:
            out += x
        return out


def test_if_after_for_in_for_break(fake):
    ms.set_context(mode=ms.GRAPH_MODE)
    assert int(IfAfterForInForBreak()(_i32(2)).asnumpy()) == 106
    (g,) = GradNet(IfAfterForInForBreak())(_i32(2))
    assert int(g.asnumpy()) == 16
