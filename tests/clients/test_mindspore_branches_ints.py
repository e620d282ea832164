"""`if` on traced values whose branches return values read from outside them, several `if`s in one
function, and integer gradients through a branch. Expected values by hand (the derivative of a
selected input is 1 where it is selected, 0 elsewhere; d cast(i) * w / di = w cast back to int)."""
import itertools

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops


def pick(c, pair):
    if c > 0:
        return pair[0]
    return pair[1]


class TwoIfs(nn.Cell):
    def construct(self, x, y, z):
        return pick(x, (z, x)), pick(y, (y, z))


def expected(x, y):
    """(outputs' selections) -> d(out1 + out2)/d(x, y, z)."""
    return [float(x <= 0), float(y > 0), float(x > 0) + float(y <= 0)]


@pytest.mark.parametrize("x, y", list(itertools.product([2.0, -1.0], [3.0, -3.0])))
def test_two_ifs_returning_outer_values(on_real_server, x, y):
    z = 0.5
    args = [Tensor(np.float32(v)) for v in (x, y, z)]
    out = TwoIfs()(*args)
    assert [float(o.asnumpy()) for o in out] == [z if x > 0 else x, y if y > 0 else z]
    grads = ops.GradOperation(get_all=True)(TwoIfs())(*args)
    assert [float(g.asnumpy()) for g in grads] == expected(x, y)


@pytest.mark.parametrize("x, y", [(2, -3), (-2, 3)])
def test_integer_gradients_through_branches(on_real_server, x, y):
    args = [Tensor(v, gs.int32) for v in (x, y, 0)]
    grads = ops.GradOperation(get_all=True)(TwoIfs())(*args)
    assert all(g.dtype == gs.int32 for g in grads)
    assert [int(g.asnumpy()) for g in grads] == [int(e) for e in expected(x, y)]


def test_integer_gradient_through_a_cast_in_a_branch(on_real_server):
    class Net(nn.Cell):
        def construct(self, i, w):
            if w > 0:
                return ops.cast(i, gs.float32) * w
            return w

    gi, gw = ops.GradOperation(get_all=True)(Net())(Tensor(3, gs.int32), Tensor(np.float32(2.5)))
    assert gi.dtype == gs.int32 and int(gi.asnumpy()) == 2  # dout * w = 2.5, cast back to int32
    assert float(gw.asnumpy()) == 3.0


def test_int_cast_passes_the_gradient_inside_a_branch_as_outside(on_real_server):
    """MindSpore's Cast rule passes dout back cast to the input's dtype, so float -> int -> float
    carries the gradient: d/dw (2 * float(int(w)) + w) = 2 + 1, the same inside a branch."""
    def body(w):
        return ops.cast(ops.cast(w, gs.int32), gs.float32) * 2.0 + w

    def f(w):
        if w > 0:
            return body(w)
        return w

    w = Tensor(np.float32(2.5))
    assert float(ops.grad(body)(w).asnumpy()) == 3.0
    assert float(ops.grad(f)(w).asnumpy()) == 3.0
