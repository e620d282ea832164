"""MindSpore leftovers of the round-6 differential (h-msleft9): every expected value and dtype below is
MindSpore 2.10.0's on CPU (its venv, /work/msvenv, run for this task), values also NumPy's."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


@pytest.mark.parametrize("np_dtype", ["int8", "int16", "int32", "int64", "uint8", "bool"])
def test_cumprod_of_integers_is_int64(np_dtype):
    # MindSpore 2.10: ops.cumprod(int32 [[3, 1, 2], [1, 5, 0]], 1) -> Int64 [[3, 3, 6], [1, 5, 0]]; bool -> Int64
    x = np.array([[3, 1, 2], [1, 5, 0]]).astype(np_dtype)
    for out in (ops.cumprod(Tensor(x), 1), Tensor(x).cumprod(1)):
        assert out.dtype == ms.int64
        np.testing.assert_array_equal(out.asnumpy(), np.cumprod(x.astype(np.int64), 1))


def test_cumprod_keeps_floats_and_a_given_dtype():
    x = np.array([1.0, 2.0, 3.0], np.float16)
    assert ops.cumprod(Tensor(x), 0).dtype == ms.float16
    i = Tensor(np.array([1, 2, 3], np.int32))
    assert ops.cumprod(i, 0, dtype=ms.int32).dtype == ms.int32  # MindSpore: Int32 [1, 2, 6]
    assert ops.CumProd()(i, 0).dtype == ms.int32  # the primitive keeps int32 (MindSpore 2.10)


_B, _B2 = np.array([True, False, True]), np.array([True, True, False])


def test_bool_tensor_sub_is_bool():
    # MindSpore 2.10: Tensor.sub / `-` / subtract of two bools -> Bool [False, True, True]; `- True` -> Bool;
    # a number or another dtype promotes: b - 1 -> Int64 [0, -1, 0]
    b, b2 = Tensor(_B), Tensor(_B2)
    for out in (b.sub(b2), b - b2, b.subtract(b2)):
        assert out.dtype == ms.bool_
        np.testing.assert_array_equal(out.asnumpy(), [False, True, True])
    np.testing.assert_array_equal((b - True).asnumpy(), [False, True, False])
    assert (b - 1).dtype == ms.int64
    np.testing.assert_array_equal((b - 1).asnumpy(), [0, -1, 0])


def test_bool_abs_is_bool():
    for out in (Tensor(_B).abs(), ops.abs(Tensor(_B)), abs(Tensor(_B))):  # MindSpore 2.10: Bool [True, False, True]
        assert out.dtype == ms.bool_
        np.testing.assert_array_equal(out.asnumpy(), _B)


def test_bool_outer_and_kron():
    b, b2 = Tensor(_B), Tensor(_B2)
    for out in (b.outer(b2), ops.outer(b, b2)):  # MindSpore 2.10: Bool, np.outer's truth
        assert out.dtype == ms.bool_
        np.testing.assert_array_equal(out.asnumpy(), np.outer(_B, _B2))
    mixed = ops.outer(b, Tensor(np.array([1, 2, 3], np.int32)))  # MindSpore 2.10: Int32 [[1, 2, 3], [0, 0, 0], ...]
    assert mixed.dtype == ms.int32
    np.testing.assert_array_equal(mixed.asnumpy(), np.outer(_B, [1, 2, 3]))
    k = ops.kron(b, b2)
    assert k.dtype == ms.bool_
    np.testing.assert_array_equal(k.asnumpy(), np.kron(_B, _B2))
    a2, b2d = np.array([[True, False]]), np.array([[True], [False]])
    np.testing.assert_array_equal(ops.kron(Tensor(a2), Tensor(b2d)).asnumpy(), np.kron(a2, b2d))


def test_kron_and_outer_gradients_unchanged():
    a, c = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.array([[0.0, 1.0, 2.0]], np.float32)
    ga, gc = ms.grad(lambda x, y: (ops.kron(x, y) ** 2).sum(), (0, 1))(Tensor(a), Tensor(c))
    # d/da sum((a_ij c_kl)^2) = 2 a_ij sum(c^2); d/dc = 2 c_kl sum(a^2)
    np.testing.assert_allclose(ga.asnumpy(), 2 * a * (c ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(gc.asnumpy(), 2 * c * (a ** 2).sum(), rtol=1e-6)
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    u, v = np.array([1.0, 2.0, 3.0], np.float32), np.array([2.0, -1.0], np.float32)
    gu, gv = ms.grad(lambda x, y: (ops.outer(x, y) * Tensor(w)).sum(), (0, 1))(Tensor(u), Tensor(v))
    np.testing.assert_allclose(gu.asnumpy(), w @ v, rtol=1e-6)
    np.testing.assert_allclose(gv.asnumpy(), u @ w, rtol=1e-6)


def test_gather_elements_of_a_0d_tensor():
    # MindSpore 2.10: gather_elements(5.0, 0 or -1, index 0) -> 5.0; index [0] -> [5.0]; dim 1 and index 1 refused
    s, i0 = Tensor(np.array(5.0, np.float32)), Tensor(np.array(0, np.int32))
    for out in (ops.gather_elements(s, 0, i0), ops.gather_elements(s, -1, i0), s.gather_elements(0, i0)):
        assert out.shape == () and float(out.asnumpy()) == 5.0
    one = ops.gather_elements(s, 0, Tensor(np.array([0], np.int64)))
    assert one.shape == (1,) and one.asnumpy().tolist() == [5.0]
    with pytest.raises(ValueError, match="axis 1"):
        ops.gather_elements(s, 1, i0)
    with pytest.raises(Exception, match="out of range"):
        ops.gather_elements(s, 0, Tensor(np.array(1, np.int32))).asnumpy()
    g = ms.grad(lambda x: ops.gather_elements(x, 0, i0) * 3.0)(s)  # d(3 x)/dx
    assert float(g.asnumpy()) == 3.0


def test_soft_margin_loss():
    # MindSpore 2.10 documents ops.soft_margin_loss (its CPU kernel is unregistered): log(1 + exp(-y x)), NumPy here
    x = np.array([[0.3, -1.2], [2.0, 0.5]], np.float32)
    y = np.array([[1.0, -1.0], [-1.0, 1.0]], np.float32)
    per = np.log1p(np.exp(-y * x))
    got = ops.soft_margin_loss(Tensor(x), Tensor(y), reduction="none").asnumpy()
    np.testing.assert_allclose(got, per, rtol=1e-6)
    np.testing.assert_allclose(ops.soft_margin_loss(Tensor(x), Tensor(y)).asnumpy(), per.mean(), rtol=1e-6)
    np.testing.assert_allclose(ops.soft_margin_loss(Tensor(x), Tensor(y), "sum").asnumpy(), per.sum(), rtol=1e-6)
    g = ms.grad(lambda a: ops.soft_margin_loss(a, Tensor(y)))(Tensor(x))
    np.testing.assert_allclose(g.asnumpy(), -y / (1 + np.exp(y * x)) / x.size, rtol=1e-5)  # d/dx of the mean
    with pytest.raises(ValueError, match="reduction"):
        ops.soft_margin_loss(Tensor(x), Tensor(y), reduction="avg")


def test_mint_is_an_attribute_without_importing_it():
    import subprocess
    import sys
    code = ("import numpy as np, gradserve as ms; print(ms.mint.__name__, "
            "hasattr(ms.mint, 'add'), 'gradserve.mint' in __import__('sys').modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["gradserve.mint", "True", "True"]
    assert ms.mint.add is __import__("gradserve.mint", fromlist=["add"]).add


def test_tensor_log_softmax_is_not_a_method_in_mindspore_either():
    # MindSpore 2.10: Tensor has no log_softmax (AttributeError); ops.log_softmax is the function
    assert not hasattr(Tensor(np.zeros(2, np.float32)), "log_softmax")


def test_max_min_over_all_axes_ignore_keepdims():
    # MindSpore 2.10: ops.min(x, None, True) -> (Float32 () 1.0, Int64 () 0); Tensor.max(keepdims=True) -> () 5.0;
    # an axis keeps the dim: ops.max(x, 0, True) -> [[3, 5]], [[0, 1]]
    x = Tensor(np.array([[3.0, 1.0], [2.0, 5.0]], np.float32))
    for (v, i), want in ((ops.min(x, None, True), 1.0), (ops.max(x, keepdims=True), 5.0),
                         (x.max(keepdims=True, return_indices=True), 5.0)):
        assert v.shape == () and i.shape == () and float(v.asnumpy()) == want and i.dtype == ms.int64
    assert x.min(None, True).shape == ()
    v, i = ops.max(x, 0, True)
    assert v.asnumpy().tolist() == [[3.0, 5.0]] and i.asnumpy().tolist() == [[0, 1]]
    g = ms.grad(lambda a: ops.max(a, None, True)[0] * 2.0)(x)
    np.testing.assert_array_equal(g.asnumpy(), [[0.0, 0.0], [0.0, 2.0]])


def test_leaky_relu_keeps_integer_and_bool_dtypes():
    # MindSpore 2.10 casts alpha to the input's dtype: int32 [-7, -12, 5] with 0.2 -> [0, 0, 5]; [-7, 5] with 1.7 ->
    # [-7, 5], with 2.5 -> [-14, 5]; bool [True, False] with 0.0 or -1.0 -> Bool [True, False]
    i = Tensor(np.array([-7, -12, 5], np.int32))
    out = ops.leaky_relu(i, 0.2)
    assert out.dtype == ms.int32 and out.asnumpy().tolist() == [0, 0, 5]
    assert ops.leaky_relu(Tensor(np.array([-7, 5], np.int32)), 1.7).asnumpy().tolist() == [-7, 5]
    assert ops.leaky_relu(Tensor(np.array([-7, 5], np.int32)), 2.5).asnumpy().tolist() == [-14, 5]
    for alpha in (0.0, -1.0):
        b = ops.leaky_relu(Tensor(np.array([True, False])), alpha)
        assert b.dtype == ms.bool_ and b.asnumpy().tolist() == [True, False]
    f = ops.leaky_relu(Tensor(np.array([-2.0, 3.0], np.float32)), 0.2)  # floats unchanged: NumPy's where
    np.testing.assert_allclose(f.asnumpy(), [-0.4, 3.0], rtol=1e-6)


def test_softplus_of_int32_with_beta_or_threshold_is_float32():
    # MindSpore 2.10: softplus(int32 [-2, 0, 3], 1.0, 2.0) -> Float32 [log1p(e^-2), log 2, 3.0]; with its defaults the
    # Softplus primitive refuses int32
    i = Tensor(np.array([-2, 0, 3], np.int32))
    out = ops.softplus(i, 1.0, 2.0)
    assert out.dtype == ms.float32
    np.testing.assert_allclose(out.asnumpy(), [np.log1p(np.exp(-2.0)), np.log(2.0), 3.0], rtol=1e-6)
    with pytest.raises(Exception, match="floating-point"):
        ops.softplus(i).asnumpy()
