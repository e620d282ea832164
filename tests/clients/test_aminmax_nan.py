"""ops.aminmax with NaN, as MindSpore 2.10's CPU kernels give it (round 25 follows MindSpore's order, where this file
pinned NumPy's / torch's propagation before): a NaN counts only where it comes first in the reduced slice, and the
gradient along an axis goes to the first index of each extremum (ArgMinWithValue / ArgMaxWithValue's). Values and
gradients: MindSpore 2.10 runs (/work/ms_suite_left25/p1e.py, p1f.py). On a real server: the in-process fake one's
JSON answers carry no NaN."""
import numpy as np
import pytest

from gradserve import Tensor, ops

nan = np.nan
X = np.array([[1.0, nan, 3.0], [2.0, 0.5, -1.0], [nan, 4.0, 0.0]], np.float32)
# MindSpore 2.10: (min, max) along each axis
_ALONG = {0: ([1.0, nan, -1.0], [2.0, nan, 3.0]), 1: ([1.0, -1.0, nan], [3.0, 2.0, nan]),
          -1: ([1.0, -1.0, nan], [3.0, 2.0, nan])}


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_a_nan_counts_only_where_it_comes_first_in_its_slice(on_real_server, axis, keepdims):
    lo, hi = ops.aminmax(Tensor(X), axis=axis, keepdims=keepdims)
    want_lo, want_hi = (np.expand_dims(np.array(v, np.float32), axis) if keepdims else v for v in _ALONG[axis])
    np.testing.assert_array_equal(lo.asnumpy(), want_lo)
    np.testing.assert_array_equal(hi.asnumpy(), want_hi)


def test_the_gradient_goes_to_the_first_index_of_each_extremum(on_real_server):
    g = ops.grad(lambda t: sum(r.sum() for r in ops.aminmax(t, axis=1)))(Tensor(X)).asnumpy()
    # MindSpore 2.10: [[1, 0, 1], [1, 0, 1], [2, 0, 0]] (the last row's NaN is both its min and max)
    np.testing.assert_array_equal(g, [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0], [2.0, 0.0, 0.0]])


def test_ties_give_the_first_index_alone(on_real_server):
    def f(t):
        lo, hi = ops.aminmax(t, axis=1)
        return lo.sum() + hi.sum() * 10
    # MindSpore 2.10: [[3, 1, 3, 1]] -> [[10, 1, 0, 0]]; [[nan, nan, 2]] -> [[11, 0, 0]]
    np.testing.assert_array_equal(ops.grad(f)(Tensor(np.array([[3.0, 1.0, 3.0, 1.0]], np.float32))).asnumpy(),
                                  [[10.0, 1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(ops.grad(f)(Tensor(np.array([[nan, nan, 2.0]], np.float32))).asnumpy(),
                                  [[11.0, 0.0, 0.0]])
