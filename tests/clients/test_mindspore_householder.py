"""geqrf / orgqr / qr(mode='complete') / pinv: values recorded from MindSpore 2.10 (CPU, its venv) for the same
matrix, pinv against NumPy's, and geqrf's derivative against central differences (float64)."""
import numpy as np
import pytest

from gradserve import Tensor, ops

A = np.array([[1., 2], [3, 4], [5, 7]], np.float32)


def test_geqrf_orgqr_and_complete_qr_match_mindspore(fake):
    y, tau = ops.geqrf(Tensor(A))
    np.testing.assert_allclose(y.asnumpy(), [[-5.9160795, -8.282512], [0.43377176, 0.63245624],
                                             [0.72295296, 0.39696604]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tau.asnumpy(), [1.1690309, 1.7277393], rtol=1e-5)
    np.testing.assert_allclose(y.orgqr(tau).asnumpy(),
                               [[-0.1690309, 0.9486836], [-0.5070926, -0.3162271], [-0.8451543, 0.]], atol=1e-5)
    q, r = ops.Qr(full_matrices=True)(Tensor(A))
    np.testing.assert_allclose(q.asnumpy()[:, 2], [-0.26726061, -0.80178392, 0.53452253], atol=1e-5)
    np.testing.assert_allclose(r.asnumpy(), [[-5.91608, -8.282511], [0, 0.6324549], [0, 0]], rtol=1e-5, atol=1e-6)
    assert Tensor(A).qr(some=False)[0].shape == (3, 3) and ops.qr(Tensor(A))[0].shape == (3, 2)


def test_pinv_matches_numpy_and_cuts_small_singular_values(fake):
    x = np.random.default_rng(0).normal(size=(2, 4, 3))
    np.testing.assert_allclose(ops.pinv(Tensor(x)).asnumpy(), np.linalg.pinv(x), rtol=1e-10, atol=1e-12)
    sym = x[0].T @ x[0]
    np.testing.assert_allclose(ops.pinv(Tensor(sym), hermitian=True).asnumpy(), np.linalg.pinv(sym, hermitian=True),
                               rtol=1e-9, atol=1e-12)
    # MindSpore 2.10: atol=0.5 (or rtol=0.5) keeps only the largest singular value of A
    want = [[0.01233204, 0.02790014, 0.04801624], [0.0173316, 0.03921121, 0.06748261]]
    np.testing.assert_allclose(ops.pinv(Tensor(A), atol=0.5).asnumpy(), want, rtol=1e-5)
    np.testing.assert_allclose(ops.pinv(Tensor(A), rtol=0.5).asnumpy(), want, rtol=1e-5)


def test_geqrf_derivative_matches_central_differences(fake):
    a = A.astype(np.float64)
    w = np.array([[0.3, -1.0], [0.7, 0.2], [-0.4, 0.9]])

    def f(t):
        y, tau = ops.geqrf(t)
        return ops.sum(y * Tensor(w)) + ops.sum(tau)

    g = ops.grad(f)(Tensor(a)).asnumpy()
    eps, fd = 1e-6, np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        fd[i] = (float(f(Tensor(a + d)).asnumpy()) - float(f(Tensor(a - d)).asnumpy())) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_refusals_name_the_op(fake):
    with pytest.raises(TypeError, match="geqrf"):
        ops.geqrf(Tensor(np.ones(3, np.float32)))
    with pytest.raises(ValueError, match="orgqr"):
        ops.orgqr(Tensor(np.ones((2, 3), np.float32)), Tensor(np.ones(2, np.float32)))
    with pytest.raises(ValueError, match="mode"):
        ops.qr(Tensor(A), "full")
