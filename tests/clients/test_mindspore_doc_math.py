"""ops.addcdiv / addcmul / addr / exp2 / ldexp / copysign / msort / nanmean / truncate_div / truncate_mod / rot90 /
trapz / vecdot / count_nonzero / swapdims (gradserve/ops/_doc_math.py) against NumPy, a gradient against finite
differences."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

RNG = np.random.default_rng(3)
A = RNG.normal(size=(3, 4)).astype(np.float32)
B = (RNG.normal(size=(3, 4)) + 3).astype(np.float32)


def test_addc_and_addr(fake):
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(ops.addcdiv(Tensor(x), Tensor(A), Tensor(B), 0.1).asnumpy(), x + 0.1 * A / B, rtol=1e-6)
    np.testing.assert_allclose(ops.addcmul(Tensor(x), Tensor(A), Tensor(B), 2).asnumpy(), x + 2 * A * B, rtol=1e-6)
    v1, v2 = A[:, 0].copy(), B[0].copy()
    np.testing.assert_allclose(ops.addr(Tensor(x), Tensor(v1), Tensor(v2), beta=0.5, alpha=2).asnumpy(),
                               0.5 * x + 2 * np.outer(v1, v2), rtol=1e-6)


def test_exp2_ldexp_copysign(fake):
    np.testing.assert_allclose(ops.exp2(Tensor(A)).asnumpy(), np.exp2(A), rtol=1e-6)
    np.testing.assert_allclose(ops.exp2(Tensor(np.array([0, 1, 3], np.int32))).asnumpy(), [1, 2, 8], rtol=1e-6)
    e = np.array([1, 2, -3, 4], np.int32)
    np.testing.assert_allclose(ops.ldexp(Tensor(np.float32([1.5])), Tensor(e)).asnumpy(), np.ldexp(1.5, e), rtol=1e-6)
    signs = np.array([-0.4, 0.0, -0.0, 2.0], np.float32)
    np.testing.assert_array_equal(ops.copysign(Tensor(A), Tensor(signs)).asnumpy(), np.copysign(A, signs))
    np.testing.assert_array_equal(ops.copysign(Tensor(A), -2).asnumpy(), np.copysign(A, -2))


def test_msort_nanmean_truncated_division(fake):
    m = np.array([[8, 2, 1], [5, 9, 3], [4, 6, 7]], np.int64)
    np.testing.assert_array_equal(ops.msort(Tensor(m)).asnumpy(), np.sort(m, 0))
    x = np.array([[0.5, -1.1, np.nan], [3.4, np.nan, np.nan]], np.float32)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanmean(x, 0)
    np.testing.assert_allclose(ops.nanmean(Tensor(x), axis=0).asnumpy(), expected, rtol=1e-6)
    a, b = np.array([7, -7, 7, -7, 2], np.int64), np.array([3, 3, -3, -3, 5], np.int64)
    np.testing.assert_array_equal(ops.truncate_div(Tensor(a), Tensor(b)).asnumpy(), np.trunc(a / b).astype(np.int64))
    np.testing.assert_array_equal(ops.truncate_mod(Tensor(a), Tensor(b)).asnumpy(), np.fmod(a, b))
    np.testing.assert_allclose(ops.truncate_div(Tensor(A), Tensor(B)).asnumpy(), np.trunc(A / B))


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (2, 1)])
def test_rot90(fake, k, dims):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(ops.rot90(Tensor(x), k, dims).asnumpy(), np.rot90(x, k, dims))


def test_trapz_vecdot_count_nonzero_swapdims(fake):
    y = RNG.normal(size=(3, 5)).astype(np.float32)
    xs = np.cumsum(RNG.uniform(0.1, 1, size=(3, 5)), 1).astype(np.float32)
    np.testing.assert_allclose(ops.trapz(Tensor(y), dx=0.5).asnumpy(), np.trapezoid(y, dx=0.5), rtol=1e-5)
    np.testing.assert_allclose(ops.trapz(Tensor(y), Tensor(xs)).asnumpy(), np.trapezoid(y, xs), rtol=1e-5)
    np.testing.assert_allclose(ops.trapz(Tensor(y), Tensor(xs[0]), dim=-1).asnumpy(), np.trapezoid(y, xs[0]), rtol=1e-5)
    np.testing.assert_allclose(ops.trapz(Tensor(y), dim=0).asnumpy(), np.trapezoid(y, axis=0), rtol=1e-5)
    np.testing.assert_allclose(ops.vecdot(Tensor(A), Tensor(B), axis=0).asnumpy(), (A * B).sum(0), rtol=1e-5)
    z = np.array([[0, 1, 0], [1, 1, 0]], np.float32)
    assert int(ops.count_nonzero(Tensor(z)).asnumpy()) == np.count_nonzero(z)
    out = ops.count_nonzero(Tensor(z), axis=[0], keep_dims=True)
    assert out.dtype == gs.int32
    np.testing.assert_array_equal(out.asnumpy(), np.count_nonzero(z, axis=0, keepdims=True))
    assert ops.swapdims(Tensor(A), 0, 1).shape == (4, 3)


def test_trapz_gradient_against_finite_differences(fake):
    y = RNG.normal(size=(6,))
    got = ops.grad(lambda t: ops.trapz(t, dx=0.3))(Tensor(y)).asnumpy()
    fd = [(np.trapezoid(y + h, dx=0.3) - np.trapezoid(y - h, dx=0.3)) / 2e-6 for h in np.eye(6) * 1e-6]
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (1, 2, 3)])
def test_atleast_column_stack_dstack(fake, shape):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    for n in (1, 2, 3):
        got = getattr(ops, f"atleast_{n}d")(Tensor(x))
        assert got.shape == getattr(np, f"atleast_{n}d")(x).shape  # NumPy
    pair = ops.atleast_2d([Tensor(x), Tensor(x)])
    assert isinstance(pair, tuple) and [p.shape for p in pair] == [np.atleast_2d(x).shape] * 2
    if len(shape) <= 2:
        np.testing.assert_array_equal(ops.dstack([Tensor(x), Tensor(x + 1)]).asnumpy(), np.dstack([x, x + 1]))
    if 1 <= len(shape) <= 2:
        np.testing.assert_array_equal(ops.column_stack((Tensor(x), Tensor(x))).asnumpy(), np.column_stack((x, x)))


def test_adjoint(fake):
    x = np.array([[0 + 0j, 1 + 1j], [2 + 2j, 3 + 3j]], np.complex64)
    np.testing.assert_array_equal(ops.adjoint(Tensor(x)).asnumpy(), x.conj().T)  # NumPy
    np.testing.assert_array_equal(ops.adjoint(Tensor(A)).asnumpy(), A.T)
