"""ops.median / nanmedian / nansum / aminmax / float_power / positive and their Tensor methods.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv with the same inputs;
each list below is its output.
"""
import numpy as np
import pytest

from gradserve import Tensor, context, float64, grad, mint, ops

X = np.array([[1, 3, 4, 2], [0, 2, 4, 1]], np.float32)
NANS = np.array([[np.nan, 1.0, 2.0, 3.0], [np.nan, np.nan, np.nan, np.nan], [5.0, np.nan, -1.0, 2.0]], np.float32)


def _eq(out, expected, dtype):
    assert str(out.asnumpy().dtype) == dtype
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_median_lower_middle_and_first_tied_index(on_real_server, mode):
    context.set_context(mode=mode)
    values, indices = Tensor(X).median(axis=0, keepdims=True)
    _eq(values, [[0, 2, 4, 1]], "float32")
    _eq(indices, [[1, 1, 0, 1]], "int64")  # column [4, 4]: the first
    values, indices = Tensor(X).median()  # MindSpore 2.10 CPU: along the last axis
    _eq(values, [2, 1], "float32")
    _eq(indices, [3, 3], "int64")
    values, indices = Tensor(X).median(dim=1)
    _eq(indices, [3, 3], "int64")


def test_median_gradient_and_global_form(on_real_server):
    _eq(grad(lambda a: ops.median(a, 0)[0].sum())(Tensor(X)), [[0, 0, 1, 0], [1, 1, 0, 1]], "float32")
    _eq(mint.median(Tensor(X)), 2.0, "float32")  # all 8 elements: the 4th smallest of 0 1 1 2 2 3 4 4


def test_nanmedian_ignores_nan(on_real_server):
    values, indices = ops.nanmedian(Tensor(NANS), 1)
    _eq(values, [2.0, np.nan, 2.0], "float32")
    assert indices.asnumpy()[[0, 2]].tolist() == [2, 3]  # the all-NaN row's index: see ops/_median.py
    values, indices = Tensor(NANS).nanmedian(axis=0, keepdims=True)
    _eq(values, [[5.0, 1.0, -1.0, 2.0]], "float32")
    _eq(indices, [[2, 0, 2, 2]], "int64")
    g = grad(lambda a: ops.nanmedian(a, 1)[0].sum())(Tensor(NANS)).asnumpy()
    np.testing.assert_array_equal(g[[0, 2]], [[0, 0, 1, 0], [0, 0, 0, 1]])


def test_nansum_aminmax_float_power_positive(on_real_server):
    _eq(Tensor(NANS).nansum(1), [6.0, 0.0, 6.0], "float32")
    _eq(Tensor(NANS).nansum(dim=0, keepdim=True, dtype=float64), [[5.0, 1.0, 1.0, 5.0]], "float64")
    _eq(grad(lambda a: a.nansum())(Tensor(NANS)), np.isfinite(NANS).astype(np.float32), "float32")
    low, high = Tensor(X).aminmax(axis=1, keepdims=True)
    _eq(low, [[1], [0]], "float32")
    _eq(high, [[4], [4]], "float32")
    _eq(Tensor(np.array([1, 2, 3], np.int32)).float_power(2), [1, 4, 9], "float64")  # MindSpore: Float64
    _eq(Tensor(X).float_power(Tensor(np.array([0.5], np.float32))), np.sqrt(X.astype(np.float64)), "float64")
    _eq(Tensor(X).positive(), X, "float32")
    _eq(Tensor(np.array([0.8, 1.5, 2.3, 2.5, -4.5], np.float32)).round(), [1, 2, 2, 2, -4], "float32")
    _eq(Tensor(np.array([-3.0, -2, -1, 1, 2, 3], np.float32)).fmod(1.5), [0, -0.5, -1, 1, 0.5, 0], "float32")


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_aminmax_of_a_0d_tensor_is_itself(on_real_server, mode):
    context.set_context(mode=mode)
    x = Tensor(np.array(32, np.float32))
    for axis in (0, -1, None):
        for keepdims in (True, False):
            low, high = x.aminmax(axis=axis, keepdims=keepdims)
            assert low.shape == () and high.shape == ()  # MindSpore 2.10: shape () in every case
            assert float(low.asnumpy()) == float(high.asnumpy()) == 32.0
    context.set_context(mode=context.PYNATIVE_MODE)


def test_median_of_a_slice_with_nan_is_nan_at_its_first_nan(on_real_server):
    """MindSpore 2.10 (CPU): a NaN in the slice makes the median NaN, its index the first NaN's position and the
    gradient reaches that element (as torch.median); nanmedian is the form that skips NaN."""
    x = np.array([[1.0, np.nan, 2.0], [3.0, 1.0, 1.0]], np.float32)
    values, indices = ops.median(Tensor(x), axis=-1)
    _eq(values, [np.nan, 1.0], "float32")
    _eq(indices, [1, 2], "int64")
    values, indices = ops.median(Tensor(x), axis=0)
    _eq(values, [1.0, np.nan, 1.0], "float32")
    _eq(indices, [0, 0, 1], "int64")
    values, indices = ops.median(Tensor(np.array([np.nan, 5, 1, np.nan, 0], np.float32)), axis=0)
    _eq(values, np.nan, "float32")
    _eq(indices, 0, "int64")
    _eq(grad(lambda a: ops.median(a, axis=-1)[0].sum())(Tensor(x)), [[0, 1, 0], [0, 0, 1]], "float32")


@pytest.mark.parametrize("dt, want", [("int32", "int32"), ("int8", "int8"), ("uint8", "uint8"), ("int16", "int16"),
                                      ("int64", "int64"), ("bool", "int64")])
def test_nansum_keeps_an_integer_dtype(fake, dt, want):
    """MindSpore 2.10 (CPU): ops.nansum / Tensor.nansum of an integer Tensor keep its dtype (ops.sum widens to
    int64), of a bool one give int64."""
    x = Tensor(np.array([[1, 1, 0], [1, 0, 1]]).astype(dt))
    _eq(ops.nansum(x), 4, want)
    _eq(x.nansum(0), [2, 1, 1], want)
