"""ops.bernoulli(input, p=0.5, seed=None), MindSpore 2.x's signature, output dtype and argument errors (MindSpore
2.10's, checked in /work/msvenv for this task); the law checked by frequencies (a binomial bound, 6 sigma), the
seed by repetition. MindSpore's own random bits are not reproduced."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


def _within(freq, p, n):
    return np.all(np.abs(np.asarray(freq) - p) <= 6 * np.sqrt(np.asarray(p) * (1 - np.asarray(p)) / n) + 1e-12)


def test_bernoulli_frequencies_float_and_per_element_p():
    n = 20000
    draws = ops.bernoulli(Tensor(np.zeros((n,), np.float32)), 0.3, seed=7).asnumpy()
    assert set(np.unique(draws)) <= {0.0, 1.0} and _within(draws.mean(), 0.3, n)
    p = np.tile(np.array([0.1, 0.5, 0.9, 0.0, 1.0], np.float32), (n, 1))
    per = ops.bernoulli(Tensor(np.zeros((n, 5), np.float32)), Tensor(p), seed=4).asnumpy().mean(0)
    assert _within(per, [0.1, 0.5, 0.9, 0.0, 1.0], n) and per[3] == 0.0 and per[4] == 1.0
    one = ops.bernoulli(Tensor(np.zeros((n,), np.float64)), Tensor(np.array([0.75], np.float64)), seed=2)
    assert _within(one.asnumpy().mean(), 0.75, n)


def test_bernoulli_dtype_seed_and_gradient():
    for dtype in (np.bool_, np.int32, np.float64, np.uint8):
        x = Tensor(np.ones((4, 3), dtype))
        out = ops.bernoulli(x, 0.5, seed=3)
        assert out.dtype == x.dtype and out.shape == (4, 3)
    x = Tensor(np.zeros((64,), np.float32))
    np.testing.assert_array_equal(ops.bernoulli(x, 0.5, seed=11).asnumpy(), ops.bernoulli(x, 0.5, seed=11).asnumpy())
    assert not np.array_equal(ops.bernoulli(x, 0.5, seed=11).asnumpy(), ops.bernoulli(x, 0.5, seed=12).asnumpy())
    g = ops.grad(lambda x: ops.bernoulli(x, 0.5, seed=1).sum())(Tensor(np.ones((2,), np.float32)))
    np.testing.assert_array_equal(g.asnumpy(), [0.0, 0.0])  # MindSpore 2.10's: zeros


def test_bernoulli_inside_a_cell_draws_each_run():
    class Net(nn.Cell):
        def construct(self, x):
            return ops.bernoulli(x, 0.5)

    net, x = Net(), Tensor(np.zeros((256,), np.float32))
    first, second = net(x).asnumpy(), net(x).asnumpy()
    assert set(np.unique(first)) <= {0.0, 1.0} and not np.array_equal(first, second)


def test_bernoulli_argument_errors_as_mindspore():
    x = Tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"For bernoulli, p should be in \[0, 1\], but got 1.5"):
        ops.bernoulli(x, 1.5)
    with pytest.raises(ValueError, match=r"p should be in \[0, 1\], but got 1.5"):
        ops.bernoulli(x, Tensor(np.array([1.5], np.float32)))
    with pytest.raises(TypeError, match=r"argument\[p\]"):
        ops.bernoulli(x, 1)
    with pytest.raises(ValueError, match="'x' and 'p' should have same shape or 'p' have a size of 1"):
        ops.bernoulli(x, Tensor(np.array([0.2, 0.8, 0.5], np.float32)))
    with pytest.raises(TypeError, match="the type of 'seed' must be 'int', but got 'float'"):
        ops.bernoulli(x, 0.5, seed=1.5)
    with pytest.raises(TypeError, match=r"argument\[x\].*Tensor\[Float16\]"):
        ops.bernoulli(Tensor(np.zeros((2,), np.float16)), 0.5)
