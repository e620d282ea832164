"""Infinite and NaN numbers given to ops inside a trace (a -inf fill for a mask, clamp's open bound, a -inf pad,
nanmax's stand-in for NaN): the graph's JSON holds no NaN / Infinity, so such a number must reach the engine
another way; it was a bare ValueError ("Out of range float values are not JSON compliant") from the encoder.

Expected values: NumPy's (np.nanmax, np.clip, np.pad, np.full), each computed in the test; outputs are kept finite
(an exp of the -inf) where the value itself would be infinite. On the real server: the fake one answers JSON,
which holds no infinite output of an eager op either."""
import numpy as np
import pytest

import gradserve as ms
import gradserve.numpy as gnp
from gradserve import Tensor, ops

INF = float("inf")
X = np.array([[np.nan, 1.0, 3.0], [2.0, np.nan, -1.0]], np.float32)
V = np.array([1.0, -2.0, 3.0], np.float32)


def both(fn, *args):
    """fn's value eagerly (the SDK's NumPy) and traced (a jit graph run by the engine)."""
    ts = [Tensor(a) for a in args]
    return fn(*ts).asnumpy(), ms.jit(fn)(*ts).asnumpy()


@pytest.mark.parametrize("name, ref", [("nanmax", np.nanmax), ("nanmin", np.nanmin)])
@pytest.mark.parametrize("axis", [1, -2])
def test_nanmax_and_nanmin_in_a_trace(on_real_server_each_transport, name, ref, axis):
    for got in both(lambda t: getattr(gnp, name)(t, axis=axis), X):
        np.testing.assert_array_equal(got, ref(X, axis=axis))


@pytest.mark.parametrize("make", [lambda t: ops.full((3,), -INF, dtype=ms.float32),
                                  lambda t: ops.fill(ms.float32, (3,), -INF),
                                  lambda t: ops.full_like(t, -INF),
                                  lambda t: t.copy().fill_(-INF)])
def test_a_fill_of_minus_infinity(on_real_server, make):
    for got in both(lambda t: ops.exp(make(t)) + t, V):
        np.testing.assert_array_equal(got, np.exp(np.full(3, -np.inf, np.float32)) + V)


def test_a_fill_of_nan_stays_nan_where_it_is_read(on_real_server):
    for got in both(lambda t: ops.where(ops.isnan(ops.full((3,), float("nan"), dtype=ms.float32)), t, -t), V):
        np.testing.assert_array_equal(got, V)


@pytest.mark.parametrize("lo, hi", [(-INF, 1.0), (-1.0, INF), (-INF, INF)])
def test_clamp_with_an_infinite_bound(on_real_server, lo, hi):
    for got in both(lambda t: ops.clamp(t, lo, hi), V):
        np.testing.assert_array_equal(got, np.clip(V, lo, hi))


def test_a_clamp_to_an_infinite_lower_bound_of_ints(on_real_server):
    import torch
    ints = np.array([5, -7, 0], np.int32)
    want = torch.clamp(torch.from_numpy(ints), -INF, 2.0).numpy()  # (float bounds promote an int input: float32)
    for got in both(lambda t: ops.clamp(t, -INF, 2.0), ints):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


def test_a_pad_of_minus_infinity(on_real_server):
    for got in both(lambda t: ops.exp(ops.pad(t, (1, 2), value=-INF)), V):
        np.testing.assert_allclose(got, np.exp(np.pad(V, (1, 2), constant_values=-np.inf)), rtol=1e-6)


def test_gradient_through_a_minus_infinity_pad(on_real_server):
    # d/dt sum(exp(pad(t, -inf))) = exp(t): the padded elements give nothing
    g = ms.grad(lambda t: ops.exp(ops.pad(t, (1, 1), value=-INF)).sum())(Tensor(V)).asnumpy()
    np.testing.assert_allclose(g, np.exp(V), rtol=1e-6)


@pytest.mark.parametrize("name, ref", [("nanmax", np.nanmax), ("nanmin", np.nanmin)])
def test_nanmax_of_a_slice_all_nan_is_nan(on_real_server, name, ref):
    x = np.array([[np.nan, np.nan], [1.0, np.nan]], np.float32)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        want = ref(x, axis=1)  # NumPy: [nan, 1] (and its all-NaN warning); the stand-in's +-inf was returned
    for got in both(lambda t: getattr(gnp, name)(t, axis=1), x):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("lo, hi", [(INF, None), (None, -INF), (INF, -INF)])
def test_clamp_to_a_bound_that_is_not_an_open_side(on_real_server, lo, hi):
    # (a bound of +inf below or -inf above: the bounds travel as 0-d constants)
    with np.errstate(invalid="ignore"):
        want = np.clip(V, lo, hi)
    for got in both(lambda t: ops.clamp(t, lo, hi), V):
        np.testing.assert_array_equal(got, want)
