"""MindSpore 2.10 functions from its documented examples (ops/_doc_arith.py, ops/_doc_build.py) and complex data
made into a real dtype by mindspore.tensor. Expected values: the output MindSpore's docs print ("docs"), NumPy,
or a central difference for gradients."""
import numpy as np
import pytest

import gradserve as gs
from clients.test_mindspore_ops_extra import fd_grad
from gradserve import Tensor, ops


def test_complex_data_to_a_real_dtype_keeps_the_real_part():
    assert gs.tensor([1, 1 + 1j, 2.7 + 2j], gs.int32).asnumpy().tolist() == [1, 1, 2]  # MindSpore run
    np.testing.assert_array_equal(gs.tensor([False, 0j, 1, 2.1, 1 + 2j], gs.float32).asnumpy(),
                                  np.array([0, 0, 1, 2.1, 1], np.float32))  # MindSpore run
    assert gs.tensor([1 + 1j, 0j], gs.bool_).asnumpy().tolist() == [True, False]  # MindSpore run
    assert not ops.is_complex(gs.tensor([1, 1 + 1j, 2 + 2j], gs.int32))  # docs
    assert ops.is_floating_point(gs.tensor([False, 0j, 1, 2.1, 1 + 2j], gs.float16))  # docs


def test_integer_functions(fake):
    a, b = np.array([7, 8, 9, 0, -12, 0]), np.array([14, 6, 12, 5, 18, 0])
    np.testing.assert_array_equal(ops.gcd(Tensor(a), Tensor(b)).asnumpy(), np.gcd(a, b))  # NumPy
    np.testing.assert_array_equal(ops.lcm(Tensor(a), Tensor(b)).asnumpy(), np.lcm(a, b))  # NumPy
    fib = np.array([1134903170], np.int64), np.array([701408733], np.int64)  # Euclid's longest kind of run
    assert ops.gcd(Tensor(fib[0]), Tensor(fib[1])).asnumpy().tolist() == [1]
    np.testing.assert_array_equal(ops.Lcm()(Tensor(np.array([7, 8, 9])), Tensor(np.array([14, 6, 12]))).asnumpy(),
                                  [14, 24, 36])  # docs
    x = np.array([0, 1, 3, -1, -32768, 255], np.int16)
    got = ops.population_count(Tensor(x))
    assert got.dtype == gs.uint8
    np.testing.assert_array_equal(got.asnumpy(), [bin(int(v) & 0xFFFF).count("1") for v in x])  # Python
    with pytest.raises(TypeError) as info:  # MindSpore 2.10's text
        ops.gcd(Tensor(np.ones(2, np.float32)), Tensor(np.ones(2, np.float32)))
    assert str(info.value) == ("For Primitive[Gcd], the type of the input tensor must be [Int16, Int32, Int64], but "
                               "got Float32!")


def test_float_functions(fake):
    inf, nan = float("inf"), float("nan")
    got = ops.approximate_equal(gs.tensor([1e6, 2e6, inf, -inf, nan]), gs.tensor([1e6, 2e7, inf, -inf, nan]))
    assert got.asnumpy().tolist() == [True, False, False, False, False]  # docs
    assert ops.ApproximateEqual(2.0)(Tensor(np.array([1, 2, 3], np.float32)),
                                     Tensor(np.array([2, 3, 6], np.float32))).asnumpy().tolist() == [True, True, False]
    x = np.array([[-1.0, 6.0, 0], [0, nan, 4.0]], np.float32)
    y = np.array([[-1.0, 4.0, inf], [nan, 0, 1.0]], np.float32)
    np.testing.assert_array_equal(ops.MulNoNan()(Tensor(x), Tensor(y)).asnumpy(), [[1, 24, nan], [nan, 0, 4]])  # docs
    got = ops.polar(Tensor(np.array([1.0, 2.0])), Tensor(np.array([3.0, 4.0]))).asnumpy()
    np.testing.assert_allclose(got, np.array([1.0, 2.0]) * np.exp(1j * np.array([3.0, 4.0])))  # NumPy
    c = np.array([2 + 1j, 2 + 3j, 2 - 1j, 2])
    np.testing.assert_array_equal(ops.view_as_real(Tensor(c)).asnumpy(), np.stack([c.real, c.imag], -1))
    assert ops.isreal(Tensor(c)).asnumpy().tolist() == [False, False, False, True]
    v = np.arange(12.0) - 6
    for order in (2, float("inf"), float("-inf"), 0, 4.5):
        want = np.linalg.norm(v, order) if order != 4.5 else (np.abs(v) ** 4.5).sum() ** (1 / 4.5)
        assert float(ops.vector_norm(Tensor(v), ord=order)) == pytest.approx(want)  # NumPy
    m = np.array([[[0, 1], [-1, 0]], [[1, 2], [3, 4]]], np.float64)
    for n in (0, 1, 2, 5, -3):
        np.testing.assert_allclose(ops.matrix_power(Tensor(m), n).asnumpy(), np.linalg.matrix_power(m, n),
                                   rtol=1e-10, atol=1e-12)  # NumPy


