"""Sample seed 27 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 27") and seed 26's
leftovers.

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it), or NumPy where said."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

_NO_CAST = "Data type conversion is not supported for a 'Parameter', nor for the input tensor of an in-place operator"


@pytest.mark.parametrize("fn", [ops.assign, ops.assign_add, ops.assign_sub])
@pytest.mark.parametrize("kind", ["parameter", "tensor"])
def test_assign_never_casts_the_written_dtype(fn, kind, on_real_server):
    # MindSpore 2.10, ops.assign / assign_add / assign_sub(<kind> of dtype a, Tensor of dtype b): TypeError
    # "Data type conversion is not supported for a 'Parameter', nor for the input tensor of an in-place operator,
    # so data type Float32, which cannot be converted to data type Float64 automatically." where the promoted
    # dtype is not a's; float32 <- int32, float64 <- float32, float32 <- float16 run (the value cast to a)
    refused = [(ms.float32, ms.float64), (ms.float16, ms.float32), (ms.int32, ms.float32), (ms.int32, ms.int64),
               (ms.bool_, ms.int32), (ms.int8, ms.uint8)]
    for a, b in refused:
        x = Parameter(Tensor(np.ones(3), a), name="p") if kind == "parameter" else Tensor(np.ones(3), a)
        with pytest.raises(TypeError, match=f"{_NO_CAST}, so data type {a}, which cannot be converted to data "
                                            f"type {b} automatically"):
            fn(x, Tensor(np.array([1.5, 2, 3]), b))
        np.testing.assert_array_equal(x.asnumpy(), np.ones(3))  # left as it was
    value = np.array([1.5, 2, 3])
    want = {ops.assign: value, ops.assign_add: 1 + value, ops.assign_sub: 1 - value}[fn]
    for a, b in [(ms.float32, ms.int32), (ms.float64, ms.float32), (ms.float32, ms.float16)]:
        x = Parameter(Tensor(np.ones(3), a), name="p") if kind == "parameter" else Tensor(np.ones(3), a)
        fn(x, Tensor(value, b))
        assert x.dtype == a
        # (int32 of 1.5 is 1: MindSpore's float32 <- int32 assign gave [1, 2, 3])
        np.testing.assert_array_equal(x.asnumpy(), want if b != ms.int32 else
                                      {ops.assign: [1, 2, 3], ops.assign_add: [2, 3, 4], ops.assign_sub: [0, -1, -2]}[fn])


def test_assign_into_a_bool_tensor(on_real_server):
    # MindSpore 2.10: ops.assign(Tensor([False, True, False]), Tensor([True] * 3)) writes [True, True, True]
    x = Tensor(np.array([False, True, False]))
    ops.assign(x, Tensor(np.array([True, True, True])))
    np.testing.assert_array_equal(x.asnumpy(), [True, True, True])


class _Weighted(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([1., 2., 3.], np.float32)), name="w")

    def construct(self, x):
        return (self.w * x).sum()


def test_set_data_takes_a_new_shape(on_real_server):
    # MindSpore 2.10 (PyNative): net.w.set_data(Tensor([[1, 2], [3, 4]], float64)) makes w float32 of shape (2, 2):
    # net(2) is 12 before and 20 after, ms.grad(net, None, weights)(2) is ([[2, 2], [2, 2]],)
    net = _Weighted()
    x = Tensor(np.float32(2))
    assert float(net(x)) == 12.0
    net.w.set_data(Tensor(np.array([[1, 2], [3, 4]], np.float64)))
    assert net.w.shape == (2, 2) and net.w.dtype == ms.float32
    assert float(net(x)) == 20.0
    (g,) = ms.grad(net, grad_position=None, weights=net.trainable_params())(x)
    np.testing.assert_array_equal(g.asnumpy(), np.full((2, 2), 2, np.float32))


def test_set_data_new_shape_retraces_a_jit_function(on_real_server):
    # a jit function's trace holds its Parameters' shapes: after set_data with another shape it traces again
    # (NumPy: sum([1, 2, 3] * 2) = 12, then sum(ones((2, 2)) * 2) = 8)
    p = Parameter(Tensor(np.array([1., 2., 3.], np.float32)), name="p")

    @ms.jit
    def f(x):
        return (p * x).sum()

    assert float(f(Tensor(np.float32(2)))) == 12.0
    p.set_data(Tensor(np.ones((2, 2), np.float32)))
    assert float(f(Tensor(np.float32(2)))) == 8.0


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_fractional_avg_pool_of_integers_truncates_the_mean(dtype, on_real_server):
    # tests/st/ops/cpu/test_fractionalavgpool_op.py (int32 / int64 cases). MindSpore 2.10,
    # ops.FractionalAvgPool([1.0, 1.5, 1.5, 1.0])(x), x = (arange(1, 17) * [1, -1] * 8 * 3).reshape(1, 4, 4, 1):
    # y [-1, -1, -1, -1] of x's dtype (each 2x2 region's mean -1.5 truncated toward zero), sequences [0, 2, 4];
    # the arange(1, 17) input of its test gives [3, 5, 11, 13] (3.5, 5.5, 11.5, 13.5 truncated)
    pool = ops.FractionalAvgPool([1.0, 1.5, 1.5, 1.0])
    x = (np.arange(1, 17) * np.array([1, -1] * 8) * 3).reshape([1, 4, 4, 1]).astype(dtype)
    y, rows, cols = pool(Tensor(x))
    assert y.dtype == ms.int32 if dtype == np.int32 else y.dtype == ms.int64
    np.testing.assert_array_equal(y.asnumpy().ravel(), [-1, -1, -1, -1])
    np.testing.assert_array_equal(rows.asnumpy(), [0, 2, 4])
    np.testing.assert_array_equal(cols.asnumpy(), [0, 2, 4])
    y, _, _ = pool(Tensor(np.arange(1, 17).reshape([1, 4, 4, 1]).astype(dtype)))
    np.testing.assert_array_equal(y.asnumpy().ravel(), [3, 5, 11, 13])


def test_fractional_avg_pool_refuses_float16(on_real_server):
    # MindSpore 2.10: "For primitive[FractionalAvgPool], the input argument[x] must be a type of {Tensor[Float32],
    # Tensor[Float64], Tensor[Int32], Tensor[Int64]}, but got Tensor[Float16]."
    with pytest.raises(TypeError, match=r"must be a type of \{Tensor\[Float32\].*but got Tensor\[Float16\]"):
        ops.FractionalAvgPool([1.0, 1.5, 1.5, 1.0])(Tensor(np.ones((1, 4, 4, 1), np.float16)))
