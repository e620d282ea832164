"""GRAPH_MODE in-place writes to a traced program's input land in the caller's Tensor (_trace.trace_program,
ops/_inplace.py).

Expected values: MindSpore 2.10 CPU run in /work/wt/_msvenv, GRAPH_MODE, with the same Cells at
x=[1,2,3] (y=[10,20,30]):
- `x.add_(y); return x*2` gives [22,44,66] and the caller's x becomes [11,22,33]; `x.copy_(z)` writes z back;
  `x.mul_(3); return x-1` on an int32 x gives [2,5,8] and x [3,6,9], a second call [8,17,26] and x [9,18,27].
- `x[0] = v` does NOT write back (x stays [1,2,3], construct sees [9,2,3]); `x.add_(1); x[0] = 9` leaves the
  caller's x at [2,3,4] (the value before the item assignment); `x[0] = 9; x.add_(1)` leaves it [1,2,3].
- `@jit def f(x): x.add_(1); return x*2` gives [4,6,8] and x [2,3,4].
- ops.grad / value_and_grad(grad_position=(0, 1)) of `x.mul_(y); return (x*x).sum()` give 9800 and the gradients
  [200,1600,5400], [20,160,540] (those of (x*y)^2 summed) and the caller's x becomes [10,40,90], y unchanged;
  ops.grad of `x.add_(1); return x.sum()` gives [1,1,1], x [2,3,4], and [3,4,5] after a second call.
- Augmented assignment is in place in GRAPH_MODE: `z = x; x += 5; return z*1` gives [6,7,8] and x [6,7,8];
  `x -= 1; x /= 2` gives x [0,0.5,1]; an int32 x `+= 1.5` gives [2,3,4] (int32 kept); `x //= 2; x %= 3; x **= 2`
  at x=[5,7,9] gives [4,0,1] and x [2,0,1] (`**=` is not in place); `x = x + 5; x.add_(1)` leaves x alone.
  In PYNATIVE_MODE the same `x += 5` Cell gives [6,7,8] and leaves x [1,2,3]; a jit function `x += 1;
  return x*1` writes x back ([2,3,4]) in both modes.
- A Cell that writes nothing leaves x alone (by hand)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, jit, nn, ops


def _f32(*v):
    return Tensor(np.array(v, np.float32))


class AddNet(nn.Cell):
    def construct(self, x, y):
        x.add_(y)
        return x * 2


class CopyNet(nn.Cell):
    def construct(self, x, z):
        x.copy_(z)
        return x + 1


class MulNet(nn.Cell):
    def construct(self, x):
        x.mul_(3)
        return x - 1


class SetNet(nn.Cell):
    def construct(self, x, v):
        x[0] = v
        return x.sum()


class AddThenSet(nn.Cell):
    def construct(self, x):
        x.add_(1)
        x[0] = 9.0
        return x * 1


class SetThenAdd(nn.Cell):
    def construct(self, x):
        x[0] = 9.0
        x.add_(1)
        return x * 1


class Pure(nn.Cell):
    def construct(self, x):
        return x * 2


def test_cell_writes_its_input_back(fake):
    ms.set_context(mode=ms.GRAPH_MODE)
    x, y = _f32(1, 2, 3), _f32(10, 20, 30)
    out = AddNet()(x, y)
    np.testing.assert_array_equal(out.asnumpy(), [22, 44, 66])
    np.testing.assert_array_equal(x.asnumpy(), [11, 22, 33])
    np.testing.assert_array_equal(y.asnumpy(), [10, 20, 30])
    x = _f32(1, 2, 3)
    np.testing.assert_array_equal(CopyNet()(x, _f32(7, 8, 9)).asnumpy(), [8, 9, 10])
    np.testing.assert_array_equal(x.asnumpy(), [7, 8, 9])


def test_repeated_calls_accumulate_and_keep_dtype(fake):
    ms.set_context(mode=ms.GRAPH_MODE)
    x = Tensor(np.array([1, 2, 3], np.int32))
    net = MulNet()
    np.testing.assert_array_equal(net(x).asnumpy(), [2, 5, 8])
    np.testing.assert_array_equal(x.asnumpy(), [3, 6, 9])
    np.testing.assert_array_equal(net(x).asnumpy(), [8, 17, 26])  # the cached program, fed the new x
    np.testing.assert_array_equal(x.asnumpy(), [9, 18, 27])
    assert x.dtype == ms.int32


def test_jit_function_writes_its_input_back(fake):
    @jit
    def f(x):
        x.add_(1)
        return x * 2

    x = _f32(1, 2, 3)
    np.testing.assert_array_equal(f(x).asnumpy(), [4, 6, 8])
    np.testing.assert_array_equal(x.asnumpy(), [2, 3, 4])


def test_a_program_that_writes_nothing_has_no_extra_outputs(fake):
    ms.set_context(mode=ms.GRAPH_MODE)
    x = _f32(1, 2, 3)
    net = Pure()
    np.testing.assert_array_equal(net(x).asnumpy(), [2, 4, 6])
    np.testing.assert_array_equal(x.asnumpy(), [1, 2, 3])
    (prog,) = net._gs_programs.values()
    assert prog.n_extra == 0 and prog.written_inputs == []


class MulSquare(nn.Cell):
    def construct(self, x, y):
        x.mul_(y)
        return (x * x).sum()


class AddSum(nn.Cell):
    def construct(self, x):
        x.add_(1)
        return x.sum()


def test_grad_of_a_net_writing_its_input(fake):
    ms.set_context(mode=ms.GRAPH_MODE)
    x, y = _f32(1, 2, 3), _f32(10, 20, 30)
    gx, gy = ops.grad(MulSquare(), grad_position=(0, 1))(x, y)
    np.testing.assert_allclose(gx.asnumpy(), [200, 1600, 5400], rtol=1e-6)
    np.testing.assert_allclose(gy.asnumpy(), [20, 160, 540], rtol=1e-6)
    np.testing.assert_array_equal(x.asnumpy(), [10, 40, 90])
    np.testing.assert_array_equal(y.asnumpy(), [10, 20, 30])
    x = _f32(1, 2, 3)
    value, (gx, gy) = ops.value_and_grad(MulSquare(), grad_position=(0, 1))(x, y)
    np.testing.assert_allclose(value.asnumpy(), 9800, rtol=1e-6)
    np.testing.assert_allclose(gx.asnumpy(), [200, 1600, 5400], rtol=1e-6)
    np.testing.assert_array_equal(x.asnumpy(), [10, 40, 90])


def test_grad_writes_back_on_every_call(fake):
    ms.set_context(mode=ms.GRAPH_MODE)
    g = ops.grad(AddSum())
    x = _f32(1, 2, 3)
    np.testing.assert_array_equal(g(x).asnumpy(), [1, 1, 1])  # the derivative of the write is not doubled
    np.testing.assert_array_equal(x.asnumpy(), [2, 3, 4])
    g(x)
    np.testing.assert_array_equal(x.asnumpy(), [3, 4, 5])


class AliasAugmented(nn.Cell):
    def construct(self, x):
        z = x
        x += 5
        return z * 1


class SubDiv(nn.Cell):
    def construct(self, x):
        x -= 1
        x /= 2
        return x * 1


class IntAdd(nn.Cell):
    def construct(self, x):
        x += 1.5
        return x * 1


class FloorModPow(nn.Cell):
    def construct(self, x):
        x //= 2
        x %= 3
        x **= 2
        return x * 1


class Rebound(nn.Cell):
    def construct(self, x):
        x = x + 5
        x.add_(1)
        return x * 1


def _i32(*v):
    return Tensor(np.array(v, np.int32))


# GRAPH_MODE: the Cell, its inputs (x first, made per run: the Cell may write x), its output, the caller's x after
GRAPH_MODE_WRITES = {
    "item_assignment_not_written_back": (SetNet, lambda: (_f32(1, 2, 3), Tensor(9.0, ms.float32)), 14, [1, 2, 3]),
    "add_then_item_assignment": (AddThenSet, lambda: (_f32(1, 2, 3),), [9, 3, 4], [2, 3, 4]),
    "item_assignment_then_add": (SetThenAdd, lambda: (_f32(1, 2, 3),), [10, 3, 4], [1, 2, 3]),
    "augmented_through_an_alias": (AliasAugmented, lambda: (_f32(1, 2, 3),), [6, 7, 8], [6, 7, 8]),
    "augmented_sub_div": (SubDiv, lambda: (_f32(1, 2, 3),), [0, 0.5, 1], [0, 0.5, 1]),
    "augmented_int_keeps_its_dtype": (IntAdd, lambda: (_i32(1, 2, 3),), [2, 3, 4], [2, 3, 4]),
    "augmented_floordiv_mod_pow": (FloorModPow, lambda: (_f32(5, 7, 9),), [4, 0, 1], [2, 0, 1]),
    "rebound_then_add_leaves_x": (Rebound, lambda: (_f32(1, 2, 3),), [7, 8, 9], [1, 2, 3]),
}


@pytest.mark.parametrize("case", list(GRAPH_MODE_WRITES))
def test_graph_mode_writes_back_in_place_writes_only(fake, case):
    """In-place methods and augmented assignment write back; item assignment and a rebound name do not."""
    cell, make, out, after = GRAPH_MODE_WRITES[case]
    ms.set_context(mode=ms.GRAPH_MODE)
    args = make()
    x, dtype = args[0], args[0].dtype
    np.testing.assert_array_equal(cell()(*args).asnumpy(), out)
    np.testing.assert_array_equal(x.asnumpy(), after)
    assert x.dtype == dtype


def test_augmented_assignment_rebinds_in_pynative(fake):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    x = _f32(1, 2, 3)
    np.testing.assert_array_equal(AliasAugmented()(x).asnumpy(), [1, 2, 3])  # z: the old x (no alias write)
    np.testing.assert_array_equal(x.asnumpy(), [1, 2, 3])


def test_jit_augmented_assignment_is_in_place_in_both_modes(fake):
    @jit
    def f(x):
        x += 1
        return x * 1

    for mode in (ms.GRAPH_MODE, ms.PYNATIVE_MODE):
        ms.set_context(mode=mode)
        x = _f32(1, 2, 3)
        np.testing.assert_array_equal(f(x).asnumpy(), [2, 3, 4])
        np.testing.assert_array_equal(x.asnumpy(), [2, 3, 4])


def test_a_mode_change_retraces(fake):
    net = AliasAugmented()
    ms.set_context(mode=ms.PYNATIVE_MODE)
    x = _f32(1, 2, 3)
    np.testing.assert_array_equal(net(x).asnumpy(), [1, 2, 3])
    ms.set_context(mode=ms.GRAPH_MODE)  # the trace made in PyNative (x += 5 rebinding) is not reused
    np.testing.assert_array_equal(net(x).asnumpy(), [6, 7, 8])
    np.testing.assert_array_equal(x.asnumpy(), [6, 7, 8])


class SquareAfterAdd(nn.Cell):
    def construct(self, x):
        x.add_(1)
        return x * x


def test_vjp_writes_back_once_and_differentiates_where_the_forward_ran(on_real_server):
    """ops.vjp runs the forward once (the caller's x written back once, as ops.grad does above); each vjp_fn(v) is
    the backward at the inputs the forward saw: d/dx (x+1)^2 = 2(x+1) at x=[1,2,3] is [4,6,8] (by hand), and
    the caller's x stays [2,3,4] however often vjp_fn runs."""
    ms.set_context(mode=ms.GRAPH_MODE)
    x = _f32(1, 2, 3)
    out, vjp_fn = ops.vjp(SquareAfterAdd(), x)
    np.testing.assert_allclose(out.asnumpy(), [4, 9, 16])
    np.testing.assert_allclose(x.asnumpy(), [2, 3, 4])
    for _ in range(2):
        (g,) = vjp_fn(ops.ones_like(out))
        np.testing.assert_allclose(g.asnumpy(), [4, 6, 8])
        np.testing.assert_allclose(x.asnumpy(), [2, 3, 4])
