"""cholesky_inverse, DivNoNan, is_nonzero, _grad_ops.SqrtGrad, random_poisson / standard_normal: values and
errors as MindSpore 2.10 (CPU, PyNative; recorded from running the same calls there) or by definition."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops
from gradserve.ops.function import random_func as R
from gradserve.ops.operations import _grad_ops as G


def test_cholesky_inverse(fake):
    low = np.array([[2., 0.], [1., 3.]])
    want = [[0.2777777777777778, -0.05555555555555555], [-0.05555555555555555, 0.1111111111111111]]  # MindSpore 2.10
    np.testing.assert_allclose(ops.cholesky_inverse(Tensor(low)).asnumpy(), want, rtol=1e-12)
    np.testing.assert_allclose(ops.CholeskyInverse(upper=True)(Tensor(low.T)).asnumpy(), want, rtol=1e-12)


def test_div_no_nan_and_sqrt_grad(fake):
    got = ops.DivNoNan()(Tensor(np.array([1., 0., -2., 3.], np.float32)), Tensor(np.array([0., 0., 4., .5], np.float32)))
    np.testing.assert_array_equal(got.asnumpy(), [0, 0, -0.5, 6])
    g = ops.grad(lambda x: ops.sum(ops.div_no_nan(x, Tensor(np.array([0., 2.], np.float32)))))(
        Tensor(np.array([1., 1.], np.float32)))
    np.testing.assert_array_equal(g.asnumpy(), [0, 0.5])  # no nan from the masked division
    sg = G.SqrtGrad()(Tensor(np.array([1., 2., 4.], np.float32)), Tensor(np.array([1., 3., 2.], np.float32)))
    np.testing.assert_array_equal(sg.asnumpy(), [0.5, 0.75, 0.25])


def test_is_nonzero(fake):
    assert ops.is_nonzero(Tensor([[3.5]])) is True
    assert ops.is_nonzero(Tensor([[[False]]])) is False
    with pytest.raises(ValueError):  # MindSpore 2.10: ValueError for more than one element
        ops.is_nonzero(Tensor([1, 2]))

    class Net(nn.Cell):
        def construct(self, x):
            return ops.is_nonzero(x)

    assert bool(Net()(Tensor([2.0])))


def test_random_poisson_shapes_dtypes_and_errors(fake):
    gs.set_seed(2)
    out = R.random_poisson(Tensor(np.array([3, 2]), gs.int32), Tensor(np.array([[5., 10.], [5., 1.]]), gs.float16),
                           seed=5, dtype=gs.int32)
    assert out.shape == (3, 2, 2, 2) and out.dtype == gs.int32
    gs.set_seed(2)  # (a second call draws anew: MindSpore 2.10's one generator per seed; set_seed starts it again)
    again = ops.random_poisson(Tensor(np.array([3, 2]), gs.int32), Tensor(np.array([[5., 10.], [5., 1.]]), gs.float16),
                               seed=5, dtype=gs.int32)
    np.testing.assert_array_equal(out.asnumpy(), again.asnumpy())  # one seed, one draw
    big = ops.random_poisson(Tensor(np.array([20000]), gs.int64), Tensor(np.array([4.0]), gs.float32), seed=1)
    assert abs(float(big.asnumpy().mean()) - 4.0) < 0.1  # the mean is the rate (sd of the mean: 0.014)
    rate = Tensor(np.array([0.5]), gs.float32)
    for bad, err in [((3, 5), TypeError), (Tensor(np.array([[1, 2]]), gs.int32), ValueError),
                     (Tensor(np.array([3.0]), gs.float32), TypeError), (Tensor(np.array([-3]), gs.int32), ValueError)]:
        with pytest.raises(err):
            ops.random_poisson(bad, rate)
    with pytest.raises(TypeError):
        ops.random_poisson(Tensor(np.array([3]), gs.int32), rate, seed=0.5)
    with pytest.raises(TypeError):
        ops.random_poisson(Tensor(np.array([3]), gs.int32), rate, dtype=gs.bool_)


def test_standard_normal_in_a_construct_draws_per_run_and_repeats_per_seed(fake):
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.op = ops.StandardNormal(10, 10)

        def construct(self):
            return self.op((4, 3))

    net = Net()
    first, second = net().asnumpy(), net().asnumpy()
    assert first.shape == (4, 3) and first.dtype == np.float32
    assert not np.array_equal(first, second)  # each run draws anew
    np.testing.assert_array_equal(Net()().asnumpy(), first)  # a new op with the same seeds repeats


def test_max_pool_grad_grad_with_argmax_gathers_per_batch_item(fake):
    # argmax: flat indices into each batch item's C*H*W (MindSpore's kernel; its channel 1 reads 36 + ...)
    data = np.arange(2 * 2 * 4 * 4, dtype=np.float32).reshape(2, 2, 4, 4)
    argmax = np.array([[5, 7, 13, 15], [21, 23, 29, 31]] * 2, np.int64).reshape(2, 2, 2, 2)
    got = G.MaxPoolGradGradWithArgmax(kernel_size=2, strides=2)(Tensor(data), Tensor(data / 10), Tensor(argmax))
    want = np.stack([(data[n] / 10).ravel()[argmax[n]] for n in range(2)])
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)


def test_index_fill(fake):
    x = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    got = ops.index_fill(x, 1, Tensor(np.array([0, 2, 2], np.int32)), -1.0)
    np.testing.assert_array_equal(got.asnumpy(), [[-1, 1, -1, 3], [-1, 5, -1, 7], [-1, 9, -1, 11]])  # MindSpore 2.10
    got = ops.index_fill(x, Tensor(0), Tensor(np.array([-1], np.int32)), Tensor(5.0))
    np.testing.assert_array_equal(got.asnumpy()[2], [5, 5, 5, 5])
    w = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    g = ops.grad(lambda a: ops.sum(ops.index_fill(a, 1, Tensor(np.array([0, 2], np.int32)), 2.0) * w))(x)
    np.testing.assert_array_equal(g.asnumpy(), [[0, 1, 0, 3], [0, 5, 0, 7], [0, 9, 0, 11]])  # MindSpore 2.10
    with pytest.raises(RuntimeError):  # MindSpore 2.10: RuntimeError for an index outside
        ops.index_fill(x, 1, Tensor(np.array([4], np.int32)), 1.0)

    class Net(nn.Cell):  # the axis a traced input (MindSpore's dynamic-shape grad test passes it so)
        def construct(self, a, dim, index, value):
            return ops.IndexFill()(a, dim, index, value)

    got = Net()(Tensor(np.arange(8, dtype=np.int32).reshape(2, 2, 2)), Tensor(np.array(2, np.int64)),
                Tensor(np.array([1], np.int32)), Tensor(np.array(-10, np.int32)))
    np.testing.assert_array_equal(got.asnumpy().ravel(), [0, -10, 2, -10, 4, -10, 6, -10])  # MindSpore 2.10
