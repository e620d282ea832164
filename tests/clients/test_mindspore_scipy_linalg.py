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
