"""gradserve.numpy (mindspore.numpy): creation, element-wise, reduction, layout, polynomial and statistics
functions against NumPy itself (the reference mindspore.numpy follows), dtypes against MindSpore 2.10
(its venv, noted per line), and a gradient through linspace against finite differences."""
import numpy as np
import pytest

import gradserve as gs
import gradserve.numpy as mnp
from gradserve import Tensor, ops

RNG = np.random.default_rng(11)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)


def close(got, want, tol=1e-5):
    np.testing.assert_allclose(np.asarray(got.asnumpy() if isinstance(got, Tensor) else got, np.float64),
                               np.asarray(want, np.float64), rtol=tol, atol=tol)


def test_linspace_logspace_geomspace_of_tensors(on_real_server):
    start, stop = RNG.random((2, 1, 4)).astype(np.float32), RNG.random((1, 5, 1)).astype(np.float32)
    out, step = mnp.linspace(Tensor(start), Tensor(stop), num=7, retstep=True, endpoint=False, axis=1)
    want, want_step = np.linspace(start, stop, num=7, retstep=True, endpoint=False, axis=1)
    close(out, want)
    close(step, want_step)
    close(mnp.linspace(2.0, 3.0, num=5), np.linspace(2.0, 3.0, num=5))
    close(mnp.logspace(2.0, [3, 4, 5], num=5, base=2, endpoint=False),
          np.logspace(2.0, [3, 4, 5], num=5, base=2, endpoint=False))
    close(mnp.geomspace(Tensor(np.arange(1, 7, dtype=np.float32).reshape(2, 3)), [1000, 2000, 3000], num=4, axis=-1),
          np.geomspace(np.arange(1, 7).reshape(2, 3), [1000, 2000, 3000], num=4, axis=-1), 1e-4)


def test_linspace_gradient_matches_finite_differences(on_real_server):
    def f(a, b):
        return ops.ReduceSum()(ops.mul(mnp.linspace(a, b, num=6), Tensor(np.arange(6, dtype=np.float32))), ())

    a, b = Tensor(np.float32(0.3)), Tensor(np.float32(2.0))
    ga, gb = ops.grad(f, grad_position=(0, 1))(a, b)
    eps = 1e-3
    fd_a = (f(Tensor(np.float32(0.3 + eps)), b).asnumpy() - f(Tensor(np.float32(0.3 - eps)), b).asnumpy()) / (2 * eps)
    fd_b = (f(a, Tensor(np.float32(2.0 + eps))).asnumpy() - f(a, Tensor(np.float32(2.0 - eps))).asnumpy()) / (2 * eps)
    close(ga, fd_a, 1e-2)
    close(gb, fd_b, 1e-2)


@pytest.mark.parametrize("mode,kw", [("constant", {"constant_values": ((3, 4), (5, 6), (7, 8))}), ("edge", {}),
                                     ("wrap", {}), ("reflect", {}), ("symmetric", {}),
                                     ("mean", {"stat_length": ((1, 2), (2, 10), (3, 4))}), ("maximum", {}),
                                     ("linear_ramp", {"end_values": ((0, 10), (9, 1), (-10, 99))})])
def test_pad_modes_match_numpy(on_real_server, mode, kw):
    widths = ((1, 3), (5, 2), (3, 0))
    close(mnp.pad(Tensor(X), widths, mode=mode, **kw), np.pad(X, widths, mode=mode, **kw))


def test_diagonals_triangles_and_grids(on_real_server):
    a = RNG.random((7, 4, 9)).astype(np.float32)
    for off in (-1, 0, 2):
        close(mnp.diagonal(Tensor(a), off, -1, -2), np.diagonal(a, off, -1, -2))
        close(mnp.trace(Tensor(a), off, -2, 2), np.trace(a, off, -2, 2))
    v = RNG.random(5).astype(np.float32)
    for k in (-2, 0, 3):
        close(mnp.diag(Tensor(v), k), np.diag(v, k))
    close(mnp.diag(Tensor(a[0]), 10), np.diag(a[0], 10))  # beyond the matrix: empty
    close(mnp.tril(Tensor(a[0]), -1), np.tril(a[0], -1))
    close(mnp.triu(Tensor(a[0]), 2), np.triu(a[0], 2))
    xs = (np.arange(3.0), np.arange(4.0), np.arange(2.0))
    for got, want in zip(mnp.meshgrid(*map(Tensor, xs)), np.meshgrid(*xs)):
        close(got, want)
    for got, want in zip(mnp.meshgrid(*map(Tensor, xs), indexing="ij", sparse=True),
                         np.meshgrid(*xs, indexing="ij", sparse=True)):
        close(got, want)
    close(mnp.vander(Tensor(v), 3, increasing=True), np.vander(v, 3, increasing=True))


def test_roll_broadcasts_one_axis_over_many_shifts(on_real_server):
    close(mnp.roll(Tensor(X), [-2, -3], 1), np.roll(X, [-2, -3], 1))  # was: only the first shift applied
    close(mnp.roll(Tensor(X), (3, 0, -5), (-1, -2, 0)), np.roll(X, (3, 0, -5), (-1, -2, 0)))
    close(mnp.roll(Tensor(X), -3), np.roll(X, -3))


