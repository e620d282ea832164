"""ops.svd against MindSpore 2.10's CPU kernel, part 2.

The Eigen JacobiSVD replay (engine/ops/svd_eigen.py, signs='eigen') runs batched over a stack: every matrix of a
random stack gets bit for bit the u it gets alone (alone: the one-matrix path, 2 x 2 arithmetic on NumPy
scalars), including members that converge before the others (diagonal,
zero, already-converged after the QR preconditioner) and matrices that need many sweeps; and that u is a valid set
of left singular vectors (LAPACK's up to each column's sign)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

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


# -- svd(full_matrices=True): MindSpore 2.10's extra columns ---------------------------------------------------
# The literals: MindSpore 2.10 CPU (/work/msvenv/bin/python), ops.svd(Tensor(a), full_matrices=True) in float64;
# for < 16 columns its extra columns are the trailing ones of Eigen's column-pivoted Householder Q of a (of a^T
# when wider than tall), which also match LAPACK geqp3 / orgqr (scipy.linalg.qr(a, pivoting=True)) where a has
# full rank.
TALL = [[0.36, 1.51, -1.79], [1.69, -0.05, -0.8], [-0.8, -1.08, -0.22], [0.83, 0.58, 0.64], [-1.69, -1.57, 1.55]]
TALL_U_EXTRA = [[0.1575487826802296, 0.5242855631515888], [-0.11114446146576076, 0.39693089764829176],
                [0.6908773414456714, -0.19377964390232016], [0.6938559628395674, 0.20185843927212319],
                [-0.063856805983402, 0.6994806150756827]]
WIDE = [[0.97, 2.18, 1.21, -1.02, 1.29], [0.63, 0.21, -0.82, 0.0, -0.15]]
WIDE_V = [[-0.3061447061610619, 0.6036545758635956, 0.7171151621435605, 0.16173387523624488, -0.038269697586748815],
          [-0.6931746140790132, 0.22454599666291097, -0.5533575588913632, 0.22388894782149882, -0.33579339010803205],
          [-0.38873424791129224, -0.7546432833537549, 0.41714683631421473, 0.16505204064618045, -0.2795452382378923],
          [0.3247480644160677, -0.012815634184495491, -0.06051312913289397, 0.9424934505594513, 0.049180392775490224],
          [-0.4113499148472356, -0.12461750611818635, -0.04321960662932825, 0.09044231407654041, 0.8973371596848881]]
BATCH = [[[0.89, 0.12], [1.58, -0.77], [0.47, 0.5], [-0.86, -1.18]],
         [[1.01, 0.52], [-0.16, 0.39], [-0.68, 0.24], [-0.61, 0.19]]]
BATCH_U = [[[0.43426834153621746, 0.038646826544876944, -0.3921158015219211, 0.8100386586664953],
            [0.737834327790241, -0.5866272732373554, 0.10380391435750294, -0.31732269756903403],
            [0.24404078504546972, 0.3114420366637104, 0.8753025202696003, 0.2780169977588361],
            [-0.45547294926054327, -0.7465780085770511, 0.2632782626244851, 0.40724713139623214]],
           [[0.7749667880160266, 0.546116017006239, 0.22874966310304012, 0.22103702194793018],
            [-0.07786649733815094, 0.5811902184402579, -0.6199494322194579, -0.5213611416977912],
            [-0.46566946119382263, 0.4664226735136844, 0.7083170755685945, -0.2527622657790433],
            [-0.42013716685847446, 0.38265534831092174, -0.24824023360239433, 0.7844975665062385]]]
RANK2 = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [3.0, 1.0, 4.0]]  # rank 2
RANK2_U_EXTRA = [[0.04749983350636004, -0.12942124004271138], [-0.05538112620189308, -0.2258035497542387],
                 [0.3968225153499979, 0.8655461303354197], [0.8741554515628631, -0.3085033067496849],
                 [-0.27029767755514567, 0.29651054876695787]]


def _valid_full_svd(a, s, u, v):
    m, n = a.shape[-2:]
    k = min(m, n)
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(m), u.shape), atol=1e-12)
    np.testing.assert_allclose(np.swapaxes(v, -1, -2) @ v, np.broadcast_to(np.eye(n), v.shape), atol=1e-12)
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ np.swapaxes(v[..., :k], -1, -2), a, atol=1e-12)


def test_full_matrices_tall_extra_columns_are_mindspores(fake):
    a = np.array(TALL)
    s, u, v = (t.asnumpy() for t in ops.svd(Tensor(a), full_matrices=True))
    np.testing.assert_allclose(u[:, 3:], TALL_U_EXTRA, atol=1e-15)
    _valid_full_svd(a, s, u, v)


def test_full_matrices_wide_extra_columns_of_v_are_mindspores(fake):
    a = np.array(WIDE)
    s, u, v = (t.asnumpy() for t in ops.Svd(full_matrices=True)(Tensor(a)))
    np.testing.assert_allclose(v, WIDE_V, atol=1e-15)  # (the first two columns: the eigen signs' own)
    _valid_full_svd(a, s, u, v)


def test_full_matrices_batch_is_mindspores_member_by_member(fake):
    a = np.array(BATCH)
    s, u, v = (t.asnumpy() for t in ops.svd(Tensor(a), full_matrices=True))
    np.testing.assert_allclose(u, BATCH_U, atol=1e-15)
    _valid_full_svd(a, s, u, v)


def test_full_matrices_float32_extra_columns(fake):
    s, u, v = (t.asnumpy() for t in ops.svd(Tensor(np.array(TALL, np.float32)), full_matrices=True))
    assert u.dtype == np.float32
    np.testing.assert_allclose(u[:, 3:], TALL_U_EXTRA, atol=3e-7)


def test_full_matrices_rank_deficient_input(fake):
    """Eigen's extra columns span part of the 3-dim complement of a's range; LAPACK's third u column (singular value
    ~1e-16, any unit vector of that complement) need not be orthogonal to them, so they are re-orthogonalized
    against it: the extra columns still span MindSpore's plane up to that vector, and u stays orthogonal."""
    a = np.array(RANK2)
    s, u, v = (t.asnumpy() for t in ops.svd(Tensor(a), full_matrices=True))
    _valid_full_svd(a, s, u, v)
    extra, ms_extra = u[:, 3:], np.array(RANK2_U_EXTRA)
    complement = np.linalg.svd(a)[0][:, 2:]  # the 3-dim orthogonal complement of a's range (NumPy)
    np.testing.assert_allclose(complement @ complement.T @ extra, extra, atol=1e-12)
    # MindSpore's plane, with the third u column removed, is the span of ours
    third = u[:, 2:3]
    projected = ms_extra - third @ (third.T @ ms_extra)
    np.testing.assert_allclose(extra @ extra.T @ projected, projected, atol=1e-12)


