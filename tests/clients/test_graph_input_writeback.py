"""GRAPH_MODE write-back of `x += v` on a construct / @jit argument under a traced `if` and before an early
return (ops/_inplace._augmented on an `if` side, _branches.run_if's `_keeping`, _trace.note_if / freeze_inputs).

Expected values: MindSpore 2.10 CPU, GRAPH_MODE, the same Cells and functions, float32 scalars (probes
/work/scratch_writeback/w1.py, w2.py, w3.py; ReturnFirstInIf: the lead's probe): (output, the caller's Tensors after the call). MindSpore writes an
input's final value back when the write is under an `if` whose condition reads that input, or the input was
written before the `if`; a first write under an `if` on another value (`if y < 0: x += 10`) is seen by the
construct's output only, and later writes of that input do not land either. `x = x + 10` (rebinding) never
writes back."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, jit, nn


class IfOnX(nn.Cell):
    def construct(self, x):
        if x < 0:
            x += 10
        return x


class IfElse(nn.Cell):
    def construct(self, x):
        if x < 0:
            x += 10
        else:
            x -= 100
        return x * 2


class NestedIfs(nn.Cell):
    def construct(self, x):
        if x < 0:
            x += 10
            if x > 5:
                x *= 3
        return x + 0


class AroundIf(nn.Cell):
    def construct(self, x):
        x += 1
        if x < 0:
            x += 10
        x += 1
        return x + 0


class Rebind(nn.Cell):
    def construct(self, x):
        if x < 0:
            x = x + 10
        return x


class TwoArgs(nn.Cell):
    def construct(self, x, y):
        if x < 0:
            x += 10
            y += 1
        return x + y


class OnOther(nn.Cell):
    def construct(self, x, y):
        if y < 0:
            x += 10
        return x * 1


class OnOtherThenWrite(nn.Cell):
    def construct(self, x, y):
        if y < 0:
            x += 10
        x += 1
        return x * 1


class WrittenBefore(nn.Cell):
    def construct(self, x, y):
        x += 1
        if y < 0:
            x += 10
        return x * 1


class ReturnInWhile(nn.Cell):
    def construct(self, x):
        out = x
        while x < 5:
            out = out + x
            if x > 1:
                return out
            x += 1
        return x


class ReturnInFor(nn.Cell):
    def construct(self, x):
        for _ in range(4):
            x += 1
            if x > 0:
                return x
        return x


class ReturnInIf(nn.Cell):
    def construct(self, x):
        x += 1
        if x < 0:
            x += 5
            return x * 1
        x += 100
        return x * 1


class ReturnFirstInIf(nn.Cell):
    def construct(self, x):
        if x < 0:
            x += 5
            return x * 1
        x += 100
        return x * 1


class WhileBreak(nn.Cell):
    def construct(self, x):
        while x < 10:
            x += 3
            if x > 0:
                break
        return x * 1


class IfInWhile(nn.Cell):
    def construct(self, x):
        i = 0
        while i < 3:
            if x < 0:
                x += 2
            i += 1
        return x * 1


class WithParameter(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = Parameter(Tensor(1.0, ms.float32), name="p")

    def construct(self, x):
        if x < 0:
            self.p += 5
            x += 10
        return x * self.p


CASES = [  # (Cell, arguments, MindSpore 2.10's output, its caller's arguments after)
    (IfOnX, (-3.0,), 7.0, (7.0,)), (IfOnX, (3.0,), 3.0, (3.0,)),
    (IfElse, (-3.0,), 14.0, (7.0,)), (IfElse, (3.0,), -194.0, (-97.0,)),
    (NestedIfs, (-3.0,), 21.0, (21.0,)), (NestedIfs, (-9.0,), 1.0, (1.0,)),
    (AroundIf, (-3.0,), 9.0, (9.0,)), (AroundIf, (3.0,), 5.0, (5.0,)),
    (Rebind, (-3.0,), 7.0, (-3.0,)),
    (TwoArgs, (-3.0, 1.0), 9.0, (7.0, 1.0)), (TwoArgs, (3.0, 1.0), 4.0, (3.0, 1.0)),
    (OnOther, (1.0, -1.0), 11.0, (1.0, -1.0)),
    (OnOtherThenWrite, (1.0, -1.0), 12.0, (1.0, -1.0)), (OnOtherThenWrite, (1.0, 1.0), 2.0, (1.0, 1.0)),
    (WrittenBefore, (1.0, -1.0), 12.0, (12.0, -1.0)),
    (ReturnInWhile, (-3.0,), -6.0, (2.0,)), (ReturnInWhile, (2.0,), 4.0, (2.0,)),
    (ReturnInFor, (-3.0,), 1.0, (1.0,)), (ReturnInFor, (5.0,), 6.0, (6.0,)),
    (ReturnInIf, (-9.0,), -3.0, (-3.0,)), (ReturnInIf, (3.0,), 104.0, (104.0,)),
    (ReturnFirstInIf, (-10.0,), -5.0, (-5.0,)), (ReturnFirstInIf, (3.0,), 103.0, (103.0,)),
    (WhileBreak, (-5.0,), 1.0, (1.0,)),
    (IfInWhile, (-5.0,), 1.0, (1.0,)), (IfInWhile, (5.0,), 5.0, (5.0,)),
]


@pytest.mark.parametrize("net, args, out, after", CASES, ids=lambda v: getattr(v, "__name__", None))
def test_graph_mode_writes_back_what_mindspore_does(fake, graph_mode, net, args, out, after):
    xs = [Tensor(a, ms.float32) for a in args]
    assert float(net()(*xs).asnumpy()) == out
    assert tuple(float(t.asnumpy()) for t in xs) == after


def test_a_parameter_and_an_input_written_in_one_side(fake, graph_mode):
    net, x = WithParameter(), Tensor(-3.0, ms.float32)
    assert float(net(x).asnumpy()) == 42.0  # MindSpore 2.10: 42, x 7, p 6
    assert float(x.asnumpy()) == 7.0 and float(net.p.asnumpy()) == 6.0


@jit
def jit_if(x):
    if x < 0:
        x += 10
    return x * 1


@jit
def jit_two(x, y):
    if x < 0:
        x += 10
        y += 1
    return x + y


@jit
def jit_return_in_for(x):
    for _ in range(4):
        x += 1
        if x > 0:
            return x
    return x


@pytest.mark.parametrize("fn, args, out, after", [
    (jit_if, (-3.0,), 7.0, (7.0,)), (jit_if, (5.0,), 5.0, (5.0,)),
    (jit_two, (-3.0, 1.0), 9.0, (7.0, 1.0)),
    (jit_return_in_for, (-3.0,), 1.0, (1.0,)), (jit_return_in_for, (5.0,), 6.0, (6.0,)),
], ids=lambda v: getattr(v, "__name__", None))
def test_jit_function_writes_back_what_mindspore_does(fake, graph_mode, fn, args, out, after):
    xs = [Tensor(a, ms.float32) for a in args]
    assert float(fn(*xs).asnumpy()) == out  # (MindSpore 2.10's, see the module's docstring)
    assert tuple(float(t.asnumpy()) for t in xs) == after


def test_vector_input_under_nested_ifs(fake, graph_mode):
    """NestedAug: `x += 1; if x.sum() > 3: x *= y; if y.sum() > 0: y += x` at x = [1, 2], y = [0.5, 1]: MindSpore
    2.10 gives [3.5, 10], x [1, 3] and leaves y (its write sits under an `if` on x, y not written before it)."""
    class NestedAug(nn.Cell):
        def construct(self, x, y):
            x += 1
            if x.sum() > 3:
                x *= y
                if y.sum() > 0:
                    y += x
            else:
                x -= y
            return x * 2 + y

    x, y = Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([0.5, 1.0], np.float32))
    np.testing.assert_array_equal(NestedAug()(x, y).asnumpy(), [3.5, 10.0])
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 3.0])
    np.testing.assert_array_equal(y.asnumpy(), [0.5, 1.0])
