"""ops.NthElement's gradient at ties: MindSpore 2.10 (CPU, PyNative, run in /work/msvenv for this test) splits
the output's gradient equally among the elements equal to the selected value, as ReduceMax does; the
value is the n-th order statistic (NumPy's sort)."""
import numpy as np
import pytest

from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

X = np.array([[1., 3., 3., 0.], [2., 2., 2., 5.], [4., 1., 2., 3.]], np.float32)
ROW_WEIGHTS = np.array([1., 10., 100.], np.float32)


@pytest.mark.parametrize("reverse, n, want", [
    (True, 0, [[0, .5, .5, 0], [0, 0, 0, 10], [100, 0, 0, 0]]),
    (False, 1, [[1, 0, 0, 0], [10 / 3, 10 / 3, 10 / 3, 0], [0, 0, 100, 0]]),
    (False, 2, [[0, .5, .5, 0], [10 / 3, 10 / 3, 10 / 3, 0], [0, 0, 0, 100]]),
])
def test_nth_element_gradient_splits_among_ties(reverse, n, want):
    op = ops.NthElement(reverse=reverse)
    ordered = np.sort(X, -1)[:, ::-1] if reverse else np.sort(X, -1)
    np.testing.assert_array_equal(op(Tensor(X), n).asnumpy(), ordered[:, n])
    g = ops.grad(lambda t: (op(t, n) * Tensor(ROW_WEIGHTS)).sum())(Tensor(X))
    np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-6)


def test_nth_element_infinite_ties_and_nan_keep_their_value():
    x = np.array([[np.inf, 1., np.inf], [-np.inf, -np.inf, 0.], [np.nan, 1., 2.]], np.float32)
    out = ops.NthElement()(Tensor(x), 0).asnumpy()
    np.testing.assert_array_equal(out[:2], [1., -np.inf])  # NumPy's sort: 1 smallest, -inf (twice) smallest
    g = ops.grad(lambda t: ops.NthElement(reverse=True)(t, 0)[:2].sum())(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(g[:2], [[.5, 0, .5], [0, 0, 1]])


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.float16])
def test_nth_element_other_dtypes(dtype):
    x = np.array([[3, 1, 3, 2], [0, 7, 5, 5]], dtype)
    out = ops.NthElement(reverse=True)(Tensor(x), 1)
    assert out.dtype == Tensor(x).dtype
    np.testing.assert_array_equal(out.asnumpy(), np.sort(x, -1)[:, ::-1][:, 1])
