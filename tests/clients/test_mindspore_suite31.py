"""Sample seed 31 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 31").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (GRAPH_MODE, @jit); the
call that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, jit, nn
from gradserve.common import mutable
from gradserve.ops import functional as F
from gradserve.ops.function.array_func import new_ones, new_zeros


@pytest.fixture
def graph_mode():
    old = context.get_context("mode")
    context.set_context(mode=context.GRAPH_MODE)
    yield
    context.set_context(mode=old)


def _unknown(seq):
    return F.is_sequence_value_unknown(seq), F.is_sequence_shape_unknown(seq)


def test_lists_holding_traced_values_are_value_unknown(on_real_server, graph_mode):
    # tests/ut/python/dynamic_sequence/test_dynamic_sequence_mul.py (all False before).
    # MindSpore 2.10, jit with x = Tensor([1]): [x, x + 1] -> (True, False); [x, 1] True; (x, x) True;
    # [1, 2] False; [x, x + 1, x + 2] + [1] -> (True, False); its slice [0:2] value-unknown True
    @jit
    def f(x):
        a = [x, x + 1, x + 2]
        return (_unknown([x, x + 1]), F.is_sequence_value_unknown([x, 1]), F.is_sequence_value_unknown((x, x)),
                F.is_sequence_value_unknown([1, 2]), _unknown(a + [1]), F.is_sequence_value_unknown(a[0:2]))

    assert f(Tensor([1])) == ((True, False), True, True, False, (True, False), True)


def test_mutable_sequence_arithmetic_keeps_it_unknown(on_real_server, graph_mode):
    # MindSpore 2.10, jit: mutable([1, 2, 3, 4], True) * 5 -> (True, True), len 20; 2 * mutable([1, 2], True)
    # (True, True); mutable([1, 2]) * 2 (True, False); mutable((1, 2), True) * 2 (True, True), value (1, 2, 1, 2);
    # mutable([1, 2], True) + [3] (True, True) and its slice [0:1] shape-unknown True
    @jit
    def f():
        d = mutable([1, 2, 3, 4], True)
        r = d * 5
        t = mutable((1, 2), True) * 2
        return (_unknown(r), len(r), _unknown(2 * mutable([1, 2], True)), _unknown(mutable([1, 2]) * 2),
                _unknown(t), t, _unknown(mutable([1, 2], True) + [3]),
                F.is_sequence_shape_unknown(mutable([1, 2], True)[0:1]))

    got = f()
    assert got[:4] == ((True, True), 20, (True, True), (True, False))
    assert got[4] == (True, True) and tuple(got[5]) == (1, 2, 1, 2)
    assert got[6:] == ((True, True), True)


def test_mutable_count_makes_the_product_dynamic_length(on_real_server, graph_mode):
    # MindSpore 2.10, jit: mutable([1, 2, 3, 4], True) * x with x = mutable(5) -> (True, True)
    @jit
    def f(x):
        return _unknown(mutable([1, 2, 3, 4], True) * x)

    assert f(mutable(5)) == (True, True)


def test_pynative_knows_every_sequence(on_real_server):
    # outside a trace nothing is unknown (and the plain result is kept)
    r = mutable([1, 2], True) * 2
    assert _unknown(r) == (False, False) and list(r) == [1, 2, 1, 2]


def test_mutable_index_out_of_range_is_a_value_error(on_real_server, graph_mode):
    # MindSpore 2.10, jit m[index] with m = mutable([1, 2]), index = mutable(5):
    # ValueError "For RealTupleGetItem, index is out of range: [-2, 2), but got 5." (was IndexError)
    @jit
    def f(m, index):
        return m[index]

    with pytest.raises(ValueError, match=r"index is out of range: \[-2, 2\), but got 5"):
        f(mutable([1, 2]), mutable(5))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_array_func_new_ones_and_grad(on_real_server, mode):
    # tests/st/ops/test_ops_new_ones.py (13 items: not implemented before). MindSpore 2.10:
    # new_ones(x, 3) -> [1. 1. 1.]; new_ones(x, (2, 2), dtype=int32) -> int32 ones; grad wrt x: zeros of x's shape;
    # new_zeros(float16 x, (1, 2)) -> [[0. 0.]] float16
    context.set_context(mode=mode)
    x = Tensor(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(new_ones(x, 3).asnumpy(), np.ones(3, np.float32))
    out = new_ones(x, (2, 2), dtype=ms.int32)
    assert out.dtype == ms.int32 and out.asnumpy().tolist() == [[1, 1], [1, 1]]
    g = ms.grad(lambda t: new_ones(t, (2,)), (0,))(x)
    np.testing.assert_array_equal(g.asnumpy(), np.zeros((2, 3), np.float32))
    z = new_zeros(Tensor(np.ones(2, np.float16)), (1, 2))
    assert z.dtype == ms.float16 and z.asnumpy().tolist() == [[0.0, 0.0]]
    with pytest.raises(TypeError, match="new_ones"):
        new_ones(np.ones(2), 2)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_tensor_bitwise_shift_methods(on_real_server, mode):
    # tests/st/tensor/test_bitwise_left_right_shift.py (AttributeError before). MindSpore 2.10:
    # Tensor([1, -3, 200], int32).bitwise_left_shift([2, 1, 30]) -> [4 -6 0]; .bitwise_right_shift(2) -> [0 -1 50]
    context.set_context(mode=mode)

    class Shifts(nn.Cell):
        def construct(self, x, y):
            return x.bitwise_left_shift(y), x.bitwise_right_shift(2)

    x = Tensor(np.array([1, -3, 200], np.int32))
    left, right = Shifts()(x, Tensor(np.array([2, 1, 30], np.int32)))
    assert left.dtype == ms.int32 and right.dtype == ms.int32
    assert left.asnumpy().tolist() == [4, -6, 0] and right.asnumpy().tolist() == [0, -1, 50]
