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
