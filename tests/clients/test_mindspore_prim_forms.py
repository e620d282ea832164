"""MindSpore 2.10 primitive forms of functions gradserve has (ops/_prim_forms.py). Expected values: the output
MindSpore's docs print ("docs"), NumPy, or a central difference for gradients."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops


def f32(a):
    return Tensor(np.asarray(a, np.float32))


def test_forwarding_primitives(fake):
    got = ops.Addcdiv()(f32([1, 1, 1, 1]), f32([1, 2, 3, 4]), f32([4, 3, 2, 1]), f32([1]))
    np.testing.assert_allclose(got.asnumpy(), [1.25, 1.6666667, 2.5, 5.0], rtol=1e-6)  # docs
    got = ops.Addcmul()(f32([1, 1, 1]), f32([[1], [2], [3]]), f32([[1, 2, 3]]), f32([1]))
    np.testing.assert_array_equal(got.asnumpy(), [[2, 3, 4], [3, 5, 7], [4, 7, 10]])  # docs
    np.testing.assert_array_equal(ops.SquaredDifference()(f32([1, 2, 3]), f32([2, 4, 6])).asnumpy(), [1, 4, 9])
    det = ops.MatrixDeterminant()(f32([[[-4.5, -1.5], [7.0, 6.0]], [[2.5, 0.5], [3.0, 9.0]]]))
    np.testing.assert_allclose(det.asnumpy(), [-16.5, 21.0], rtol=1e-6)  # docs
    got = ops.TruncateDiv()(Tensor(np.array([2, 4, -1]), gs.int32), Tensor(np.array([3, 3, 3]), gs.int32))
    np.testing.assert_array_equal(got.asnumpy(), [0, 1, 0])  # docs
    assert ops.LogicalXor()(True, Tensor(np.array([True, False]))).asnumpy().tolist() == [False, True]  # docs


def test_cumulative_logsumexp_forms(fake):
    x = f32([1.0, 2.0, 3.0])
    lowest = np.finfo(np.float32).min
    cases = {(False, False): [1.0, 2.3132617, 3.407606], (True, False): [lowest, 1.0, 2.3132617],
             (False, True): [3.407606, 3.3132617, 3.0], (True, True): [3.3132617, 3.0, lowest]}  # docs
    for (exclusive, reverse), want in cases.items():
        got = ops.CumulativeLogsumexp(exclusive=exclusive, reverse=reverse)(x, Tensor(0)).asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-6)
    m = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
    got = ops.CumulativeLogsumexp(exclusive=True, reverse=True)(Tensor(m), Tensor(1)).asnumpy()
    want = np.stack([np.log(np.exp(m[:, 1]) + np.exp(m[:, 2])), m[:, 2], np.full(2, np.finfo(np.float64).min)], 1)
    np.testing.assert_allclose(got, want)  # NumPy


def test_cumulative_logsumexp_gradient(fake):
    x = np.array([0.3, -1.2, 0.8, 2.0])
    w = np.array([1.0, 2.0, -1.0, 0.5])
    op = ops.CumulativeLogsumexp(exclusive=True, reverse=True)

    def loss(v):  # the lowest-value entry has no dependence on x: left out of the weights
        return (op(v, Tensor(0))[:3] * Tensor(w[:3])).sum()

    got = ops.grad(loss)(Tensor(x)).asnumpy()

    def numpy_loss(v):
        out = [np.log(np.exp(v[i + 1:]).sum()) for i in range(3)]
        return float(np.dot(out, w[:3]))
    eps = 1e-6
    want = [(numpy_loss(x + eps * e) - numpy_loss(x - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)  # central difference


def test_shape_and_search_primitives(fake):
    diag = ops.DiagPart()(Tensor(np.diag([1, 2, 3, 4]))).asnumpy()
    np.testing.assert_array_equal(diag, [1, 2, 3, 4])  # docs
    x4 = np.arange(36).reshape(2, 3, 2, 3)
    np.testing.assert_array_equal(ops.DiagPart()(Tensor(x4)).asnumpy(),
                                  np.einsum("ijij->ij", x4))  # NumPy
    sorted_x = Tensor(np.arange(12).reshape(3, 4).astype(np.int8))
    got = ops.LowerBound(out_type=gs.int32)(sorted_x, Tensor(np.array([[3], [4], [8]]).astype(np.int8)))
    assert got.dtype == gs.int32 and got.asnumpy().tolist() == [[3], [0], [0]]  # docs
    got = ops.UpperBound(out_type=gs.int32)(sorted_x, Tensor(np.array([[3], [6], [9]]).astype(np.int8)))
    assert got.asnumpy().tolist() == [[4], [3], [2]]  # docs
    assert ops.NonZero()(gs.tensor([1, 0, 2, 0, 3], gs.int32)).asnumpy().tolist() == [[0], [2], [4]]  # docs
    x = np.arange(1, 17).reshape(4, 4)
    for d in (0, 1, -1):
        np.testing.assert_array_equal(ops.Tril(diagonal=d)(Tensor(x)).asnumpy(), np.tril(x, d))  # NumPy
    c = np.array([[1 + 1j, 2 + 2j], [3 + 3j, 4 + 4j]], np.complex64)
    np.testing.assert_array_equal(ops.ConjugateTranspose()(Tensor(c), (1, 0)).asnumpy(), c.conj().T)  # docs
    bins = ops.Bincount()(Tensor(np.array([1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 7]), gs.int32), Tensor(5, gs.int32),
                          f32(np.ones(11)))
    np.testing.assert_array_equal(bins.asnumpy(), [0, 1, 2, 3, 4])  # docs (a value past size not counted)


def test_reduce_std_isclose_cross_logit(fake):
    std, mean = ops.ReduceStd(axis=1, unbiased=True, keep_dims=False)(f32([[1, 2, 3], [-1, 1, 4]]))
    np.testing.assert_allclose(std.asnumpy(), [1.0, 2.5166113], rtol=1e-6)  # docs
    np.testing.assert_allclose(mean.asnumpy(), [2.0, 1.3333334], rtol=1e-6)
    a = np.array([[1.0, 5.0], [2.0, 7.0]])
    std, mean = ops.ReduceStd(unbiased=False)(Tensor(a))
    assert float(std) == pytest.approx(np.std(a)) and float(mean) == pytest.approx(np.mean(a))  # NumPy
    nan = float("nan")
    got = ops.IsClose()(f32([1.0, nan, 2.0]), f32([1.0, nan, 3.0])).asnumpy()
    assert got.tolist() == [True, True, False]  # MindSpore's default equal_nan=True
    crossed = ops.Cross(dim=0)(f32([[1, 0], [0, 1], [0, 0]]), f32([[0, 0], [1, 0], [0, 1]])).asnumpy()
    np.testing.assert_array_equal(crossed, np.cross([[1, 0], [0, 1], [0, 0]], [[0, 0], [1, 0], [0, 1]], axis=0))
    got = ops.Logit(eps=1e-5)(f32([0.1, 0.2, 0.3])).asnumpy()
    np.testing.assert_allclose(got, [-2.1972246, -1.3862944, -0.8472978], rtol=1e-6)  # docs
    logspace = ops.LogSpace(steps=10, base=10, dtype=gs.float32)(Tensor(1, gs.float32), Tensor(10, gs.float32))
    np.testing.assert_allclose(logspace.asnumpy(), np.logspace(1, 10, 10), rtol=1e-6)  # NumPy
