"""mindspore.numpy bincount / histogram / unwrap / norm / gradient: NumPy's values (the independent source),
MindSpore 2.10's dtypes (float32 counts)."""
import math

import numpy as np
import pytest

import gradserve as gs
import gradserve.numpy as mnp
from gradserve import Tensor

RNG = np.random.default_rng(11)


def test_bincount_and_histogram_match_numpy(on_real_server):
    x = RNG.integers(0, 10, 20)
    w = RNG.standard_normal(20)
    got = mnp.bincount(Tensor(x.astype(np.int32)), minlength=25)
    assert got.dtype == np.float32 and got.asnumpy().tolist() == np.bincount(x, minlength=25).tolist()
    np.testing.assert_allclose(mnp.bincount(Tensor(x), Tensor(w)).asnumpy(), np.bincount(x, w), rtol=1e-6)
    data = RNG.integers(-10, 10, 40)
    for bins, rng in ((5, None), (1, None), ((1, 2, 3), (2, 20)), ([-10, -2, 0, 9], None), (4, (2, 20))):
        counts, edges = mnp.histogram(Tensor(data), bins=bins, range=rng)
        want_counts, want_edges = np.histogram(data, bins=bins, range=rng)
        assert counts.dtype == np.float32 and counts.asnumpy().tolist() == want_counts.tolist()
        np.testing.assert_allclose(edges.asnumpy(), want_edges, rtol=1e-6)


def test_histogram_of_float32_data_bins_on_float32_edges_as_numpy(on_real_server):
    """NumPy (and MindSpore 2.10) make a float32 array's equal bins' edges in float32 and compare there: 0.7f
    lies on its bin's lower edge (in float64 edges it fell one bin lower). Weights with density: NumPy's values
    (it was a dtype error)."""
    a = np.linspace(0, 1, 11).astype(np.float32)
    counts, edges = mnp.histogram(Tensor(a), bins=10)
    want_counts, want_edges = np.histogram(a, bins=10)
    assert counts.asnumpy().tolist() == want_counts.tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 2, 1]
    np.testing.assert_array_equal(edges.asnumpy(), want_edges)
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    counts, edges = mnp.histogram(Tensor(x), bins=5, weights=Tensor(np.abs(x)), density=True)
    want_counts, want_edges = np.histogram(x, bins=5, weights=np.abs(x), density=True)
    np.testing.assert_allclose(counts.asnumpy(), want_counts, rtol=1e-5)
    np.testing.assert_allclose(edges.asnumpy(), want_edges, rtol=1e-6)


def test_unwrap_norm_gradient_match_numpy(on_real_server):
    p = np.linspace(np.linspace((0, 1), (10, 15), 5), np.linspace((0, 2), (3 * np.pi, 7 * np.pi), 5), 7)
    for axis in (0, -1):
        np.testing.assert_allclose(mnp.unwrap(Tensor(p), axis=axis).asnumpy(), np.unwrap(p, axis=axis), rtol=1e-12)
    a = RNG.integers(-9, 9, (3, 6, 4, 5)).astype(np.float64)
    np.testing.assert_allclose(mnp.norm(Tensor(a)).asnumpy(), np.linalg.norm(a), rtol=1e-12)
    for axis in ((0, 1), (1, 3), (2, 3)):
        for order in (None, "fro", math.inf, -math.inf, 1, -1):
            for keepdims in (True, False):
                np.testing.assert_allclose(mnp.norm(Tensor(a), order, axis, keepdims).asnumpy(),
                                           np.linalg.norm(a, order, axis, keepdims), rtol=1e-12)
    for order in (None, 1, 3, math.inf, 0):
        np.testing.assert_allclose(mnp.norm(Tensor(a), order, 2).asnumpy(), np.linalg.norm(a, order, 2), rtol=1e-12)
    v = RNG.standard_normal(5)
    g = gs.grad(lambda t: mnp.norm(t))(Tensor(v))   # d|v|/dv = v / |v|
    np.testing.assert_allclose(g.asnumpy(), v / np.linalg.norm(v), rtol=1e-12)
    f = RNG.random((3, 4, 5))
    for spacing, axis in (((-3.0,), (-1, 1)), ((-3.0, 5.0), (-1, 0)), ((), None)):
        got = mnp.gradient(Tensor(f), *spacing, axis=axis)
        want = np.gradient(f, *spacing, axis=axis)
        for gt, wt in zip(got, want):
            np.testing.assert_allclose(gt.asnumpy(), wt, rtol=1e-12)
    with pytest.raises(ValueError, match="ord"):
        mnp.norm(Tensor(a), 2, (0, 1))


def test_choose_and_the_type_errors_of_axes(on_real_server):
    x = RNG.integers(-4, 6, (5, 3, 1, 7))
    ys = (RNG.integers(-9, 9, 7), RNG.integers(-9, 9, (1, 3, 1)), RNG.integers(-9, 9, (5, 1, 1, 7)))
    for mode in ("wrap", "clip"):
        want = np.choose(x, ys, mode=mode)
        assert mnp.choose(Tensor(x), tuple(map(Tensor, ys)), mode=mode).asnumpy().tolist() == want.tolist()
        assert Tensor(x).choose(tuple(map(Tensor, ys)), mode=mode).asnumpy().tolist() == want.tolist()
    t = Tensor(np.ones((1, 3, 1), np.float32))
    assert t.squeeze().shape == (3,) and t.squeeze(axis=2).shape == (1, 3)
    with pytest.raises(TypeError):
        t.squeeze(1.2)   # was truncated to 1 (then a ShapeError)
    with pytest.raises(TypeError):
        mnp.expand_dims(mnp.ones((3, 3)), 1.2)
    with pytest.raises(TypeError):
        mnp.amax(Tensor(np.ones((2, 2), np.float32)), initial=[1.0, 2.0])


def test_tensor_resize_is_numpys_ndarray_resize(on_real_server):
    x = np.arange(15).reshape(3, 5)
    t = Tensor(x)
    for shape in ((2, 4), ((3, 1),), (7, 4)):
        want = np.array(x)
        want.resize(*shape, refcheck=False)
        t = t.resize(*shape)
        x = want
        assert t.asnumpy().tolist() == want.tolist()
