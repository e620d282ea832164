"""APIs whose MindSpore documented Examples (benchmarks/mindspore_suite/doc_examples.py) printed other numbers
through gradserve. Expected values: the output MindSpore's docs print for that example ("MindSpore docs, <api>"),
or NumPy's."""
import numpy as np
import pytest

import gradserve as gs
import gradserve.numpy as mnp
from gradserve import Tensor, nn, ops


def f32(*v):
    return Tensor(np.array(v, np.float32))


def test_isclose_infinities_of_opposite_sign_are_not_close(fake):
    inf, nan = float("inf"), float("nan")
    got = ops.isclose(f32(2e6, inf, -inf, inf, nan), f32(2e7, inf, -inf, -inf, nan)).asnumpy()
    np.testing.assert_array_equal(got, [False, True, True, False, False])  # MindSpore docs, ops.isclose
    a, b = np.array([inf, -inf, 1.0, inf], np.float32), np.array([-inf, -inf, inf, 1.0], np.float32)
    np.testing.assert_array_equal(ops.isclose(Tensor(a), Tensor(b), rtol=1e3).asnumpy(),
                                  np.isclose(a, b, rtol=1e3))  # NumPy
    got = ops.isclose(f32(nan, 1, 2), f32(nan, 1, 2), equal_nan=True).asnumpy()
    np.testing.assert_array_equal(got, [True, True, True])  # MindSpore docs, ops.isclose


@pytest.mark.parametrize("name, initial", [("amax", -1), ("amin", 10)])
def test_numpy_amax_amin_honour_where(fake, name, initial):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    where = np.array([False, True, True])
    got = getattr(mnp, name)(Tensor(a), axis=0, where=mnp.array(where), initial=initial).asnumpy()
    np.testing.assert_array_equal(got, getattr(np, name)(a, axis=0, where=where, initial=initial))  # NumPy
    got = getattr(mnp, name)(Tensor(a), where=mnp.array(where), initial=initial).asnumpy()
    np.testing.assert_array_equal(got, getattr(np, name)(a, where=where, initial=initial))  # NumPy


def test_numpy_amax_where_needs_initial(fake):
    with pytest.raises(ValueError, match="initial"):
        mnp.amax(f32(1, 2), where=mnp.array([True, False]))


def test_ops_full_without_dtype_is_int64(fake):
    out = ops.full((2, 3), 1.2)  # MindSpore docs, ops.full: Int64 [[1, 1, 1], [1, 1, 1]]
    assert out.dtype == gs.int64 and out.asnumpy().tolist() == [[1, 1, 1], [1, 1, 1]]
    out = ops.full((2, 3), 1.2, dtype=gs.float32)  # MindSpore docs, ops.full: Float32 1.20000005
    assert out.dtype == gs.float32
    np.testing.assert_allclose(out.asnumpy(), np.full((2, 3), 1.2, np.float32))


def test_softmax_cross_entropy_gradient_is_softmax_minus_labels(fake):
    # MindSpore docs, nn.ForwardValueAndGrad: logits x @ W = [[2, 2]], labels [[1, 1]] (not summing to 1)
    net = nn.WithLossCell(nn.Dense(2, 2, weight_init="ones", has_bias=False), nn.SoftmaxCrossEntropyWithLogits())
    x, labels = Tensor(np.ones((1, 2), np.float32)), Tensor(np.ones((1, 2), np.float32))
    loss, (inputs_grad, weights_grad) = nn.ForwardValueAndGrad(
        net, weights=net.trainable_params(), get_all=True, get_by_list=True)(x, labels)
    np.testing.assert_allclose(loss.asnumpy(), [1.38629436], rtol=1e-6)
    np.testing.assert_allclose(inputs_grad[0].asnumpy(), [[-1.0, -1.0]], rtol=1e-6)
    np.testing.assert_array_equal(inputs_grad[1].asnumpy(), [[0.0, 0.0]])  # labels take no gradient
    np.testing.assert_allclose(weights_grad[0].asnumpy(), [[-0.5, -0.5], [-0.5, -0.5]], rtol=1e-6)


def test_softmax_cross_entropy_primitive_loss_gradient_is_its_backprop(fake):
    logits, labels = f32(*[0.5, -1.0, 2.0]).reshape(1, 3), f32(*[0.2, 0.3, 0.9]).reshape(1, 3)
    e = np.exp(logits.asnumpy() - logits.asnumpy().max())
    softmax = e / e.sum()  # NumPy
    got = ops.grad(lambda a: ops.SoftmaxCrossEntropyWithLogits()(a, labels)[0].sum())(logits).asnumpy()
    np.testing.assert_allclose(got, softmax - labels.asnumpy(), rtol=1e-5)
    value = ops.SoftmaxCrossEntropyWithLogits()(logits, labels)[0].asnumpy()
    np.testing.assert_allclose(value, -(labels.asnumpy() * np.log(softmax)).sum(-1), rtol=1e-5)  # NumPy


