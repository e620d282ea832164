"""ops.svd's singular vectors carry MindSpore 2.10 CPU's signs (Eigen's JacobiSVD, replayed by
engine/ops/svd_eigen.py): u and v against MindSpore's own output for square, tall and wide matrices in float64 and
float32 (/work/msvenv, ops.svd), a batch, and the factors still a valid SVD whose derivatives are unchanged
(a function of the signed pair u_i v_i^T has the same gradient as with LAPACK's signs)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

CASES = [  # (a, MindSpore's u, MindSpore's v), reduced factors
    ([[2., -1., 0.5], [1., 3., -2.], [0., 1., 4.]],
     [[0.1266738, -0.1770021, 0.9760246], [-0.6016541, 0.768583, 0.2174685], [0.7886483, 0.6147768, 0.0091347]],
     [[-0.0760518, 0.128179, 0.9888308], [-0.2495685, 0.95769, -0.1433368], [0.9653661, 0.257682, 0.0408446]]),
    ([[1., 2.], [3., -4.], [-5., 6.], [0.5, 1.]],
     [[0.1055283, 0.8841588], [-0.5357494, -0.016663], [0.8360935, -0.1501709], [0.0527641, 0.4420794]],
     [[-0.6060363, 0.795437], [0.795437, 0.6060363]]),
    ([[1., -2., 3., 0.5, -1.], [2., 0., -1., 4., 1.]],
     [[0.0, 1.0], [-1.0, 0.0]],
     [[-0.4264014, 0.2560738], [0.0, -0.5121475], [0.2132007, 0.7682213], [-0.8528029, 0.1280369],
      [-0.2132007, -0.2560738]]),
]


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-7), (np.float32, 3e-7)])
@pytest.mark.parametrize("a,u_ms,v_ms", CASES)
def test_singular_vectors_carry_mindspores_signs(fake, a, u_ms, v_ms, dtype, tol):
    x = np.array(a, dtype)
    s, u, v = ops.svd(Tensor(x))
    np.testing.assert_allclose(u.asnumpy(), u_ms, atol=tol)
    np.testing.assert_allclose(v.asnumpy(), v_ms, atol=tol)
    np.testing.assert_allclose((u.asnumpy() * s.asnumpy()[None]) @ v.asnumpy().T, x, atol=1e-5)


def test_a_batch_is_signed_matrix_by_matrix(fake):
    batch = np.stack([np.array(a) for a in (CASES[0][0], np.array(CASES[0][0]) * -2.0)])
    _, u, v = ops.svd(Tensor(batch))
    np.testing.assert_allclose(u.asnumpy()[0], CASES[0][1], atol=1e-7)
    # -2 a: the same rotations on the scaled matrix, and Eigen's negative diagonal flips u, not v
    np.testing.assert_allclose(u.asnumpy()[1], -np.array(CASES[0][1]), atol=1e-7)
    np.testing.assert_allclose(v.asnumpy()[1], CASES[0][2], atol=1e-7)


def test_derivatives_follow_the_signed_factors(fake):
    a = Tensor(np.array(CASES[1][0]))
    w = Tensor(np.random.default_rng(3).standard_normal((4, 2)))

    def first_pair(x):  # u_1 v_1^T is sign-free: the same function whichever signs a library picks
        _, u, v = ops.svd(x)
        return (u[:, :1] @ v[:, :1].T * w).sum()
    g = gs.grad(first_pair)(a).asnumpy()

    def first_pair_np(x):  # NumPy (LAPACK's signs)
        uu, _, vh = np.linalg.svd(x, full_matrices=False)
        return (np.outer(uu[:, 0], vh[0]) * w.asnumpy()).sum()
    h, fd, x0 = 1e-6, np.zeros((4, 2)), np.array(CASES[1][0])
    for idx in np.ndindex(4, 2):
        d = np.zeros((4, 2))
        d[idx] = h
        fd[idx] = (first_pair_np(x0 + d) - first_pair_np(x0 - d)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
