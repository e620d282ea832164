"""MindSpore 2.10 Tensor methods composed in ops/_tensor_forms.py and _tensor.py: cov, logaddexp, sgn,
isneginf / isposinf, masked_select, t / mT, type, flatten's two forms, div's rounding_mode, the dtype casts,
copy / clone, and clamp's corner cases.

Expected values: NumPy (np.cov with its fweights / aweights, np.logaddexp, np.clip, np.floor / np.trunc of
the quotient), by hand (sgn of 3+4j is 0.6+0.8j), and MindSpore 2.10's own messages for the refusals
(clamp of a bool, clamp without bounds)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

torch = pytest.importorskip("torch")


def test_cov_matches_numpy_with_and_without_weights(fake):
    x = np.array([[0.0, 1.0, 2.0, 5.0], [2.0, 1.0, 0.0, -1.0], [1.0, 3.0, 2.0, 2.0]], np.float32)
    fw, aw = np.array([5, 2, 4, 1]), np.array([0.4588, 0.9083, 0.7616, 0.25], np.float32)
    np.testing.assert_allclose(Tensor(x).cov().asnumpy(), np.cov(x), rtol=1e-5)
    np.testing.assert_allclose(Tensor(x).cov(correction=0).asnumpy(), np.cov(x, ddof=0), rtol=1e-5)
    np.testing.assert_allclose(Tensor(x).cov(fweights=Tensor(fw), aweights=Tensor(aw)).asnumpy(),
                               np.cov(x, fweights=fw, aweights=aw), rtol=1e-5)
    assert Tensor(x[0]).cov().shape == ()
    np.testing.assert_allclose(float(Tensor(x[0]).cov().asnumpy()), np.cov(x[0]), rtol=1e-5)
    with pytest.raises(ValueError, match="fweights.*4 weights"):
        Tensor(x).cov(fweights=Tensor(np.array([1, 2])))


def test_logaddexp_is_stable_and_its_gradient_is_a_sigmoid(fake):
    a, b = np.array([-100.0, 1.0, 30.0, 500.0], np.float32), np.array([-1.0, -1.0, 3.0, 499.0], np.float32)
    np.testing.assert_allclose(Tensor(a).logaddexp(Tensor(b)).asnumpy(), np.logaddexp(a, b), rtol=1e-6)
    ga = ms.grad(lambda u: u.logaddexp(Tensor(b)).sum())(Tensor(a)).asnumpy()
    np.testing.assert_allclose(ga, torch.sigmoid(torch.tensor(a - b)).numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(Tensor(a).logaddexp2(Tensor(b)).asnumpy(), np.logaddexp2(a, b), rtol=1e-6)


def test_sgn_isneginf_isposinf(fake):
    z = Tensor(np.array([3 + 4j, 7 - 24j, 0, 8], np.complex64))
    np.testing.assert_allclose(z.sgn().asnumpy(), [0.6 + 0.8j, 0.28 - 0.96j, 0, 1], atol=1e-6)
    np.testing.assert_array_equal(Tensor([-2.0, 0.0, 5.0]).sgn().asnumpy(), [-1.0, 0.0, 1.0])
    v = np.array([-np.inf, np.inf, 1.2, np.nan], np.float32)
    np.testing.assert_array_equal(Tensor(v).isneginf().asnumpy(), np.isneginf(v))
    np.testing.assert_array_equal(Tensor(v).isposinf().asnumpy(), np.isposinf(v))
    np.testing.assert_array_equal(ms.ops.isinf(Tensor(v)).asnumpy(), np.isinf(v))
    np.testing.assert_array_equal(Tensor([1, 2]).isneginf().asnumpy(), [False, False])


def test_isneginf_inside_a_graph(fake):
    ms.set_context(mode=ms.GRAPH_MODE)

    class Net(nn.Cell):
        def construct(self, x):
            return x.isneginf(), x.isinf()
    v = np.array([-np.inf, np.inf, 1.2], np.float32)
    neg, inf = Net()(Tensor(v))
    np.testing.assert_array_equal(neg.asnumpy(), np.isneginf(v))
    np.testing.assert_array_equal(inf.asnumpy(), np.isinf(v))


def test_masked_select_eager_and_its_gradient(fake):
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    mask = np.array([True, False, True])
    np.testing.assert_array_equal(Tensor(x).masked_select(Tensor(mask)).asnumpy(), x[np.broadcast_to(mask, x.shape)])
    g = ms.grad(lambda u: (u.masked_select(Tensor(mask)) ** 2).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, 2 * x * mask)  # by hand


def test_masked_select_with_a_traced_mask(fake):
    # traced: the mask is read at this call's values (test_mindspore_value_reads.py); by hand
    g = ms.grad(lambda u, m: u.masked_select(m).sum())(Tensor([1.0, 2.0]), Tensor([True, False]))
    np.testing.assert_allclose(g.asnumpy(), [1, 0])
    with pytest.raises(TypeError, match="masked_select: .*number of True values"):  # an exported graph: no values
        ms.trace_graph(lambda u, m: u.masked_select(m).sum(), [np.ones(2, np.float32), np.array([True, False])])


def test_shape_methods_type_and_casts(fake):
    x = np.arange(12.0, dtype=np.float32).reshape(2, 2, 3)
    np.testing.assert_array_equal(Tensor(x[0]).t().asnumpy(), x[0].T)
    np.testing.assert_array_equal(Tensor(x).mT.asnumpy(), np.swapaxes(x, -1, -2))
    assert Tensor(x).flatten().shape == (12,)
    assert Tensor(x).flatten(1).shape == (2, 6)
    assert Tensor(x).flatten(0, 1).shape == (4, 3)
    assert Tensor(x).flatten(end_dim=1).shape == (4, 3)
    assert Tensor(x).flatten("C", start_dim=1).shape == (2, 6)
    np.testing.assert_array_equal(Tensor(x).flatten(order="F").asnumpy(), x.flatten(order="F"))
    assert Tensor(x).type() == "Float32"
    np.testing.assert_array_equal(Tensor([[-1.1, 3.6]]).type(ms.int32).asnumpy(), [[-1, 3]])
    assert Tensor([1]).double().dtype == ms.float64 and Tensor([1.5]).int().dtype == ms.int32
    assert Tensor([1.5]).long().dtype == ms.int64 and Tensor([0.0, 2.0]).bool().asnumpy().tolist() == [False, True]
    assert Tensor(x).numel() == 12
    c = Tensor([1.0, 2.0])
    d = c.clone()
    d.add_(1)
    assert c.asnumpy().tolist() == [1.0, 2.0] and d.asnumpy().tolist() == [2.0, 3.0]


def test_div_rounding_modes(fake):
    a, b = np.array([1.0, -5.0, 9.5], np.float32), np.array([4.0, 2.0, -3.0], np.float32)
    np.testing.assert_allclose(Tensor(a).div(Tensor(b)).asnumpy(), a / b)
    np.testing.assert_array_equal(Tensor(a).div(Tensor(b), rounding_mode="floor").asnumpy(), np.floor(a / b))
    np.testing.assert_array_equal(Tensor(a).div(Tensor(b), rounding_mode="trunc").asnumpy(), np.trunc(a / b))
    np.testing.assert_array_equal(Tensor([7, -7]).div(2, rounding_mode="trunc").asnumpy(), [3, -3])
    with pytest.raises(ValueError, match="rounding_mode"):
        Tensor(a).div(Tensor(b), rounding_mode="round")


def test_clamp_with_min_above_max_gives_max_as_numpy(fake):
    x = np.array([[1.0, 25.0, 5.0, 7.0], [4.0, 11.0, 6.0, 21.0]], np.float32)
    np.testing.assert_array_equal(Tensor(x).clamp(20, 5).asnumpy(), np.clip(x, 20, 5))
    np.testing.assert_array_equal(Tensor(x).clip(Tensor(20.0), Tensor(5.0)).asnumpy(), np.clip(x, 20, 5))
    lo = np.array([20.0, 0.0, 6.0, 30.0], np.float32)
    np.testing.assert_array_equal(Tensor(x).clamp(Tensor(lo), Tensor(10.0)).asnumpy(), np.minimum(np.maximum(x, lo), 10))
    with pytest.raises(ValueError, match="at least one of 'min' or 'max' must not be None"):
        Tensor(x).clamp()
    with pytest.raises(ValueError, match="must not be bool"):
        Tensor(x).clamp(5, True)


def test_is_tensor_and_jit_class(fake):
    assert ms.is_tensor(Tensor(1)) and not ms.is_tensor([1])

    @ms.jit_class
    class Box:
        def __init__(self):
            self.k = 3.0
    assert Box().k == 3.0
    with pytest.raises(TypeError, match="jit_class"):
        ms.jit_class(lambda: 1)