# MindSpore 2.10: ms.grad of (ops.svd(x, full_matrices=True)[1] * W).sum() at a [3, 2], and of [2] (v) at a^T
GRAD_A = [[1., 2.], [-4., -5.], [2., 1.]]
GRAD_W = [[0.3, -1.2, 0.7], [0.5, 2.0, -0.4], [1.1, 0.2, 0.9]]
GRAD_U_MS = [[-0.40199556990949614, 0.06851438808865878], [-0.1550068801037831, 0.1952253610227046],
             [0.11174036803181034, 0.3975853423669489]]
GRAD_V_MS = [[-0.46558284569670094, -0.21333349342478497, -0.10047750276810827],
             [0.009598987695609226, 0.07290224683028175, 0.15851713629396852]]


def _central_differences(loss, a, h=1e-5):
    """Fourth-order central differences of loss (a float of a NumPy array) at a."""
    fd = np.zeros_like(a)
    for i in np.ndindex(*a.shape):
        d = np.zeros_like(a)
        d[i] = h
        fd[i] = (-loss(a + 2 * d) + 8 * loss(a + d) - 8 * loss(a - d) + loss(a - 2 * d)) / (12 * h)
    return fd


@pytest.mark.parametrize("which,a,ms_grad", [(1, GRAD_A, GRAD_U_MS), (2, np.array(GRAD_A).T, GRAD_V_MS)])
def test_full_matrices_gradient_through_the_one_extra_column_is_mindspores(fake, which, a, ms_grad):
    """MindSpore's values to 2e-8: an entry of each of its gradients is ~1e-8 off fourth-order central differences
    of the forward (whose values are MindSpore's to 1e-15), which agree with ours to 1e-9."""
    a, w = np.array(a), np.array(GRAD_W)
    g = gs.grad(lambda x: (ops.svd(x, full_matrices=True)[which] * Tensor(w)).sum())(Tensor(a)).asnumpy()
    np.testing.assert_allclose(g, ms_grad, atol=2e-8)
    fd = _central_differences(lambda x: float((ops.svd(Tensor(x), full_matrices=True)[which].asnumpy() * w).sum()), a)
    np.testing.assert_allclose(g, fd, atol=1e-9)


def test_full_matrices_forward_derivative_of_the_extra_column_matches_finite_differences(fake):
    a, da = np.array(GRAD_A), np.random.default_rng(4).standard_normal((3, 2))
    _, (u, s, v) = gs.jvp(lambda x: ops.svd(x, full_matrices=True), (Tensor(a),), (Tensor(da),))
    h = 1e-6
    extra = [np.asarray(ops.svd(Tensor(a + t * da), full_matrices=True)[1].asnumpy())[:, 2] for t in (h, -h)]
    np.testing.assert_allclose(s.asnumpy()[:, 2], (extra[0] - extra[1]) / (2 * h), atol=1e-8)


@pytest.mark.parametrize("shape", [(4, 2), (2, 4)])
def test_full_matrices_gradient_refused_where_mindspore_refuses(fake, shape):
    """MindSpore 2.10: "For 'Svd' gradient, not support for abs(m - n) > 1 with full_matrices is True" (even of s)."""
    a = Tensor(np.random.default_rng(2).standard_normal(shape))
    with pytest.raises(Exception, match="no derivative"):
        gs.grad(lambda x: ops.svd(x, full_matrices=True)[0].sum())(a)
