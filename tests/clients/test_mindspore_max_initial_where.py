"""ops.max / ops.min / Tensor.max with initial= and where= (MindSpore 2.10: with an axis, x becomes
maximum(x, initial), then initial where the mask is False): the examples of MindSpore's documentation,
NumPy's max(initial=, where=) for the values, and the gradient reaching only selected maxima."""
import numpy as np
import pytest

from gradserve import Tensor, ops

DOC = np.array([[9, 3, 4, 5], [5, 2, 7, 4], [8, 1, 3, 6]], np.float32)


def test_documented_examples(fake):
    where = Tensor(np.array([[0, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 0]], bool))
    vals, idx = ops.max(Tensor(DOC), axis=1, keepdims=True, initial=0, where=where)
    assert vals.asnumpy().ravel().tolist() == [4, 7, 8] and idx.asnumpy().ravel().tolist() == [2, 2, 0]
    vals, idx = ops.max(Tensor(DOC), axis=0, keepdims=True, initial=0, where=Tensor(np.zeros((3, 1), bool)))
    assert vals.asnumpy().tolist() == [[0, 0, 0, 0]] and idx.asnumpy().tolist() == [[0, 0, 0, 0]]


def test_values_match_numpy_and_min_mirrors(fake):
    x = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    mask = x[:, :1] > -0.2  # broadcast along the rows
    np.testing.assert_allclose(ops.max(Tensor(x), 1, initial=0.5, where=Tensor(mask))[0].asnumpy(),
                               np.max(x, 1, initial=0.5, where=mask))
    np.testing.assert_allclose(ops.min(Tensor(x), 0, initial=-0.1)[0].asnumpy(), np.min(x, 0, initial=-0.1))
    np.testing.assert_allclose(Tensor(x).max(axis=1, initial=0.0), np.max(x, 1, initial=0.0))
    with pytest.raises(ValueError, match="initial"):
        ops.max(Tensor(x), 1, where=Tensor(mask))
    with pytest.raises(TypeError, match="scalar"):
        ops.max(Tensor(x), 1, initial=Tensor(1.0))


def test_gradient_goes_to_the_selected_maximum_only(fake):
    x = np.array([[1.0, 5.0, 2.0], [3.0, -1.0, 4.0]], np.float32)
    where = Tensor(np.array([[True, False, True], [True, True, True]]))
    g = ops.grad(lambda a: ops.sum(ops.max(a, 1, initial=-10.0, where=where)[0]))(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(g, [[0, 0, 1], [0, 0, 1]])  # 5.0 is masked out: the row's max is 2.0
