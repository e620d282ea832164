"""ops.cholesky / Cholesky, inverse / MatrixInverse, matrix_solve / MatrixSolve, slogdet / LogMatrixDeterminant,
det, logdet, cholesky_solve / CholeskySolve, MatrixTriangularSolve (gradserve/ops/_ms_linalg_solve.py).
Argument conventions (upper, adjoint, cholesky_solve's operand order, slogdet's output order) as checked on
MindSpore 2.10 CPU; values against NumPy, gradients against PyTorch (MindSpore 2.10's CPU build has no
CholeskyGrad), all in float64."""
import numpy as np
import pytest

from gradserve import Tensor, ops

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(5)
M = RNG.uniform(-1, 1, (2, 3, 3))
SPD = M @ np.swapaxes(M, -1, -2) + 3 * np.eye(3)
A = M + 3 * np.eye(3)  # well conditioned, not symmetric
B = RNG.uniform(-1, 1, (2, 3, 2))
W = RNG.uniform(0.5, 1.5, (2, 3, 2))


def _torch_grads(fn, *arrays):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch.sum(torch.sin(fn(*ts))).backward()
    return [t.grad.numpy() for t in ts]


def _ours(fn, *arrays):
    """value of fn and the gradients of sum(sin(fn)) w.r.t. every operand."""
    val = fn(*[Tensor(a) for a in arrays]).asnumpy()
    gs = ops.grad(lambda *xs: ops.sum(ops.sin(fn(*xs))), tuple(range(len(arrays))))(*[Tensor(a) for a in arrays])
    return val, [g.asnumpy() for g in (gs if isinstance(gs, tuple) else (gs,))]


def _check(fn, ref_value, torch_fn, *arrays):
    val, gs = _ours(fn, *arrays)
    np.testing.assert_allclose(val, ref_value, rtol=1e-10, atol=1e-12)
    for g, w in zip(gs, _torch_grads(torch_fn, *arrays)):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


def _sym(t):
    return (t + t.mT) / 2


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(fake, upper):
    low = np.linalg.cholesky(SPD)
    want = np.swapaxes(low, -1, -2) if upper else low
    _check(lambda a: ops.cholesky(a, upper=upper), want,
           lambda a: torch.linalg.cholesky(_sym(a), upper=upper), SPD)
    np.testing.assert_array_equal(ops.Cholesky(upper=upper)(Tensor(SPD)).asnumpy(),
                                  ops.cholesky(Tensor(SPD), upper).asnumpy())


@pytest.mark.parametrize("adjoint", [False, True])
def test_inverse_and_matrix_solve(fake, adjoint):
    op = np.swapaxes(A, -1, -2) if adjoint else A
    _check(lambda a: ops.MatrixInverse(adjoint=adjoint)(a), np.linalg.inv(op),
           lambda a: torch.linalg.inv(a.mT if adjoint else a), A)
    _check(lambda a, b: ops.MatrixSolve(adjoint=adjoint)(a, b), np.linalg.solve(op, B),
           lambda a, b: torch.linalg.solve(a.mT if adjoint else a, b), A, B)
    if not adjoint:
        _check(ops.inverse, np.linalg.inv(A), torch.linalg.inv, A)


def test_slogdet_det_logdet(fake):
    a = A.copy()
    a[1, 0] *= -1  # det < 0 in the second matrix
    sign, lad = np.linalg.slogdet(a)
    got = ops.LogMatrixDeterminant()(Tensor(a))
    np.testing.assert_array_equal(got[0].asnumpy(), sign)
    np.testing.assert_allclose(got[1].asnumpy(), lad, rtol=1e-12)
    _check(lambda x: ops.slogdet(x)[1], lad, lambda x: torch.linalg.slogdet(x)[1], a)
    _check(ops.det, np.linalg.det(a), torch.linalg.det, a)
    logdet = ops.logdet(Tensor(a)).asnumpy()
    np.testing.assert_allclose(logdet[0], np.log(np.linalg.det(a[0])), rtol=1e-12)
    assert np.isnan(logdet[1])  # log of a negative determinant (torch.logdet: nan too)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve(fake, upper):
    low = np.linalg.cholesky(SPD)
    factor = np.swapaxes(low, -1, -2).copy() if upper else low
    _check(lambda b, f: ops.cholesky_solve(b, f, upper=upper), np.linalg.solve(SPD, B),
           # the factor's one triangle is read (its other is not data): the reference masks it too
           lambda b, f: torch.cholesky_solve(b, torch.triu(f) if upper else torch.tril(f), upper=upper), B, factor)
    np.testing.assert_array_equal(ops.CholeskySolve(upper=upper)(Tensor(B), Tensor(factor)).asnumpy(),
                                  ops.cholesky_solve(Tensor(B), Tensor(factor), upper).asnumpy())


@pytest.mark.parametrize("lower,adjoint", [(True, False), (True, True), (False, True)])
def test_matrix_triangular_solve(fake, lower, adjoint):
    t = np.tril(A) if lower else np.triu(A)
    _check(lambda a, b: ops.MatrixTriangularSolve(lower=lower, adjoint=adjoint)(a, b),
           np.linalg.solve(np.swapaxes(t, -1, -2) if adjoint else t, B),
           lambda a, b: torch.linalg.solve_triangular(a.mT if adjoint else a, b, upper=lower == adjoint), t, B)
