"""gradserve.scipy.optimize.linear_sum_assignment (MindSpore 2.10's form: dimension_limit, -1 padding). Expected
values: SciPy's linear_sum_assignment (the optimal total cost; rows ascending) and MindSpore's docs ("docs")."""
import numpy as np
import pytest
import scipy.optimize as so

import gradserve as gs
from gradserve import Tensor
from gradserve.scipy.optimize import linear_sum_assignment


def test_docs_example():
    cost = Tensor(np.array([[2, 3, 3], [3, 2, 3], [3, 3, 2]])).astype(gs.float64)
    a, b = linear_sum_assignment(cost, False, Tensor(2))
    assert a.asnumpy().tolist() == [0, 1, -1] and b.asnumpy().tolist() == [0, 1, -1]  # docs
    a, b = linear_sum_assignment(cost, False)
    assert a.asnumpy().tolist() == [0, 1, 2] and b.asnumpy().tolist() == [0, 1, 2]  # docs


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3), (1, 5), (7, 2)])
@pytest.mark.parametrize("maximize", [False, True])
def test_optimal_cost_matches_scipy(shape, maximize):
    rng = np.random.default_rng(sum(shape) + maximize)
    for _ in range(10):
        cost = rng.standard_normal(shape)
        rows, cols = (t.asnumpy() for t in linear_sum_assignment(Tensor(cost), maximize))
        want_rows, want_cols = so.linear_sum_assignment(cost, maximize)
        assert rows.dtype == np.int64 and len(rows) == min(shape)
        np.testing.assert_array_equal(rows, want_rows)  # random costs: one optimum
        np.testing.assert_array_equal(cols, want_cols)


def test_dimension_limit_uses_the_first_columns():
    cost = np.random.default_rng(0).random((3, 5))
    rows, cols = (t.asnumpy() for t in linear_sum_assignment(Tensor(cost), False, Tensor(2)))
    want_rows, want_cols = so.linear_sum_assignment(cost[:, :2])
    np.testing.assert_array_equal(rows, list(want_rows) + [-1])  # SciPy on the first 2 columns, -1 after
    np.testing.assert_array_equal(cols, list(want_cols) + [-1])
    with pytest.raises(ValueError, match="2-D float"):
        linear_sum_assignment(Tensor(np.ones(3)), False)


def test_the_module_called_is_the_function():
    import importlib
    module = importlib.import_module("gradserve.scipy.optimize.linear_sum_assignment")  # MindSpore's spelling
    rows, cols = module(Tensor(np.eye(3)), True)
    assert rows.asnumpy().tolist() == [0, 1, 2] and cols.asnumpy().tolist() == [0, 1, 2]
