"""ops.svd of complex matrices, as MindSpore 2.10's (CPU, /work/msvenv, checked for this task): input =
u diag(s) v^H with s of input's complex dtype (zero imaginary parts), descending; MindSpore has no derivative
for it (its backward fails in MatrixDiagV3) and neither does gradserve (a clear refusal). Singular values
against NumPy; the factors by reconstruction and orthonormality (their column phases are LAPACK's: MindSpore's
differ, as for real input its signs do, and both are valid)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 2, 3)])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_svd_factors(shape, dtype):
    rng = np.random.default_rng(5)
    a = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    s, u, v = ops.svd(Tensor(a))
    s, u, v = s.asnumpy(), u.asnumpy(), v.asnumpy()
    assert s.dtype == dtype and u.dtype == dtype and v.dtype == dtype
    tol = 1e-5 if dtype == np.complex64 else 1e-12
    np.testing.assert_allclose(s.real, np.linalg.svd(a.astype(np.complex128), compute_uv=False), rtol=tol * 10)
    np.testing.assert_array_equal(s.imag, 0)
    k = min(shape[-2:])
    np.testing.assert_allclose(u @ (s[..., :, None] * np.swapaxes(v.conj(), -1, -2)), a, atol=tol * 10)
    np.testing.assert_allclose(np.swapaxes(u.conj(), -1, -2) @ u, np.broadcast_to(np.eye(k), u.shape[:-2] + (k, k)),
                               atol=tol * 10)
    s_only = ops.svd(Tensor(a), compute_uv=False).asnumpy()
    np.testing.assert_allclose(s_only, s, rtol=tol)


def test_complex_svd_has_no_derivative():
    a = Tensor((np.eye(2) + 1j * np.ones((2, 2))).astype(np.complex64))
    with pytest.raises(Exception, match="svd.*complex"):
        gs.grad(lambda a: ops.abs(ops.svd(a, compute_uv=False)).sum())(a)
    with pytest.raises(ValueError, match="full_matrices"):
        ops.svd(Tensor(np.ones((3, 2), np.complex64)), full_matrices=True)
