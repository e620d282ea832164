"""gradserve.scipy.linalg eigh / lu / lu_factor / lu_solve / block_diag, ops.Eigh and scipy.ops Eig /
LinearSumAssignment / LU against SciPy (values) and MindSpore 2.10 (conventions, dtypes, errors: the facts
noted at each test were read off MindSpore 2.10.0 CPU in its own venv); eigh's and lu_solve's gradients
against central finite differences of the same functions in float64."""
import numpy as np
import pytest
import scipy.linalg as sl
from scipy.optimize import linear_sum_assignment as scipy_lsa

from gradserve import Tensor, context, nn, ops
from gradserve.ops.operations.linalg_ops import Eigh
from gradserve.scipy import linalg as msl
from gradserve.scipy.ops import LU, Eig, LinearSumAssignment

RNG = np.random.default_rng(11)


def _spd(n, dtype=np.float64):
    x = RNG.random((n, n))
    return (x @ x.T + n * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_eigh_matches_scipy_and_reads_one_triangle(on_real_server, lower, dtype):
    a = _spd(5, np.float64)
    a[np.triu_indices(5, 1) if lower else np.tril_indices(5, -1)] = 7.0  # the triangle not read
    a = (a * 10).astype(dtype) if dtype == np.int32 else a.astype(dtype)
    w, v = msl.eigh(Tensor(a), lower=lower)
    want = sl.eigh(a.astype(np.float64), lower=lower, eigvals_only=True)
    assert w.asnumpy().dtype == (np.float64 if dtype == np.int32 else dtype)  # MindSpore: int -> float64
    tol = 1e-3 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(w.asnumpy(), want, rtol=tol, atol=tol)
    sym = np.tril(a) + np.tril(a, -1).T if lower else np.triu(a) + np.triu(a, 1).T
    np.testing.assert_allclose(sym @ v.asnumpy(), v.asnumpy() * w.asnumpy(), rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(msl.eigh(Tensor(a), lower=lower, eigvals_only=True).asnumpy(), w.asnumpy())


def test_eigh_of_hermitian_returns_complex_w_as_mindspore(on_real_server):
    """MindSpore 2.10: Eigh(True, True) of [[2, 1+1j], [1-1j, 3]] (complex64) -> w complex64 [1, 4]."""
    c = np.array([[2, 1 + 1j], [1 - 1j, 3]], np.complex64)
    w, v = Eigh(True, True)(Tensor(c))
    assert w.asnumpy().dtype == np.complex64 and v.asnumpy().dtype == np.complex64
    np.testing.assert_allclose(w.asnumpy(), [1, 4], atol=1e-5)
    np.testing.assert_allclose(c @ v.asnumpy(), v.asnumpy() * w.asnumpy(), atol=1e-5)
    only = Eigh(False, False)(Tensor(c))
    np.testing.assert_allclose(only.asnumpy(), [1, 4], atol=1e-5)


def test_eigh_refuses_what_mindspore_refuses(on_real_server):
    a = Tensor(_spd(3))
    with pytest.raises(TypeError, match="lower"):
        msl.eigh(a, lower=None)
    with pytest.raises(TypeError, match="check_finite"):
        msl.eigh(a, check_finite=5.0)
    with pytest.raises(TypeError, match="dtype"):
        msl.eigh(Tensor(np.eye(3, dtype=np.float16)))
    with pytest.raises(ValueError, match="square"):
        msl.eigh(Tensor(np.ones((3, 3, 3))))
    with pytest.raises(ValueError, match="square"):
        msl.eigh(Tensor(np.ones((3, 4))))
    with pytest.raises(ValueError, match="b must be None"):
        msl.eigh(a, a)
    with pytest.raises(ValueError, match="eigvals"):
        msl.eigh(a, eigvals=42)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_eigh_gradient_matches_finite_differences(on_real_server, mode):
    """d/da of sum(w * c) + sum((v o v) d) (sign-free in v) against central differences of numpy's eigh on
    the lower triangle's symmetric matrix."""
    context.set_context(mode=mode)
    c, d = RNG.standard_normal(4), RNG.standard_normal((4, 4))

    def f_np(a):
        w, v = np.linalg.eigh(np.tril(a) + np.tril(a, -1).T)
        return np.sum(w * c) + np.sum(v * v * d)

    class Net(nn.Cell):
        def construct(self, a):
            w, v = msl.eigh(a)
            return ops.sum(w * Tensor(c)) + ops.sum(v * v * Tensor(d))

    a = _spd(4) + np.diag([0.0, 1.0, 2.5, 4.0])  # well separated eigenvalues
    got = ops.GradOperation()(Net())(Tensor(a)).asnumpy()
    eps, want = 1e-6, np.zeros_like(a)
    for i in range(4):
        for j in range(4):
            e = np.zeros_like(a)
            e[i, j] = eps
            want[i, j] = (f_np(a + e) - f_np(a - e)) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(4, 4), (4, 5), (3, 7)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lu_matches_scipy(on_real_server, shape, dtype):
    a = RNG.random(shape).astype(dtype)
    p, l, u = msl.lu(Tensor(a))
    sp, slo, su = sl.lu(a)
    assert p.asnumpy().dtype == np.int32  # MindSpore 2.10's p dtype (scipy's is float)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_array_equal(p.asnumpy(), sp)
    np.testing.assert_allclose(l.asnumpy(), slo, rtol=tol, atol=tol)
    np.testing.assert_allclose(u.asnumpy(), su, rtol=tol, atol=tol)
    pl, u2 = msl.lu(Tensor(a), permute_l=True)
    np.testing.assert_allclose(pl.asnumpy(), sp @ slo, rtol=tol, atol=tol)
    np.testing.assert_allclose(u2.asnumpy(), su, rtol=tol, atol=tol)


def test_lu_refuses_a_tall_matrix_as_mindspore(on_real_server):
    with pytest.raises(ValueError, match="m <= n"):
        msl.lu(Tensor(np.ones((5, 3))))
    with pytest.raises(TypeError, match="permute_l"):
        msl.lu(Tensor(np.ones((3, 3))), permute_l=1)


def test_lu_factor_pivots_are_scipys(on_real_server):
    """MindSpore 2.10: lu_factor([[1, 2], [3, 4]]) -> lu [[3, 4], [1/3, 2/3]], pivots int32 [1, 1]."""
    lu, piv = msl.lu_factor(Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)))
    assert piv.asnumpy().dtype == np.int32
    np.testing.assert_array_equal(piv.asnumpy(), [1, 1])
    np.testing.assert_allclose(lu.asnumpy(), [[3, 4], [1 / 3, 2 / 3]], rtol=1e-6)
    a = RNG.random((6, 6))
    lu, piv = msl.lu_factor(Tensor(a))
    slu, spiv = sl.lu_factor(a)
    np.testing.assert_array_equal(piv.asnumpy(), spiv)
    np.testing.assert_allclose(lu.asnumpy(), slu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("trans", [0, 1, 2])
@pytest.mark.parametrize("vector", [False, True])
def test_lu_solve_matches_scipy(on_real_server, trans, vector):
    """trans 1 / 2 solve a^T x = b as scipy does (MindSpore 2.10 applies the row order before the transposed
    solves, which is a^T's solution only when no rows were swapped)."""
    a = RNG.random((5, 5))
    b = RNG.random(5) if vector else RNG.random((5, 2))
    factor = msl.lu_factor(Tensor(a))
    got = msl.lu_solve(factor, Tensor(b), trans=trans).asnumpy()
    np.testing.assert_allclose(got, sl.lu_solve(sl.lu_factor(a), b, trans=trans), rtol=1e-10, atol=1e-12)


def test_lu_solve_refuses_b_of_another_dtype(fake):
    # MindSpore 2.10 (its venv): "the data type of 'lu_matrix' and 'b' should be the same" (TypeError); here a
    # float64 b was cast to a float32 factor's dtype, its precision lost without a word
    a = np.array([[4.0, 3.0], [6.0, 3.0]])
    for factor_dtype, b in ((np.float32, np.array([1.0, 2.0])), (np.float64, np.array([1, 2], np.int32))):
        factor = msl.lu_factor(Tensor(a.astype(factor_dtype)))
        with pytest.raises(TypeError, match="lu_matrix.*b"):
            msl.lu_solve(factor, Tensor(b))


def test_lu_solve_gradient_matches_finite_differences(on_real_server):
    """d/db and d/da of sum(lu_solve(lu_factor(a), b) * g): the pivots are constant near a (a wide margin)."""
    a, b, g = RNG.random((4, 4)) + 3 * np.eye(4)[[2, 0, 3, 1]], RNG.random((4, 2)), RNG.standard_normal((4, 2))

    class Net(nn.Cell):
        def construct(self, x, y):
            return ops.sum(msl.lu_solve(msl.lu_factor(x), y) * Tensor(g))

    ga, gb = ops.GradOperation(get_all=True)(Net())(Tensor(a), Tensor(b))
    f = lambda x, y: np.sum(np.linalg.solve(x, y) * g)  # noqa: E731
    eps = 1e-6
    for got, arr, which in ((ga, a, 0), (gb, b, 1)):
        want = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            e = np.zeros_like(arr)
            e[idx] = eps
            plus = f(a + e, b) if which == 0 else f(a, b + e)
            minus = f(a - e, b) if which == 0 else f(a, b - e)
            want[idx] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-7)