def test_gradients(fake):
    m = np.array([[0.5, 1.2], [-0.7, 0.3]])
    got = ops.grad(lambda t: ops.matrix_power(t, 3).sum())(Tensor(m)).asnumpy()
    np.testing.assert_allclose(got, fd_grad(lambda v: np.linalg.matrix_power(v, 3).sum(), m), rtol=1e-6)
    x, y = np.array([1.0, np.inf, 3.0]), np.array([2.0, 0.0, 0.0])
    gx, gy = ops.grad(lambda a, b: ops.mul_no_nan(a, b).sum(), grad_position=(0, 1))(Tensor(x), Tensor(y))
    np.testing.assert_array_equal(gx.asnumpy(), [2, 0, 0])  # d(x y)/dx = y; 0 where y is 0
    np.testing.assert_array_equal(gy.asnumpy(), [1, 0, 3])  # d/dy = x (MindSpore's too); 0 at the inf, not inf
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.arange(18.0).reshape(2, 3, 3)
    got = ops.grad(lambda t: (ops.diag_embed(t, offset=1) * Tensor(w)).sum())(Tensor(v)).asnumpy()
    np.testing.assert_array_equal(got, [[w[0, 0, 1], w[0, 1, 2]], [w[1, 0, 1], w[1, 1, 2]]])


def test_builders(fake):
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    got = ops.diag_embed(Tensor(x), offset=1, dim1=0, dim2=1).asnumpy()
    want = np.zeros((4, 4, 3), np.int64)
    for k in range(3):
        want[k, k + 1] = x[:, k]
    np.testing.assert_array_equal(got, want)  # docs
    np.testing.assert_array_equal(ops.diag_embed(Tensor(x)).asnumpy(), np.stack([np.diag(r) for r in x]))
    parts = [np.array([[4], [3], [2]]), np.array([7, 6, 5]), np.array(1), np.array([[5, 4, 3], [2, 1, 0]])]
    got = ops.block_diag(*[Tensor(p.astype(np.int32)) for p in parts]).asnumpy()
    want = np.zeros((7, 8), np.int32)
    want[0:3, 0:1], want[3, 1:4], want[4, 4], want[5:7, 5:8] = parts
    np.testing.assert_array_equal(got, want)  # docs
    got = ops.cartesian_prod(Tensor([1, 2, 3]), Tensor([5, 6]), Tensor([8, 9])).asnumpy()
    np.testing.assert_array_equal(got, [list(p) for p in np.array(np.meshgrid([1, 2, 3], [5, 6], [8, 9],
                                                                              indexing="ij")).reshape(3, -1).T])
    np.testing.assert_array_equal(ops.combinations(gs.tensor([1, 2, 3]), with_replacement=True).asnumpy(),
                                  [[1, 1], [1, 2], [1, 3], [2, 2], [2, 3], [3, 3]])  # docs
    # (float32: MindSpore 2.10's CPU dot refuses float64, test_mindspore_suite44)
    a, b = np.ones((3, 2, 3), np.float32), np.arange(12.0, dtype=np.float32).reshape(2, 3, 2)
    np.testing.assert_allclose(ops.dot(Tensor(a), Tensor(b)).asnumpy(), np.dot(a, b))  # NumPy
    got = ops.sequence_mask(gs.tensor([[1, 3], [2, 0]]), 5).asnumpy()
    np.testing.assert_array_equal(got, np.arange(5) < np.array([[1, 3], [2, 0]])[..., None])  # NumPy
    np.testing.assert_array_equal(ops.repeat_elements(gs.tensor([[0, 1, 2], [3, 4, 5]], gs.int32), 2, 1).asnumpy(),
                                  np.repeat([[0, 1, 2], [3, 4, 5]], 2, 1))  # NumPy
    np.testing.assert_array_equal(ops.bucketize(gs.tensor([[3, 6, 9]]), [1.0, 3.0, 5.0, 7.0, 9.0]).asnumpy(),
                                  np.searchsorted([1, 3, 5, 7, 9], [[3, 6, 9]], side="left"))  # NumPy
    assert ops.Bucketize([1.0, 3.0, 5.0, 7.0, 9.0])(gs.tensor([[3, 6, 9]], gs.int32)).asnumpy().tolist() == [[2, 3, 5]]
    got = ops.TrilIndices(4, 3, -1, gs.int64)()
    assert got.dtype == gs.int64 and got.asnumpy().tolist() == [[1, 2, 2, 3, 3, 3], [0, 0, 1, 0, 1, 2]]  # docs
    np.testing.assert_array_equal(ops.triu_indices(5, 4, 2).asnumpy(), np.triu_indices(5, 2, 4))  # NumPy
    assert ops.InvertPermutation()((3, 4, 0, 2, 1)) == (2, 4, 3, 0, 1)  # docs
