"""ops.svd against MindSpore 2.10's CPU kernel, part 2.

The Eigen JacobiSVD replay (engine/ops/svd_eigen.py, signs='eigen') runs batched over a stack: every matrix of a
random stack gets bit for bit the u it gets alone, including members that converge before the others (diagonal,
zero, already-converged after the QR preconditioner) and matrices that need many sweeps; and that u is a valid set
of left singular vectors (LAPACK's up to each column's sign)."""
import numpy as np
import pytest

from engine.ops.svd_eigen import _eigen_u, eigen_signs


def _mixed_stack(shape, dtype, seed):
    """A random stack whose members converge at different sweeps (or need none)."""
    rng = np.random.default_rng(seed)
    batch, m, n = shape
    a = rng.standard_normal(shape)
    k = min(m, n)
    a[1] = 0  # no rotation at all
    a[2] = 0
    a[2, :k, :k] = np.diag(rng.permutation(np.arange(1.0, k + 1)))  # diagonal: converged from the start
    a[3] *= 1e-30  # tiny entries (Eigen's scaling by the largest)
    a[4, :, 0] = 0  # rank deficient
    a[5] = np.outer(rng.standard_normal(m), rng.standard_normal(n))  # rank 1
    a[6] = rng.standard_normal((m, n)) * np.logspace(0, -12, n)  # graded columns: many sweeps
    a[7, :k, :k] += np.diag(np.full(k, 50.0))  # nearly diagonal: converges in a sweep
    return a.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(24, 8, 8), (24, 12, 5), (24, 4, 9), (24, 15, 15), (24, 3, 1), (24, 1, 3)])
def test_batched_replay_equals_each_matrix_alone_bit_for_bit(shape, dtype):
    a = _mixed_stack(shape, dtype, seed=sum(shape))
    dt = np.dtype(dtype).type
    together = _eigen_u(a, dt)
    for i in range(shape[0]):
        np.testing.assert_array_equal(together[i], _eigen_u(a[i:i + 1], dt)[0], err_msg=f"member {i}")


@pytest.mark.parametrize("shape", [(16, 8, 8), (16, 12, 5), (16, 4, 9)])
def test_replayed_u_is_lapacks_up_to_column_signs(shape):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape)
    u = _eigen_u(a, np.float64)
    lapack_u = np.linalg.svd(a, full_matrices=False)[0]
    overlap = np.abs(np.swapaxes(u, 1, 2) @ lapack_u)  # distinct singular values: |u_i . u_i'| = 1, others 0
    np.testing.assert_allclose(overlap, np.broadcast_to(np.eye(min(shape[1:])), overlap.shape), atol=1e-10)


def test_signs_of_a_stack_with_a_nan_member_equal_each_alone():
    a = _mixed_stack((10, 6, 4), np.float64, seed=9)
    a[8, 2, 1] = np.nan  # keeps LAPACK's signs (all +1), the others unaffected
    u = np.linalg.svd(np.nan_to_num(a), full_matrices=False)[0]
    signs = eigen_signs(a, u)
    assert (signs[8] == 1).all()
    for i in range(10):
        np.testing.assert_array_equal(signs[i], eigen_signs(a[i], u[i]), err_msg=f"member {i}")
    assert (signs == -1).any()  # (the test exercises re-signing, not only the all-+1 default)
