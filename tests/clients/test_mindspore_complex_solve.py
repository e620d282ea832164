"""Complex matrix_solve / inverse / slogdet / det / logdet: values recorded from MindSpore 2.10 (CPU, its venv) for
the same matrix; gradients against central differences on the real and imaginary parts (the convention of
docs/API.md: dL/dRe + i dL/dIm). MindSpore 2.10's own complex gradients differ there: its inverse gradient is the
conjugate of this one and its det gradient is det * conj(a^-T), neither the differences' value."""
import numpy as np

from gradserve import Tensor, ops

A = np.array([[2 + 1j, 1 - 1j], [0.5j, 3 + 0.5j]], np.complex64)
B = np.array([[1 + 1j], [2 - 1j]], np.complex64)


def test_values_match_mindspore(fake):
    close = np.testing.assert_allclose
    close(ops.matrix_solve(Tensor(A), Tensor(B)).asnumpy(), [[0.8120805 + 0.7315436j], [0.6912751 - 0.5838926j]],
          rtol=1e-5)
    close(ops.inverse(Tensor(A)).asnumpy(), [[0.4496644 - 0.2147651j, -0.04026845 + 0.22818792j],
                                             [-0.04697986 - 0.06711408j, 0.3624161 - 0.05369128j]], rtol=1e-5)
    sign, lad = ops.slogdet(Tensor(A))
    assert lad.dtype == Tensor(A).dtype  # MindSpore 2.10: log|det| as complex64, imaginary part 0
    close(sign.asnumpy(), 0.819232 + 0.57346237j, rtol=1e-5)
    close(lad.asnumpy(), 1.808826, rtol=1e-5)
    close(ops.det(Tensor(A)).asnumpy(), 5 + 3.5j, rtol=1e-5)
    close(ops.logdet(Tensor(A)).asnumpy(), 1.808826 + 0.61072594j, rtol=1e-5)
    # adjoint=True is the conjugate transpose (MindSpore 2.10's test_matrix_solve_complex checks it against NumPy)
    close(ops.matrix_solve(Tensor(A), Tensor(B), adjoint=True).asnumpy(), np.linalg.solve(A.conj().T, B), rtol=1e-5)
    close(ops.MatrixInverse(adjoint=True)(Tensor(A)).asnumpy(), np.linalg.inv(A.conj().T), rtol=1e-5)


def _fd(loss, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros(a.shape)
        d[i] = eps
        g[i] = (loss(a + d) - loss(a - d)) / (2 * eps) + 1j * (loss(a + 1j * d) - loss(a - 1j * d)) / (2 * eps)
    return g


def test_gradients_match_central_differences(fake):
    a = A.astype(np.complex128)
    g = ops.grad(lambda x: ops.real(ops.inverse(x)).sum())(Tensor(a)).asnumpy()
    np.testing.assert_allclose(g, _fd(lambda m: np.linalg.inv(m).real.sum(), a), rtol=1e-6, atol=1e-9)
    g = ops.grad(lambda x: ops.real(ops.det(x)))(Tensor(a)).asnumpy()  # through the sign's phase
    np.testing.assert_allclose(g, _fd(lambda m: np.linalg.det(m).real, a), rtol=1e-6, atol=1e-8)
