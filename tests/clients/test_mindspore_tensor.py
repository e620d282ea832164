"""Tensor behaviour as MindSpore's: type promotion, indexing, printing, initializers."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn
from gradserve.common.initializer import Normal, initializer


def test_int_float_promotion_is_the_float(fake):
    a = Tensor(np.array([1, 2], np.int32))
    b = Tensor(np.array([0.5, 0.25], np.float32))
    out = a * b
    assert out.dtype == gs.float32
    np.testing.assert_allclose(out.asnumpy(), [0.5, 0.5])
    assert gs.dtype.promote("int64", "float16") == "float16"
    assert gs.dtype.promote("bool", "int32") == "int32"
    assert gs.dtype.promote("float32", "float64") == "float64"


def test_indexing_a_vector_gives_a_0d_tensor():
    v = Tensor(np.array([3.0, 4.0], np.float32))
    assert v[0].shape == () and float(v[0]) == 3.0
    assert v[1:].shape == (1,)


def test_printing_follows_mindspore():
    # MindSpore 2.x's documented forms: a sign column, 8 digits, rows on their own lines
    assert repr(Tensor(np.array([1.0, 4.0], np.float32))) == \
        "Tensor(shape=[2], dtype=Float32, value= [ 1.00000000e+00,  4.00000000e+00])"
    assert repr(Tensor(np.array([[1.0, -2.0], [3.0, 4.0]], np.float32))) == (
        "Tensor(shape=[2, 2], dtype=Float32, value=\n[[ 1.00000000e+00, -2.00000000e+00],\n"
        " [ 3.00000000e+00,  4.00000000e+00]])")
    assert repr(Tensor(np.array([4, 12], np.int32))) == "Tensor(shape=[2], dtype=Int32, value= [ 4, 12])"
    assert repr(Tensor(np.array([True, False]))) == "Tensor(shape=[2], dtype=Bool, value= [ True, False])"
    assert repr(Tensor(2.5)) == "Tensor(shape=[], dtype=Float32, value= 2.5)"
    assert str(Tensor(np.array([1.5, 2.5], np.float32))) == "[1.5 2.5]"


def test_initializers():
    gs.set_seed(1)
    w = initializer("normal", (200, 50), gs.float32)
    assert w.shape == (200, 50) and w.dtype == gs.float32
    assert abs(float(w.asnumpy().std()) - 0.01) < 0.001  # Normal(sigma=0.01)
    np.testing.assert_array_equal(initializer(1, (2, 2), gs.float32).asnumpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(initializer("zeros", [3]).asnumpy(), np.zeros(3))
    assert initializer(Normal(sigma=2.0), (1000,)).asnumpy().std() > 1.5
    d = nn.Dense(3, 4, weight_init="normal", bias_init="zeros")
    assert d.weight.shape == (4, 3) and not d.bias.asnumpy().any()
    with pytest.raises(ValueError):
        initializer("no_such_init", (2,))


def test_tensor_with_an_initializer():
    from gradserve.common.initializer import One

    t = Tensor(shape=(2, 3), dtype=gs.float32, init=One())
    np.testing.assert_array_equal(t.asnumpy(), np.ones((2, 3)))
    assert Tensor(shape=[2], dtype=gs.int32, init="zeros").dtype == gs.int32


def test_integer_division_and_power(fake):
    a = Tensor(np.array([3, 4], np.int32))
    b = Tensor(np.array([2, 8], np.int32))
    q = a / b
    assert q.dtype == gs.float32
    np.testing.assert_allclose(q.asnumpy(), [1.5, 0.5])
    np.testing.assert_allclose((a / 2).asnumpy(), [1.5, 2.0])
    p = a ** 2
    assert p.dtype == gs.int32
    np.testing.assert_array_equal(p.asnumpy(), [9, 16])


@pytest.mark.parametrize("value, dtype, text", [(1 / 3, "float32", "0.33333334"), (1.12, "float16", "1.12"),
                                                (1e20, "float32", "1e+20"), (1 / 3, "float64", "0.3333333333333333"),
                                                (7, "int32", "7"), (True, "bool_", "True")])
def test_str_of_a_scalar_tensor_is_numpys_text_in_its_dtype(value, dtype, text):
    # MindSpore 2.10 CPU's str(Tensor(value, dtype)) (its str(self.asnumpy())): float32 digits, not float64's
    assert str(gs.Tensor(value, getattr(gs, dtype))) == text
