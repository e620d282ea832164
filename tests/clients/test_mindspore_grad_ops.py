"""StridedSliceGrad (mindspore.ops.operations._grad_ops): zeros of the shape with dy written where
x[begin:end:strides] reads, and its own derivative (the slice of the incoming gradient).

Expected values by hand in NumPy (the same slice assigned into zeros); MindSpore 2.10's documented example
(its CPU test's numbers) for the first case."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.ops.operations import _grad_ops as G


@pytest.mark.parametrize("shape, begin, end, strides", [
    ((3, 2, 3), (2, 0, 0), (3, 2, 3), (1, 1, 1)),
    ((2, 4, 2), (0, 0, 0), (1, 4, 2), (1, 1, 1)),
    ((5, 6), (-1, 5), (0, -7), (-2, -2)),       # negative strides, out-of-range end clamped
    ((4, 5, 3), (1, 0), (4, 5), (2, 3)),        # fewer entries than axes: the rest whole
])
def test_strided_slice_grad_places_dy_where_the_slice_reads(on_real_server, shape, begin, end, strides):
    sl = tuple(slice(b, e, s) for b, e, s in zip(begin, end, strides))
    dy = np.arange(1, 1 + np.zeros(shape)[sl].size, dtype=np.float32).reshape(np.zeros(shape)[sl].shape)
    want = np.zeros(shape, np.float32)
    want[sl] = dy
    got = G.StridedSliceGrad()(Tensor(dy), shape, begin, end, strides)
    np.testing.assert_array_equal(got.asnumpy(), want)


def test_strided_slice_grad_masks_and_its_derivative(on_real_server):
    # begin_mask bit 0: axis 0 from its start; end_mask bit 1: axis 1 to its end
    dy = np.ones((2, 2), np.float32)
    got = G.StridedSliceGrad(begin_mask=1, end_mask=2)(Tensor(dy), (3, 4), (2, 2), (2, 0), (1, 1)).asnumpy()
    want = np.zeros((3, 4), np.float32)
    want[:2, 2:] = 1
    np.testing.assert_array_equal(got, want)
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    g = gs.grad(lambda d: ops.sum(G.StridedSliceGrad(1, 2)(d, (3, 4), (2, 2), (2, 0), (1, 1)) * Tensor(w)))(Tensor(dy))
    np.testing.assert_array_equal(g.asnumpy(), w[:2, 2:])
    with pytest.raises(NotImplementedError, match="ellipsis_mask"):
        G.StridedSliceGrad(ellipsis_mask=1)


# MaxPoolGradGrad / MaxPool3DGradGrad: grad at each window's max of x (the first one on ties). Expected values
# are MindSpore 2.10's (CPU), run for this task, on inputs with tied maxima.
X2 = np.array([[1, 5, 5], [0, 5, 2], [4, 4, 1]], np.float32).reshape(1, 1, 3, 3)
G2 = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)


@pytest.mark.parametrize("pad_mode, want", [("VALID", [[2, 2], [5, 5]]), ("SAME", [[2, 2, 3], [5, 5, 6], [7, 8, 9]])])
def test_max_pool_grad_grad_picks_grad_at_the_first_max(on_real_server, pad_mode, want):
    out = G.MaxPoolGradGrad(kernel_size=2, strides=1, pad_mode=pad_mode)(Tensor(X2), None, Tensor(G2))
    np.testing.assert_array_equal(out.asnumpy()[0, 0], want)


def test_max_pool3d_grad_grad(on_real_server):
    x = np.array([1, 3, 3, 0, 2, 3, 1, 3], np.float32).reshape(1, 1, 2, 2, 2)
    g = np.arange(1, 9, dtype=np.float32).reshape(1, 1, 2, 2, 2)
    out = G.MaxPool3DGradGrad(kernel_size=2, strides=1, pad_mode="VALID")(Tensor(x), None, Tensor(g))
    np.testing.assert_array_equal(out.asnumpy(), [[[[[2.0]]]]])
    with pytest.raises(ValueError, match="must have x's shape"):
        G.MaxPool3DGradGrad(kernel_size=2)(Tensor(x), None, Tensor(g[..., :1]))
