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


def _values(t):
    return t.asnumpy().tolist()


def test_histogramdd_and_histogram2d_as_mindspore(on_real_server):
    # counts: NumPy's (the independent source); dtypes and edge dtypes: MindSpore 2.10's (its venv)
    x = RNG.integers(-10, 10, (30, 3))
    for bins, rng in (((15, 4, 9), [[0, 5], [2, 7], [1, 3]]), (2, None), (np.arange(24).reshape(3, 8), None)):
        counts, edges = mnp.histogramdd(Tensor(x), bins=Tensor(bins) if isinstance(bins, np.ndarray) else bins,
                                        range=rng)
        want, want_edges = np.histogramdd(x, bins=bins, range=rng)
        assert counts.dtype == gs.float32 and _values(counts) == want.tolist()
        assert isinstance(edges, list) and len(edges) == 3
        for e, w in zip(edges, want_edges):
            np.testing.assert_allclose(e.asnumpy(), w, rtol=1e-6)
    assert edges[0].dtype == gs.int64  # given edges keep their dtype (MindSpore); computed ones are float32
    w = RNG.standard_normal(30)
    counts, _ = mnp.histogramdd([Tensor(x[:, 0]), Tensor(x[:, 1])], bins=3, weights=Tensor(w), density=True)
    np.testing.assert_allclose(counts.asnumpy(), np.histogramdd(x[:, :2], bins=3, weights=w, density=True)[0],
                               rtol=1e-5)
    with pytest.raises(ValueError, match="dimension of bins"):
        mnp.histogramdd(Tensor(x), bins=(2, 3))
    with pytest.raises(ValueError, match="2-dimensional"):
        mnp.histogramdd(Tensor(x[:, 0]), bins=3)
    a, b = RNG.integers(-10, 10, 40), RNG.integers(-10, 10, 40)
    for bins in (4, [8, [1, 2, 3]], [-9, 0, 3, 9]):
        for rng in (None, [(3, 3), (2, 20)]):
            h, xe, ye = mnp.histogram2d(Tensor(a), Tensor(b), bins=bins, range=rng)
            wh, wxe, wye = np.histogram2d(a, b, bins=bins, range=rng)
            assert h.dtype == gs.float32 and _values(h) == wh.tolist()
            np.testing.assert_allclose(xe.asnumpy(), wxe, rtol=1e-6)
            np.testing.assert_allclose(ye.asnumpy(), wye, rtol=1e-6)


def test_apply_along_axis_piecewise_intersect1d_as_mindspore(on_real_server):
    z = np.arange(24).reshape(2, 3, 4)
    for axis in range(-3, 3):
        np.testing.assert_array_equal(mnp.apply_along_axis(mnp.diag, axis, Tensor(z)).asnumpy(),
                                      np.apply_along_axis(np.diag, axis, z))
    got = mnp.apply_along_axis(lambda v, y, offset=0: (v[1] - y) * offset, 0, Tensor(z), 1, offset=3)
    assert _values(got) == [[33, 36, 39, 42], [45, 48, 51, 54], [57, 60, 63, 66]]  # MindSpore 2.10's
    assert _values(mnp.apply_along_axis(lambda v: v[0], 2, Tensor(z))) == [[0, 4, 8], [12, 16, 20]]
    with pytest.raises(ValueError, match="out of bounds"):
        mnp.apply_along_axis(mnp.sum, 3, Tensor(z))
    r = RNG.random((5, 4, 3)).astype(np.float32)
    for func, np_func, axes in ((mnp.sum, np.sum, 0), (mnp.sum, np.sum, (0, 1)), (mnp.std, np.std, 1),
                                (mnp.mean, np.mean, (-1,))):
        np.testing.assert_allclose(mnp.apply_over_axes(func, Tensor(r), axes).asnumpy(),
                                   np.apply_over_axes(np_func, r, axes), rtol=1e-5)
    w = np.array([[0, 1, 2, 3], [4, 2, 1, 0]])
    t = Tensor(w)
    got = mnp.piecewise(t, [t < 2, t == 2, t > 2], [lambda v, offset=0: v - offset, lambda v, offset=0: v,
                                                    lambda v, offset=0: v * offset], offset=2)
    assert got.dtype == gs.int64 and _values(got) == [[-2, -1, 2, 6], [8, 2, -1, -2]]
    got = mnp.piecewise(t, [t < 2, t == 2, t > 2], [-1, 0, 1])
    assert got.dtype == gs.int32 and _values(got) == [[-1, -1, 0, 1], [1, 0, -1, -1]]
    got = mnp.piecewise(t, [t > 10, t < 0], [lambda v: v - 2, lambda v: v - 1, lambda v: v * 2])  # otherwise
    assert _values(got) == [[0, 2, 4, 6], [8, 4, 2, 0]]
    assert _values(mnp.piecewise(t, [t > 1], [lambda v: v * 10])) == [[0, 0, 20, 30], [40, 20, 0, 0]]
    assert _values(mnp.piecewise(t, [t > 0, t > 1], [1, 2])) == [[0, 1, 1, 1], [1, 1, 1, 0]]  # the first wins
    with pytest.raises(ValueError, match="number of choices"):
        mnp.piecewise(t, [t > 1], [1, 2, 3])
    p = Tensor(np.array([[3, 1, 4, 1], [5, 9, 2, 6]], np.int32))
    q = Tensor(np.array([1, 5, 8, 9, 7, 3], np.int32))
    got = mnp.intersect1d(p, q)
    assert got.dtype == gs.int32 and _values(got) == [1, 3, 5, 9]
    v, i1, i2 = mnp.intersect1d(p, q, return_indices=True)
    assert (_values(v), _values(i1), _values(i2)) == ([1, 3, 5, 9], [1, 0, 4, 5], [0, 5, 1, 3])
    assert i1.dtype == gs.int32
    v, i1, i2 = mnp.intersect1d(Tensor(np.array([5, 1, 3, 2], np.int32)), Tensor(np.array([3, 9, 1], np.int32)),
                                assume_unique=True, return_indices=True)
    assert (_values(v), _values(i1), _values(i2)) == ([1, 3], [1, 2], [2, 0])
    assert _values(mnp.intersect1d([1, 2, 3], [2, 3, 4])) == [2, 3]
    assert mnp.intersect1d(Tensor(np.array([1, 2], np.int32)), Tensor(np.array([3], np.int32))).shape == (0,)
    with pytest.raises(TypeError, match="array like"):
        mnp.intersect1d(None, None)
    with pytest.raises(TypeError, match="not bool"):
        mnp.intersect1d(p, q, assume_unique=1, return_indices=1)
