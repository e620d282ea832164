"""Gradients at MindSpore's edges (stop 36's leftovers), each checked against MindSpore 2.10 (CPU, /work/msvenv,
ms.grad in PyNative) for this task and against an independent answer where MindSpore's is wrong:
- floor_mod of int32: MindSpore's gradient is int32 (1 for x, -floor(x / y) for y), as its float one;
- zeta(x, q)'s derivative in x: MindSpore 2.10 gives 0 (wrong); here finite differences of scipy's zeta;
- det at a singular matrix: MindSpore 2.10 gives zeros, wrong where the rank is n - 1; the derivative is the
  adjugate's transpose (cofactors by NumPy, as torch answers);
- nn.EmbeddingLookup's table gradient: MindSpore's is sparse (one row per looked-up index); summed per row it
  is the dense one returned here."""
import numpy as np
import pytest
import scipy.special

import gradserve as gs
from gradserve import Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


def test_floor_mod_int_gradient_matches_mindspore():
    x, y = Tensor(np.array([7, -7, 5], np.int32)), Tensor(np.array([3, 3, -2], np.int32))
    gx, gy = gs.grad(lambda x, y: ops.floor_mod(x, y).sum(), (0, 1))(x, y)
    assert gx.dtype == x.dtype and gy.dtype == y.dtype
    np.testing.assert_array_equal(gx.asnumpy(), [1, 1, 1])  # MindSpore 2.10's
    np.testing.assert_array_equal(gy.asnumpy(), [-2, 3, 3])  # MindSpore 2.10's: -floor(x / y)


def test_zeta_first_argument_gradient_is_the_derivative():
    x, q = np.array([2.0, 3.5, 1.5]), np.array([1.0, 2.0, 0.5])
    gx, gq = gs.grad(lambda x, q: ops.zeta(x, q).sum(), (0, 1))(Tensor(x), Tensor(q))
    h = 1e-6
    fd = (scipy.special.zeta(x + h, q) - scipy.special.zeta(x - h, q)) / (2 * h)
    np.testing.assert_allclose(gx.asnumpy(), fd, rtol=1e-6)
    np.testing.assert_allclose(gq.asnumpy(), -x * scipy.special.zeta(x + 1, q), rtol=1e-10)


def _cofactors(a):
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("matrix", [[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],  # rank 2
                                    [[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [0.5, 3.0]], np.zeros((3, 3))],
                         ids=["rank2-3x3", "rank1-2x2", "regular", "zero"])
def test_det_gradient_is_the_adjugate_even_when_singular(matrix):
    a = np.array(matrix, np.float64)
    value, g = gs.value_and_grad(ops.det)(Tensor(a))
    np.testing.assert_allclose(value.asnumpy(), np.linalg.det(a), atol=1e-12)
    np.testing.assert_allclose(g.asnumpy(), _cofactors(a), rtol=1e-9, atol=1e-9)
    assert np.isfinite(g.asnumpy()).all()


def test_det_stacked_value_and_gradient_match_numpy():
    a = np.random.default_rng(0).standard_normal((2, 3, 3)).astype(np.float32)
    value, g = gs.value_and_grad(lambda m: ops.det(m).sum())(Tensor(a))
    np.testing.assert_allclose(value.asnumpy(), np.linalg.det(a).sum(), rtol=1e-5)
    np.testing.assert_allclose(g.asnumpy(), np.stack([_cofactors(m) for m in a.astype(np.float64)]),
                               rtol=1e-4, atol=1e-5)


def test_embedding_lookup_dense_gradient_sums_mindspores_sparse_rows():
    net = nn.EmbeddingLookup(5, 3, param_init="ones", target="CPU")
    idx = Tensor(np.array([[0, 2], [2, 4]], np.int32))
    wout = Tensor(np.arange(12, dtype=np.float32).reshape(2, 2, 3))
    (g,) = gs.grad(lambda i: (net(i) * wout).sum(), None, net.trainable_params())(idx)
    # MindSpore 2.10's sparse gradient: rows [0..2], [3..5], [6..8], [9..11] for indices 0, 2, 2, 4
    sparse_rows, indices = np.arange(12, dtype=np.float32).reshape(4, 3), [0, 2, 2, 4]
    dense = np.zeros((5, 3), np.float32)
    np.add.at(dense, indices, sparse_rows)
    np.testing.assert_array_equal(g.asnumpy(), dense)


@pytest.mark.parametrize("matrix", [np.eye(3), np.diag([2.0, 2.0, 1.0]), [[2.0, 1.0], [0.5, 3.0]]],
                         ids=["identity", "repeated-singular-values", "regular"])
def test_det_second_derivative_is_finite_at_repeated_singular_values(matrix):
    """The singular-matrix branch (through the SVD) must not leak into regular matrices' higher derivatives:
    SVD's second derivative is infinite where singular values repeat (the identity). Reference: torch's."""
    torch = pytest.importorskip("torch")
    a = np.array(matrix, np.float64)
    second = gs.grad(lambda x: gs.grad(ops.det)(x).sum())(Tensor(a))
    reference = torch.autograd.functional.jacobian(
        lambda y: torch.autograd.grad(torch.det(y), y, create_graph=True)[0].sum(), torch.tensor(a))
    np.testing.assert_allclose(second.asnumpy(), reference.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("matrix", [np.zeros((3, 3)), np.diag([0.0, 0.0, 2.0]), [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0],
                                                                                   [1.0, 0.0, 1.0]],
                                    np.outer([1.0, -2.0, 0.5, 3.0], [2.0, 1.0, -1.0, 0.5])],
                         ids=["zero", "rank1-diag", "rank2-3x3", "rank1-4x4"])
def test_det_second_derivative_at_singular_matrices(matrix):
    """The Hessian of det (a polynomial) is finite at every matrix, also where singular values 0 repeat (rank
    n - 2 or less): d/da sum(w * adj(a)^T), by central differences of NumPy's cofactors (exact for them: each
    cofactor is linear in each entry of a)."""
    a, w = np.array(matrix, np.float64), np.random.default_rng(5).standard_normal(np.shape(matrix))
    second = gs.grad(lambda x: (gs.grad(ops.det)(x) * Tensor(w)).sum())(Tensor(a)).asnumpy()
    want = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[i] = 0.5
        want[i] = ((_cofactors(a + step) - _cofactors(a - step)) * w).sum()
    np.testing.assert_allclose(second, want, rtol=1e-9, atol=1e-9)
