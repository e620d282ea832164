"""Integer values carry gradients as in MindSpore (integer gradients of integer inputs and
Parameters; dout passed back through a Cast to an integer dtype). Expected values by hand:
d(a*b)/da = b, d(cast(x)*3)/dx = 3."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, Tensor, mint, nn, ops


def f32(v):
    return Tensor(np.asarray(v, np.float32))


def i32(v):
    return Tensor(np.asarray(v, np.int32))


def test_cast_to_int_passes_dout_back(fake):
    g = ops.grad(lambda x: ops.cast(x, gs.int32) * 3)(f32([1.5, 2.5]))
    assert g.dtype == gs.float32
    np.testing.assert_array_equal(g.asnumpy(), [3.0, 3.0])
    g = ops.grad(lambda x: ops.Cast()(x, gs.int64).sum())(f32([1.5, -2.5]))
    np.testing.assert_array_equal(g.asnumpy(), [1.0, 1.0])


def test_integer_inputs_get_integer_gradients(fake):
    ga, gb = ops.grad(lambda a, b: a * b, (0, 1))(i32([1, 2]), i32([3, 4]))
    assert ga.dtype == gs.int32 and gb.dtype == gs.int32
    np.testing.assert_array_equal(ga.asnumpy(), [3, 4])
    np.testing.assert_array_equal(gb.asnumpy(), [1, 2])
    ga, gx = ops.grad(lambda a, b: a * b, (0, 1))(i32([1, 2]), f32([1.0, 2.0]))
    assert ga.dtype == gs.int32 and gx.dtype == gs.float32
    np.testing.assert_array_equal(ga.asnumpy(), [1, 2])  # dout (float ones) times b, as int
    np.testing.assert_array_equal(gx.asnumpy(), [1.0, 2.0])


class IntWeights(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([2, 3], np.int32)), name="w")

    def construct(self, a):
        return a * self.w * self.w


def test_integer_parameters_get_integer_gradients(fake):
    net = IntWeights()
    (gw,) = ops.GradOperation(get_by_list=True)(net, net.trainable_params())(i32([1, 2]))
    assert gw.dtype == gs.int32
    np.testing.assert_array_equal(gw.asnumpy(), [4, 12])  # 2 a w


def test_bool_inputs_get_zero_gradients(fake):
    gc, gx = ops.grad(lambda c, x: ops.select(c, x, x * 2), (0, 1))(Tensor(np.array([True, False])), f32([1.0, 2.0]))
    assert gc.dtype == gs.bool_ and not gc.asnumpy().any()
    np.testing.assert_array_equal(gx.asnumpy(), [1.0, 2.0])


def test_integer_sum_dtypes_follow_mindspore(on_real_server):
    """MindSpore 2.10 (CPU, run by hand): ops.sum and Tensor.sum of int32 / bool give int64, ReduceSum
    keeps int32 (bool: any), ops.mean of int32 gives int32; the same traced and eager."""
    x = Tensor(np.ones((4, 5), np.int32))
    b = Tensor(np.ones((4, 5), np.bool_))
    traced = gs.jit(lambda x, b: (ops.sum(x, 1), x.sum(1), ops.ReduceSum()(x, 1), ops.ReduceSum()(b, 1),
                                  ops.sum(b, 1), ops.mean(x, 1)))
    for outs in (traced(x, b), (ops.sum(x, 1), x.sum(1), ops.ReduceSum()(x, 1), ops.ReduceSum()(b, 1),
                                ops.sum(b, 1), ops.mean(x, 1))):
        assert [o.dtype for o in outs] == [gs.int64, gs.int64, gs.int32, gs.bool_, gs.int64, gs.int32]
        for o, want in zip(outs, [5, 5, 5, True, 5, 1]):
            np.testing.assert_array_equal(o.asnumpy(), np.full(4, want))


@pytest.mark.parametrize("dt", ["bool", "int8", "uint8", "int16", "int32", "int64"])
def test_sum_and_prod_of_every_integer_dtype_give_int64(fake, dt):
    """MindSpore 2.10 (CPU, run by hand): ops.sum / ops.prod / Tensor.prod / mint.sum / mint.prod of bool and
    each integer dtype give int64 (ReduceProd keeps the dtype); e.g. prod of [True, False, True] is 0."""
    x = Tensor(np.array([[1, 1, 0], [1, 1, 1]]).astype(dt))
    outs = [ops.sum(x), ops.prod(x), x.prod(), mint.sum(x), mint.prod(x), ops.prod(x, 1), mint.prod(x, 1)]
    assert [o.dtype for o in outs] == [gs.int64] * len(outs)
    assert [o.asnumpy().tolist() for o in outs] == [5, 0, 0, 5, 0, [0, 1], [0, 1]]