def test_scipy_ops_lu_is_lu_factor_and_p(on_real_server):
    a = RNG.random((3, 5))
    packed, piv, p = LU()(Tensor(a))
    sp, slo, su = sl.lu(a)
    np.testing.assert_array_equal(p.asnumpy(), sp)
    np.testing.assert_allclose(np.triu(packed.asnumpy()), su, atol=1e-12)
    np.testing.assert_allclose(np.tril(packed.asnumpy()[:, :3], -1) + np.eye(3), slo, atol=1e-12)
    assert piv.asnumpy().dtype == np.int32


@pytest.mark.parametrize("args", [(), (1,), (7, -1), (np.ones((3, 4), np.float32), 5, np.arange(10.0).reshape(5, 2))])
def test_block_diag_matches_scipy(on_real_server, args):
    got = msl.block_diag(*[Tensor(a) for a in args]).asnumpy()
    want = sl.block_diag(*args)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want)


def test_block_diag_promotes_as_mindspore(fake):
    # MindSpore 2.10 (its venv): block_diag(int32 [[1]], float32 [[2.5]]) is float32 (its promotion: the float
    # operand's dtype wins), not NumPy's float64
    got = msl.block_diag(Tensor(np.array([[1]], np.int32)), Tensor(np.array([[2.5]], np.float32)))
    assert got.asnumpy().dtype == np.float32
    np.testing.assert_array_equal(got.asnumpy(), [[1, 0], [0, 2.5]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_eig_matches_the_definition_and_scipy(on_real_server, dtype):
    a = RNG.uniform(-1, 1, (2, 4, 4)).astype(dtype)
    if np.iscomplexobj(a):
        a = a + 1j * RNG.uniform(-1, 1, (2, 4, 4)).astype(dtype)
    w, v = Eig(True)(Tensor(a))
    w, v = w.asnumpy(), v.asnumpy()
    assert w.dtype == (np.complex64 if dtype in (np.float32, np.complex64) else np.complex128)
    tol = 1e-4 if dtype in (np.float32, np.complex64) else 1e-10
    np.testing.assert_allclose(a @ v, v * w[:, None, :], atol=tol)
    for k in range(2):
        ref = sl.eigvals(a[k])
        assert np.abs(w[k][:, None] - ref[None, :]).min(axis=0).max() < tol * 10


def test_eig_refuses_bad_input_and_derivatives(on_real_server):
    with pytest.raises(ValueError, match="square"):
        Eig(True)(Tensor(np.float32(1.0)))
    with pytest.raises(ValueError, match="square"):
        Eig(True)(Tensor(np.ones(1, np.float32)))
    with pytest.raises(TypeError, match="dtype"):
        Eig(True)(Tensor(np.eye(2, dtype=np.int32)))

    class Net(nn.Cell):
        def construct(self, a):
            return ops.real(Eig(True)(a)[0]).sum()

    with pytest.raises(Exception, match=r"'eig'.*no derivative"):
        ops.GradOperation()(Net())(Tensor(RNG.random((3, 3))))


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_linear_sum_assignment_as_mindspore(on_real_server, mode):
    """MindSpore 2.10's example: [[2, 3, 3], [3, 2, 3], [3, 3, 2]], dimension_limit 2, minimise -> rows
    [0, 1, -1], cols [0, 1, -1] (int64); and a random (4, 6) maximised against scipy."""
    context.set_context(mode=mode)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.solve = LinearSumAssignment()

        def construct(self, cost, maximize, limit):
            return self.solve(cost, limit, maximize)

    rows, cols = Net()(Tensor(np.array([[2, 3, 3], [3, 2, 3], [3, 3, 2]], np.float32)), False, Tensor(2))
    assert rows.asnumpy().dtype == np.int64
    np.testing.assert_array_equal(rows.asnumpy(), [0, 1, -1])
    np.testing.assert_array_equal(cols.asnumpy(), [0, 1, -1])
    cost = RNG.random((4, 6))
    rows, cols = Net()(Tensor(cost), True, Tensor(6))
    want_r, want_c = scipy_lsa(cost, maximize=True)
    np.testing.assert_array_equal(rows.asnumpy(), want_r)
    np.testing.assert_array_equal(cols.asnumpy(), want_c)


def test_linear_sum_assignment_refuses_nan_naming_the_input(on_real_server):
    cost = np.ones((3, 3))
    cost[0, 0] = np.nan
    with pytest.raises(Exception, match=r"cost matrix \(input 0\) admits no assignment"):
        LinearSumAssignment()(Tensor(cost), Tensor(3), False)
    with pytest.raises(TypeError, match="maximize"):
        LinearSumAssignment()(Tensor(np.ones((3, 3))), Tensor(3), 1)


def test_ops_lu_solve_takes_torchs_factor(on_real_server):
    """ops.lu_solve(b, LU, pivots) / Tensor.lu_solve with the 1-based pivots torch.linalg.lu_factor gives,
    batched; against torch.linalg.lu_solve."""
    torch = pytest.importorskip("torch")
    a, b = RNG.standard_normal((2, 4, 4)), RNG.standard_normal((2, 4, 3))
    lu, piv = torch.linalg.lu_factor(torch.tensor(a))
    want = torch.linalg.lu_solve(lu, piv, torch.tensor(b)).numpy()
    got = ops.lu_solve(Tensor(b), Tensor(lu.numpy()), Tensor(piv.numpy().astype(np.int32)))
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-10, atol=1e-12)
    got = Tensor(b).lu_solve(Tensor(lu.numpy()), Tensor(piv.numpy().astype(np.int32)))
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_ops_eig_of_a_diagonal_matrix(on_real_server, mode):
    """ops.eig (the engine op's function): MindSpore 2.10 gives [1, 2] and the identity's columns, complex64,
    for diag(1, 2) float32."""
    context.set_context(mode=mode)

    class Net(nn.Cell):
        def construct(self, x):
            return ops.eig(x)

    w, v = Net()(Tensor(np.diag([1.0, 2.0]).astype(np.float32)))
    assert w.asnumpy().dtype == np.complex64
    np.testing.assert_allclose(w.asnumpy(), [1, 2])
    np.testing.assert_allclose(v.asnumpy(), np.eye(2))


def test_ops_eig_names_take_mindspores_arguments(on_real_server):
    """ops.Eig(compute_v) positional (MindSpore's signature); ops.eig of a 0-d Tensor is a ValueError as in
    MindSpore 2.10; Tensor.slogdet is ops.slogdet. MindSpore 2.10 (/work/msvenv): ops.Eig() defaults to
    compute_v=False and returns (w, a 0-d 0j of w's dtype); mindspore.scipy.ops.Eig() defaults to True."""
    from gradserve.scipy import ops as sops
    w, _ = ops.Eig(True)(Tensor(np.diag([3.0, 1.0]).astype(np.float32)))
    np.testing.assert_allclose(np.sort(w.asnumpy().real), [1, 3])
    w, v = ops.Eig()(Tensor(np.diag([3.0, 1.0])))
    np.testing.assert_allclose(np.sort(w.asnumpy().real), [1, 3])
    assert v.shape == () and v.asnumpy().dtype == np.complex128 and v.asnumpy() == 0
    _, v = sops.Eig()(Tensor(np.diag([3.0, 1.0]).astype(np.float32)))
    np.testing.assert_allclose(np.abs(v.asnumpy()), np.eye(2)[:, ::-1] if abs(w.asnumpy()[0] - 1) < 1e-6 else np.eye(2))
    with pytest.raises(ValueError, match="square"):
        ops.eig(Tensor(np.float32(2.0)))
    a = RNG.random((3, 3)) + 2 * np.eye(3)
    sign, logabs = Tensor(a).slogdet()
    want_sign, want_log = np.linalg.slogdet(a)
    np.testing.assert_allclose([sign.asnumpy(), logabs.asnumpy()], [want_sign, want_log], rtol=1e-12)
