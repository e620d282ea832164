"""ops.aminmax with NaN: a NaN in a reduced slice makes both its min and max NaN, wherever it stands (NumPy's
min / max, torch.aminmax), and the gradient of that slice is NaN throughout (torch.aminmax's backward). MindSpore
2.10's CPU kernel keeps a NaN only when it comes first in the slice ([[1, nan, 3], [2, 0.5, -1]]: axis=1
gives min [1, -1] and max [3, 2], axis=0 gives NaN for column 1): an order artefact, not followed. On a real
server: the in-process fake one's JSON answers carry no NaN."""
import numpy as np
import pytest

from gradserve import Tensor, ops

X = np.array([[1.0, np.nan, 3.0], [2.0, 0.5, -1.0], [np.nan, 4.0, 0.0]], np.float32)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_a_nan_anywhere_in_a_slice_makes_its_min_and_max_nan(on_real_server, axis, keepdims):
    lo, hi = ops.aminmax(Tensor(X), axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(lo.asnumpy(), np.min(X, axis=axis, keepdims=keepdims))
    np.testing.assert_array_equal(hi.asnumpy(), np.max(X, axis=axis, keepdims=keepdims))


def test_gradient_of_a_slice_with_nan_is_nan_as_torch(on_real_server):
    g = ops.grad(lambda t: sum(r.sum() for r in ops.aminmax(t, axis=1)))(Tensor(X[:2])).asnumpy()
    # torch.aminmax(x, dim=1), (amin.sum() + amax.sum()).backward(): x.grad
    np.testing.assert_array_equal(g, [[np.nan, np.nan, np.nan], [1.0, 0.0, 1.0]])
