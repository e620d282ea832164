"""gradserve.scipy.linalg.solve_triangular against SciPy (every trans / lower / unit_diagonal, a vector b),
and its gradient against the adjoint rule (grad_b = solve(a^T, dout), grad_a = -grad_b x^T on a's triangle)."""
import numpy as np
import pytest
import scipy.linalg as sl

from gradserve import Tensor, context, nn, ops
from gradserve.scipy.linalg import solve_triangular

RNG = np.random.default_rng(5)
A = (RNG.standard_normal((5, 5)) + 4 * np.eye(5)).astype(np.float32)
B = RNG.standard_normal((5, 3)).astype(np.float32)


@pytest.mark.parametrize("trans", [0, 1, "T", 2])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular_matches_scipy(on_real_server, trans, lower, unit):
    got = solve_triangular(Tensor(A), Tensor(B), trans=trans, lower=lower, unit_diagonal=unit).asnumpy()
    want = sl.solve_triangular(A, B, trans=trans, lower=lower, unit_diagonal=unit)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    vec = solve_triangular(Tensor(A), Tensor(B[:, 0]), trans=trans, lower=lower, unit_diagonal=unit).asnumpy()
    np.testing.assert_allclose(vec, want[:, 0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_solve_triangular_gradient(on_real_server, mode):
    context.set_context(mode=mode)

    class Net(nn.Cell):
        def construct(self, a, b):
            return solve_triangular(a, b)

    dout = RNG.standard_normal((5, 3)).astype(np.float32)
    ga, gb = ops.GradOperation(get_all=True, sens_param=True)(Net())(Tensor(A), Tensor(B), Tensor(dout))
    x = sl.solve_triangular(A, B)
    want_b = sl.solve_triangular(A, dout, trans=1)
    np.testing.assert_allclose(gb.asnumpy(), want_b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ga.asnumpy(), np.triu(-want_b @ x.T), rtol=1e-4, atol=1e-5)


def test_bad_arguments_are_refused(on_real_server):
    with pytest.raises(ValueError, match="trans"):
        solve_triangular(Tensor(A), Tensor(B), trans=3)
    with pytest.raises(ValueError, match="square"):
        solve_triangular(Tensor(B), Tensor(B))


def test_cholesky_cho_solve_inv_det_match_scipy(on_real_server):
    from gradserve.scipy.linalg import cho_factor, cho_solve, cholesky, det, inv

    spd = (A @ A.T + 5 * np.eye(5)).astype(np.float32)
    for lower in (False, True):
        c = cholesky(Tensor(spd), lower=lower).asnumpy()
        np.testing.assert_allclose(c, sl.cholesky(spd, lower=lower), rtol=1e-4, atol=1e-5)
        x = cho_solve(cho_factor(Tensor(spd), lower=lower), Tensor(B)).asnumpy()
        np.testing.assert_allclose(x, sl.cho_solve(sl.cho_factor(spd, lower=lower), B), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(inv(Tensor(A)).asnumpy(), sl.inv(A), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(det(Tensor(A)).asnumpy(), sl.det(A), rtol=1e-4)


def test_a_dense_tensor_is_not_a_sparse_one_and_a_sparse_one_densifies(on_real_server):
    import gradserve as gs

    assert not isinstance(Tensor(A), gs.CSRTensor)
    coo = gs.COOTensor(Tensor(np.array([[0, 1]], np.int32)), Tensor(np.array([1.0], np.float32)), (2, 2))
    np.testing.assert_array_equal(coo.to_dense().asnumpy(), np.array([[0, 1], [0, 0]], np.float32))
