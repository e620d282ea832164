"""matrix_band_part, Padding, Slice / slice, Meshgrid, L2Loss, Cdist, Softsign, PReLU, Trunc, Rint,
Tensor.trunc / ceil against MindSpore 2.10 (CPU, PyNative: the values below are its output, run for this
task)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops
from gradserve.ops import functional as F
from gradserve.ops import operations as P

pytestmark = pytest.mark.usefixtures("on_real_server")  # pad and gradients run on the service

X = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5
W = Tensor(np.array([0.1, 0.2, 0.3], np.float32))


def v(t):
    return t.asnumpy().tolist()


def test_matrix_band_part_and_its_gradient():
    x = Tensor(X)
    assert v(F.matrix_band_part(x, 1, 0)) == [[-5.5, 0, 0, 0], [-1.5, -0.5, 0, 0], [0, 3.5, 4.5, 0]]
    assert v(F.matrix_band_part(x, -1, 1)) == [[-5.5, -4.5, 0, 0], [-1.5, -0.5, 0.5, 0], [2.5, 3.5, 4.5, 5.5]]
    g = ms.grad(lambda t: (F.matrix_band_part(t, 1, 0) * t).sum())(x)
    assert v(g) == [[-11, 0, 0, 0], [-3, -1, 0, 0], [0, 7, 9, 0]]


def test_padding_slice_meshgrid():
    assert v(P.Padding(3)(Tensor(np.array([[1.0], [2.0]], np.float32)))) == [[1, 0, 0], [2, 0, 0]]
    x = Tensor(X)
    assert v(P.Slice()(x, (1, 0), (2, -1))) == [[-1.5, -0.5, 0.5, 1.5], [2.5, 3.5, 4.5, 5.5]]
    assert v(F.slice(x, (0, 1), (1, 2))) == [[-4.5, -3.5]]
    a, b = Tensor(np.array([1., 2., 3.], np.float32)), Tensor(np.array([4., 5.], np.float32))
    gx, gy = P.Meshgrid("xy")((a, b))
    assert v(gx) == [[1, 2, 3], [1, 2, 3]] and v(gy) == [[4, 4, 4], [5, 5, 5]]
    gx, gy = P.Meshgrid("ij")((a, b))
    assert v(gx) == [[1, 1], [2, 2], [3, 3]] and v(gy) == [[4, 5], [4, 5], [4, 5]]


def test_losses_and_activations():
    x = Tensor(X)
    assert float(P.L2Loss()(x)) == 71.5
    assert v(P.Cdist(2.0)(x, x))[0] == [0.0, 8.0, 16.0]
    np.testing.assert_allclose(P.Softsign()(x).asnumpy()[0], [-0.84615386, -0.8181818, -0.7777778, -0.71428573])
    y = ops.PReLU()(Tensor(np.arange(12, dtype=np.float32).reshape(2, 3, 2) - 6), W).asnumpy()
    np.testing.assert_allclose(y, [[[-0.6, -0.5], [-0.8, -0.6], [-0.6, -0.3]], [[0, 1], [2, 3], [4, 5]]], rtol=1e-6)
    half = Tensor(np.array([0.25, 0.25], np.float32))
    g = ms.grad(lambda t: ops.PReLU()(t, half).sum())(Tensor(np.array([[-1.0, 0.0], [2.0, 3.0]], np.float32)))
    assert v(g) == [[0.25, 0.25], [1.0, 1.0]]    # at 0 the slope (MindSpore 2.10)


def test_rounding():
    x = Tensor(X)
    assert v(P.Trunc()(x)) == [[-5, -4, -3, -2], [-1, 0, 0, 1], [2, 3, 4, 5]]
    assert np.signbit(P.Trunc()(x).asnumpy()[1, 1])     # -0.5 -> -0.0, as MindSpore
    assert v(x.trunc())[0] == [-5, -4, -3, -2] and v(x.ceil())[0] == [-5, -4, -3, -2]
    assert v(P.Rint()(Tensor(np.array([-2.5, -1.5, 0.5, 1.5, 2.4], np.float32)))) == [-2, -2, 0, 2, 2]


def test_strided_slice_with_masks_and_its_gradient():
    x = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert v(ops.strided_slice(x, (1, 0, 0), (2, 3, 4), (1, 1, 2))) == [[[12, 14], [16, 18], [20, 22]]]
    assert v(ops.strided_slice(x, (1, 0, 3), (2, 3, 0), (1, 2, -1))) == [[[15, 14, 13], [23, 22, 21]]]
    got = P.StridedSlice(begin_mask=0b010, end_mask=0b100, shrink_axis_mask=0b001)(x, (1, 2, 1), (2, 3, 3), (1, 1, 1))
    assert v(got) == [[13, 14, 15], [17, 18, 19], [21, 22, 23]]
    assert P.StridedSlice(new_axis_mask=0b001)(x, (0, 0), (1, 2), (1, 1)).shape == (1, 2, 3, 4)
    assert P.StridedSlice(ellipsis_mask=0b001)(x, (0, 1), (1, 3), (1, 1)).shape == (2, 3, 2)
    g = ms.grad(lambda t: ops.strided_slice(t, (0, 1, 0), (2, 3, 4), (1, 1, 3)).sum())(x)
    assert v(g) == [[[0, 0, 0, 0], [1, 0, 0, 1], [1, 0, 0, 1]]] * 2


def test_bce_with_logits_loss_and_its_gradient():
    x = Tensor(np.array([[-3.0, -0.5, 0.0], [0.7, 2.0, 40.0]], np.float32))
    y = Tensor(np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0]], np.float32))
    w, pw = Tensor(np.array([1.0, 2.0, 0.5], np.float32)), Tensor(np.array([1.0, 3.0, 2.0], np.float32))
    np.testing.assert_allclose(P.BCEWithLogitsLoss("none")(x, y, w, pw).asnumpy(),
                               [[0.04859, 5.84446, 0.51986], [0.40319, 4.25386, 0.0]], atol=1e-5)
    np.testing.assert_allclose(float(P.BCEWithLogitsLoss("sum")(x, y, w, pw)), 11.06995, rtol=1e-6)
    np.testing.assert_allclose(float(ops.binary_cross_entropy_with_logits(x, y, w, pw)), 1.84499, rtol=1e-5)
    g = ms.grad(lambda a: P.BCEWithLogitsLoss("sum")(a, y, w, pw))(x).asnumpy()
    np.testing.assert_allclose(g, [[0.04743, -3.73476, -0.125], [-0.33181, 1.76159, 0.0]], atol=1e-5)


def test_meshgrid_function_and_band_under_vmap():
    a, b = Tensor(np.array([1, 2], np.int32)), Tensor(np.array([3, 4, 5], np.int32))
    assert [v(t) for t in F.meshgrid(a, b, indexing="ij")] == [[[1, 1, 1], [2, 2, 2]], [[3, 4, 5], [3, 4, 5]]]
    out = ms.vmap(F.matrix_band_part, (0, None, None), 0)(Tensor(np.ones((2, 3, 3), np.float32)), Tensor(1), Tensor(0))
    assert v(out) == [[[1, 0, 0], [1, 1, 0], [0, 1, 1]]] * 2


def test_inv_cdist_p0_and_prelu_of_a_scalar():
    assert v(P.Inv()(Tensor(np.array([1, -1, 2, -3, 100], np.int32)))) == [1, -1, 0, 0, 0]
    assert v(P.Inv()(Tensor(np.array([2.0, -4.0], np.float32)))) == [0.5, -0.25]
    assert v(ms.grad(lambda t: P.Inv()(t).sum())(Tensor(np.array([2.0, -4.0], np.float32)))) == [-0.25, -0.0625]
    d = P.Cdist(0.0)(Tensor(np.array([[1.0, 2.0], [3.0, 2.0]], np.float32)), Tensor(np.array([[1.0, 2.0]], np.float32)))
    assert v(d) == [[0.0], [1.0]]
    x, w = Tensor(np.array(-0.8, np.float32)), Tensor(np.array([0.6], np.float32))
    assert ops.PReLU()(x, w).shape == ()
    gx, gw = ms.grad(lambda a, b: ops.PReLU()(a, b), grad_position=(0, 1))(x, w)
    np.testing.assert_allclose(gx.asnumpy(), 0.6) and np.testing.assert_allclose(gw.asnumpy(), [-0.8])
    assert gw.shape == (1,)