def test_ops_min_max_over_all_index_is_zero(fake):
    x = Tensor(np.array([[2, 5, 1, 6], [3, -7, -2, 4], [8, -4, 1, -3]], np.int64))
    value, index = ops.min(x)  # MindSpore docs, ops.min: (-7, 0)
    assert value.asnumpy() == -7 and index.asnumpy() == 0 and index.dtype == gs.int64
    value, index = ops.max(x)  # MindSpore 2.10 CPU, the same call: (8, 0)
    assert value.asnumpy() == 8 and index.asnumpy() == 0
    value, index = ops.min(x, axis=1)  # MindSpore docs, ops.min
    np.testing.assert_array_equal(value.asnumpy(), [1, -7, -4])
    np.testing.assert_array_equal(index.asnumpy(), [2, 1, 1])


def test_mindspore_bool_is_bool_(fake):
    import gradserve.dtype as mstype
    assert gs.bool is gs.bool_ and mstype.bool is gs.bool_  # MindSpore 2.10: mindspore.bool is Bool
    assert gs.tensor([1, 0], gs.bool).asnumpy().tolist() == [True, False]
    with pytest.raises(AttributeError, match="no_such_name"):
        gs.no_such_name  # noqa: B018


def test_mindspore_keyword_names_of_sum_pow_select_split(fake):
    x = Tensor(np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(ops.sum(input=x, dim=1, keepdim=True).asnumpy(), [[6.0], [15.0]])  # NumPy
    np.testing.assert_array_equal(ops.pow(f32(1, 2, 4), exponent=3.0).asnumpy(), [1, 8, 64])  # MindSpore docs, ops.pow
    cond = Tensor(np.array([True, False]))
    np.testing.assert_array_equal(ops.select(cond, input=1, other=2).asnumpy(), [1, 2])  # MindSpore docs, ops.select
    np.testing.assert_array_equal(ops.select(cond, f32(2, 3), other=3).asnumpy(), [2, 3])  # MindSpore docs
    parts = ops.split(tensor=Tensor(np.arange(10, dtype=np.float32)), split_size_or_sections=[3, 3, 4])
    assert [p.asnumpy().tolist() for p in parts] == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]  # MindSpore docs, ops.split


def test_heaviside_broadcasts_input_to_values(fake):
    values = f32(2, 0.5, 1)
    np.testing.assert_array_equal(ops.heaviside(Tensor(np.float32(-3.0)), values).asnumpy(), [0, 0, 0])  # MindSpore docs
    x = np.array([[-2, 0, 3], [5, -1, 0], [0, 7, -3]], np.float32)
    np.testing.assert_array_equal(ops.heaviside(Tensor(x), values).asnumpy(), np.heaviside(x, values.asnumpy()))  # NumPy


def test_ops_amax_amin_initial_and_where(fake):
    x = Tensor(np.array([[9, 3, 4, 5], [5, 2, 7, 4], [8, 1, 3, 6]], np.int64))
    where = Tensor(np.array([[0, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 0]], bool))
    out = ops.amax(x, axis=1, keepdims=True, initial=0, where=where)  # MindSpore docs, ops.amax: [[4], [7], [8]]
    np.testing.assert_array_equal(out.asnumpy(), [[4], [7], [8]])
    out = ops.amin(x, axis=1, initial=5, where=where)
    np.testing.assert_array_equal(out.asnumpy(), np.amin(x.asnumpy(), 1, initial=5, where=where.asnumpy()))  # NumPy
    none = Tensor(np.zeros((3, 1), bool))
    np.testing.assert_array_equal(ops.amax(x, axis=0, keepdims=True, initial=0, where=none).asnumpy(), [[0, 0, 0, 0]])
    assert int(ops.amax(x).asnumpy()) == 9  # MindSpore docs, ops.amax


def test_logaddexp2_float16_is_rounded_once(fake):
    x, y = Tensor(np.array([1, 2, 3], np.float16)), Tensor(np.array(2, np.float16))
    out = ops.logaddexp2(x, y)  # MindSpore docs, ops.logaddexp2: [2.586 3. 3.586]
    assert out.dtype == gs.float16
    expected = np.logaddexp2(np.float64([1, 2, 3]), 2.0).astype(np.float16)  # NumPy, rounded once
    np.testing.assert_array_equal(out.asnumpy(), expected)
    np.testing.assert_array_equal(out.asnumpy(), np.float16([2.586, 3.0, 3.586]))
