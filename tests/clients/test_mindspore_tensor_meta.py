"""MindSpore 2.10 Tensor members from its documented examples (ops/_tensor_meta.py, Tensor.all / any / index_add
forms). Expected values: the output MindSpore's docs print ("docs"), MindSpore 2.10's run ("MindSpore run"),
NumPy, or a central difference for gradients."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops


def test_layout_of_int64_matrix():
    x = Tensor(np.array([[1, 2], [3, 4]]))
    assert (x.itemsize, x.nbytes, x.strides) == (8, 32, (16, 8))  # docs
    y = Tensor([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], gs.float32)
    assert y.stride() == [5, 1] and y.stride(0) == 5 and y.storage_offset() == 0  # docs
    z = np.zeros((2, 3, 4), np.float16)
    assert Tensor(z).strides == z.strides and Tensor(z).nbytes == z.nbytes  # NumPy


def test_conjugate_transposes():
    np.testing.assert_array_equal(Tensor(np.array([[1, 2], [3, 4]])).H.asnumpy(), [[1, 3], [2, 4]])  # docs
    c = np.array([[0 + 0j, 1 + 1j], [2 + 2j, 3 + 3j]])
    np.testing.assert_array_equal(Tensor(c).mH.asnumpy(), c.conj().T)  # docs
    with pytest.raises(ValueError, match="2-D"):
        Tensor(np.ones(3)).H


def test_ptp_take_allclose(fake):
    x = Tensor([[4.0, 9.0, 2.0, 10.0], [6.0, 9.0, 7.0, 12.0]]).astype("float32")
    np.testing.assert_array_equal(x.ptp(axis=1).asnumpy(), [8, 6])  # docs
    np.testing.assert_array_equal(x.ptp(axis=0).asnumpy(), [2, 0, 5, 2])  # docs
    a = Tensor(np.array([4, 3, 5, 7, 6, 8]))
    np.testing.assert_array_equal(a.take(Tensor(np.array([0, 1, 4]))).asnumpy(), [4, 3, 6])  # docs
    b = Tensor(np.arange(6.0))
    np.testing.assert_array_equal(b.take(Tensor([-1, -8, 7])).asnumpy(), [5, 0, 5])  # MindSpore run (clip)
    np.testing.assert_array_equal(b.take(Tensor([-1, -8, 7]), mode="wrap").asnumpy(),
                                  np.take(np.arange(6.0), [-1, -8, 7], mode="wrap"))  # NumPy
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Tensor(m).take(Tensor([[0, 1], [1, 0]]), axis=1).asnumpy(),
                                  np.take(m, [[0, 1], [1, 0]], axis=1))  # NumPy
    f16 = gs.float16
    assert Tensor(np.array([1.3, 2.1, 3.2, 4.1, 5.1]), f16).allclose(
        Tensor(np.array([1.3, 3.3, 2.3, 3.1, 5.1]), f16)) is False  # docs
    assert b.allclose(b + 1e-9) is True


def test_take_gradient_adds_up_repeated_indices(fake):
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    got = ops.grad(lambda t: (t.take(Tensor([0, 2, 2, -1])) ** 2).sum())(x).asnumpy()
    np.testing.assert_allclose(got, [2.0, 0.0, 18.0])  # d/dx of x0^2 + 3 x2^2


def test_argmax_argmin_with_value(fake):
    x = gs.tensor([[9, 3, 4, 5], [5, 2, 7, 4], [8, 1, 3, 6]])
    v, i = x.argmax_with_value()
    np.testing.assert_array_equal(v.asnumpy(), [9, 3, 7, 6])  # docs
    np.testing.assert_array_equal(i.asnumpy(), [0, 0, 1, 2])
    v, i = x.argmax_with_value(axis=1, keep_dims=True)
    np.testing.assert_array_equal(v.asnumpy(), [[9], [7], [8]])  # docs
    np.testing.assert_array_equal(i.asnumpy(), [[0], [2], [0]])
    y = gs.tensor([[2, 5, 1, 6], [3, -7, -2, 4], [8, -4, 1, -3]])
    v, i = y.argmin_with_value(axis=None, keep_dims=True)
    assert v.shape == () and int(v) == -7 and int(i) == 0 and i.dtype == gs.int64  # docs


def test_index_put_scatter_index_add(fake):
    x = Tensor(np.array([[1, 2, 3], [4, 5, 6]]).astype(np.int32))
    idx = [Tensor(np.array([0, 1, 1]).astype(np.int32)), Tensor(np.array([1, 2, 1]).astype(np.int32))]
    got = x.index_put(idx, Tensor(np.array([3]).astype(np.int32)), True).asnumpy()
    np.testing.assert_array_equal(got, [[1, 5, 3], [4, 8, 9]])  # docs
    want = np.array([[1, 2, 3], [4, 5, 6]])
    want[[0, 1], [1, 2]] = [7, 8]
    got = x.index_put([Tensor([0, 1]), Tensor([1, 2])], Tensor(np.array([7, 8], np.int32))).asnumpy()
    np.testing.assert_array_equal(got, want)  # NumPy
    z = Tensor(np.zeros((5, 5)), gs.float32)
    src = Tensor(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), gs.float32)
    index = Tensor(np.array([[0, 2, 4], [0, 2, 4], [0, 2, 4]]), gs.int64)
    want = np.zeros((5, 5))
    want[:3, [0, 2, 4]] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    np.testing.assert_array_equal(z.scatter(dim=1, index=index, src=src).asnumpy(), want)  # docs
    np.testing.assert_array_equal(z.scatter(axis=1, index=index, src=src).asnumpy(), want)  # docs
    filled = z.scatter(1, Tensor(np.array([[0], [2]])), value=7.0).asnumpy()
    assert filled[0, 0] == 7 and filled[1, 2] == 7 and filled.sum() == 14
    m = Tensor(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), gs.float32)
    y = Tensor(np.array([[0.5, 1.0], [1.0, 1.5], [2.0, 2.5]]), gs.float32)
    got = m.index_add(Tensor(np.array([0, 2]), gs.int32), y, axis=1).asnumpy()
    np.testing.assert_array_equal(got, [[1.5, 2, 4], [5, 5, 7.5], [9, 8, 11.5]])  # docs


def test_index_put_gradient(fake):
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    v = Tensor(np.array([5.0, 6.0], np.float32))
    where = [Tensor([0, 1]), Tensor([1, 1])]

    def f(a, b):
        return (a.index_put(where, b) * Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))).sum()
    gx, gv = ops.grad(f, grad_position=(0, 1))(x, v)
    np.testing.assert_array_equal(gx.asnumpy(), [[1, 0], [3, 0]])  # the overwritten positions get nothing
    np.testing.assert_array_equal(gv.asnumpy(), [2, 4])


def test_all_any_dim_keepdim(fake):
    x = gs.tensor([[True, False], [True, True]])
    np.testing.assert_array_equal(x.all(dim=1).asnumpy(), [False, True])  # docs
    got = x.all(dim=[0, 1], keepdim=True)
    assert got.shape == (1, 1) and not got.asnumpy().any()  # docs
    np.testing.assert_array_equal(x.any(dim=0, keepdim=True).asnumpy(), [[True, True]])  # NumPy


def test_bytes_itemset_assign_and_host_queries():
    x = gs.Tensor([1, 2, 3], gs.int16)
    assert x.get_bytes() == b"\x01\x00\x02\x00\x03\x00"  # docs
    back = Tensor.convert_bytes_to_tensor(x.get_bytes(), x.shape, x.dtype)
    assert back.dtype == gs.int16 and back.asnumpy().tolist() == [1, 2, 3]
    f = Tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32))
    np.testing.assert_array_equal(f.itemset((0, 1), 4).asnumpy(), [[1, 4, 3], [4, 5, 6]])  # docs
    np.testing.assert_array_equal(f.asnumpy(), [[1, 2, 3], [4, 5, 6]])  # docs: f unchanged
    a = Tensor([1, 2, 3, 4])
    assert a.assign_value(Tensor(np.array([[1, 2], [3, 4]]))) is a
    assert a.shape == (2, 2) and a.asnumpy().tolist() == [[1, 2], [3, 4]]  # docs
    assert a.data is a and a.value() is a
    assert (a.has_init, a.is_init(), a.is_pinned(), a.is_shared(), a.flush_from_cache()) == (
        False, False, False, False, None)  # docs