def test_narrow_integers_accumulate_wide(on_real_server):
    x = np.arange(1, 7).reshape(2, 3).astype(np.uint8)
    out = mnp.cumprod(Tensor(x))  # MindSpore 2.10: 720 at the end (uint32 there, int32 here), not 720 mod 256
    assert out.asnumpy().tolist() == [1, 2, 6, 24, 120, 720]
    assert mnp.sum(Tensor(np.ones(3, bool))).dtype == gs.int64  # MindSpore 2.10: Int64
    assert mnp.cumsum(Tensor(x.astype(np.int8))).dtype == gs.int32  # MindSpore 2.10: Int32


def test_products_and_polynomials(on_real_server):
    a, b = RNG.random(5).astype(np.float32), RNG.random(3).astype(np.float32)
    for mode in ("full", "same", "valid"):
        close(mnp.convolve(Tensor(a), Tensor(b), mode=mode), np.convolve(a, b, mode=mode))
    close(mnp.polymul(Tensor(a), Tensor(b)), np.polymul(a, b))
    close(mnp.polyadd(Tensor(a), Tensor(b)), np.polyadd(a, b))
    close(mnp.polyval(Tensor(a), Tensor(b)), np.polyval(a, b))
    close(mnp.polyder(Tensor(a), 2), np.polyder(a, 2))
    close(mnp.polyint(Tensor(a), 2, k=[1.0, 2.0]), np.polyint(a, 2, k=[1.0, 2.0]))
    m = RNG.random((3, 3)).astype(np.float32)
    close(mnp.matrix_power(Tensor(m), 5), np.linalg.matrix_power(m, 5), 1e-4)
    close(mnp.cross(Tensor(X[..., :3]), Tensor(X[..., 1:4])), np.cross(X[..., :3], X[..., 1:4]))
    close(mnp.tensordot(Tensor(X), Tensor(X), ((1, 2), (1, 2))), np.tensordot(X, X, ((1, 2), (1, 2))), 1e-4)
    close(mnp.matmul(Tensor(a), Tensor(a)), np.matmul(a, a))
    close(mnp.kron(Tensor(np.float32(2.0)), Tensor(X)), np.kron(np.float32(2.0), X))


def test_statistics_match_numpy(on_real_server):
    x = RNG.random((4, 6)).astype(np.float32)
    fw, aw = np.array([1, 2, 1, 3, 1, 2]), RNG.random(6).astype(np.float32)
    close(mnp.cov(Tensor(x)), np.cov(x))
    close(mnp.cov(Tensor(x), fweights=Tensor(fw), aweights=Tensor(aw), ddof=3), np.cov(x, fweights=fw, aweights=aw,
                                                                                      ddof=3), 1e-4)
    close(mnp.corrcoef(Tensor(x), rowvar=False), np.corrcoef(x, rowvar=False), 1e-4)
    y = x.copy()
    y[1, 2] = y[3, 0] = np.nan
    for fn in ("nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nansum"):
        close(getattr(mnp, fn)(Tensor(y), axis=1), getattr(np, fn)(y, axis=1))
    close(mnp.ptp(Tensor(x), 0), np.ptp(x, 0))
    close(mnp.average(Tensor(x), 1, weights=Tensor(aw)), np.average(x, 1, weights=aw))
    xp, fp = np.array([0.0, 1.0, 2.5, 4.0]), np.array([1.0, -1.0, 3.0, 0.5])
    pts = np.array([-1.0, 0.0, 0.5, 2.0, 3.9, 5.0])
    close(mnp.interp(Tensor(pts), Tensor(xp), Tensor(fp)), np.interp(pts, xp, fp))
    close(mnp.trapz(Tensor(x), Tensor(np.linspace(0, 1, 6)), axis=1), np.trapezoid(x, np.linspace(0, 1, 6), axis=1))


def test_index_helpers(on_real_server):
    flat = np.array([22, 41, 37])
    for order in ("C", "F"):
        for got, want in zip(mnp.unravel_index(Tensor(flat), (7, 6), order=order), np.unravel_index(flat, (7, 6),
                                                                                                      order=order)):
            assert got.asnumpy().tolist() == want.tolist()
    coords = np.array([[3, 6, 6], [4, 5, 1]])
    assert mnp.ravel_multi_index(Tensor(coords), (7, 6)).asnumpy().tolist() == np.ravel_multi_index(coords, (7, 6)).tolist()
    assert mnp.ravel_multi_index(Tensor(coords), (4, 4), mode="wrap").asnumpy().tolist() == \
        np.ravel_multi_index(coords, (4, 4), mode="wrap").tolist()
    for got, want in zip(mnp.triu_indices(4, 1, 5), np.triu_indices(4, 1, 5)):
        assert got.asnumpy().tolist() == want.tolist()
