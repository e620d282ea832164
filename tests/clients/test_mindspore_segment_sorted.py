"""ops.SegmentMax / SegmentMin / SegmentMean / SegmentProd (sorted segment ids; an empty segment: 0, or 1 for the
product). Expected values: the output MindSpore 2.10's docs print ("docs") or NumPy."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

X = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float64)
IDS = Tensor([0, 0, 2], gs.int64)


@pytest.mark.parametrize("name, want", [
    ("SegmentMax", [[4, 5, 6], [0, 0, 0], [7, 8, 9]]),  # docs
    ("SegmentMin", [[1, 2, 3], [0, 0, 0], [7, 8, 9]]),  # docs
    ("SegmentProd", [[4, 10, 18], [1, 1, 1], [7, 8, 9]]),  # docs
    ("SegmentMean", [[2.5, 3.5, 4.5], [0, 0, 0], [7, 8, 9]]),  # NumPy: mean of rows 0 and 1
    ("SegmentSum", [[5, 7, 9], [0, 0, 0], [7, 8, 9]]),  # docs
])
def test_sorted_segments(fake, name, want):
    np.testing.assert_array_equal(getattr(ops, name)()(Tensor(X), IDS).asnumpy(), want)


def test_negative_values_and_integers(fake):
    got = ops.SegmentMax()(Tensor(np.array([-3, -1, -2], np.int32)), Tensor([0, 0, 2])).asnumpy()
    np.testing.assert_array_equal(got, [-1, 0, -2])  # an empty segment is 0, not the int's lowest value


def test_segment_mean_gradient(fake):
    got = ops.grad(lambda t: (ops.SegmentMean()(t, Tensor([0, 0, 1, 3])) * Tensor([1.0, 2.0, 3.0, 4.0])).sum())(
        Tensor(np.arange(4.0))).asnumpy()
    np.testing.assert_array_equal(got, [0.5, 0.5, 2.0, 4.0])  # d/dx of the weighted means


def test_unsorted_ids_are_refused(fake):
    with pytest.raises(ValueError, match="sorted"):
        ops.SegmentMin()(Tensor(X), Tensor([1, 0, 2]))
