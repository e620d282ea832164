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


# -- lstsq: solution against scipy.linalg.lstsq, which outputs each driver fills (MindSpore 2.10, CPU) ---------
def test_lstsq_matches_scipy_and_fills_the_outputs_of_its_driver(fake):
    from gradserve.scipy.linalg import lstsq
    rng = np.random.default_rng(18)
    a, b = rng.standard_normal((6, 3)).astype(np.float32), rng.standard_normal((6, 2)).astype(np.float32)
    x, res, rank, s = lstsq(Tensor(a), Tensor(b), driver="gelss")
    wx, wres, wrank, ws = sl.lstsq(a, b, lapack_driver="gelss")
    np.testing.assert_allclose(x.asnumpy(), wx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(res.asnumpy(), wres, rtol=1e-4, atol=1e-5)
    assert rank.dtype == "int64" and rank.shape == () and int(rank.asnumpy()) == wrank
    np.testing.assert_allclose(s.asnumpy(), ws, rtol=1e-4, atol=1e-5)
    # MindSpore's shapes: gelsy (the default) no residual nor singular values, gels no rank either; a
    # residual only where M > N; a vector b gives a vector solution and one residual
    shapes = {d: [tuple(t.shape) for t in lstsq(Tensor(a), Tensor(b), driver=d)] for d in (None, "gels", "gelsd")}
    assert shapes == {None: [(3, 2), (0,), (), (0,)], "gels": [(3, 2), (2,), (0,), (0,)],
                      "gelsd": [(3, 2), (2,), (), (3,)]}
    assert [tuple(t.shape) for t in lstsq(Tensor(a), Tensor(b[:, 0]), driver="gelss")] == [(3,), (1,), (), (3,)]
    wide = [tuple(t.shape) for t in lstsq(Tensor(a[:2].copy()), Tensor(b[:2].copy()), driver="gelss")]
    assert wide == [(3, 2), (0,), (), (2,)]  # M <= N: no residual
    # a rank-deficient a: the minimum-norm solution, its rank (MindSpore: [[0.2], [0.4]], 1)
    a2, b2 = np.array([[1, 2], [2, 4], [3, 6]], np.float32), np.array([[1], [2], [3]], np.float32)
    x2, _, r2, _ = lstsq(Tensor(a2), Tensor(b2), driver="gelsd")
    np.testing.assert_allclose(x2.asnumpy(), [[0.2], [0.4]], rtol=1e-5)
    assert int(r2.asnumpy()) == 1
    # batches: (2, 3, 6) x (2, 3, 7) -> (2, 6, 7), ranks (2,), singular values (2, 3)
    a3, b3 = rng.standard_normal((2, 3, 6)).astype(np.float32), rng.standard_normal((2, 3, 7)).astype(np.float32)
    x3, _, r3, s3 = lstsq(Tensor(a3), Tensor(b3), driver="gelss")
    np.testing.assert_allclose(x3.asnumpy(), np.linalg.pinv(a3) @ b3, rtol=1e-3, atol=1e-5)
    assert r3.asnumpy().tolist() == [3, 3] and s3.shape == (2, 3)


def test_lstsq_gradient_is_the_solutions_alone(fake):
    # MindSpore 2.10 differentiates the solution pinv(a) b only (its residual's gradient is 0); the expected
    # values are central differences of sum(dout * pinv(a) b) in float64
    from gradserve import grad
    from gradserve.scipy.linalg import lstsq
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 6))
    dout = rng.standard_normal((5, 6))
    ga, gb = grad(lambda p, q: (lstsq(p, q, driver="gelss")[0] * Tensor(dout)).sum(), (0, 1))(Tensor(a), Tensor(b))

    def f(p, q):
        return float((np.linalg.pinv(p) @ q * dout).sum())

    def fd(x, other, first):
        out, eps = np.zeros_like(x), 1e-6
        for i in np.ndindex(x.shape):
            d = np.zeros_like(x)
            d[i] = eps
            hi, lo = (f(x + d, other), f(x - d, other)) if first else (f(other, x + d), f(other, x - d))
            out[i] = (hi - lo) / (2 * eps)
        return out
    np.testing.assert_allclose(ga.asnumpy(), fd(a, b, True), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gb.asnumpy(), fd(b, a, False), rtol=1e-5, atol=1e-7)
    g_res = grad(lambda p, q: lstsq(p, q, driver="gelss")[1].sum())(Tensor(b.T[:5, :4].copy()), Tensor(a.T[:5]))
    assert not g_res.asnumpy().any()


def test_lstsq_refuses_bad_arguments(fake):
    from gradserve.scipy.linalg import lstsq
    a, b = Tensor(np.ones((3, 2), np.float32)), Tensor(np.ones((3, 1), np.float32))
    with pytest.raises(TypeError, match="same"):
        lstsq(Tensor(np.ones((3, 2))), b)
    with pytest.raises(TypeError, match="int32"):
        lstsq(Tensor(np.ones((3, 2), np.int32)), Tensor(np.ones((3, 1), np.int32)))
    with pytest.raises(ValueError, match="driver"):
        lstsq(a, b, driver="foo")
    with pytest.raises(ValueError, match="2"):
        lstsq(Tensor(np.ones(3, np.float32)), b)
    with pytest.raises(ValueError, match="match"):
        lstsq(a, Tensor(np.ones((4, 1), np.float32)))
